"""What fixing did: the unified diff (`--diff`), the list of applied fixes, the closing count."""

from __future__ import annotations

import difflib

from batchlint.fixer import FixResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def _lines(text: str) -> list[str]:
    """Lines split at "\n" only, each with its line break; the last one without, when the file has none
    (str.splitlines also splits at "\r", "\x0c", "\u2028", ... which a YAML comment may hold)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def write_diff(result: FixResult, out: TextIO) -> None:
    for path, (old, new) in sorted(result.changed.items()):
        for line in difflib.unified_diff(_lines(old), _lines(new), f"a/{path}", f"b/{path}"):
            # Only a last line without its line break (so only the hunk that reaches the end) gets the marker, as in GNU diff.
            out.write(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n")
    n = len(result.applied)
    remaining = len(result.report.diagnostics)
    out.write(f"Would fix {n} finding{'s' if n != 1 else ''}; {remaining} remaining.\n")


def write_fix_summary(result: FixResult, out: TextIO, show_fixes: bool) -> None:
    if show_fixes and result.applied:
        out.write("Fixed:\n")
        for d in result.applied:
            assert d.fix is not None
            out.write(f"  {d.span.file}:{d.span.line}:{d.span.column}: {d.code} {d.fix.message}\n")
    out.write(f"{len(result.applied)} fixed, {len(result.report.diagnostics)} remaining.\n")

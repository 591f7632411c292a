"""What fixing did: the unified diff (`--diff`), the list of applied fixes, the closing count."""

from __future__ import annotations

import difflib

from batchlint.fixer import FixResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def write_diff(result: FixResult, out: TextIO) -> None:
    for path, (old, new) in sorted(result.changed.items()):
        out.writelines(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                            f"a/{path}", f"b/{path}"))
        if not new.endswith("\n"):
            out.write("\n\\ No newline at end of file\n")
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

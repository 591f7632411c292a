"""Human output: ruff-style `path:line:col: CODE message`, the source line, a caret, help."""

from __future__ import annotations

from batchlint.loading.nodes import Span
from batchlint.report import Report
from batchlint.rules import Diagnostic

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    import unicodedata  # (a C extension: loaded only for a line that needs it)

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def source_line(text: str | None, line: int) -> str | None:
    """Line `line` (1-based) of a file's text, without its line break or a leading BOM."""
    if text is None:
        return None
    lines = text.split("\n")
    if line < 1 or line > len(lines):
        return None
    return lines[line - 1].rstrip("\r").lstrip("\ufeff") if line == 1 else lines[line - 1].rstrip("\r")


# ANSI styles, as ruff (and the annotate-snippets renderer it uses) colours its report.
_STYLES = {
    "path": "1",
    "sep": "36",
    "code": "1;31",
    "star": "36",
    "error": "1;91",
    "warning": "1;93",
    "info": "1;94",
    "gutter": "1;94",
    "note": "1;92",
    "help": "1;96",
    "fix": "1;96",
    "passed": "1;32",
}


class _Paint:
    """Wraps text in an ANSI style when colour is on; the identity when it is off."""

    __slots__ = ("on",)

    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if self.on and text else text


def _where(d: Diagnostic, span: Span) -> str:
    return f"line {span.line}" if span.file == d.span.file else f"{span.file}:{span.line}:{span.column}"


def _mark(d: Diagnostic, unsafe: bool, paint: _Paint | None = None) -> str:
    paint = paint or _Paint(False)
    return f" [{paint('*', 'star')}]" if d.fix is not None and d.fix.applies(unsafe) else ""


def _location(d: Diagnostic, paint: _Paint) -> str:
    sep = paint(":", "sep")
    return f"{paint(d.span.file, 'path')}{sep}{d.span.line}{sep}{d.span.column}{sep}"


def header(d: Diagnostic, unsafe: bool = False, color: bool = False) -> str:
    paint = _Paint(color)
    return f"{_location(d, paint)} {paint(d.code, 'code')}{_mark(d, unsafe, paint)} {paint(f'[{d.severity}]', d.severity)} {d.message}"


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


def summary(report: Report, color: bool = False) -> str:
    paint = _Paint(color)
    counts = {s: sum(1 for d in report.diagnostics if d.severity == s) for s in ("error", "warning", "info")}
    n = len(report.diagnostics)
    failed = len(report.internal_errors)
    # Never "All checks passed!" when a file could not be checked (its error goes to standard error).
    unchecked = f"{failed} of {_files(report.files)} could not be checked (reported on standard error)"
    if n == 0:
        if failed:
            return f"No findings, but {unchecked}."
        return f"{paint('All checks passed!', 'passed')} ({_files(report.files)} checked)"
    parts = ", ".join(f"{c} {s}{'s' if c != 1 and s != 'info' else ''}" for s, c in counts.items() if c)
    with_findings = len({d.span.file for d in report.diagnostics})
    where = _files(with_findings) if with_findings == report.files else f"{_files(with_findings)} ({report.files} checked)"
    text = f"Found {n} finding{'s' if n != 1 else ''} ({parts}) in {where}."
    if failed:
        text += f"\n{unchecked}."
    fixable = sum(1 for d in report.diagnostics if d.fix is not None and d.fix.applies(report.unsafe_fixes))
    hidden = sum(1 for d in report.diagnostics if d.fix is not None and not d.fix.applies(report.unsafe_fixes) and d.fix.applicability == "unsafe")
    if fixable:
        text += f"\n[{paint('*', 'star')}] {fixable} fixable with `--fix`."
    if hidden:
        text += f"\n{hidden} more fixable with `--fix --unsafe-fixes`."
    return text


def write_full(report: Report, out: TextIO, color: bool = False) -> None:
    paint = _Paint(color)
    for d in report.diagnostics:
        out.write(header(d, report.unsafe_fixes, color) + "\n")
        src = source_line(report.sources.get(d.span.file), d.span.line)
        if src is not None and src.strip():
            num = str(d.span.line)
            pad = " " * len(num)
            prefix = src[: d.span.column - 1]
            if d.span.end_line == d.span.line and d.span.end_column > d.span.column:
                length = _width(src[d.span.column - 1 : d.span.end_column - 1])
            else:
                length = 1
            bar = paint("|", "gutter")
            out.write(f" {pad} {bar}\n {paint(num, 'gutter')} {bar} {src}\n {pad} {bar} {' ' * _width(prefix)}{paint('^' * max(1, length), d.severity)}\n")
            eq = f" {pad} {paint('=', 'gutter')}"
        else:
            eq = f"  {paint('=', 'gutter')}"
        for rel in d.related:
            out.write(f"{eq} {paint('note', 'note')}: {_where(d, rel.span)}: {rel.label}\n")
        if d.help:
            out.write(f"{eq} {paint('help', 'help')}: {d.help}\n")
        if d.fix is not None and src is not None and src.strip():
            out.write(f"{eq} {paint(f'fix ({d.fix.applicability})', 'fix')}: {d.fix.message}\n")
        out.write("\n")
    out.write(summary(report, color) + "\n")


def write_concise(report: Report, out: TextIO, color: bool = False) -> None:
    paint = _Paint(color)
    for d in report.diagnostics:
        out.write(f"{_location(d, paint)} {paint(d.code, 'code')}{_mark(d, report.unsafe_fixes, paint)} {d.message}\n")
    out.write(summary(report, color) + "\n")


def statistics(report: Report) -> list[dict[str, object]]:
    """Findings per rule, most frequent first: code, name, count, and whether a fix applies (`[*]`)."""
    counts: dict[str, list[Diagnostic]] = {}
    for d in report.diagnostics:
        counts.setdefault(d.code, []).append(d)
    return [
        {"code": code, "name": found[0].name, "count": len(found), "fixable": any(d.fix is not None and d.fix.applies(report.unsafe_fixes) for d in found)}
        for code, found in sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def write_statistics(report: Report, out: TextIO, as_json: bool = False) -> None:
    """`--statistics`, like `ruff --statistics`: a line per rule, or (`--format json`) ruff's JSON array."""
    rows = statistics(report)
    if as_json:
        import json

        json.dump(rows, out, indent=2)
        out.write("\n")
        return
    for row in rows:
        out.write(f"{row['count']:5d}\t{row['code']}\t{'[*] ' if row['fixable'] else ''}{row['name']}\n")

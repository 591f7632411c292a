"""Human output: ruff-style `path:line:col: CODE message`, the source line, a caret, help."""

from __future__ import annotations

import unicodedata

from batchlint.loading.nodes import Span
from batchlint.report import Report
from batchlint.rules import Diagnostic

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _line(text: str | None, line: int) -> str | None:
    if text is None:
        return None
    lines = text.split("\n")
    if line < 1 or line > len(lines):
        return None
    return lines[line - 1].rstrip("\r").lstrip("\ufeff") if line == 1 else lines[line - 1].rstrip("\r")


def _where(d: Diagnostic, span: Span) -> str:
    return f"line {span.line}" if span.file == d.span.file else f"{span.file}:{span.line}:{span.column}"


def _mark(d: Diagnostic, unsafe: bool) -> str:
    return " [*]" if d.fix is not None and d.fix.applies(unsafe) else ""


def header(d: Diagnostic, unsafe: bool = False) -> str:
    return f"{d.span.file}:{d.span.line}:{d.span.column}: {d.code}{_mark(d, unsafe)} [{d.severity}] {d.message}"


def summary(report: Report) -> str:
    counts = {s: sum(1 for d in report.diagnostics if d.severity == s) for s in ("error", "warning", "info")}
    n = len(report.diagnostics)
    if n == 0 and report.internal_errors:
        failed = len(report.internal_errors)
        return f"No findings, but {failed} file{'s' if failed != 1 else ''} could not be checked (see the errors)."
    if n == 0:
        return f"All checks passed! ({report.files} file{'s' if report.files != 1 else ''} checked)"
    parts = ", ".join(f"{c} {s}{'s' if c != 1 and s != 'info' else ''}" for s, c in counts.items() if c)
    text = f"Found {n} finding{'s' if n != 1 else ''} ({parts}) in {report.files} file{'s' if report.files != 1 else ''}."
    fixable = sum(1 for d in report.diagnostics if d.fix is not None and d.fix.applies(report.unsafe_fixes))
    hidden = sum(1 for d in report.diagnostics if d.fix is not None and not d.fix.applies(report.unsafe_fixes)
                 and d.fix.applicability == "unsafe")
    if fixable:
        text += f"\n[*] {fixable} fixable with `--fix`."
    if hidden:
        text += f"\n{hidden} more fixable with `--fix --unsafe-fixes`."
    return text


def write_full(report: Report, out: TextIO) -> None:
    for d in report.diagnostics:
        out.write(header(d, report.unsafe_fixes) + "\n")
        src = _line(report.sources.get(d.span.file), d.span.line)
        if src is not None and src.strip():
            num = str(d.span.line)
            pad = " " * len(num)
            prefix = src[: d.span.column - 1]
            if d.span.end_line == d.span.line and d.span.end_column > d.span.column:
                length = _width(src[d.span.column - 1: d.span.end_column - 1])
            else:
                length = 1
            out.write(f" {pad} |\n {num} | {src}\n {pad} | {' ' * _width(prefix)}{'^' * max(1, length)}\n")
            for rel in d.related:
                out.write(f" {pad} = note: {_where(d, rel.span)}: {rel.label}\n")
            if d.help:
                out.write(f" {pad} = help: {d.help}\n")
            if d.fix is not None:
                out.write(f" {pad} = fix ({d.fix.applicability}): {d.fix.message}\n")
        else:
            for rel in d.related:
                out.write(f"  = note: {_where(d, rel.span)}: {rel.label}\n")
            if d.help:
                out.write(f"  = help: {d.help}\n")
        out.write("\n")
    out.write(summary(report) + "\n")


def write_concise(report: Report, out: TextIO) -> None:
    for d in report.diagnostics:
        out.write(f"{d.span.file}:{d.span.line}:{d.span.column}: {d.code}{_mark(d, report.unsafe_fixes)} {d.message}\n")
    out.write(summary(report) + "\n")


def write_statistics(report: Report, out: TextIO) -> None:
    """Findings per rule, most frequent first (like `ruff --statistics`)."""
    counts: dict[str, list[Diagnostic]] = {}
    for d in report.diagnostics:
        counts.setdefault(d.code, []).append(d)
    for code, found in sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        fixable = any(d.fix is not None and d.fix.applies(report.unsafe_fixes) for d in found)
        out.write(f"{len(found):5d}\t{code}\t{'[*] ' if fixable else ''}{found[0].name}\n")

"""GitHub Actions workflow commands: one annotation per finding."""

from __future__ import annotations

from batchlint.report import Report

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(report: Report, out: TextIO) -> None:
    for d in report.diagnostics:
        props = (
            f"file={_escape_property(d.span.file)},line={d.span.line},col={d.span.column},"
            f"endLine={d.span.end_line},endColumn={d.span.end_column},title={_escape_property(d.code)}"
        )
        message = d.message + (f"\n\nhelp: {d.help}" if d.help else "")
        out.write(f"::{_LEVEL[d.severity]} {props}::{_escape_data(message)}\n")

"""Machine output: `{"diagnostics": [...]}` for check, `{"runs": [...]}` for inspect."""

from __future__ import annotations

import json

from batchlint.engine import Report

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO


def write_json(report: Report, out: TextIO) -> None:
    json.dump({"diagnostics": [d.as_json() for d in report.diagnostics]}, out, ensure_ascii=False, indent=2)
    out.write("\n")


def runs_document(report: Report) -> dict[str, Any]:
    return {"runs": [run.as_json() for run in report.runs]}


def write_runs(report: Report, out: TextIO) -> None:
    json.dump(runs_document(report), out, ensure_ascii=False, indent=2, default=str)
    out.write("\n")

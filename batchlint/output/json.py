"""Machine output: `{"diagnostics": [...]}` for check, `{"runs": [...]}` for inspect."""

from __future__ import annotations

import json

from batchlint.model import FactName, RunModel
from batchlint.report import Report

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO


def write_json(report: Report, out: TextIO) -> None:
    json.dump({"diagnostics": [d.as_json(report.sources) for d in report.diagnostics]}, out, ensure_ascii=False, indent=2)
    out.write("\n")


def run_json(run: RunModel) -> dict[str, Any]:
    """A run as the inspect JSON contract shows it (README): names are stable, more may be added."""
    target = run.target
    memory: object = None
    if run.memory is not None:
        memory = run.memory.as_json(run.int_fact(FactName.PER_DEVICE_BATCH))
    elif run.is_training:
        memory = {"missing": run.memory_missing}
    return {
        "config": run.config,
        "dialect": run.dialect,
        "kind": str(run.kind),
        "confidence": run.confidence,
        "why": run.why,
        "launch": run.launch,
        "facts": {str(fact.name): fact.as_json() for fact in run.facts()},
        "total_batch": run.total_batch,
        "target_total": None if target is None else {"value": target.value, "source": str(target.source), "from": target.description},
        "launch_script": run.launch_script,
        "stated_intent": [i.as_json() for i in run.stated_intent],
        "sharding": run.sharding.as_json() if run.sharding is not None else None,
        "memory": memory,
    }


def runs_document(report: Report) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": [run_json(run) for run in report.runs]}
    if report.unread:
        out["unread"] = [{"file": file, "why": why} for file, why in report.unread_reasons().items()]
    return out


def write_runs(report: Report, out: TextIO) -> None:
    json.dump(runs_document(report), out, ensure_ascii=False, indent=2, default=str)
    out.write("\n")

"""Human view of the resolved run (`batchlint inspect`)."""

from __future__ import annotations

from batchlint.report import Report

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def write_inspect(report: Report, out: TextIO) -> None:
    from batchlint.model import DialectKind

    if not report.runs and not report.internal_errors:  # a file that failed is reported on standard error instead
        out.write("no training or launch config recognised\n")
    for file, why in report.unread_reasons().items():
        out.write(f"{file}: not read — {why}\n")
    for run in report.runs:
        out.write(f"{run.config}  [{run.dialect}]" + (f"  launched with {run.launch}" if run.launch else "") + "\n")
        if run.why:
            out.write(f"  read as {run.why} ({run.confidence} confidence)\n")
        facts = run.fact_map()
        w = max([24, *(len(name) for name in facts)])  # one column for every name
        for name, fact in facts.items():
            where = f"{fact.span.file}:{fact.span.line}:{fact.span.column}" if fact.span else fact.origin + (f" {fact.key}" if fact.key else "")
            value = fact.value if fact.unresolved is None else f"? ({fact.unresolved})"
            out.write(f"  {name:<{w}} {value!s:<12} {where}" + (f"  ({fact.key})" if fact.span and fact.key else "") + "\n")
            if fact.note:
                out.write(f"  {'':<{w}} note: {fact.note}\n")
        if run.is_training or run.kind == DialectKind.DEEPSPEED and run.launched_total is None:
            total = run.total_batch  # a DeepSpeed file alone: its integer train_batch_size
            out.write(f"  {'total_batch':<{w}} {total if total is not None else 'unknown'}\n")
            if run.target:
                out.write(f"  {'target_total':<{w}} {run.target.value}  (from {run.target.description})\n")
        elif run.launched_total is not None:
            out.write(f"  {'total_batch':<{w}} {run.launched_total}  (of the run {run.launch_script} launches with it)\n")
        for intent in run.stated_intent:
            out.write(f"  stated at line {intent.span.line}: {intent.describe()}\n")
        out.write("\n")

"""Markdown (GitHub-flavoured): one table row per run — its config, its launch, per device × processes ×
accumulation = total, the baseline total and the difference, and its findings — for a pull request
comment or `$GITHUB_STEP_SUMMARY`. Findings in no run's files follow the table."""

from __future__ import annotations

from batchlint.model import FactName, RunModel
from batchlint.pair import Pairing
from batchlint.report import Report
from batchlint.rules.base import Diagnostic

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def _cell(text: str) -> str:
    """Text that stays inside one table cell: no line breaks, pipes escaped, no raw HTML."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else _cell(text)


def _number(value: int | None) -> str:
    return "?" if value is None else str(value)


def _formula(run: RunModel) -> str:
    acc = run.accumulation
    per_device, dp = run.int_fact(FactName.PER_DEVICE_BATCH), run.int_fact(FactName.DATA_PARALLEL_SIZE)
    accumulation = acc.value if acc is not None and isinstance(acc.value, int) else None
    return f"{_number(per_device)} × {_number(dp)} × {_number(accumulation)} = {_number(run.total_batch)}"


def _launch(run: RunModel) -> str:
    parts = [_code(run.launch)] if run.launch else []
    if run.launch_script:
        parts.append(f"via {_code(run.launch_script)}")
    processes = run.get(FactName.NUM_PROCESSES)
    if not parts and processes is not None and processes.key:
        parts.append(f"{_code(str(processes.key))} {_cell(str(processes.value))}")
    return " ".join(parts) or "—"


def _files(run: RunModel, pairing: Pairing) -> set[str]:
    return {run.config, *(doc.path for doc in pairing.documents), *([pairing.script] if pairing.script else [])}


def _belongs(d: Diagnostic, files: set[str], config: str) -> bool:
    return d.span.file in files or any(r.span.file == config for r in d.related)


def _finding(d: Diagnostic) -> str:
    return f"**{d.code}** {d.severity}: {_cell(d.message)}"


def write_markdown(report: Report, out: TextIO) -> None:
    from batchlint.output.text import summary

    runs: list[tuple[RunModel, Pairing]] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for run, pairing in zip(report.runs, report.pairings, strict=True):
        identity = (run.config, run.launch, run.launch_script)
        if run.is_training and identity not in seen:
            seen.add(identity)
            runs.append((run, pairing))
    revisions = sorted({run.baseline.rev for run, _ in runs if run.baseline is not None})
    header = ["config", "launch", "per device × processes × accumulation = total"]
    if revisions:
        header += [f"baseline {', '.join(_code(rev) for rev in revisions)}", "Δ"]
    header.append("findings")
    out.write("### batchlint\n\n")
    attributed: set[int] = set()
    if runs:
        out.write("| " + " | ".join(header) + " |\n")
        out.write("|" + "|".join("---" for _ in header) + "|\n")
    for run, pairing in runs:
        files = _files(run, pairing)
        mine = [d for d in report.diagnostics if _belongs(d, files, run.config)]
        attributed.update(id(d) for d in mine)
        row = [_code(run.config), _launch(run), _formula(run)]
        if revisions:
            base = run.baseline
            if base is None or base.is_new:
                row += ["new" if base is not None else "—", "—"]
            else:
                old, new = base.total, run.total_batch
                row += [_number(old), "?" if old is None or new is None else f"{new - old:+d}".replace("-", "−") if new != old else "0"]
        row.append("<br>".join(_finding(d) for d in mine) or "none")
        out.write("| " + " | ".join(row) + " |\n")
    others = [d for d in report.diagnostics if id(d) not in attributed]
    if others:
        out.write("\n" if runs else "")
        out.write("Findings in no run's files:\n\n")
        for d in others:
            out.write(f"- {_code(f'{d.span.file}:{d.span.line}:{d.span.column}')} {_finding(d)}\n")
    if not runs and not others:
        out.write("No training runs found.\n")
    out.write(f"\n{summary(report).splitlines()[0]}\n")

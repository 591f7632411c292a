"""What the editor shows of a run: the inline arithmetic of the total and the hover text."""

from __future__ import annotations

import os

from batchlint.counts import positive_int
from batchlint.model import Fact, FactName, Origin, RunModel
from batchlint.server.engine_api import inspect_text, memory_of, same_file

# The keys the inline total sits after, and those a hover answers on.
HINTED_FACTS = (FactName.PER_DEVICE_BATCH, FactName.GRAD_ACCUM, FactName.EFFECTIVE_GRAD_ACCUM)
HOVERED_FACTS = HINTED_FACTS + (FactName.NUM_PROCESSES, FactName.NUM_MACHINES, FactName.DATA_PARALLEL_SIZE, FactName.GLOBAL_BATCH, FactName.BATCH_SIZE)


def describe(fact: Fact[object]) -> str:
    """Where a fact's value comes from, in a few words."""
    if fact.span is not None:
        where = f"{os.path.basename(fact.span.file)}:{fact.span.line}"
        return f"{fact.key} at {where}" if fact.key else where
    if fact.origin == Origin.CLI:
        return f"{fact.key} on the command line" if fact.key else "the command line"
    if fact.origin == Origin.SETTINGS:
        origin = fact.note[len("from ") :] if fact.note and fact.note.startswith("from ") else "settings"
        return f"{fact.key} in {os.path.basename(origin)}"
    if fact.note:
        return fact.note
    return str(fact.origin)


def process_source(run: RunModel) -> str | None:
    """Where the data-parallel size of the total comes from, or None when it is unknown."""
    dp = run.data_parallel_size
    if dp is None or positive_int(dp.value) is None:
        return None
    procs = run.num_processes
    if dp.origin == Origin.DERIVED and procs is not None:
        if procs.value == dp.value:
            return f"{dp.value} processes: {describe(procs)}"
        return f"{dp.value} data-parallel ranks of {procs.value} processes: {describe(procs)}"
    return f"{dp.value} data-parallel: {describe(dp)}"


def _value(fact: Fact[object] | None) -> str:
    if fact is None:
        return "?"
    count = positive_int(fact.value)
    return str(count) if count is not None else "?"


def arithmetic(run: RunModel) -> str:
    """`= 7 × 16 × 2 = 224 (16 processes: num-processes in batchlint.toml)`, or with "processes unknown"."""
    per_device = _value(run.per_device_batch)
    accumulation = _value(run.accumulation)
    source = process_source(run)
    if source is None:
        return f"= {per_device} × ? × {accumulation} (processes unknown)"
    dp = _value(run.data_parallel_size)
    total = run.total_batch
    return f"= {per_device} × {dp} × {accumulation} = {total if total is not None else '?'} ({source})"


def hinted(run: RunModel, path: str) -> list[Fact[object]]:
    """The facts of `path` an inline total follows: its per-device batch and accumulation keys."""
    return [f for name in HINTED_FACTS if (f := run.get(name)) is not None and f.span is not None and same_file(f.span.file, path)]


def hovered(run: RunModel, path: str, line: int) -> Fact[object] | None:
    """The batch fact whose key or value is on `line` (1-based) of `path`."""
    for name in HOVERED_FACTS:
        fact = run.get(name)
        if fact is not None and fact.span is not None and same_file(fact.span.file, path) and fact.span.line <= line <= fact.span.end_line:
            return fact
    return None


def _gib(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "?"


def memory_lines(run: RunModel) -> list[str]:
    memory = memory_of(run)
    if memory is None:
        return [f"memory: not estimated ({run.memory_missing})"] if run.memory_missing else []
    per_device = memory.get("per_device_batch")
    lines = [
        f"memory on {memory.get('gpu')} ({_gib(memory.get('usable_gib'))} GiB usable, {memory.get('confidence')} confidence), per-device batch {per_device}:",
        f"- per card ≈ {_gib(memory.get('other_cards_gib'))} GiB",
        f"- main card (cuda:0) ≈ {_gib(memory.get('main_card_optimistic_gib'))} GiB, ≈ {_gib(memory.get('main_card_conservative_gib'))} GiB in the worst case",
    ]
    largest = memory.get("largest_batch")
    if isinstance(largest, dict):
        lines.append(
            f"- largest per-device batch that fits: {largest.get('other_cards')} per card, "
            f"{largest.get('main_conservative')} on the main card in the worst case"
        )
    return lines


def hover_markdown(run: RunModel) -> str:
    total = run.total_batch
    head = f"**batchlint** · total batch **{total if total is not None else 'unknown'}** `{arithmetic(run)}`"
    parts = [head]
    if run.target is not None:
        verdict = "" if total is None else " (met)" if total == run.target.value else f" ({'below' if total < run.target.value else 'above'} it)"
        parts.append(f"target **{run.target.value}** from {run.target.description}{verdict}")
    else:
        parts.append("no target (set `target-total` in settings, or state the total in a comment)")
    memory = memory_lines(run)
    if memory:
        parts.append("\n".join(memory))
    parts.append("```text\n" + inspect_text(run) + "\n```")
    return "\n\n".join(parts)

"""Render a plan: the table, and per-card memory bars for the recommended and the current setting."""

from __future__ import annotations

import json

from batchlint.memory.model import CONSERVATIVE, MemoryModel
from batchlint.plan import Plan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

WIDTH = 50


def bar(memory: MemoryModel, b: int, main: bool) -> str:
    """static █ | activations ▓ | main-card extras ░ against the capacity, at the conservative end of the
    estimate; '|' marks the usable limit."""
    cap = memory.gpu.capacity_gib
    act = memory.activations(b, CONSERVATIVE)
    static = memory.rank(b, CONSERVATIVE) - act
    extra = (memory.main_conservative(b) - memory.rank(b, CONSERVATIVE)) if main else 0.0
    cells = []
    for amount, ch in ((static, "█"), (act, "▓"), (extra, "░")):
        cells.append(ch * round(amount / cap * WIDTH))
    text = "".join(cells)
    text = (text + "·" * WIDTH)[:WIDTH] if len(text) <= WIDTH else text[:WIDTH] + "»"
    mark = min(WIDTH - 1, round(memory.usable / cap * WIDTH))
    text = text[:mark] + "|" + text[mark + 1 :] if len(text) > mark else text
    total = static + act + extra
    return f"[{text}] {total:5.1f} / {memory.usable:.1f} GiB"


def write_plan(plan: Plan, out: TextIO) -> None:
    memory = plan.memory
    head = f"{plan.processes} processes, target total {plan.target}"
    if memory is not None:
        head += f", {memory.gpu.name} ({memory.usable:.1f} GiB usable), {memory.profile.name}, {memory.confidence} confidence"
    out.write(head + "\n")
    if plan.note:
        out.write(f"note: {plan.note}\n")
    out.write(f"\n  {'batch':>5} {'accum':>5} {'total':>6} {'others':>8} {'others worst':>12} {'cuda:0 opt':>10} {'cuda:0 worst':>12}  verdict\n")
    for row in plan.rows:

        def gib(x: float | None) -> str:
            return "?" if x is None else f"{x:.1f}"

        flag = "→" if row.recommended else ("·" if plan.current == (row.b, row.k) else " ")
        current = "  (current)" if plan.current == (row.b, row.k) else ""
        out.write(
            f"{flag} {row.b:>5} {row.k:>5} {row.total:>6} {gib(row.other):>8} {gib(row.other_cons):>12} {gib(row.main_opt):>10} "
            f"{gib(row.main_cons):>12}  {row.verdict}{current}{'  ← recommended' if row.recommended else ''}\n"
        )
    if plan.reason:
        out.write(f"\n{'recommended: ' + plan.describe() if plan.recommended is not None else plan.reason}\n")
    if memory is None:
        return
    out.write(f"\nper-card memory at the conservative end ({memory.band.why}):\n█ static  ▓ activations  ░ main-card extras (worst case)  | usable limit\n")
    shown: list[tuple[str, int]] = []
    if plan.recommended is not None:
        shown.append((f"recommended {plan.recommended.b} × {plan.recommended.k}", plan.recommended.b))
    if plan.current is not None and (plan.recommended is None or plan.current[0] != plan.recommended.b):
        shown.append((f"current {plan.current[0]} × {plan.current[1]}", plan.current[0]))
    for label, b in shown:
        out.write(f"  {label}\n    cuda:0  {bar(memory, b, True)}\n    others  {bar(memory, b, False)}\n")
    terms = memory.persist + memory.transient
    if terms:
        out.write("main-card extras: " + "; ".join(f"{t.name} ≈ {t.gib:.1f} GiB ({t.why})" for t in terms) + "\n")


def write_plan_json(plan: Plan, out: TextIO) -> None:
    json.dump(plan.as_json(), out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_gpus(out: TextIO, as_json: bool = False) -> None:
    """`batchlint plan --list-gpus`: the GPUs batchlint knows, one a line, or (`--format json`)
    `{"gpus": [{"name", "capacity_gib", "note"}]}`."""
    from batchlint.memory.gpus import GPUS

    if as_json:
        json.dump({"gpus": [{"name": g.name, "capacity_gib": g.capacity_gib, "note": g.note} for g in GPUS]}, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    for gpu in GPUS:
        out.write(f"{gpu.name:<14} {gpu.capacity_gib:7.2f} GiB  {gpu.note}\n")

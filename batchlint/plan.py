"""`batchlint plan`: every (per-device batch, accumulation) pair that reaches a target total on a
given number of processes, with the estimated memory of the main card and the others, and the
recommended pair: the largest per-device batch that fits the main card conservatively (then the
smallest accumulation, which is the same pair). When the target is not a multiple of the
processes, both nearest totals are listed and the largest fitting batch among them wins (the total
above on a tie). Never recommends a pair its estimate rejects."""

from __future__ import annotations

from batchlint.memory.model import MemoryModel
from batchlint.rules.batch import factor_pairs


class Row:
    __slots__ = ("b", "k", "total", "other", "main_opt", "main_cons", "verdict", "recommended")

    def __init__(self, b: int, k: int, total: int, memory: MemoryModel | None) -> None:
        self.b = b
        self.k = k
        self.total = total
        self.recommended = False
        if memory is None:
            self.other = self.main_opt = self.main_cons = None
            self.verdict = "unknown"
            return
        self.other = memory.rank(b)
        self.main_opt = memory.main_optimistic(b)
        self.main_cons = memory.main_conservative(b)
        usable = memory.usable
        if self.other > usable:
            self.verdict = "does not fit"
        elif self.main_opt > usable:
            self.verdict = "main card fails"
        elif self.main_cons > usable:
            self.verdict = "main card at risk"
        else:
            self.verdict = "fits"

    def as_json(self) -> dict[str, object]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        return {"per_device_batch": self.b, "grad_accum": self.k, "total": self.total, "other_cards_gib": r(self.other),
                "main_card_optimistic_gib": r(self.main_opt), "main_card_conservative_gib": r(self.main_cons),
                "verdict": self.verdict, "recommended": self.recommended}


class Plan:
    def __init__(self, processes: int, target: int, memory: MemoryModel | None, current: tuple[int, int] | None) -> None:
        self.processes = processes
        self.target = target
        self.memory = memory
        self.current = current
        self.totals: list[int] = []
        self.rows: list[Row] = []
        self.recommended: Row | None = None
        self.note = ""
        if target % processes == 0:
            self.totals = [target]
        else:
            below = (target // processes) * processes
            self.totals = [t for t in (below + processes, below) if t > 0]
            self.note = (f"{target} is not a multiple of {processes} processes: the nearest totals are "
                         + " and ".join(str(t) for t in sorted(self.totals)))
        for total in self.totals:
            for b, k in factor_pairs(total // processes):
                self.rows.append(Row(b, k, total, memory))
        if memory is None:
            self.note = (self.note + "; " if self.note else "") + "no memory profile: no recommendation (see BL204)"
            return
        fitting = [row for row in self.rows if row.verdict == "fits"]
        if fitting:
            # The largest per-device batch that fits; between the nearest totals, the one above on a tie.
            best = max(fitting, key=lambda row: (row.b, row.total >= target, -row.k))
            best.recommended = True
            self.recommended = best
        else:
            self.note = (self.note + "; " if self.note else "") + f"no pair fits {memory.gpu.name} by the estimate"

    def as_json(self) -> dict[str, object]:
        memory = self.memory
        return {
            "processes": self.processes, "target_total": self.target, "totals": self.totals, "note": self.note or None,
            "gpu": memory.gpu.name if memory else None, "usable_gib": round(memory.usable, 2) if memory else None,
            "confidence": memory.confidence if memory else None,
            "memory": memory.as_json(self.current[0] if self.current else None) if memory else None,
            "rows": [row.as_json() for row in self.rows],
            "recommended": self.recommended.as_json() if self.recommended else None,
            "current": None if self.current is None else {"per_device_batch": self.current[0], "grad_accum": self.current[1]},
        }

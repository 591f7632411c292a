"""The batch planner: which (per-device batch, accumulation) reaches a target total on a number of
processes, and which of them fits the card. One entry point, `plan()`, behind `batchlint plan`,
BL101/BL106's help and fix, BL201–BL203 and every other batch fix, so that help, fix and plan never
disagree.

Rules, in order:

* **Fits** means the conservative end of the memory estimate fits cuda:0 with validation on
  (memory-model.md §6.4): the uncertainty band's high end, validation not reusing freed memory.
  A row that fits only with validation turned off is its own tier, never a safe fix.
* **Memory first.** With a memory model, the largest per-device batch that fits; without one, the
  current per-device batch is kept and the target is reached by accumulation (a batch that does not
  divide the per-GPU total is lowered to its largest divisor): a larger per-device batch is never
  proposed without memory information.
* **A stated pair.** Without memory information, when the target comes from a statement that also
  names the pair (`# 8 GPUs x 16 per device x 2 accumulation = 256`), that pair: the author's record
  of a run is the only evidence there is that the per-device batch fits (never a safe fix when it
  raises the per-device batch).
* **Exact first.** A target the processes can reach is reached exactly, with the largest allowed
  per-device batch that divides it.
* **Near totals, both sides.** A target the processes cannot reach: for the largest allowed per-device
  batch b, the totals b × processes × k just below and above the target; the nearer wins (above on a
  tie) when it is within NEAR of the target, else the next smaller b is tried; when no b comes that
  close, the total nearest the target (3 GPUs, target 224, b up to 8: 8 × 3 × 9 = 216).
"""

from __future__ import annotations

from batchlint.memory import CONSERVATIVE, OPTIMISTIC

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.memory.model import MemoryModel

NEAR = 0.05  # a total within 5 % of an unreachable target counts as reaching it (√1.05: the LR moves < 2.5 %)

FITS = "fits"
FITS_WITHOUT_VALIDATION = "fits with validation off"
MAIN_AT_RISK = "main card at risk"
MAIN_FAILS = "main card fails"
MAY_NOT_FIT = "may not fit"
DOES_NOT_FIT = "does not fit"
UNKNOWN = "unknown"


def factor_pairs(n: int) -> list[tuple[int, int]]:
    """(per-device batch, accumulation) pairs whose product is n, largest batch first."""
    return [(n // k, k) for k in range(1, n + 1) if n % k == 0]


def nearest_totals(target: int, step: int) -> tuple[int, int]:
    below = (target // step) * step
    return below, below + step


def verdict(memory: MemoryModel | None, b: int) -> str:
    """Where per-device batch b stands on this card, from the worst answer to the best."""
    if memory is None:
        return UNKNOWN
    usable = memory.usable
    if memory.fits(b):
        return FITS
    if memory.transient_gib() > memory.transient_gib(validation=False) and memory.fits(b, validation=False):
        return FITS_WITHOUT_VALIDATION
    if memory.need(b, OPTIMISTIC) > usable:
        return DOES_NOT_FIT
    if memory.need(b, CONSERVATIVE) > usable and memory.multi_gpu:
        return MAY_NOT_FIT
    if not memory.multi_gpu:
        return MAY_NOT_FIT
    return MAIN_FAILS if memory.main_optimistic(b) > usable else MAIN_AT_RISK


class Row:
    __slots__ = ("b", "k", "total", "other", "other_cons", "main_opt", "main_cons", "verdict", "recommended")

    def __init__(self, b: int, k: int, total: int, memory: MemoryModel | None) -> None:
        self.b = b
        self.k = k
        self.total = total
        self.recommended = False
        self.verdict = verdict(memory, b)
        if memory is None:
            self.other = self.other_cons = self.main_opt = self.main_cons = None
            return
        self.other = memory.rank(b)
        self.other_cons = memory.rank(b, CONSERVATIVE)
        self.main_opt = memory.main_optimistic(b)
        self.main_cons = memory.main_conservative(b)

    def as_json(self) -> dict[str, object]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        return {
            "per_device_batch": self.b,
            "grad_accum": self.k,
            "total": self.total,
            "other_cards_gib": r(self.other),
            "other_cards_conservative_gib": r(self.other_cons),
            "main_card_optimistic_gib": r(self.main_opt),
            "main_card_conservative_gib": r(self.main_cons),
            "verdict": self.verdict,
            "recommended": self.recommended,
        }


class Plan:
    """The rows considered and the one recommended, with why in words (`reason`)."""

    def __init__(self, processes: int, target: int, memory: MemoryModel | None, current: tuple[int, int] | None) -> None:
        self.processes = processes
        self.target = target
        self.memory = memory
        self.current = current
        self.totals: list[int] = []
        self.rows: list[Row] = []
        self.recommended: Row | None = None
        self.note = ""  # about the target and the processes
        self.reason = ""  # why the recommended row, or why there is none
        self.cap: int | None = None  # the largest per-device batch the plan may use

    @property
    def exact(self) -> bool:
        return self.target % self.processes == 0

    @property
    def safe(self) -> bool:
        """The recommendation fits at the conservative end (or keeps the per-device batch without memory information)."""
        row = self.recommended
        return row is not None and (row.verdict == FITS or (self.memory is None and self.current is not None and row.b <= self.current[0]))

    def quiet_totals(self) -> set[int]:
        """Totals a run may already have without a finding about the target: the target, the totals next
        to an unreachable target, and the planner's own choice."""
        out = {self.target}
        if not self.exact:
            out.update(t for t in nearest_totals(self.target, self.processes) if t > 0)
        if self.recommended is not None:
            out.add(self.recommended.total)
        return out

    def describe(self) -> str:
        """`7 per device × 2 accumulation on 16 processes = 224 (why)`, or why there is no recommendation."""
        row = self.recommended
        if row is None:
            return self.reason
        return f"{row.b} per device × {row.k} accumulation on {self.processes} processes = {row.total} ({self.reason})"

    def as_json(self) -> dict[str, object]:
        memory = self.memory
        return {
            "processes": self.processes,
            "target_total": self.target,
            "totals": self.totals,
            "note": self.note or None,
            "gpu": memory.gpu.name if memory else None,
            "usable_gib": round(memory.usable, 2) if memory else None,
            "confidence": memory.confidence if memory else None,
            "memory": memory.as_json(self.current[0] if self.current else None) if memory else None,
            "rows": [row.as_json() for row in self.rows],
            "recommended": self.recommended.as_json() if self.recommended else None,
            "reason": self.reason or None,
            "safe": self.safe if self.recommended else None,
            "current": None if self.current is None else {"per_device_batch": self.current[0], "grad_accum": self.current[1]},
        }


def _largest(memory: MemoryModel, validation: bool) -> int:
    best = 0
    for b in range(1, 4097):
        if not memory.fits(b, validation):
            break
        best = b
    return best


def _pick_near(target: int, processes: int, cap: int) -> tuple[int, int]:
    """(per-device batch, total) for a target the processes cannot reach (module docstring)."""
    options: list[tuple[int, int]] = []
    for b in range(cap, 0, -1):
        step = b * processes
        below, above = nearest_totals(target, step)
        near = [t for t in (above, below) if t > 0]
        best = min(near, key=lambda t: (abs(t - target), -t))
        if abs(best - target) <= NEAR * target:
            return b, best
        options.append((b, best))
    return min(options, key=lambda o: (abs(o[1] - target), -o[0], -o[1]))


def plan(processes: int, target: int, memory: MemoryModel | None, current: tuple[int, int] | None = None, stated: tuple[int, int, str] | None = None) -> Plan:
    """Every (per-device batch, accumulation) row worth showing for `target` on `processes`, and the
    recommended one (module docstring for the rules). `stated` is (per-device batch, accumulation,
    where) when the target's own statement names the pair."""
    p = Plan(processes, target, memory, current)
    if memory is None and stated is not None and stated[0] * stated[1] * processes == target:
        p.totals = [target]
        p.rows = [Row(b, k, target, None) for b, k in factor_pairs(target // processes)]
        p.recommended = next(r for r in p.rows if r.b == stated[0])
        p.recommended.recommended = True
        p.reason = f"the pair {stated[2]} states; no memory information: check that {stated[0]} per device fits"
        return p
    b0 = current[0] if current is not None else None
    validation_off = False
    if memory is not None:
        cap = _largest(memory, validation=True)
        if cap == 0 and memory.transient_gib() > memory.transient_gib(validation=False):
            cap, validation_off = _largest(memory, validation=False), True
    else:
        cap = b0 or 0
    p.cap = cap or None
    if p.exact:
        p.totals = [target]
    else:
        below, above = nearest_totals(target, processes)
        p.totals = [t for t in (above, below) if t > 0]
        p.note = f"{target} is not a multiple of {processes} processes: the nearest totals are " + " and ".join(map(str, sorted(p.totals)))
    choice: tuple[int, int] | None = None  # (b, total)
    if cap:
        if p.exact:
            per_gpu = target // processes
            choice = (max(b for b, _ in factor_pairs(per_gpu) if b <= cap), target)
        else:
            choice = _pick_near(target, processes, cap)
            for near in nearest_totals(target, choice[0] * processes):  # both sides with the chosen batch
                if near > 0 and near not in p.totals:
                    p.totals.append(near)
    for total in p.totals:
        for b, k in factor_pairs(total // processes):
            p.rows.append(Row(b, k, total, memory))
    if choice is not None:
        p.recommended = next(r for r in p.rows if r.b == choice[0] and r.total == choice[1])
        p.recommended.recommended = True
    p.reason = _reason(p, choice, validation_off, b0)
    return p


def _reason(p: Plan, choice: tuple[int, int] | None, validation_off: bool, b0: int | None) -> str:
    memory = p.memory
    if choice is None:
        if memory is None:
            return "no memory profile: no recommendation (see BL204)"
        return (
            f"not even a per-device batch of 1 fits {memory.gpu.name} at the conservative end of the estimate "
            f"(≈ {memory.main_conservative(1):.1f} of {memory.usable:.1f} GiB): check the memory profile and the sharding"
        )
    b, total = choice
    per_gpu = total // p.processes
    if memory is not None:
        est = memory.main_conservative(b, validation=not validation_off)
        why = (
            f"{b} per device is the largest that {'divides ' + str(per_gpu) + ' and ' if p.exact else ''}fits cuda:0 "
            f"at the conservative end (≈ {est:.1f} of {memory.usable:.1f} GiB on {memory.gpu.name}, {memory.band.kind} profile)"
        )
        if validation_off:
            why = f"nothing fits with validation on; {why} with validation off"
    elif b0 is not None and b == b0:
        why = f"no memory information: the per-device batch stays {b0} (memory first), the accumulation makes up the total"
    else:
        why = f"no memory information: {b0} per device does not divide {per_gpu}; {b} is the largest per-device batch below {b0} that does (memory first)"
    if total != p.target:
        side = "above" if total > p.target else "below"
        why = f"{p.target} is not reachable on {p.processes} processes; {total} is the nearest total {side} it with {b} per device; {why}"
    return why

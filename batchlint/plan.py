"""`batchlint plan`: every (per-device batch, accumulation) pair that reaches a target total on a
given number of processes, with the estimated memory of the main card and the others, and the
recommended pair: the largest per-device batch that fits the main card conservatively (then the
smallest accumulation, which is the same pair). When the target is not a multiple of the
processes, both nearest totals are listed and the largest fitting batch among them wins (the total
above on a tie). Never recommends a pair its estimate rejects."""

from __future__ import annotations

from batchlint.memory.model import MemoryModel
from batchlint.options import Options
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


def make_plan(options: Options, config: str | None) -> Plan | str:
    """The plan for a training config (its run, target and memory), or from the launch options alone
    (--num-processes, --target-total, the GPU and a profile); otherwise a one-line reason why none can be made."""
    from batchlint.counts import positive_int
    from batchlint.model import Fact, FactName, Origin

    if config:
        from batchlint.engine import check

        report = check([config], options)
        if report.internal_errors:
            return "; ".join(report.internal_errors)
        runs = [r for r in report.runs if r.is_training]
        if not runs:
            return f"{config}: not a training config batchlint recognises"
        run = runs[0]
        dp = run.int_fact(FactName.DATA_PARALLEL_SIZE)
        if dp is None:
            return "the process count is unknown: give --num-processes or --accelerate-config"
        if run.target is None:
            return "no target total: give --target-total"
        b = run.int_fact(FactName.PER_DEVICE_BATCH)
        acc = run.accumulation
        k = positive_int(acc.value) if acc else None
        return Plan(dp, run.target.value, run.memory, (b, k) if b and k else None)
    launch = options.launch
    if launch.num_processes is None or launch.target_total is None:
        return "give a training config, or --num-processes and --target-total"
    from batchlint.memory.attach import DEFAULT_HEADROOM, choose_gpu, load_profile_file
    from batchlint.memory.model import build_model
    from batchlint.memory.profile import Profile, ProfileError, parse_profile
    from batchlint.settings import FileSettings

    gpu = choose_gpu(launch, FileSettings())
    profile: Profile | None = None
    if launch.memory_profile:
        profile = load_profile_file(launch.memory_profile)
    elif launch.memory_preset:
        from batchlint.settings import SettingsError

        try:
            profile = parse_profile({"preset": launch.memory_preset}, "--memory-preset")
        except ProfileError as exc:
            raise SettingsError(str(exc)) from None
    memory = None
    if gpu is not None and profile is not None:
        facts = {FactName.DATA_PARALLEL_SIZE: Fact(FactName.DATA_PARALLEL_SIZE, launch.num_processes, Origin.CLI),
                 FactName.DO_VALIDATION: Fact(FactName.DO_VALIDATION, profile.validation_gib is not None, Origin.DERIVED)}
        built = build_model(facts, gpu, DEFAULT_HEADROOM, profile)
        if isinstance(built, str):
            return built
        memory = built
    return Plan(launch.num_processes, launch.target_total, memory, None)

"""Trainers that fix the global (optimizer) batch and derive the rest:

    global = per-device batch × data-parallel size × accumulation

- MICRO (Megatron-LM, NeMo, DeepSpeed `train_batch_size` with the micro batch): the per-device micro
  batch is given, accumulation = global / (micro × DP), and it must divide evenly.
- ACCUM (StableCascade): the accumulation is given, per device = global // (DP × accumulation).
- CHUNK (Composer, OLMo): per device = global // DP; a device microbatch splits that into
  `per device // microbatch` forward passes, which do not change the total.
- PER_DEVICE: per device and accumulation given; the global batch is only checked against them.

Without the data-parallel size the total is still known: it is the global batch (the trainer keeps it
whatever the GPU count, when it divides). `split` adds the derived facts; `Split` says what does not
divide, for BL109.
"""

from __future__ import annotations

from collections.abc import Mapping

from batchlint.counts import positive_int
from batchlint.model import Fact, FactName, GlobalShape, Origin

F = FactName


class Split:
    """The factors of a global batch that does not divide: global, the divisor and its parts."""

    __slots__ = ("shape", "global_batch", "divisor", "parts", "what")

    def __init__(self, shape: GlobalShape, global_batch: int, divisor: int, parts: tuple[tuple[str, int], ...], what: str = "global batch") -> None:
        self.shape = shape
        self.global_batch = global_batch  # what does not divide: the global batch, or (CHUNK) the per-device batch
        self.divisor = divisor
        self.parts = parts  # (label, value) whose product is the divisor
        self.what = what

    @property
    def remainder(self) -> int:
        return self.global_batch % self.divisor

    def describe(self) -> str:
        factors = " × ".join(f"{label} {value}" for label, value in self.parts)
        product = f" = {self.divisor}" if len(self.parts) > 1 else ""
        return f"{self.what} {self.global_batch} is not divisible by {factors}{product} (remainder {self.remainder})"


def _int(facts: Mapping[FactName, Fact[object]], name: FactName) -> int | None:
    fact = facts.get(name)
    return positive_int(fact.value) if fact is not None else None


def _given(facts: Mapping[FactName, Fact[object]], name: FactName) -> bool:
    """Set by the file or the launch, not a trainer default or arithmetic."""
    fact = facts.get(name)
    return fact is not None and fact.origin not in (Origin.DEFAULT, Origin.DERIVED) and fact.value != "auto"


def _derived(name: FactName, value: int, source: Fact[object], note: str) -> Fact[object]:
    # Shown at the global batch's literal, but never edited through it (no node).
    return Fact(name, value, Origin.DERIVED, source.key, source.span, note=note)


def split(shape: GlobalShape | None, facts: dict[FactName, Fact[object]]) -> Split | None:
    """Add the per-device batch or the accumulation the global batch implies; the factors that do
    not divide, if any."""
    glob = facts.get(F.GLOBAL_BATCH)
    g = _int(facts, F.GLOBAL_BATCH)
    if shape is None or glob is None or g is None:
        return None
    dp = _int(facts, F.DATA_PARALLEL_SIZE)
    if dp is None:
        return None
    key = glob.key or "global batch"
    if shape == GlobalShape.MICRO:
        micro = _int(facts, F.PER_DEVICE_BATCH)
        if micro is None:
            return None
        if g % (micro * dp):
            return Split(shape, g, micro * dp, (("micro batch", micro), ("data-parallel", dp)))
        if not _given(facts, F.GRAD_ACCUM):
            facts[F.GRAD_ACCUM] = _derived(F.GRAD_ACCUM, g // (micro * dp), glob, f"{key} {g} / (micro batch {micro} × {dp} data-parallel)")
        return None
    if shape == GlobalShape.ACCUM:
        ga = _int(facts, F.GRAD_ACCUM) or 1
        if g % (dp * ga):
            found = Split(shape, g, dp * ga, (("data-parallel", dp), ("accumulation", ga)))
        else:
            found = None
        if not _given(facts, F.PER_DEVICE_BATCH) and g // (dp * ga) > 0:
            facts[F.PER_DEVICE_BATCH] = _derived(F.PER_DEVICE_BATCH, g // (dp * ga), glob, f"{key} {g} // ({dp} data-parallel × {ga} accumulation)")
        return found
    if shape == GlobalShape.CHUNK:
        found = Split(shape, g, dp, (("data-parallel", dp),)) if g % dp else None
        per_device = g // dp
        if not _given(facts, F.PER_DEVICE_BATCH) and per_device > 0:
            facts[F.PER_DEVICE_BATCH] = _derived(F.PER_DEVICE_BATCH, per_device, glob, f"{key} {g} // {dp} data-parallel")
            facts.setdefault(
                F.GRAD_ACCUM, Fact(F.GRAD_ACCUM, 1, Origin.DEFAULT, note="the device microbatch only splits the per-device batch into forward passes")
            )
        chunk = _int(facts, F.DEVICE_MICROBATCH)
        if chunk is not None and per_device > 0:
            if per_device % chunk and found is None:
                found = Split(shape, per_device, chunk, (("device microbatch", chunk),), what="per-device batch")
            elif not per_device % chunk:
                facts[F.MICROBATCHES] = _derived(F.MICROBATCHES, per_device // chunk, glob, f"per-device batch {per_device} // device microbatch {chunk}")
        return found
    # PER_DEVICE: the global batch only checks the others.
    micro, ga = _int(facts, F.PER_DEVICE_BATCH), _int(facts, F.GRAD_ACCUM) or 1
    if micro is not None and micro * dp * ga != g and g % (micro * dp) == 0 and not _given(facts, F.GRAD_ACCUM):
        facts[F.GRAD_ACCUM] = _derived(F.GRAD_ACCUM, g // (micro * dp), glob, f"{key} {g} / (micro batch {micro} × {dp} data-parallel)")
    return None


def fixed_total(shape: GlobalShape | None, facts: Mapping[FactName, Fact[object]], found: Split | None) -> int | None:
    """The total a global-batch trainer keeps whatever the GPU count: None for other trainers, and
    when the micro batch and data-parallel size do not divide it (Megatron and DeepSpeed refuse to start)."""
    if shape is None or shape == GlobalShape.PER_DEVICE or (found is not None and shape == GlobalShape.MICRO):
        return None
    dp = facts.get(F.DATA_PARALLEL_SIZE)
    if dp is not None and dp.value is None:
        return None  # a parallel layout the trainer refuses: the run does not start
    return _int(facts, F.GLOBAL_BATCH)


def processes(world_from: tuple[FactName, ...], facts: dict[FactName, Fact[object]]) -> None:
    """The process count a file implies when it gives none: GPUs per node × nodes (NeMo `trainer.devices`
    × `trainer.num_nodes`), or the product of every parallel degree it declares (nanotron dp × tp × pp)."""
    if F.NUM_PROCESSES in facts:
        return
    per_node = facts.get(F.GPUS_PER_NODE)
    n = _int(facts, F.GPUS_PER_NODE)
    if per_node is not None and n is not None:
        if F.NUM_MACHINES in facts and _int(facts, F.NUM_MACHINES) is None:
            return  # a node count set at run time, or a placeholder
        nodes = _int(facts, F.NUM_MACHINES) or 1
        facts[F.NUM_PROCESSES] = Fact(
            F.NUM_PROCESSES, n * nodes, Origin.DERIVED, per_node.key, per_node.span, note=f"{per_node.key} {n} per node × {nodes} nodes"
        )
        return
    degrees = [(name, _int(facts, name)) for name in world_from]
    if world_from and all(v is not None for _, v in degrees[:1]) and all(name in facts for name, _ in degrees[:1]):
        product = 1
        parts = []
        for name, value in degrees:
            if value is None and name in facts:
                return  # a degree the file gives but that is not a count (-1, "auto"): unknown
            product *= value or 1
            parts.append(f"{facts[name].key if name in facts else name} {value or 1}")
        facts[F.NUM_PROCESSES] = Fact(F.NUM_PROCESSES, product, Origin.DERIVED, note="product of the parallel degrees in the file: " + " × ".join(parts))


def layout_problem(world_from: tuple[FactName, ...], facts: Mapping[FactName, Fact[object]]) -> str | None:
    """Why the processes cannot be laid out as the file says: model-parallel groups larger than the
    world, or declared degrees (nanotron dp × tp × pp) whose product is not the process count."""
    procs = _int(facts, F.NUM_PROCESSES)
    if procs is None:
        return None
    if world_from and all(_int(facts, name) is not None for name in world_from if name in facts) and world_from[0] in facts:
        product, parts = 1, []
        for name in world_from:
            value = _int(facts, name) or 1
            product *= value
            if name in facts:
                parts.append(f"{facts[name].key} {value}")
        if product != procs:
            return f"{' × '.join(parts)} = {product} ranks, but the launch starts {procs} processes"
    dp = facts.get(F.DATA_PARALLEL_SIZE)
    if dp is not None and dp.value is None and dp.unresolved:
        return dp.unresolved
    return None


def declared_dp(facts: dict[FactName, Fact[object]]) -> None:
    """A data-parallel degree the file declares wins; -1 means every GPU the model-parallel degrees leave."""
    fact = facts.get(F.DP_SIZE)
    if fact is None:
        return
    value = fact.value
    if positive_int(value) is not None:
        facts[F.DATA_PARALLEL_SIZE] = Fact(F.DATA_PARALLEL_SIZE, value, Origin.DERIVED, fact.key, fact.span, note=f"{fact.key} {value}")
        return
    procs = _int(facts, F.NUM_PROCESSES)
    if value == -1 and procs is not None:
        divisor = 1
        parts = []
        for name in (F.TP_SIZE, F.PP_SIZE, F.CP_SIZE, F.DP_REPLICATE_SIZE):
            size = _int(facts, name)
            if size is not None and size > 1:
                divisor *= size
                parts.append(f"{facts[name].key} {size}")
        facts.pop(F.DATA_PARALLEL_SIZE, None)
        if procs % divisor == 0:
            replicate = _int(facts, F.DP_REPLICATE_SIZE) or 1
            facts[F.DATA_PARALLEL_SIZE] = Fact(
                F.DATA_PARALLEL_SIZE, procs // divisor * replicate, Origin.DERIVED, note=f"{fact.key} -1: {procs} processes" + "".join(f" / {p}" for p in parts)
            )
    else:
        facts.pop(F.DATA_PARALLEL_SIZE, None)  # "auto" or a placeholder: not known here

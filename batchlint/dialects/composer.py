"""Composer / llm-foundry YAML: the **global** batch is declared (`global_train_batch_size`); each
device gets global / data-parallel size, and `device_train_microbatch_size` only chops that into
chunks for memory (it is an accumulation chunk, not the per-device batch)."""

from __future__ import annotations

from batchlint.counts import positive_int
from batchlint.dialects.base import Dialect, FactDict
from batchlint.loading.nodes import Mapping, Node
from batchlint.model import DialectKind, Fact, FactName, Origin, Semantics


def _detect(root: Node | None) -> bool:
    return isinstance(root, Mapping) and root.get("global_train_batch_size") is not None


def _derive(facts: FactDict) -> None:
    """The per-device batch is the declared global batch over the processes."""
    procs = positive_int(facts[FactName.NUM_PROCESSES].value) if FactName.NUM_PROCESSES in facts else None
    glob = facts.get(FactName.GLOBAL_BATCH)
    g = positive_int(glob.value) if glob is not None else None
    if glob is None or g is None or FactName.PER_DEVICE_BATCH in facts or procs is None:
        return
    if g % procs == 0:
        facts[FactName.PER_DEVICE_BATCH] = Fact(FactName.PER_DEVICE_BATCH, g // procs, Origin.DERIVED, glob.key, glob.span,
                                                note=f"global_train_batch_size {g} / {procs} processes (Composer)")
        facts.setdefault(FactName.GRAD_ACCUM, Fact(FactName.GRAD_ACCUM, 1, Origin.DEFAULT,
                                                    note="device_train_microbatch_size only splits the per-device batch"))


DIALECT = Dialect(
    name="composer",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.GLOBAL_BATCH: ("global_train_batch_size",),
        FactName.DEVICE_MICROBATCH: ("device_train_microbatch_size",),
        FactName.MIXED_PRECISION: ("precision",),
    },
    detect=_detect,
    derive=_derive,
    description="Composer / llm-foundry YAML (global_train_batch_size; device_train_microbatch_size is a chunk)",
)

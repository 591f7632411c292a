"""Composer / llm-foundry YAML: the **global** batch is declared (`global_train_batch_size`); each
device gets global / data-parallel size, and `device_train_microbatch_size` only chops that into
chunks for memory (it is an accumulation chunk, not the per-device batch)."""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.loading.nodes import Mapping, Node


def _detect(root: Node | None) -> bool:
    return isinstance(root, Mapping) and root.get("global_train_batch_size") is not None


DIALECT = Dialect(
    name="composer",
    kind="training",
    semantics="omegaconf",
    keys={
        "global_batch": ("global_train_batch_size",),
        "device_microbatch": ("device_train_microbatch_size",),
        "mixed_precision": ("precision",),
    },
    detect=_detect,
    description="Composer / llm-foundry YAML (global_train_batch_size; device_train_microbatch_size is a chunk)",
)

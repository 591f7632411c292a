"""Flat DiT-style video configs (Vchitect/Latte and its forks): a top-level `local_batch_size`
per GPU and `gradient_accumulation_steps`, launched with `torchrun`. Read by OmegaConf."""

from __future__ import annotations

from batchlint.dialects.base import Dialect
from batchlint.loading.nodes import Mapping, Node
from batchlint.model import DialectKind, FactName, Semantics

_MARKERS = ("max_train_steps", "learning_rate", "ckpt_every", "num_frames")


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and isinstance(root.get("local_batch_size"), Node)
            and any(root.get(k) is not None for k in _MARKERS))


DIALECT = Dialect(
    name="latte",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("local_batch_size",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.LEARNING_RATE: ("learning_rate",),
        FactName.GRADIENT_CHECKPOINTING: ("gradient_checkpointing",),
        FactName.MEMORY_EFFICIENT_ATTENTION: ("enable_xformers_memory_efficient_attention",),
    },
    detect=_detect,
    defaults={FactName.GRAD_ACCUM: 1},
    description="flat DiT-style video config (local_batch_size per GPU, gradient_accumulation_steps)",
)

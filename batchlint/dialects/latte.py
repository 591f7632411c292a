"""Flat DiT-style video configs (Vchitect/Latte and its forks): a top-level `local_batch_size`
per GPU and `gradient_accumulation_steps`, launched with `torchrun`. Read by OmegaConf."""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.loading.nodes import Mapping, Node

_MARKERS = ("max_train_steps", "learning_rate", "ckpt_every", "num_frames")


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and isinstance(root.get("local_batch_size"), Node)
            and any(root.get(k) is not None for k in _MARKERS))


DIALECT = Dialect(
    name="latte",
    kind="training",
    semantics="omegaconf",
    keys={
        "per_device_batch": ("local_batch_size",),
        "grad_accum": ("gradient_accumulation_steps",),
        "gradient_checkpointing": ("gradient_checkpointing",),
        "memory_efficient_attention": ("enable_xformers_memory_efficient_attention",),
    },
    detect=_detect,
    defaults={"grad_accum": 1},
    description="flat DiT-style video config (local_batch_size per GPU, gradient_accumulation_steps)",
)

"""Flat AnimateDiff-style YAML (guoyww/AnimateDiff `configs/training/`, Tune-A-Video): a top-level
`train_batch_size` per device and no accumulation key (the script has none: 1). Read by OmegaConf."""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.loading.nodes import Mapping, Node

_MARKERS = ("unet_additional_kwargs", "noise_scheduler_kwargs", "train_data", "pretrained_model_path")


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and root.get("train_batch_size") is not None
            and any(root.get(k) is not None for k in _MARKERS))


DIALECT = Dialect(
    name="animatediff",
    kind="training",
    semantics="omegaconf",
    keys={
        "per_device_batch": ("train_batch_size",),
        "grad_accum": ("gradient_accumulation_steps",),
        "mixed_precision": ("mixed_precision_training",),
        "gradient_checkpointing": ("gradient_checkpointing",),
        "memory_efficient_attention": ("enable_xformers_memory_efficient_attention",),
        "do_validation": ("validation_data.do_validation",),
    },
    detect=_detect,
    defaults={"grad_accum": 1},
    description="flat AnimateDiff-style YAML (train_batch_size; no accumulation key means 1)",
)

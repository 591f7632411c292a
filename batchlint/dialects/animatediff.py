"""Flat AnimateDiff-style YAML (guoyww/AnimateDiff `configs/training/`, Tune-A-Video): a top-level
`train_batch_size` per device and no accumulation key (the script has none: 1). Read by OmegaConf."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

_MARKERS = ("unet_additional_kwargs", "noise_scheduler_kwargs", "train_data", "pretrained_model_path")


DIALECT = Dialect(
    name="animatediff",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("train_batch_size",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.LEARNING_RATE: ("learning_rate",),
        FactName.SCALE_LR: ("scale_lr",),
        FactName.MIXED_PRECISION: ("mixed_precision_training",),
        FactName.GRADIENT_CHECKPOINTING: ("gradient_checkpointing",),
        FactName.MEMORY_EFFICIENT_ATTENTION: ("enable_xformers_memory_efficient_attention",),
        FactName.DO_VALIDATION: ("validation_data.do_validation",),
    },
    signature=Signature(must=("train_batch_size",), may=dict.fromkeys(_MARKERS, 1.0), min_score=1),
    defaults={FactName.GRAD_ACCUM: 1},
    needs_training_evidence=True,
    description="flat AnimateDiff-style YAML (train_batch_size; no accumulation key means 1)",
)

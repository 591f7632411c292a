"""LatentSync-style YAML (bytedance/LatentSync `configs/`): `data.batch_size` per device,
`data.gradient_accumulation_steps` (absent: 1), `run.mixed_precision_training`. Read by OmegaConf."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="latentsync",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("data.batch_size",),
        FactName.GRAD_ACCUM: ("data.gradient_accumulation_steps",),
        FactName.LEARNING_RATE: ("optimizer.lr",),
        FactName.SCALE_LR: ("optimizer.scale_lr",),
        FactName.MIXED_PRECISION: ("run.mixed_precision_training",),
        FactName.GRADIENT_CHECKPOINTING: ("run.enable_gradient_checkpointing",),
    },
    signature=Signature(must=("data.batch_size", "run{}"), must_not=("solver",)),
    defaults={FactName.GRAD_ACCUM: 1},
    description="LatentSync-style YAML (data.batch_size, data.gradient_accumulation_steps)",
)

"""LatentSync-style YAML (bytedance/LatentSync `configs/`): `data.batch_size` per device,
`data.gradient_accumulation_steps` (absent: 1), `run.mixed_precision_training`. Read by OmegaConf."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, has_path
from batchlint.loading.nodes import Mapping, Node
from batchlint.model import DialectKind, FactName, Semantics


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and has_path(root, "data.batch_size") and isinstance(root.get("run"), Mapping)
            and root.get("solver") is None)


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
    detect=_detect,
    defaults={FactName.GRAD_ACCUM: 1},
    description="LatentSync-style YAML (data.batch_size, data.gradient_accumulation_steps)",
)

"""LatentSync-style YAML (bytedance/LatentSync `configs/`): `data.batch_size` per device,
`data.gradient_accumulation_steps` (absent: 1), `run.mixed_precision_training`. Read by OmegaConf."""

from __future__ import annotations

from batchlint.dialects import Dialect, has_path
from batchlint.loading.nodes import Mapping, Node


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and has_path(root, "data.batch_size") and isinstance(root.get("run"), Mapping)
            and root.get("solver") is None)


DIALECT = Dialect(
    name="latentsync",
    kind="training",
    semantics="omegaconf",
    keys={
        "per_device_batch": ("data.batch_size",),
        "grad_accum": ("data.gradient_accumulation_steps",),
        "mixed_precision": ("run.mixed_precision_training",),
        "gradient_checkpointing": ("run.enable_gradient_checkpointing",),
    },
    detect=_detect,
    defaults={"grad_accum": 1},
    description="LatentSync-style YAML (data.batch_size, data.gradient_accumulation_steps)",
)

"""AnimateAnyone-family training YAML (Moore-AnimateAnyone, MusePose, MuseTalk, Champ, Hallo).

Per-device batch `data.train_bs`, accumulation `solver.gradient_accumulation_steps`;
`solver.mixed_precision` is passed to `Accelerator(...)`. `data.val_bs` is a decoy.
"""

from __future__ import annotations

from batchlint.dialects import Dialect, has_path
from batchlint.loading.nodes import Mapping, Node


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and has_path(root, "data.train_bs")
            and isinstance(root.get("solver"), Mapping))


DIALECT = Dialect(
    name="animateanyone",
    kind="training",
    semantics="omegaconf",
    keys={
        "per_device_batch": ("data.train_bs",),
        "grad_accum": ("solver.gradient_accumulation_steps",),
        "mixed_precision": ("solver.mixed_precision",),
        "gradient_checkpointing": ("solver.gradient_checkpointing",),
        "scale_lr": ("solver.scale_lr",),
        "use_8bit_adam": ("solver.use_8bit_adam",),
        "memory_efficient_attention": ("solver.enable_xformers_memory_efficient_attention",),
        "n_sample_frames": ("data.n_sample_frames",),
        "width": ("data.train_width",),
        "height": ("data.train_height",),
    },
    detect=_detect,
    defaults={"grad_accum": 1},
    description="AnimateAnyone-family OmegaConf YAML (data.train_bs, solver.gradient_accumulation_steps)",
)

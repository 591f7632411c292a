"""AnimateAnyone-family training YAML (Moore-AnimateAnyone, MusePose, MuseTalk, Champ, Hallo).

Per-device batch `data.train_bs`, accumulation `solver.gradient_accumulation_steps`;
`solver.mixed_precision` is passed to `Accelerator(...)`. `data.val_bs` is a decoy.
"""

from __future__ import annotations

from batchlint.dialects.base import Dialect, has_path
from batchlint.loading.nodes import Mapping, Node
from batchlint.model import DialectKind, FactName, Semantics


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and has_path(root, "data.train_bs")
            and isinstance(root.get("solver"), Mapping))


DIALECT = Dialect(
    name="animateanyone",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("data.train_bs",),
        FactName.GRAD_ACCUM: ("solver.gradient_accumulation_steps",),
        FactName.MIXED_PRECISION: ("solver.mixed_precision",),
        FactName.GRADIENT_CHECKPOINTING: ("solver.gradient_checkpointing",),
        FactName.LEARNING_RATE: ("solver.learning_rate",),
        FactName.SCALE_LR: ("solver.scale_lr",),
        FactName.USE_8BIT_ADAM: ("solver.use_8bit_adam",),
        FactName.MEMORY_EFFICIENT_ATTENTION: ("solver.enable_xformers_memory_efficient_attention",),
        FactName.N_SAMPLE_FRAMES: ("data.n_sample_frames",),
        FactName.WIDTH: ("data.train_width",),
        FactName.HEIGHT: ("data.train_height",),
    },
    detect=_detect,
    defaults={FactName.GRAD_ACCUM: 1},
    description="AnimateAnyone-family OmegaConf YAML (data.train_bs, solver.gradient_accumulation_steps)",
)

"""MuseV training YAML (TMElyralab/MuseV `configs/train/*.yaml`), read by OmegaConf.

Per-device batch `train.train_batch_size`, accumulation `train.gradient_accumulation_steps`;
`train.mixed_precision` is passed to `Accelerator(...)`, so it beats the accelerate config.
"""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature, has_path
from batchlint.loading.nodes import Node
from batchlint.model import DialectKind, FactName, Semantics

_SECTIONS = ("output_dir", "model", "dataset", "diffusion", "validation_data")
# Keys only MuseV's own configs have. The MuseV presets (the authors' target total and memory
# figures) apply only to files that carry one: another project's `train.train_batch_size` layout is
# read the same way, but the MuseV numbers say nothing about it.
MUSEV_MARKERS = (
    "model.referencenet_params",
    "model.use_referencenet",
    "model.temporal_transformer",
    "model.temporal_conv_block",
    "model.need_t2i_ip_adapter",
    "train.noise_type",
    "dataset.n_sample_condition_frames",
)


def is_musev_model(root: Node | None) -> bool:
    return any(has_path(root, key) for key in MUSEV_MARKERS)


DIALECT = Dialect(
    name="musev",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("train.train_batch_size",),
        FactName.GRAD_ACCUM: ("train.gradient_accumulation_steps",),
        FactName.MIXED_PRECISION: ("train.mixed_precision",),
        FactName.GRADIENT_CHECKPOINTING: ("train.gradient_checkpointing",),
        FactName.LEARNING_RATE: ("train.learning_rate",),
        FactName.SCALE_LR: ("train.scale_lr",),
        FactName.USE_8BIT_ADAM: ("train.use_8bit_adam",),
        FactName.MEMORY_EFFICIENT_ATTENTION: ("train.enable_xformers_memory_efficient_attention",),
        FactName.DO_VALIDATION: ("validation_data.do_validation",),
        FactName.USE_REFERENCENET: ("model.use_referencenet",),
        FactName.TRACK_INIT: ("output_dir.track_init",),
        FactName.N_SAMPLE_FRAMES: ("dataset.n_sample_frames",),
        FactName.WIDTH: ("dataset.dataset.width", "dataset.width"),
        FactName.HEIGHT: ("dataset.dataset.height", "dataset.height"),
    },
    signature=Signature(must=("train.train_batch_size",), may={f"{s}{{}}": 1.0 for s in _SECTIONS}, min_score=2),
    decoys=("validation_data.n_video_batch",),
    defaults={FactName.GRAD_ACCUM: 1},
    preset_target=224,
    preset_source="MuseV authors' figure: 16 GPUs × 2 accumulation × 7 per card = 224",
    preset_applies=is_musev_model,
    description="MuseV OmegaConf training YAML (train.train_batch_size, train.gradient_accumulation_steps)",
)

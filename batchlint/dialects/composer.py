"""Composer / llm-foundry / OLMo YAML: the **global** batch is declared (`global_train_batch_size`);
each device gets global // data-parallel size, and `device_train_microbatch_size` only chops that
into forward passes for memory (a chunk of the per-device batch, not the per-device batch).

mosaicml/diffusion's Hydra YAML spells the same as `dataset.train_batch_size` (global) and
`trainer.device_train_microbatch_size`; a MosaicML run YAML nests either config under `parameters:`
and gives the GPU count as `compute.gpus`."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature, nested
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

DIALECT = Dialect(
    name="composer",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.GLOBAL_BATCH: ("global_train_batch_size",),
        FactName.DEVICE_MICROBATCH: ("device_train_microbatch_size",),
        FactName.MIXED_PRECISION: ("precision",),
    },
    signature=Signature(must=("global_train_batch_size",)),
    decoys=("device_eval_batch_size", "device_train_microbatch_size"),
    global_shape=GlobalShape.CHUNK,
    description="Composer / llm-foundry / OLMo YAML (global_train_batch_size; device_train_microbatch_size is a chunk)",
)

_TRAINER_KEYS = {
    FactName.GLOBAL_BATCH: ("dataset.train_batch_size",),
    FactName.DEVICE_MICROBATCH: ("trainer.device_train_microbatch_size",),
    FactName.MIXED_PRECISION: ("trainer.precision",),
}

DIFFUSION = Dialect(
    name="composer-diffusion",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys=_TRAINER_KEYS,
    signature=Signature(must=("dataset.train_batch_size", "trainer.device_train_microbatch_size")),
    decoys=("dataset.eval_batch_size", "trainer.device_train_microbatch_size"),
    global_shape=GlobalShape.CHUNK,
    description="mosaicml/diffusion Hydra YAML (dataset.train_batch_size is global; trainer.device_train_microbatch_size a chunk)",
)

# A MosaicML run YAML (`mcli run -f`): the trainer config under `parameters:`, the GPUs in `compute.gpus`.
MCLI = nested(
    DIFFUSION,
    "parameters",
    "mcli",
    must=("compute{}",),
    keys={FactName.NUM_PROCESSES: ("compute.gpus",)},
    description="MosaicML run YAML (parameters: a Composer trainer config; compute.gpus)",
)
MCLI_FLAT = nested(
    DIALECT,
    "parameters",
    "mcli",
    must=("compute{}",),
    keys={FactName.NUM_PROCESSES: ("compute.gpus",)},
    description="MosaicML run YAML (parameters: an llm-foundry config; compute.gpus)",
)

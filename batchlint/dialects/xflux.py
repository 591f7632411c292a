"""x-flux (XLabs) OmegaConf configs: the DataLoader batch is `data_config.train_batch_size`; the
top-level `train_batch_size` only feeds the logged total. Accumulation is the top-level
`gradient_accumulation_steps`; the processes come from `accelerate launch`."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="xflux",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("data_config.train_batch_size",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.MIXED_PRECISION: ("mixed_precision",),
        FactName.GRADIENT_CHECKPOINTING: ("gradient_checkpointing",),
    },
    signature=Signature(
        must=("data_config.train_batch_size",), may={"learning_rate": 1.0, "max_train_steps": 1.0, "model_name": 1.0, "output_dir": 1.0}, min_score=2
    ),
    decoys=("train_batch_size",),
    defaults={FactName.GRAD_ACCUM: 1},
    description="x-flux YAML (data_config.train_batch_size, gradient_accumulation_steps)",
)

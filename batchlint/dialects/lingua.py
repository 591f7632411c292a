"""Meta Lingua OmegaConf configs: `data.batch_size` per GPU, `grad_acc_steps` (default 1), and
`distributed.tp_size` ranks sharing a batch (DP = world / tp_size)."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="lingua",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("data.batch_size",),
        FactName.GRAD_ACCUM: ("grad_acc_steps",),
        FactName.TP_SIZE: ("distributed.tp_size",),
        FactName.MIXED_PRECISION: ("distributed.model_dtype",),
        FactName.GRADIENT_CHECKPOINTING: ("distributed.selective_activation_checkpointing",),
    },
    signature=Signature(must=("data.batch_size", "distributed{}"), may={"steps": 1.0, "optim{}": 1.0, "grad_acc_steps": 1.0}, min_score=1),
    defaults={FactName.GRAD_ACCUM: 1},
    description="Lingua OmegaConf config (data.batch_size, grad_acc_steps, distributed.tp_size)",
)

"""ostris ai-toolkit job YAML: `config.process` is a list of jobs; each training process has a
`train:` section with `batch_size` per device and `gradient_accumulation_steps` (or the older
`gradient_accumulation`). The first process is the run."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

_TRAIN = "config.process[0].train"

DIALECT = Dialect(
    name="ai-toolkit",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.PER_DEVICE_BATCH: (f"{_TRAIN}.batch_size",),
        FactName.GRAD_ACCUM: (f"{_TRAIN}.gradient_accumulation_steps", f"{_TRAIN}.gradient_accumulation"),
        FactName.MIXED_PRECISION: (f"{_TRAIN}.dtype",),
        FactName.GRADIENT_CHECKPOINTING: (f"{_TRAIN}.gradient_checkpointing",),
    },
    signature=Signature(must=(f"{_TRAIN}.batch_size",)),
    defaults={FactName.GRAD_ACCUM: 1},
    description="ai-toolkit job YAML (config.process[0].train.batch_size)",
)

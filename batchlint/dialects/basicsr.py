"""BasicSR-style options (BasicSR, Real-ESRGAN, StableSR): `datasets.train.batch_size_per_gpu` and
`num_gpu` (the GPU count, or `auto`); no accumulation. Read by PyYAML."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="basicsr",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.PER_DEVICE_BATCH: ("datasets.train.batch_size_per_gpu",),
        FactName.GRAD_ACCUM: ("train.gradient_accumulation_steps",),
        FactName.LEARNING_RATE: ("train.optim_g.lr",),
        FactName.NUM_PROCESSES: ("num_gpu",),
    },
    signature=Signature(must=("datasets.train.batch_size_per_gpu",)),
    decoys=("datasets.val.batch_size_per_gpu",),
    defaults={FactName.GRAD_ACCUM: 1},
    description="BasicSR-style options (datasets.train.batch_size_per_gpu, num_gpu)",
)

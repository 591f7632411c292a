"""BasicSR-style options (BasicSR, Real-ESRGAN, StableSR): `datasets.train.batch_size_per_gpu` and
`num_gpu` (the GPU count, or `auto`); no accumulation. Read by PyYAML."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, has_path
from batchlint.loading.nodes import Node
from batchlint.model import DialectKind, FactName, Semantics


def _detect(root: Node | None) -> bool:
    return has_path(root, "datasets.train.batch_size_per_gpu")


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
    detect=_detect,
    defaults={FactName.GRAD_ACCUM: 1},
    description="BasicSR-style options (datasets.train.batch_size_per_gpu, num_gpu)",
)

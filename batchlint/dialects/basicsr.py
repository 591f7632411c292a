"""BasicSR-style options (BasicSR, Real-ESRGAN, StableSR): `datasets.train.batch_size_per_gpu` and
`num_gpu` (the GPU count, or `auto`); no accumulation. Read by PyYAML."""

from __future__ import annotations

from batchlint.dialects import Dialect, has_path
from batchlint.loading.nodes import Node


def _detect(root: Node | None) -> bool:
    return has_path(root, "datasets.train.batch_size_per_gpu")


DIALECT = Dialect(
    name="basicsr",
    kind="training",
    semantics="yaml11",
    keys={
        "per_device_batch": ("datasets.train.batch_size_per_gpu",),
        "grad_accum": ("train.gradient_accumulation_steps",),
        "num_processes": ("num_gpu",),
    },
    detect=_detect,
    defaults={"grad_accum": 1},
    description="BasicSR-style options (datasets.train.batch_size_per_gpu, num_gpu)",
)

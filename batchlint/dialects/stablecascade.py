"""StableCascade training YAML: top-level `batch_size` is the **global** batch and
`grad_accum_steps` the accumulation; each GPU gets `batch_size // (world_size × grad_accum_steps)`
(train/base.py), with `world_size = SLURM_NNODES × torch.cuda.device_count()`."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

_MARKERS = ("experiment_id", "checkpoint_path", "output_path", "model_version", "lr", "warmup_updates", "updates")

DIALECT = Dialect(
    name="stablecascade",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.GLOBAL_BATCH: ("batch_size",),
        FactName.GRAD_ACCUM: ("grad_accum_steps",),
    },
    signature=Signature(must=("batch_size", "grad_accum_steps"), may=dict.fromkeys(_MARKERS, 1.0), min_score=2),
    defaults={FactName.GRAD_ACCUM: 1},
    global_shape=GlobalShape.ACCUM,
    description="StableCascade YAML (batch_size is global; grad_accum_steps)",
)

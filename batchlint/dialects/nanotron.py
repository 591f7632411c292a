"""nanotron YAML: `tokens.micro_batch_size` per GPU × `tokens.batch_accumulation_per_replica` ×
`parallelism.dp`; dp × tp × pp (× context parallel) must equal the world size, so the file implies
the process count."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="nanotron",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.PER_DEVICE_BATCH: ("tokens.micro_batch_size",),
        FactName.GRAD_ACCUM: ("tokens.batch_accumulation_per_replica",),
        FactName.DP_SIZE: ("parallelism.dp",),
        FactName.TP_SIZE: ("parallelism.tp",),
        FactName.PP_SIZE: ("parallelism.pp",),
        FactName.CP_SIZE: ("parallelism.context_parallel_size",),
        FactName.MIXED_PRECISION: ("model.dtype",),
    },
    signature=Signature(must=("tokens.micro_batch_size", "parallelism{}")),
    defaults={FactName.GRAD_ACCUM: 1},
    world_from=(FactName.DP_SIZE, FactName.TP_SIZE, FactName.PP_SIZE, FactName.CP_SIZE),
    description="nanotron YAML (tokens.micro_batch_size × batch_accumulation_per_replica × parallelism.dp)",
)

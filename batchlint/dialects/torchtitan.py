"""torchtitan TOML job configs: `[training] local_batch_size` per data-parallel rank;
`global_batch_size` absent (-1) means local × DP (accumulation 1), else accumulation = global /
(local × DP); `[parallelism] data_parallel_shard_degree = -1` takes every GPU the tensor, pipeline
and context degrees leave. The process count comes from the launch (`NGPU`, `torchrun`)."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

DIALECT = Dialect(
    name="torchtitan",
    kind=DialectKind.TRAINING,
    semantics=Semantics.JSON,
    keys={
        FactName.PER_DEVICE_BATCH: ("training.local_batch_size", "training.batch_size"),
        FactName.GLOBAL_BATCH: ("training.global_batch_size",),
        FactName.DP_SIZE: ("parallelism.data_parallel_shard_degree",),
        FactName.DP_REPLICATE_SIZE: ("parallelism.data_parallel_replicate_degree",),
        FactName.TP_SIZE: ("parallelism.tensor_parallel_degree",),
        FactName.PP_SIZE: ("parallelism.pipeline_parallel_degree",),
        FactName.CP_SIZE: ("parallelism.context_parallel_degree",),
        FactName.GRADIENT_CHECKPOINTING: ("activation_checkpoint.mode",),
        FactName.MIXED_PRECISION: ("training.mixed_precision_param",),
    },
    signature=Signature(one_of=(("training.local_batch_size", "training.batch_size"), ("job{}", "parallelism{}", "model{}"))),
    defaults={FactName.GRAD_ACCUM: 1, FactName.DP_SIZE: -1, FactName.GLOBAL_BATCH: -1},
    global_shape=GlobalShape.PER_DEVICE,
    description="torchtitan TOML ([training] local_batch_size, global_batch_size, [parallelism] degrees)",
)

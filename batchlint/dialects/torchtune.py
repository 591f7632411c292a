"""torchtune recipe configs: `batch_size` per device, `gradient_accumulation_steps`, `dtype`,
`enable_activation_checkpointing`; `tensor_parallel_dim` shrinks the data-parallel degree
(`data_parallel_shard_dim: -1` takes the rest). `batch_size_val: ${batch_size}` is a decoy. OmegaConf."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="torchtune",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("batch_size",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.LEARNING_RATE: ("optimizer.lr",),
        FactName.MIXED_PRECISION: ("dtype",),
        FactName.GRADIENT_CHECKPOINTING: ("enable_activation_checkpointing",),
        FactName.TP_SIZE: ("tensor_parallel_dim",),
    },
    signature=Signature(must=("batch_size",), one_of=(("model._component_", "optimizer._component_", "tokenizer._component_"),)),
    decoys=("batch_size_val",),
    defaults={FactName.GRAD_ACCUM: 1},
    description="torchtune recipe config (batch_size, gradient_accumulation_steps, tensor_parallel_dim)",
)

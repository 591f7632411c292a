"""torchtune recipe configs: `batch_size` per device, `gradient_accumulation_steps`, `dtype`,
`enable_activation_checkpointing`; `tensor_parallel_dim` shrinks the data-parallel degree
(`data_parallel_shard_dim: -1` takes the rest). `batch_size_val: ${batch_size}` is a decoy. OmegaConf."""

from __future__ import annotations

from batchlint.dialects.base import Dialect
from batchlint.loading.nodes import Mapping, Node, Scalar
from batchlint.model import DialectKind, FactName, Semantics


def _component(root: Mapping, key: str) -> bool:
    node = root.get(key)
    return isinstance(node, Mapping) and isinstance(node.get("_component_"), Scalar)


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and root.get("batch_size") is not None
            and (_component(root, "model") or _component(root, "optimizer") or _component(root, "tokenizer")))


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
    detect=_detect,
    defaults={FactName.GRAD_ACCUM: 1},
    description="torchtune recipe config (batch_size, gradient_accumulation_steps, tensor_parallel_dim)",
)

"""torchtune recipe configs: `batch_size` per device, `gradient_accumulation_steps`, `dtype`,
`enable_activation_checkpointing`; `tensor_parallel_dim` shrinks the data-parallel degree
(`data_parallel_shard_dim: -1` takes the rest). `batch_size_val: ${batch_size}` is a decoy. OmegaConf."""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.loading.nodes import Mapping, Node, Scalar


def _component(root: Mapping, key: str) -> bool:
    node = root.get(key)
    return isinstance(node, Mapping) and isinstance(node.get("_component_"), Scalar)


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and root.get("batch_size") is not None
            and (_component(root, "model") or _component(root, "optimizer") or _component(root, "tokenizer")))


DIALECT = Dialect(
    name="torchtune",
    kind="training",
    semantics="omegaconf",
    keys={
        "per_device_batch": ("batch_size",),
        "grad_accum": ("gradient_accumulation_steps",),
        "mixed_precision": ("dtype",),
        "gradient_checkpointing": ("enable_activation_checkpointing",),
        "tp_size": ("tensor_parallel_dim",),
    },
    detect=_detect,
    defaults={"grad_accum": 1},
    description="torchtune recipe config (batch_size, gradient_accumulation_steps, tensor_parallel_dim)",
)

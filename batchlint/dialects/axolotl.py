"""axolotl YAML: `micro_batch_size` per device, `gradient_accumulation_steps` — or, when that is
unset, `batch_size // micro_batch_size` (axolotl `normalize_config`; `batch_size` is not the global
batch). Parallel sizes (`dp_shard_size`, `dp_replicate_size`, `tensor_parallel_size`,
`context_parallel_size`) make the data-parallel degree smaller than the GPU count."""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.loading.nodes import Mapping, Node

_MARKERS = ("base_model", "datasets", "adapter", "sequence_len", "model_type", "tokenizer_type")


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and root.get("micro_batch_size") is not None
            and any(root.get(k) is not None for k in _MARKERS))


DIALECT = Dialect(
    name="axolotl",
    kind="training",
    semantics="yaml11",
    keys={
        "per_device_batch": ("micro_batch_size",),
        "grad_accum": ("gradient_accumulation_steps",),
        "batch_size": ("batch_size",),
        "mixed_precision": ("bf16", "fp16"),
        "gradient_checkpointing": ("gradient_checkpointing",),
        "deepspeed_json": ("deepspeed",),
        "num_processes": ("ray_num_workers",),
        "dp_shard_size": ("dp_shard_size",),
        "dp_replicate_size": ("dp_replicate_size",),
        "tp_size": ("tensor_parallel_size",),
        "cp_size": ("context_parallel_size",),
    },
    detect=_detect,
    description="axolotl YAML (micro_batch_size, gradient_accumulation_steps or batch_size // micro_batch_size)",
)

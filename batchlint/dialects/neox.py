"""GPT-NeoX configs (`.yml`, often a JSON-looking flow mapping with `#` comments, trailing commas
and Python `True`): `train_micro_batch_size_per_gpu`, `gradient_accumulation_steps`, and
`pipe_parallel_size` × `model_parallel_size`, which divide the GPUs before data parallelism."""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.loading.nodes import Mapping, Node

_MARKERS = ("pipe_parallel_size", "model_parallel_size", "num_layers", "hidden_size", "num_attention_heads")


def _detect(root: Node | None) -> bool:
    return (isinstance(root, Mapping) and root.get("train_micro_batch_size_per_gpu") is not None
            and any(root.get(k) is not None for k in _MARKERS))


DIALECT = Dialect(
    name="gpt-neox",
    kind="training",
    semantics="yaml11",
    keys={
        "per_device_batch": ("train_micro_batch_size_per_gpu",),
        "grad_accum": ("gradient_accumulation_steps",),
        "global_batch": ("train_batch_size",),
        "pp_size": ("pipe_parallel_size",),
        "mp_size": ("model_parallel_size",),
        "gradient_checkpointing": ("checkpoint_activations",),
    },
    detect=_detect,
    defaults={"grad_accum": 1},
    description="GPT-NeoX config (train_micro_batch_size_per_gpu with pipe/model parallel sizes)",
)

"""GPT-NeoX configs (`.yml`, often a JSON-looking flow mapping with `#` comments, trailing commas
and Python `True`): `train_micro_batch_size_per_gpu`, `gradient_accumulation_steps`, and
`pipe_parallel_size` × `model_parallel_size`, which divide the GPUs before data parallelism."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

_MARKERS = ("pipe_parallel_size", "model_parallel_size", "num_layers", "hidden_size", "num_attention_heads")


DIALECT = Dialect(
    name="gpt-neox",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.PER_DEVICE_BATCH: ("train_micro_batch_size_per_gpu",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.LEARNING_RATE: ("optimizer.params.lr",),
        FactName.GLOBAL_BATCH: ("train_batch_size",),
        FactName.PP_SIZE: ("pipe_parallel_size",),
        FactName.MP_SIZE: ("model_parallel_size",),
        FactName.GRADIENT_CHECKPOINTING: ("checkpoint_activations",),
    },
    signature=Signature(must=("train_micro_batch_size_per_gpu",), may=dict.fromkeys(_MARKERS, 1.0), min_score=1),
    defaults={FactName.GRAD_ACCUM: 1},
    description="GPT-NeoX config (train_micro_batch_size_per_gpu with pipe/model parallel sizes)",
)

"""Flat DiT-style video configs (Vchitect/Latte and its forks): a top-level `local_batch_size`
per GPU and `gradient_accumulation_steps`, launched with `torchrun`. Read by OmegaConf."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

_MARKERS = ("max_train_steps", "learning_rate", "ckpt_every", "num_frames")


DIALECT = Dialect(
    name="latte",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("local_batch_size",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.LEARNING_RATE: ("learning_rate",),
        FactName.GRADIENT_CHECKPOINTING: ("gradient_checkpointing",),
        FactName.MEMORY_EFFICIENT_ATTENTION: ("enable_xformers_memory_efficient_attention",),
    },
    signature=Signature(must=("local_batch_size",), may=dict.fromkeys(_MARKERS, 1.0), min_score=1),
    defaults={FactName.GRAD_ACCUM: 1},
    needs_training_evidence=True,
    description="flat DiT-style video config (local_batch_size per GPU, gradient_accumulation_steps)",
)

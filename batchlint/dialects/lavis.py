"""LAVIS-style research configs (BLIP-2, InstructBLIP, MiniGPT-4, Video-LLaMA): `run.batch_size_train`
per GPU, `run.accum_grad_iters` (default 1); `run.batch_size_eval` is the evaluation batch. The world
size comes from the launch (`torchrun --nproc_per_node`), not from `run.world_size`, which the
script overwrites from the environment."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="lavis",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("run.batch_size_train",),
        FactName.GRAD_ACCUM: ("run.accum_grad_iters",),
        FactName.MIXED_PRECISION: ("run.amp",),
    },
    signature=Signature(must=("run.batch_size_train",), must_not=("run.evaluate=true",)),  # an evaluation-only run
    decoys=("run.batch_size_eval",),
    defaults={FactName.GRAD_ACCUM: 1},
    description="LAVIS-style config (run.batch_size_train, run.accum_grad_iters)",
)

"""A training run that only its launch line describes (`python train.py --train_batch_size 4
--gradient_accumulation_steps 2`): the facts come from the script's words, not from a file."""

from __future__ import annotations

from batchlint.dialects.base import Dialect
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

DIALECT = Dialect(
    name="shell-cli",
    kind=DialectKind.TRAINING,
    semantics=Semantics.SHELL,
    keys={},
    # No signature: a run of this dialect comes from a launch line, never from a file.
    defaults={FactName.GRAD_ACCUM: 1},
    # Megatron's --global-batch-size / RLHF trainers' --train_batch_size with a micro batch per GPU.
    global_shape=GlobalShape.MICRO,
    description="a training run described only by its launch line (--train_batch_size, --gradient_accumulation_steps)",
)

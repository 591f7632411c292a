"""LitGPT fine-tune / pretrain YAML (Lightning Fabric): `train.global_batch_size` is the optimizer
batch, `train.micro_batch_size` the per-GPU batch, `devices × num_nodes` the world size; the
accumulation is global // devices // micro (litgpt `gradient_accumulation_iters`)."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

DIALECT = Dialect(
    name="litgpt",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.GLOBAL_BATCH: ("train.global_batch_size",),
        FactName.PER_DEVICE_BATCH: ("train.micro_batch_size",),
        FactName.GPUS_PER_NODE: ("devices",),
        FactName.NUM_MACHINES: ("num_nodes",),
        FactName.MIXED_PRECISION: ("precision",),
    },
    signature=Signature(must=("train.global_batch_size", "train.micro_batch_size")),
    decoys=("eval.max_iters",),
    global_shape=GlobalShape.MICRO,
    description="LitGPT YAML (train.global_batch_size, train.micro_batch_size, devices × num_nodes)",
)

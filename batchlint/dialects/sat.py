"""SAT / CogVideoX-style YAML (hallo3, CogVideoX `sat/`): `train_video.py --base a.yaml b.yaml`
merges the files with OmegaConf; the `deepspeed:` block *is* the DeepSpeed config, and its
`train_micro_batch_size_per_gpu` and `gradient_accumulation_steps` are copied into the script's
arguments. `args.model_parallel_size` ranks share a batch. A file whose `args.mode` is `inference`
is a sampling config."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="sat",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("deepspeed.train_micro_batch_size_per_gpu",),
        FactName.GRAD_ACCUM: ("deepspeed.gradient_accumulation_steps",),
        FactName.GLOBAL_BATCH: ("deepspeed.train_batch_size",),
        FactName.ZERO_STAGE: ("deepspeed.zero_optimization.stage",),
        FactName.MIXED_PRECISION: ("deepspeed.bf16.enabled", "deepspeed.fp16.enabled"),
        FactName.GRADIENT_CHECKPOINTING: ("args.checkpoint_activations", "model.network_config.params.transformer_args.checkpoint_activations"),
        FactName.MP_SIZE: ("args.model_parallel_size",),
    },
    signature=Signature(
        must=("deepspeed{}", "args{}"), one_of=(("deepspeed.train_micro_batch_size_per_gpu", "deepspeed.train_batch_size"),), must_not=("args.mode=inference",)
    ),
    decoys=("args.eval_batch_size", "args.batch_size"),
    defaults={FactName.GRAD_ACCUM: 1},
    description="SAT / CogVideoX YAML (deepspeed: block with train_micro_batch_size_per_gpu; args:)",
)

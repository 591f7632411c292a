"""diffusion-pipe TOML configs (a DeepSpeed pipeline-parallel trainer for diffusion and video models:
HunyuanVideo, Wan, Flux, LTX-Video...), launched as `deepspeed --num_gpus=N train.py --deepspeed --config x.toml`.

train.py builds the DeepSpeed config from three top-level keys: `micro_batch_size_per_gpu` (default 1)
and `gradient_accumulation_steps` (default 1) become `train_micro_batch_size_per_gpu` and
`gradient_accumulation_steps`, and `pipeline_stages` (default 1) splits one model copy over that many
GPUs, so the data-parallel size is the process count / `pipeline_stages`. `eval_micro_batch_size_per_gpu`,
`eval_gradient_accumulation_steps` and `caching_batch_size` (latent caching) are not the training batch.
The process count comes from the launch; the `dataset` key names a dataset TOML with no batch in it."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="diffusion-pipe",
    kind=DialectKind.TRAINING,
    semantics=Semantics.JSON,
    keys={
        FactName.PER_DEVICE_BATCH: ("micro_batch_size_per_gpu",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.PP_SIZE: ("pipeline_stages",),
        FactName.GRADIENT_CHECKPOINTING: ("activation_checkpointing",),
        FactName.MIXED_PRECISION: ("model.dtype",),
        FactName.LEARNING_RATE: ("optimizer.lr",),
    },
    signature=Signature(must=("micro_batch_size_per_gpu", "model.type"), one_of=(("optimizer{}", "pipeline_stages", "dataset"),)),
    decoys=("eval_micro_batch_size_per_gpu", "eval_gradient_accumulation_steps", "caching_batch_size"),
    defaults={FactName.PER_DEVICE_BATCH: 1, FactName.GRAD_ACCUM: 1, FactName.PP_SIZE: 1},
    formats=frozenset({"toml"}),
    description="diffusion-pipe TOML (micro_batch_size_per_gpu, gradient_accumulation_steps, pipeline_stages; DP = processes / stages)",
)

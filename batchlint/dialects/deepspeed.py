"""DeepSpeed config JSON (`ds_config.json`), on its own or named by an accelerate config.

The batch triad: `train_batch_size` (T), `train_micro_batch_size_per_gpu` (M),
`gradient_accumulation_steps` (G), each an integer or `"auto"` (filled by accelerate / the HF
Trainer). Specs: accelerate-deepspeed.md §3.2–§4.4.
"""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

# Keys of trainer configs that also mention gradient_accumulation_steps or a DeepSpeed file:
# HF Trainer / TRL / LLaMA-Factory, axolotl, Hydra-style experiment configs.
_TRAINER_KEYS = ("per_device_train_batch_size", "micro_batch_size", "base_model", "model_name_or_path", "output_dir",
                 "learning_rate", "num_train_epochs", "datasets", "dataset", "epochs", "deepspeed", "exp_dir", "model")
# An accelerate config, or a trainer's own config that also mentions gradient_accumulation_steps.
SIGNATURE = Signature(one_of=(("train_batch_size", "train_micro_batch_size_per_gpu", "zero_optimization"),),
                      must_not=("distributed_type", "compute_environment", *_TRAINER_KEYS))


DIALECT = Dialect(
    name="deepspeed",
    kind=DialectKind.DEEPSPEED,
    semantics=Semantics.JSON,
    keys={
        FactName.GLOBAL_BATCH: ("train_batch_size",),
        FactName.PER_DEVICE_BATCH: ("train_micro_batch_size_per_gpu",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.ZERO_STAGE: ("zero_optimization.stage",),
        FactName.MIXED_PRECISION: ("bf16.enabled", "fp16.enabled"),
        FactName.FP16_ENABLED: ("fp16.enabled",),
        FactName.BF16_ENABLED: ("bf16.enabled",),
        FactName.AUTOTP_SIZE: ("tensor_parallel.autotp_size",),
        FactName.ELASTICITY: ("elasticity.enabled",),
    },
    signature=SIGNATURE,
    global_shape=GlobalShape.MICRO,
    description="DeepSpeed config JSON (train_batch_size, train_micro_batch_size_per_gpu, gradient_accumulation_steps)",
)

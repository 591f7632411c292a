"""DeepSpeed config JSON (`ds_config.json`), on its own or named by an accelerate config.

The batch triad: `train_batch_size` (T), `train_micro_batch_size_per_gpu` (M),
`gradient_accumulation_steps` (G), each an integer or `"auto"` (filled by accelerate / the HF
Trainer). Specs: accelerate-deepspeed.md §3.2–§4.4.
"""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.loading.nodes import Mapping, Node

_TRIAD = ("train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps")
_OTHER = ("zero_optimization", "fp16", "bf16", "optimizer", "scheduler", "gradient_clipping", "steps_per_print",
          "wall_clock_breakdown", "zero_allow_untested_optimizer", "activation_checkpointing", "bfloat16", "elasticity")


# Keys of trainer configs that also mention gradient_accumulation_steps or a DeepSpeed file:
# HF Trainer / TRL / LLaMA-Factory, axolotl, Hydra-style experiment configs.
_TRAINER_KEYS = {"per_device_train_batch_size", "micro_batch_size", "base_model", "model_name_or_path", "output_dir",
                 "learning_rate", "num_train_epochs", "datasets", "dataset", "epochs", "deepspeed", "exp_dir", "model"}


def _detect(root: Node | None) -> bool:
    if not isinstance(root, Mapping):
        return False
    keys = set(root.keys())
    if "distributed_type" in keys or "compute_environment" in keys or keys & _TRAINER_KEYS:
        return False  # an accelerate config, or a trainer's own config
    batch = keys & {"train_batch_size", "train_micro_batch_size_per_gpu"}
    return bool(batch or "zero_optimization" in keys) and bool(keys & (set(_TRIAD) | set(_OTHER)))


DIALECT = Dialect(
    name="deepspeed",
    kind="deepspeed",
    semantics="json",
    keys={
        "global_batch": ("train_batch_size",),
        "per_device_batch": ("train_micro_batch_size_per_gpu",),
        "grad_accum": ("gradient_accumulation_steps",),
        "zero_stage": ("zero_optimization.stage",),
        "mixed_precision": ("bf16.enabled", "fp16.enabled"),
        "fp16_enabled": ("fp16.enabled",),
        "bf16_enabled": ("bf16.enabled",),
        "autotp_size": ("tensor_parallel.autotp_size",),
        "elasticity": ("elasticity.enabled",),
    },
    detect=_detect,
    description="DeepSpeed config JSON (train_batch_size, train_micro_batch_size_per_gpu, gradient_accumulation_steps)",
)

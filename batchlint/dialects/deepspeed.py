"""DeepSpeed config JSON (`ds_config.json`), on its own or named by an accelerate config.

The batch triad: `train_batch_size` (T), `train_micro_batch_size_per_gpu` (M),
`gradient_accumulation_steps` (G), each an integer or `"auto"` (filled by accelerate / the HF
Trainer). Specs: accelerate-deepspeed.md §3.2–§4.4.
"""

from __future__ import annotations

from batchlint.dialects.base import Dialect
from batchlint.loading.nodes import Mapping, Node
from batchlint.model import DialectKind, FactName, Semantics

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
    kind=DialectKind.DEEPSPEED,
    semantics=Semantics.JSON,
    keys={
        FactName.GLOBAL_BATCH: ("train_batch_size",),
        FactName.PER_DEVICE_BATCH: ("train_micro_batch_size_per_gpu",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.ZERO_STAGE: ("zero_optimization.stage",),
        FactName.OFFLOAD_OPTIMIZER: ("zero_optimization.offload_optimizer.device", "zero_optimization.cpu_offload"),
        FactName.OFFLOAD_PARAM: ("zero_optimization.offload_param.device", "zero_optimization.cpu_offload_params"),
        FactName.ZERO3_SAVE_16BIT: ("zero_optimization.stage3_gather_16bit_weights_on_model_save",
                                    "zero_optimization.stage3_gather_fp16_weights_on_model_save"),
        FactName.MIXED_PRECISION: ("bf16.enabled", "fp16.enabled"),
        FactName.FP16_ENABLED: ("fp16.enabled",),
        FactName.BF16_ENABLED: ("bf16.enabled",),
        FactName.AUTOTP_SIZE: ("tensor_parallel.autotp_size",),
        FactName.ELASTICITY: ("elasticity.enabled",),
    },
    detect=_detect,
    description="DeepSpeed config JSON (train_batch_size, train_micro_batch_size_per_gpu, gradient_accumulation_steps)",
)

"""DeepSpeed config JSON (`ds_config.json`), on its own or named by an accelerate config.

The batch triad: `train_batch_size` (T), `train_micro_batch_size_per_gpu` (M),
`gradient_accumulation_steps` (G), each an integer or `"auto"` (filled by accelerate / the HF
Trainer). Specs: accelerate-deepspeed.md §3.2–§4.4.
"""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.loading.nodes import Mapping, Node
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

# Keys of trainer configs that also mention gradient_accumulation_steps or a DeepSpeed file:
# HF Trainer / TRL / LLaMA-Factory, axolotl, Hydra-style experiment configs.
_TRAINER_KEYS = (
    "per_device_train_batch_size",
    "micro_batch_size",
    "base_model",
    "model_name_or_path",
    "output_dir",
    "learning_rate",
    "num_train_epochs",
    "datasets",
    "dataset",
    "epochs",
    "deepspeed",
    "exp_dir",
    "model",
)
# An accelerate config, or a trainer's own config that also mentions gradient_accumulation_steps.
SIGNATURE = Signature(
    one_of=(("train_batch_size", "train_micro_batch_size_per_gpu", "zero_optimization"),), must_not=("distributed_type", "compute_environment", *_TRAINER_KEYS)
)
# DeepSpeed's own top-level keys (runtime/config.py and its sections).
DEEPSPEED_KEYS = frozenset(
    {
        "train_batch_size",
        "train_micro_batch_size_per_gpu",
        "gradient_accumulation_steps",
        "zero_optimization",
        "fp16",
        "bf16",
        "bfloat16",
        "amp",
        "optimizer",
        "scheduler",
        "gradient_clipping",
        "steps_per_print",
        "wall_clock_breakdown",
        "zero_allow_untested_optimizer",
        "zero_force_ds_cpu_optimizer",
        "activation_checkpointing",
        "elasticity",
        "prescale_gradients",
        "gradient_predivide_factor",
        "sparse_gradients",
        "flops_profiler",
        "tensorboard",
        "wandb",
        "csv_monitor",
        "comms_logger",
        "aio",
        "autotuning",
        "checkpoint",
        "data_efficiency",
        "compression_training",
        "communication_data_type",
        "memory_breakdown",
        "dump_state",
        "tensor_parallel",
        "pipeline",
        "data_types",
        "curriculum_learning",
        "torch_autocast",
        "compile",
        "nebula",
        "monitor_config",
        "seq_parallel_communication_data_type",
        "fp32_allreduce",
        "sparse_attention",
        "quantize_training",
        "dataloader_drop_last",
        "disable_allgather",
        "zero_quantized_weights",
        "hybrid_engine",
        "use_data_before_expert_parallelism",
        "graph_harvesting",
        "weight_quantization",
        "checkpoint_parallel_write_pipeline",
    }
)


def _mostly_deepspeed(root: Node | None) -> bool:
    """Two thirds of the top-level keys are DeepSpeed's (misspelt ones count, `_comment` notes do not): a
    GUI preset or a trainer's config with a stray `train_batch_size` is not one."""
    if not isinstance(root, Mapping):
        return False
    keys = {k for k in root.keys() if not k.startswith("_")}
    known = len(keys & DEEPSPEED_KEYS)
    if known * 3 < len(keys) * 2:
        import difflib

        known += sum(1 for k in keys - DEEPSPEED_KEYS if difflib.get_close_matches(k, DEEPSPEED_KEYS, 1, 0.85))
    return known * 3 >= len(keys) * 2


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
        FactName.ZERO3_SAVE_16BIT: (
            "zero_optimization.stage3_gather_16bit_weights_on_model_save",
            "zero_optimization.stage3_gather_fp16_weights_on_model_save",
        ),
        FactName.MIXED_PRECISION: ("bf16.enabled", "fp16.enabled"),
        FactName.FP16_ENABLED: ("fp16.enabled",),
        FactName.BF16_ENABLED: ("bf16.enabled",),
        FactName.AUTOTP_SIZE: ("tensor_parallel.autotp_size",),
        FactName.ELASTICITY: ("elasticity.enabled",),
    },
    signature=SIGNATURE,
    detect=_mostly_deepspeed,
    global_shape=GlobalShape.MICRO,
    description="DeepSpeed config JSON (train_batch_size, train_micro_batch_size_per_gpu, gradient_accumulation_steps)",
)

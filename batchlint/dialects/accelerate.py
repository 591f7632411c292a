"""accelerate config files (`accelerate config` output, YAML or JSON), read by PyYAML safe_load.

What the launch does with these values (processes, data-parallel size, the accumulation under
DeepSpeed) is derived in `batchlint/derive.py` (specs: accelerate-deepspeed.md §1, §2, §3.3, §7).
"""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.loading.nodes import Mapping, Node
from batchlint.model import DialectKind, FactName, Semantics

CLUSTER_CONFIG_KEYS = frozenset(
    {
        "compute_environment",
        "distributed_type",
        "mixed_precision",
        "use_cpu",
        "debug",
        "num_processes",
        "machine_rank",
        "num_machines",
        "gpu_ids",
        "main_process_ip",
        "main_process_port",
        "rdzv_backend",
        "same_network",
        "main_training_function",
        "enable_cpu_affinity",
        "fp8_config",
        "deepspeed_config",
        "fsdp_config",
        "parallelism_config",
        "megatron_lm_config",
        "mpirun_config",
        "downcast_bf16",
        "tpu_name",
        "tpu_zone",
        "tpu_use_cluster",
        "tpu_use_sudo",
        "command_file",
        "commands",
        "tpu_vm",
        "tpu_env",
        "dynamo_config",
        "ipex_config",
        "dynamo_backend",
        "fp16",
        # SageMakerConfig
        "ec2_instance_type",
        "iam_role_name",
        "image_uri",
        "profile",
        "region",
        "base_job_name",
        "pytorch_version",
        "transformers_version",
        "py_version",
        "sagemaker_inputs_file",
        "sagemaker_metrics_file",
        "additional_args",
    }
)


def _mostly_accelerate(root: Node | None) -> bool:
    """Most keys must be accelerate's: a k8s or CI file with a stray `distributed_type` is not one."""
    if not isinstance(root, Mapping):
        return False
    keys = set(root.keys())
    return len(keys & CLUSTER_CONFIG_KEYS) >= 2 and len(keys - CLUSTER_CONFIG_KEYS) <= len(keys) // 2


DIALECT = Dialect(
    name="accelerate",
    kind=DialectKind.LAUNCH,
    semantics=Semantics.YAML11,
    keys={
        FactName.DISTRIBUTED_TYPE: ("distributed_type",),
        FactName.NUM_PROCESSES: ("num_processes",),
        FactName.NUM_MACHINES: ("num_machines",),
        FactName.MACHINE_RANK: ("machine_rank",),
        FactName.GPU_IDS: ("gpu_ids",),
        FactName.MIXED_PRECISION: ("mixed_precision",),
        FactName.COMPUTE_ENVIRONMENT: ("compute_environment",),
        FactName.USE_CPU: ("use_cpu",),
        FactName.GRADIENT_CHECKPOINTING: ("fsdp_config.fsdp_activation_checkpointing",),
        FactName.LAUNCHER_GRAD_ACCUM: ("deepspeed_config.gradient_accumulation_steps",),
        FactName.ZERO_STAGE: ("deepspeed_config.zero_stage",),
        FactName.OFFLOAD_OPTIMIZER: ("deepspeed_config.offload_optimizer_device",),
        FactName.OFFLOAD_PARAM: ("deepspeed_config.offload_param_device",),
        FactName.ZERO3_SAVE_16BIT: ("deepspeed_config.zero3_save_16bit_model",),
        FactName.DEEPSPEED_CONFIG_FILE: ("deepspeed_config.deepspeed_config_file",),
        FactName.DEEPSPEED_HOSTFILE: ("deepspeed_config.deepspeed_hostfile",),
        FactName.DEEPSPEED_MULTINODE_LAUNCHER: ("deepspeed_config.deepspeed_multinode_launcher",),
        FactName.MPIRUN_HOSTFILE: ("mpirun_config.mpirun_hostfile",),
        FactName.FSDP_VERSION: ("fsdp_config.fsdp_version",),
        FactName.FSDP_SHARDING_STRATEGY: ("fsdp_config.fsdp_sharding_strategy",),
        FactName.FSDP_RESHARD_AFTER_FORWARD: ("fsdp_config.fsdp_reshard_after_forward",),
        FactName.FSDP_OFFLOAD_PARAMS: ("fsdp_config.fsdp_offload_params",),
        FactName.FSDP_STATE_DICT_TYPE: ("fsdp_config.fsdp_state_dict_type",),
        FactName.DP_REPLICATE_SIZE: ("parallelism_config.parallelism_config_dp_replicate_size",),
        FactName.DP_SHARD_SIZE: ("parallelism_config.parallelism_config_dp_shard_size",),
        FactName.TP_SIZE: ("parallelism_config.parallelism_config_tp_size",),
        FactName.CP_SIZE: ("parallelism_config.parallelism_config_cp_size",),
        FactName.SP_SIZE: ("parallelism_config.parallelism_config_sp_size",),
        FactName.MEGATRON_TP: ("megatron_lm_config.megatron_lm_tp_degree",),
        FactName.MEGATRON_PP: ("megatron_lm_config.megatron_lm_pp_degree",),
        FactName.MEGATRON_NUM_MICRO_BATCHES: ("megatron_lm_config.megatron_lm_num_micro_batches",),
    },
    signature=Signature(one_of=(("distributed_type", "compute_environment"),)),
    detect=_mostly_accelerate,
    description="accelerate config file (ClusterConfig keys: distributed_type, num_processes, ...)",
)

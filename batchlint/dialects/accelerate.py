"""accelerate config files (`accelerate config` output, YAML or JSON), read by PyYAML safe_load.

Semantics follow `accelerate launch` (specs: accelerate-deepspeed.md §1, §2, §3.3, §7):
`num_processes` is the total over machines, ranks per node are floored, `NO`/`MULTI_CPU`
start one process per launch, `parallelism_config` and Megatron shrink the data-parallel size,
and under DeepSpeed the JSON's `gradient_accumulation_steps` decides the accumulation.
"""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.facts import Fact, positive_int
from batchlint.loading.nodes import Mapping, Node

CLUSTER_CONFIG_KEYS = frozenset({
    "compute_environment", "distributed_type", "mixed_precision", "use_cpu", "debug",
    "num_processes", "machine_rank", "num_machines", "gpu_ids", "main_process_ip",
    "main_process_port", "rdzv_backend", "same_network", "main_training_function",
    "enable_cpu_affinity", "fp8_config", "deepspeed_config", "fsdp_config", "parallelism_config",
    "megatron_lm_config", "mpirun_config", "downcast_bf16", "tpu_name", "tpu_zone",
    "tpu_use_cluster", "tpu_use_sudo", "command_file", "commands", "tpu_vm", "tpu_env",
    "dynamo_config", "ipex_config", "dynamo_backend", "fp16",
    # SageMakerConfig
    "ec2_instance_type", "iam_role_name", "image_uri", "profile", "region", "base_job_name",
    "pytorch_version", "transformers_version", "py_version", "sagemaker_inputs_file",
    "sagemaker_metrics_file", "additional_args",
})


def _detect(root: Node | None) -> bool:
    if not isinstance(root, Mapping):
        return False
    keys = set(root.keys())
    if "distributed_type" not in keys and "compute_environment" not in keys:
        return False
    # Most keys must be accelerate's: a k8s or CI file with a stray `distributed_type` is not one.
    return len(keys & CLUSTER_CONFIG_KEYS) >= 2 and len(keys - CLUSTER_CONFIG_KEYS) <= len(keys) // 2


DIALECT = Dialect(
    name="accelerate",
    kind="launch",
    semantics="yaml11",
    keys={
        "distributed_type": ("distributed_type",),
        "num_processes": ("num_processes",),
        "num_machines": ("num_machines",),
        "machine_rank": ("machine_rank",),
        "gpu_ids": ("gpu_ids",),
        "mixed_precision": ("mixed_precision",),
        "compute_environment": ("compute_environment",),
        "use_cpu": ("use_cpu",),
        "gradient_checkpointing": ("fsdp_config.fsdp_activation_checkpointing",),
        "launcher_grad_accum": ("deepspeed_config.gradient_accumulation_steps",),
        "zero_stage": ("deepspeed_config.zero_stage",),
        "deepspeed_config_file": ("deepspeed_config.deepspeed_config_file",),
        "deepspeed_hostfile": ("deepspeed_config.deepspeed_hostfile",),
        "deepspeed_multinode_launcher": ("deepspeed_config.deepspeed_multinode_launcher",),
        "mpirun_hostfile": ("mpirun_config.mpirun_hostfile",),
        "fsdp_version": ("fsdp_config.fsdp_version",),
        "fsdp_sharding_strategy": ("fsdp_config.fsdp_sharding_strategy",),
        "dp_replicate_size": ("parallelism_config.parallelism_config_dp_replicate_size",),
        "dp_shard_size": ("parallelism_config.parallelism_config_dp_shard_size",),
        "tp_size": ("parallelism_config.parallelism_config_tp_size",),
        "cp_size": ("parallelism_config.parallelism_config_cp_size",),
        "sp_size": ("parallelism_config.parallelism_config_sp_size",),
        "megatron_tp": ("megatron_lm_config.megatron_lm_tp_degree",),
        "megatron_pp": ("megatron_lm_config.megatron_lm_pp_degree",),
        "megatron_num_micro_batches": ("megatron_lm_config.megatron_lm_num_micro_batches",),
    },
    detect=_detect,
    description="accelerate config file (ClusterConfig keys: distributed_type, num_processes, ...)",
)

_MULTI_DEVICE = {"MULTI_GPU", "MULTI_NPU", "MULTI_MLU", "MULTI_SDAA", "MULTI_MUSA", "MULTI_XPU",
                 "MULTI_HPU", "MULTI_NEURON"}


def _int(facts: dict[str, Fact], name: str, default: int) -> int:
    fact = facts.get(name)
    value = positive_int(fact.value) if fact else None
    return value if value is not None else default


def data_parallel(facts: dict[str, Fact]) -> Fact | None:
    """The data-parallel size a launch with these facts really gets (spec §2.2, §2.4, §7)."""
    procs_fact = facts.get("num_processes")
    dtype_fact = facts.get("distributed_type")
    dtype = dtype_fact.value if dtype_fact else None
    procs = positive_int(procs_fact.value) if procs_fact else None
    if dtype is False:
        dtype = "NO"  # unquoted `NO` is false to PyYAML; the simple launcher still runs
    if dtype_fact is not None and dtype_fact.source == "file":
        if dtype == "NO":
            return Fact("data_parallel_size", 1, "derived",
                        note="distributed_type NO: `accelerate launch` starts one process whatever num_processes says")
        if dtype == "MULTI_CPU" and not facts.get("mpirun_hostfile"):
            return None  # one process per launch; the world is assembled outside accelerate
    if procs is None:
        return None
    machines = _int(facts, "num_machines", 1)
    world = (procs // machines) * machines if machines > 1 else procs
    notes = []
    if world != procs:
        notes.append(f"{procs} processes on {machines} machines: {procs // machines} per machine, {world} ranks")
    launcher = facts.get("deepspeed_multinode_launcher")
    hosts = facts.get("hostfile_hosts")
    if (dtype == "DEEPSPEED" and machines > 1 and hosts is not None and isinstance(hosts.value, int)
            and (launcher is None or launcher.value != "standard")):
        # The DeepSpeed runner uses every host of the hostfile, never --num_nodes (spec §2.2).
        world = hosts.value * (procs // machines)
        notes.append(f"DeepSpeed runner: {hosts.value} hostfile hosts × {procs // machines} per machine")
    dp = world
    parallel = {n: _int(facts, n, 1) for n in ("dp_replicate_size", "dp_shard_size", "tp_size", "cp_size", "sp_size")}
    if any(n in facts for n in parallel) and dtype != "MEGATRON_LM":
        product = 1
        for size in parallel.values():
            product *= size
        if product > 1:
            dp = parallel["dp_replicate_size"] * parallel["dp_shard_size"]
            notes.append(f"parallelism_config: dp_replicate {parallel['dp_replicate_size']} × dp_shard "
                         f"{parallel['dp_shard_size']} (tp {parallel['tp_size']}, cp {parallel['cp_size']}, "
                         f"sp {parallel['sp_size']} share batches)")
    if dtype == "MEGATRON_LM":
        tp, pp = _int(facts, "megatron_tp", 1), _int(facts, "megatron_pp", 1)
        dp = world // (tp * pp)
        notes.append(f"Megatron-LM: {world} // (tp {tp} × pp {pp})")
    return Fact("data_parallel_size", dp, "derived", note="; ".join(notes) or None)


def effective_grad_accum(facts: dict[str, Fact], deepspeed_json: tuple[str, Fact | None] | None) -> Fact | None:
    """Accumulation per optimizer step under this launch (spec §3.3), when it is not the script's.

    `deepspeed_json` is (file name, its gradient_accumulation_steps fact or None when absent),
    or None when no DeepSpeed JSON is used or it could not be read.
    """
    dtype = facts.get("distributed_type")
    if dtype is not None and dtype.value == "MEGATRON_LM" and "megatron_num_micro_batches" in facts:
        f = facts["megatron_num_micro_batches"]
        return Fact("effective_grad_accum", f.value, f.source, f.key, f.span, f.node,
                    note="Megatron-LM accumulates megatron_lm_num_micro_batches; the script's value is unused")
    if dtype is None or dtype.value != "DEEPSPEED":
        return None
    launcher = facts.get("launcher_grad_accum")
    if deepspeed_json is not None:
        name, ds_ga = deepspeed_json
        if ds_ga is None:
            return Fact("effective_grad_accum", 1, "derived", key="gradient_accumulation_steps",
                        note=f"{name} has no gradient_accumulation_steps: accelerate inserts 1")
        if ds_ga.value != "auto":
            return Fact("effective_grad_accum", ds_ga.value, ds_ga.source, ds_ga.key, ds_ga.span, ds_ga.node,
                        note=f"the DeepSpeed JSON {name} decides the accumulation")
    elif facts.get("deepspeed_config_file") is not None:
        return None  # the JSON exists but could not be read: unknown
    if launcher is not None and launcher.value != "auto":
        return Fact("effective_grad_accum", launcher.value, launcher.source, launcher.key, launcher.span,
                    launcher.node, note="exported as ACCELERATE_GRADIENT_ACCUMULATION_STEPS: overrides the script's value")
    return None

"""AC rules: the accelerate config file (accelerate-deepspeed.md §8, "accelerate config file").

Each rule names the condition `accelerate launch` fails on (or silently misreads) and quotes its
error. Behaviour is that of accelerate 1.15 unless `accelerate-version` in settings says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.counts import positive_int
from batchlint.derive import world_size
from batchlint.dialects.accelerate import CLUSTER_CONFIG_KEYS
from batchlint.fixes import SAFE, UNSAFE, Fix, quote_scalar, rename_key
from batchlint.loading.nodes import LoadErrorKind, Mapping, Scalar, Span
from batchlint.model import Fact, Origin, RunModel, Severity
from batchlint.model import FactName as F
from batchlint.pair import Pairing
from batchlint.rules.base import ACCELERATE_CONFIG, ACCELERATE_LAUNCH, MULTI_DEVICE, Diagnostic, RunRule, close_matches, file_start, version_tuple
from batchlint.settings import DEFAULTS
from batchlint.views import DocumentView

DISTRIBUTED_TYPES = (
    "NO",
    "MULTI_CPU",
    "MULTI_GPU",
    "MULTI_NPU",
    "MULTI_MLU",
    "MULTI_SDAA",
    "MULTI_MUSA",
    "MULTI_XPU",
    "DEEPSPEED",
    "FSDP",
    "XLA",
    "MEGATRON_LM",
    "MULTI_HPU",
    "MULTI_NEURON",
)
SAGEMAKER_TYPES = ("NO", "DATA_PARALLEL", "MODEL_PARALLEL")
PRECISIONS = ("no", "fp8", "fp16", "bf16")
SAGEMAKER_KEYS = frozenset(
    {
        "compute_environment",
        "distributed_type",
        "mixed_precision",
        "use_cpu",
        "debug",
        "num_processes",
        "ec2_instance_type",
        "iam_role_name",
        "image_uri",
        "profile",
        "region",
        "num_machines",
        "gpu_ids",
        "base_job_name",
        "pytorch_version",
        "transformers_version",
        "py_version",
        "sagemaker_inputs_file",
        "sagemaker_metrics_file",
        "additional_args",
        "dynamo_config",
        "enable_cpu_affinity",
        "machine_rank",
        "main_training_function",
        "dynamo_backend",
        "fp16",
    }
)
SUB_KEYS: dict[str, tuple[str, frozenset[str]]] = {
    # dict -> (prefix the launcher adds when missing, keys the launcher reads), spec §1.6
    "deepspeed_config": (
        "",
        frozenset(
            {
                "deepspeed_config_file",
                "zero_stage",
                "offload_optimizer_device",
                "offload_param_device",
                "offload_optimizer_nvme_path",
                "offload_param_nvme_path",
                "gradient_accumulation_steps",
                "gradient_clipping",
                "zero3_init_flag",
                "zero3_save_16bit_model",
                "deepspeed_hostfile",
                "deepspeed_exclusion_filter",
                "deepspeed_inclusion_filter",
                "deepspeed_multinode_launcher",
                "deepspeed_moe_layer_cls_names",
            }
        ),
    ),
    "fsdp_config": (
        "fsdp_",
        frozenset(
            {
                "fsdp_version",
                "fsdp_offload_params",
                "fsdp_min_num_params",
                "fsdp_sharding_strategy",
                "fsdp_reshard_after_forward",
                "fsdp_auto_wrap_policy",
                "fsdp_transformer_layer_cls_to_wrap",
                "fsdp_backward_prefetch",
                "fsdp_state_dict_type",
                "fsdp_forward_prefetch",
                "fsdp_use_orig_params",
                "fsdp_cpu_ram_efficient_loading",
                "fsdp_sync_module_states",
                "fsdp_activation_checkpointing",
                "fsdp_ignored_modules",
                "fsdp_activation_checkpointing_offload",
            }
        ),
    ),
    "megatron_lm_config": (
        "",
        frozenset(
            {
                "megatron_lm_tp_degree",
                "megatron_lm_pp_degree",
                "megatron_lm_num_micro_batches",
                "megatron_lm_sequence_parallelism",
                "megatron_lm_recompute_activations",
                "megatron_lm_use_distributed_optimizer",
                "megatron_lm_gradient_clipping",
                "megatron_lm_use_custom_fsdp",
                "megatron_lm_no_load_optim",
                "megatron_lm_eod_mask_loss",
                "megatron_lm_overlap_cpu_optimizer_d2h_h2d",
                "megatron_lm_no_save_optim",
                "megatron_lm_optimizer_cpu_offload",
                "megatron_lm_use_precision_aware_optimizer",
                "megatron_lm_decoder_last_pipeline_num_layers",
                "megatron_lm_recompute_granularity",
                "megatron_lm_recompute_method",
                "megatron_lm_recompute_num_layers",
                "megatron_lm_attention_backend",
                "megatron_lm_expert_model_parallel_size",
                "megatron_lm_context_parallel_size",
                "megatron_lm_expert_tensor_parallel_size",
                "megatron_lm_attention_dropout",
                "megatron_lm_hidden_dropout",
                "megatron_lm_attention_softmax_in_fp32",
                "megatron_lm_calculate_per_token_loss",
                "megatron_lm_use_rotary_position_embeddings",
            }
        ),
    ),
    "parallelism_config": (
        "",
        frozenset(
            f"parallelism_config_{k}"
            for k in (
                "dp_replicate_size",
                "dp_shard_size",
                "tp_size",
                "cp_size",
                "cp_backend",
                "cp_comm_strategy",
                "sp_size",
                "sp_backend",
                "sp_seq_length",
                "sp_seq_length_is_variable",
                "sp_attn_implementation",
            )
        ),
    ),
    "mpirun_config": ("", frozenset({"mpirun_hostfile"})),
    "dynamo_config": ("dynamo_", frozenset({"dynamo_backend", "dynamo_mode", "dynamo_use_fullgraph", "dynamo_use_dynamic", "dynamo_use_regional_compilation"})),
    "fp8_config": (
        "fp8_",
        frozenset(
            f"fp8_{k}"
            for k in (
                "backend",
                "use_autocast_during_eval",
                "margin",
                "interval",
                "format",
                "amax_history_len",
                "amax_compute_algo",
                "override_linear_precision",
                "opt_level",
                "enable_fsdp_float8_all_gather",
                "pad_inner_dim",
            )
        ),
    ),
}
# Legacy keys the launcher no longer reads, and their current names (spec §1.6).
LEGACY = {
    ("fsdp_config", "fsdp_backward_prefetch_policy"): ("fsdp_backward_prefetch", "renamed in accelerate 0.26, ignored since 1.0"),
    ("fp8_config", "amax_history_length"): ("amax_history_len", "the questionnaire's name; the reader expects amax_history_len"),
    ("fp8_config", "amax_compute_algorithm"): ("amax_compute_algo", "the questionnaire's name; the reader expects amax_compute_algo"),
    ("fp8_config", "optimization_level"): ("opt_level", "the questionnaire's name; the reader expects opt_level"),
}


class View:
    """The accelerate config a rule looks at: its document, root mapping and the file's own facts,
    plus what the command line or settings say about the launch."""

    def __init__(self, run: RunModel, pairing: Pairing, doc: DocumentView, root: Mapping) -> None:
        self.run = run
        self.pairing = pairing
        self.doc = doc
        self.root = root
        self.file = pairing.launch_facts
        self.facts = run

    def value(self, name: F) -> object:
        fact = self.file.get(name)
        return None if fact is None else fact.value

    def scalar(self, key: str) -> Scalar | None:
        node = self.root.get(key)
        return node if isinstance(node, Scalar) else None

    def cli(self, name: F) -> Fact[object] | None:
        fact = self.facts.get(name)
        return fact if fact is not None and fact.origin in (Origin.CLI, Origin.SETTINGS) else None

    @property
    def sagemaker(self) -> bool:
        env = self.value(F.COMPUTE_ENVIRONMENT)
        return env is not None and env != "LOCAL_MACHINE"

    @property
    def distributed_type(self) -> object:
        value = self.value(F.DISTRIBUTED_TYPE)
        return "NO" if value is False else value

    def version(self) -> tuple[int, ...]:
        return version_tuple(str(self.run.setting("accelerate-version") or DEFAULTS["accelerate-version"]))

    def version_text(self) -> str:
        return str(self.run.setting("accelerate-version") or "1.15")


def view(run: RunModel, pairing: Pairing) -> View | None:
    if not pairing.launch_facts:
        return None
    last = _LAST_VIEW[0]
    if last is not None and last[0] is run and last[1] is pairing:
        return last[2]  # the rules of one run ask in turn: built once for them all (a View is only read)
    doc = pairing.launch_view()
    found = View(run, pairing, doc, doc.root) if doc is not None and isinstance(doc.root, Mapping) else None
    _LAST_VIEW[0] = (run, pairing, found)
    return found


# The last run's accelerate View: (run, pairing, view), the objects themselves (compared by identity).
_LAST_VIEW: list[tuple[RunModel, Pairing, View | None] | None] = [None]


def _key_span(root: Mapping, key: str) -> Span | None:
    node = root.key_node(key)
    return node.span if node is not None else None


class MissingDistributedType(RunRule):
    """`distributed_type` is missing.

    **What.** An accelerate config without `distributed_type`, the only key `accelerate launch`
    requires.

    **Why.** `BaseConfig.process_config` raises `ValueError: A 'distributed_type' must be specified in
    the config file.` (accelerate `commands/config/config_args.py`).

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    num_processes: 8
    mixed_precision: bf16
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    mixed_precision: bf16
    ```

    **Fix.** None: add it, e.g. `distributed_type: MULTI_GPU` (or run `accelerate config`).

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.2 and §8 AC001; accelerate
    `commands/config/config_args.py` (`BaseConfig.process_config`).
    """

    code, name, severity = "AC001", "missing-distributed-type", Severity.ERROR
    needs = (ACCELERATE_CONFIG,)
    summary = "accelerate config without distributed_type"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or "distributed_type" in v.root.keys():
            return
        yield self.report(
            'no `distributed_type`: accelerate raises "A `distributed_type` must be specified in the config file."',
            file_start(v.doc.path),
            "add e.g. `distributed_type: MULTI_GPU` (or run `accelerate config`)",
        )


class UnknownTopLevelKey(RunRule):
    """A top-level key that `ClusterConfig` (or `SageMakerConfig`) does not have.

    **What.** A top-level key of the accelerate config that is not a field of `ClusterConfig`, or of
    `SageMakerConfig` when `compute_environment` is not `LOCAL_MACHINE`; the message suggests the
    closest known key. `ipex_config` was removed in 1.13 and is unknown since.

    **Why.** Since accelerate 0.23 `from_yaml_file` raises: "The config file at {path} had unknown keys
    ([...]), please try upgrading your `accelerate` version or fix (and potentially remove) these keys
    from your config file."

    **Failing example.** `acc.yaml`: `ipex_config` (gone in 1.13) and a misspelt `num_processes`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    ipex_config:
      ipex: false
    num_proceses: 4
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    ```

    **Fix.** Unsafe (a setting starts to apply, or one is deleted): when the key is a misspelling of
    a known one the file does not have (`num_proceses`), rename it to that; otherwise (`ipex_config`,
    a name far from any known key, or a misspelling next to the real key) delete it.

    **Options.** `accelerate-version` in settings: below 1.13 `ipex_config` is known; below 0.23 the rule
    is off (the dataclass raised a `TypeError` instead).

    **References.** accelerate-deepspeed.md §1.2, §1.3 (the `ClusterConfig` fields) and §8 AC002;
    accelerate `commands/config/config_args.py` (`BaseConfig.from_yaml_file`).
    """

    code, name, severity, fixable = "AC002", "unknown-accelerate-key", Severity.ERROR, True
    needs = (ACCELERATE_CONFIG,)
    summary = "top-level key accelerate does not know"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None:
            return
        known = set(SAGEMAKER_KEYS if v.sagemaker else CLUSTER_CONFIG_KEYS)
        known.discard("ipex_config")
        if v.version() < (1, 13):
            known.add("ipex_config")
        if v.version() < (0, 23):
            return  # the dataclass raised a TypeError instead; still an error, but reported by name below
        for key_node, value_node in v.root.items:
            if not isinstance(key_node, Scalar) or key_node.tag.endswith(":merge"):
                continue
            key = str(key_node.value)
            if key in known:
                continue
            close = close_matches(key, sorted(known), 1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            extra = " (removed in accelerate 1.13)" if key == "ipex_config" else ""
            # A misspelling (as close as DS012 asks) of a setting the file lacks: that setting was meant.
            if key != "ipex_config" and close_matches(key, close, 1, cutoff=0.85) and v.root.get(close[0]) is None:
                fix = Fix(f"rename `{key}` to `{close[0]}`", UNSAFE, [rename_key(key_node, close[0])])
            else:
                fix = Fix(f"delete `{key}`", UNSAFE, [v.doc.delete_entry(key_node, value_node)])
            yield self.report(
                f"unknown key `{key}`{extra}{hint}: accelerate {v.version_text()} raises \"The config file at ... had unknown keys (['{key}'])\"",
                key_node.span,
                "fix the name or remove the key",
                fix=fix,
            )


class Yaml11Trap(RunRule):
    """`distributed_type`, `mixed_precision` or `gpu_ids` written so that YAML 1.1 reads a bool or int.

    **What.** accelerate reads the file with PyYAML `safe_load` (YAML 1.1): unquoted `NO` / `no` are
    `False`, `0` is an int. One finding per such value of these three keys.

    **Why.** `distributed_type: NO` then never matches `DistributedType.NO` (num_processes is not
    defaulted; the launch asks for `--num_processes` or runs one process); `mixed_precision: no` fails
    with `AttributeError: 'bool' object has no attribute 'lower'` (since accelerate 0.34; 0.19–0.33
    mapped the bool to "no"); `gpu_ids: 0` fails with
    `AttributeError: 'int' object has no attribute 'split'` (spec §1.5).

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: NO
    mixed_precision: no
    gpu_ids: 0
    num_processes: 1
    ```

    **Passing example.** `acc.yaml`, quoted:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: 'NO'
    mixed_precision: 'no'
    gpu_ids: '0'
    num_processes: 1
    ```

    **Fix.** Safe (it restores the string the file means): quote the value.

    **Options.** `accelerate-version` in settings: below 0.34 `mixed_precision: no` is not reported.

    **References.** accelerate-deepspeed.md §1.5 and §8 AC003; anchors.md Appendix A (the same YAML,
    three loaders); accelerate `commands/config/config_args.py` (`load_config_from_file`).
    """

    code, name, severity, fixable = "AC003", "yaml11-bool-or-int", Severity.ERROR, True
    needs = (ACCELERATE_CONFIG,)
    summary = "unquoted NO / no / 0 read as a bool or int"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None:
            return
        for key, effect in (
            ("distributed_type", "it never equals DistributedType.NO"),
            ("mixed_precision", "AttributeError: 'bool' object has no attribute 'lower'"),
            ("gpu_ids", "AttributeError: 'int' object has no attribute 'split'"),
        ):
            node = v.scalar(key)
            if node is None or node.style != "":
                continue
            if isinstance(node.value, bool) or (key == "gpu_ids" and isinstance(node.value, int)):
                if key == "mixed_precision" and v.version() < (0, 34):
                    continue  # 0.19–0.33 mapped the bool back to "no"
                kind = "the boolean" if isinstance(node.value, bool) else "the integer"
                fix = Fix(f"quote `{node.raw}`", SAFE, [quote_scalar(node)])
                yield self.report(
                    f"`{key}: {node.raw}` is {kind} {node.value!r} to PyYAML (YAML 1.1): {effect}", node.span, f"quote it: {key}: '{node.raw}'", fix=fix
                )


class BadDistributedType(RunRule):
    """`distributed_type` is not a `DistributedType` value (exact, case-sensitive).

    **What.** Values: NO, MULTI_CPU, MULTI_GPU, MULTI_NPU, MULTI_MLU, MULTI_SDAA, MULTI_MUSA, MULTI_XPU,
    DEEPSPEED, FSDP, XLA, MEGATRON_LM, MULTI_HPU, MULTI_NEURON (SageMaker: NO, DATA_PARALLEL,
    MODEL_PARALLEL). The message suggests the closest value.

    **Why.** `BaseConfig.__post_init__` converts it with an Enum lookup: `ValueError: '<x>' is not a
    valid DistributedType`.

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: multi_gpu
    num_processes: 8
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    ```

    **Fix.** None: write one of the values above, in capitals.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.4 (allowed values) and §8 AC004; accelerate
    `commands/config/config_args.py` (`BaseConfig.__post_init__`).
    """

    code, name, severity = "AC004", "bad-distributed-type", Severity.ERROR
    needs = (ACCELERATE_CONFIG,)
    summary = "distributed_type is not a DistributedType value"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        node = v.scalar("distributed_type") if v else None
        if v is None or node is None or isinstance(node.value, bool) or node.value is None:
            return
        allowed = SAGEMAKER_TYPES if v.sagemaker else DISTRIBUTED_TYPES
        if node.value in allowed:
            return
        close = close_matches(str(node.value).upper(), allowed, 1)
        hint = f"; did you mean {close[0]}?" if close else ""
        yield self.report(
            f"`distributed_type: {node.raw}`: ValueError: '{node.value}' is not a valid DistributedType{hint}", node.span, "one of " + ", ".join(allowed)
        )


class BadMixedPrecision(RunRule):
    """`mixed_precision` is not one of no, fp16, bf16, fp8 (after lowercasing).

    **What.** Any other value of the accelerate config's `mixed_precision`. `fp32` is the usual slip:
    full precision is `no`.

    **Why.** The launcher fails when it prepares the environment: "Unknown mixed_precision mode: fp32.
    Choose between ['no', 'fp8', 'fp16', 'bf16']." (accelerate `utils/launch.py`).

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 2
    mixed_precision: fp32
    ```

    **Passing example.** `acc.yaml` (accelerate lowercases the value):

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 2
    mixed_precision: BF16
    ```

    **Fix.** None: use no, fp16, bf16 or fp8.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.4, §5 and §8 AC005; accelerate `utils/launch.py`.
    """

    code, name, severity = "AC005", "bad-mixed-precision", Severity.ERROR
    needs = (ACCELERATE_CONFIG,)
    summary = "mixed_precision is not no/fp16/bf16/fp8"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        node = v.scalar("mixed_precision") if v else None
        if node is None or node.value is None or isinstance(node.value, bool):
            return
        if str(node.value).lower() in PRECISIONS:
            return
        hint = " (full precision is `no`)" if str(node.value).lower() in ("fp32", "float32", "32") else ""
        yield self.report(
            f"`mixed_precision: {node.raw}`: \"Unknown mixed_precision mode: {str(node.value).lower()}. Choose between ['no', 'fp8', 'fp16', 'bf16'].\"{hint}",
            node.span,
            "use no, fp16, bf16 or fp8",
        )


class NumProcessesRequired(RunRule):
    """A distributed launch without `num_processes` in the file or on the launch line.

    **What.** Any `distributed_type` but NO (and not a SageMaker config) with no `num_processes`. An
    error when the launch is known (the file is paired with a training config and no count is given);
    a warning when the file is checked on its own, since its launch line may pass `--num_processes`.

    **Why.** For any `distributed_type` but NO, a missing `num_processes` stays -1 and
    `accelerate launch` stops: "You need to manually pass in `--num_processes` using this config yaml."

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    mixed_precision: bf16
    ```

    and the training config `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
      mixed_precision: bf16
    ```

    **Passing example.** The same `train.yaml`, and `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    mixed_precision: bf16
    num_processes: 8
    ```

    **Fix.** None: add `num_processes: N` (the total over all machines).

    **Options.** `--num-processes` / `num-processes` in settings give the launch line's count: then
    nothing is reported.

    **References.** accelerate-deepspeed.md §1.2, §2.4 (`num_processes` missing) and §8 AC006;
    accelerate `commands/launch.py::_validate_launch_command`.
    """

    code, name, severity = "AC006", "num-processes-required", Severity.ERROR
    needs = (ACCELERATE_CONFIG,)
    summary = "distributed launch without num_processes"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or v.distributed_type in (None, "NO") or v.sagemaker:
            return
        if F.NUM_PROCESSES in v.file or v.cli(F.NUM_PROCESSES):
            return
        span = _key_span(v.root, "distributed_type") or file_start(v.doc.path)
        # Checked on its own, the file may be launched with --num_processes on the launch line (batchlint does not
        # see it): a warning. Paired with a training config through settings or the command line, the launch is
        # known and has no count: an error.
        known_launch = v.run.is_training
        yield self.report(
            f'`distributed_type: {v.distributed_type}` without `num_processes`: "You need to manually pass in '
            '`--num_processes` using this config yaml."' + ("" if known_launch else " unless the launch line passes it"),
            span,
            "add `num_processes: N` (the total over all machines)",
            severity=Severity.ERROR if known_launch else Severity.WARNING,
        )


class OneProcessLaunch(RunRule):
    """`num_processes` > 1 with a launcher that starts one process.

    **What.** `distributed_type: NO` (and `MULTI_CPU` without `mpirun_config.mpirun_hostfile`) with
    `num_processes` above 1.

    **Why.** These go through the simple launcher: each `accelerate launch` starts **one** process
    whatever `num_processes` says (spec §2.4). For `NO` the intended world never exists; for
    `MULTI_CPU` start one launch per rank (mpirun, SLURM) — batchlint then cannot compute a total from
    `num_processes`.

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: 'NO'
    num_processes: 4
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: 'NO'
    num_processes: 1
    ```

    **Fix.** None: use MULTI_GPU (or DEEPSPEED/FSDP) for several processes; for MULTI_CPU set
    `mpirun_config.mpirun_hostfile`, or start one launch per rank.

    **Options.** None.

    **References.** accelerate-deepspeed.md §2.4 (which launcher runs) and §8 AC007; accelerate
    `commands/launch.py::launch_command`.
    """

    code, name, severity = "AC007", "one-process-launch", Severity.WARNING
    needs = (ACCELERATE_CONFIG,)
    summary = "num_processes > 1 but the launcher starts one process"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None:
            return
        procs = positive_int(v.value(F.NUM_PROCESSES))
        dtype = v.distributed_type
        if procs is None or procs <= 1:
            return
        node = v.scalar("num_processes")
        span = node.span if node else file_start(v.doc.path)
        if dtype == "NO":
            yield self.report(
                f"`distributed_type: NO` with `num_processes: {procs}`: accelerate launch starts one process, not " + str(procs),
                span,
                "use MULTI_GPU (or DEEPSPEED/FSDP) for several processes",
            )
        elif dtype == "MULTI_CPU" and not v.value(F.MPIRUN_HOSTFILE):
            yield self.report(
                f"`MULTI_CPU` with `num_processes: {procs}` and no mpirun_config.mpirun_hostfile: each launch "
                "starts one process; the world is assembled by mpirun/SLURM",
                span,
                "set mpirun_config.mpirun_hostfile, or start one launch per rank",
            )


class ProcessesNotDivisible(RunRule):
    """`num_processes` is not a multiple of `num_machines`.

    **What.** `num_processes` is the total over machines; each machine starts
    `num_processes // num_machines` (floor). The message gives the ranks that really run.

    **Why.** The remainder silently disappears: 10 processes on 4 machines are 8 ranks.

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_machines: 4
    num_processes: 10
    main_process_ip: 10.0.0.1
    main_process_port: 29500
    machine_rank: 0
    ```

    **Passing example.** `acc.yaml` (4 per machine):

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_machines: 4
    num_processes: 16
    main_process_ip: 10.0.0.1
    main_process_port: 29500
    machine_rank: 0
    ```

    **Fix.** None: use a multiple of `num_machines`.

    **Options.** None.

    **References.** accelerate-deepspeed.md §2.2 and §8 AC008; accelerate
    `utils/launch.py::prepare_multi_gpu_env`.
    """

    code, name, severity = "AC008", "processes-not-divisible", Severity.WARNING
    needs = (ACCELERATE_CONFIG,)
    summary = "num_processes not a multiple of num_machines"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None:
            return
        procs, machines = positive_int(v.value(F.NUM_PROCESSES)), positive_int(v.value(F.NUM_MACHINES))
        if procs is None or machines is None or machines <= 1 or procs % machines == 0:
            return
        node = v.scalar("num_processes")
        real = world_size(procs, machines)
        yield self.report(
            f"{procs} processes on {machines} machines: {procs // machines} per machine, so {real} ranks run, not {procs}",
            node.span if node else file_start(v.doc.path),
            f"use a multiple of {machines}, e.g. {real} or {real + machines}",
        )


def listed_gpu_ids(v: View) -> tuple[Scalar, list[str]] | None:
    """`gpu_ids` and its comma-separated ids, unless it is `all` (or not a list of ids)."""
    node = v.scalar("gpu_ids")
    if node is None or node.value is None or isinstance(node.value, bool):
        return None
    text = str(node.value).strip()
    if text.lower() == "all":
        return None
    return node, [p for p in text.split(",")]


class TooFewGpuIds(RunRule):
    """`gpu_ids` lists fewer GPUs than processes per machine.

    **What.** A `gpu_ids` other than `all` with fewer ids than `num_processes // num_machines`. A
    multi-device launch on one machine with fewer than two ids is AC010's instead.

    **Why.** `gpu_ids` becomes `CUDA_VISIBLE_DEVICES` on every machine; nothing checks it against the
    process count. With fewer ids than `num_processes // num_machines`, two ranks share a device: NCCL
    "Duplicate GPU detected" (accelerate ≥ 0.33 picks `local_rank % device_count()`), or "invalid
    device ordinal" (older accelerate, and any DeepSpeed run).

    **Failing example.** `acc.yaml`: 3 processes on GPUs 2 and 3:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 3
    gpu_ids: 2,3
    deepspeed_config:
      zero_stage: 2
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 3
    gpu_ids: 1,2,3
    deepspeed_config:
      zero_stage: 2
    ```

    **Fix.** None: list as many ids as processes per machine, or use `gpu_ids: all`.

    **Options.** `--num-processes` / `num-processes` in settings: the launch line's count is compared
    instead of the file's.

    **References.** accelerate-deepspeed.md §2.3 (`gpu_ids`) and §8 AC009; accelerate
    `state.py::PartialState.set_device`.
    """

    code, name, severity = "AC009", "too-few-gpu-ids", Severity.ERROR
    needs = (ACCELERATE_CONFIG,)
    summary = "gpu_ids has fewer ids than processes per machine"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        ids = listed_gpu_ids(v) if v else None
        if v is None or ids is None:
            return
        node, parts = ids
        procs = positive_int(v.facts[F.NUM_PROCESSES].value) if F.NUM_PROCESSES in v.facts else None
        machines = positive_int(v.value(F.NUM_MACHINES)) or 1
        if procs is None or len(parts) >= procs // machines:
            return
        if v.distributed_type in MULTI_DEVICE and machines <= 1 and len(parts) < 2:
            return  # accelerate stops earlier with AC010's message
        yield self.report(
            f"`gpu_ids: {node.raw}` names {len(parts)} GPU{'s' if len(parts) != 1 else ''} for {procs // machines} "
            'processes per machine: NCCL "Duplicate GPU detected" (or "invalid device ordinal")',
            node.span,
            f"list {procs // machines} ids, or use `gpu_ids: all`",
        )


class MultiGpuWithOneId(RunRule):
    """A multi-device launch on one machine with fewer than two `gpu_ids`.

    **What.** A `MULTI_*` device type (`MULTI_GPU`, `MULTI_NPU`, ...) on one machine whose `gpu_ids`
    (not `all`) names fewer than two ids. DeepSpeed and FSDP launches are not checked by accelerate.

    **Why.** accelerate stops: "Less than two GPU ids were configured and tried to run on multiple GPUs.
    Please ensure at least two are specified for `--gpu_ids`, or use `--gpu_ids='all'`."

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 2
    gpu_ids: '1'
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 2
    gpu_ids: 0,1
    ```

    **Fix.** None: list at least two ids, or use `gpu_ids: all`.

    **Options.** None.

    **References.** accelerate-deepspeed.md §2.3 (the only `gpu_ids` check) and §8 AC010; accelerate
    `commands/launch.py::_validate_launch_command`.
    """

    code, name, severity = "AC010", "multi-gpu-one-id", Severity.ERROR
    needs = (ACCELERATE_CONFIG,)
    summary = "MULTI_* launch with fewer than two gpu_ids"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        ids = listed_gpu_ids(v) if v else None
        if v is None or ids is None or v.distributed_type not in MULTI_DEVICE:
            return
        if (positive_int(v.value(F.NUM_MACHINES)) or 1) > 1 or len(ids[1]) >= 2:
            return
        yield self.report(
            f'`{v.distributed_type}` with `gpu_ids: {ids[0].raw}`: "Less than two GPU ids were configured and tried to run on multiple GPUs."',
            ids[0].span,
            "list at least two ids, or use `gpu_ids: all`",
        )


class OneRankMultiGpu(RunRule):
    """`distributed_type: MULTI_GPU` with `num_processes: 1`.

    **What.** A `MULTI_GPU` accelerate config whose `num_processes` is 1, with no other count on the
    launch line. Reported as information.

    **Why.** accelerate accepts it from a file (its "at least 2 processes" check runs before the file is
    read), and starts a one-rank DDP run: DDP's overhead without a second GPU. The `accelerate config`
    questionnaire itself refuses this layout.

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 1
    gpu_ids: all
    ```

    **Passing example.** `acc.yaml`, for one GPU:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: 'NO'
    num_processes: 1
    gpu_ids: all
    ```

    **Fix.** None: use `distributed_type: NO` for one GPU, or more processes.

    **Options.** `--num-processes` / `num-processes` in settings: with a count from the launch line the
    rule is silent.

    **References.** accelerate-deepspeed.md §2.4 and §8 AC011; accelerate
    `commands/config/cluster.py::get_cluster_input` (the questionnaire).
    """

    code, name, severity = "AC011", "one-rank-multi-gpu", Severity.INFO
    needs = (ACCELERATE_CONFIG,)
    summary = "MULTI_GPU with one process"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or v.distributed_type != "MULTI_GPU" or v.value(F.NUM_PROCESSES) != 1 or v.cli(F.NUM_PROCESSES):
            return
        node = v.scalar("num_processes")
        yield self.report(
            "`MULTI_GPU` with `num_processes: 1`: a one-rank DDP run (DDP overhead, no second GPU)",
            node.span if node else file_start(v.doc.path),
            "use `distributed_type: NO` for one GPU",
        )


class MainProcessIpMissing(RunRule):
    """Several machines without `main_process_ip`.

    **What.** `num_machines` above 1 and no (or an empty) `main_process_ip`.

    **Why.** The torchrun path builds `rdzv_endpoint="None:29500"`; the simple launcher asserts "When
    using multiple machines, you need to specify the main process IP."

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_machines: 2
    num_processes: 16
    machine_rank: 0
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_machines: 2
    num_processes: 16
    machine_rank: 0
    main_process_ip: 10.0.0.1
    main_process_port: 29500
    ```

    **Fix.** None: set `main_process_ip` (or pass `--main_process_ip` on the launch line).

    **Options.** None.

    **References.** accelerate-deepspeed.md §2.2 and §8 AC013; accelerate
    `utils/launch.py::prepare_multi_gpu_env`, `prepare_simple_launcher_cmd_env`.
    """

    code, name, severity = "AC013", "main-process-ip-missing", Severity.WARNING
    needs = (ACCELERATE_CONFIG,)
    summary = "num_machines > 1 without main_process_ip"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or (positive_int(v.value(F.NUM_MACHINES)) or 1) <= 1:
            return
        ip = v.scalar("main_process_ip")
        if ip is not None and ip.value:
            return
        span = _key_span(v.root, "main_process_ip") or _key_span(v.root, "num_machines") or file_start(v.doc.path)
        yield self.report(
            f'{v.value(F.NUM_MACHINES)} machines and no `main_process_ip`: rdzv_endpoint becomes "None:29500" '
            '("When using multiple machines, you need to specify the main process IP.")',
            span,
            "set main_process_ip (or pass --main_process_ip on the launch line)",
        )


class MachineRankOutOfRange(RunRule):
    """`machine_rank` is not between 0 and `num_machines - 1`.

    **What.** With several machines, a `machine_rank` below 0 or at least `num_machines`. With one
    machine the value is not used.

    **Why.** The launcher passes `machine_rank` to torchrun as `--node_rank` without checking it
    (accelerate `utils/launch.py::prepare_multi_gpu_env`, spec §2.2); a rank outside the range fails in
    torchrun's rendezvous, or waits there for a node that never comes.

    **Failing example.** `acc.yaml`: the second machine is rank 1:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_machines: 2
    num_processes: 16
    machine_rank: 2
    main_process_ip: 10.0.0.1
    main_process_port: 29500
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_machines: 2
    num_processes: 16
    machine_rank: 1
    main_process_ip: 10.0.0.1
    main_process_port: 29500
    ```

    **Fix.** None: set `machine_rank` to this machine's index, 0 to `num_machines - 1` (or pass
    `--machine_rank` on each machine's launch line).

    **Options.** None.

    **References.** accelerate-deepspeed.md §2.2 and §8 AC014; accelerate
    `utils/launch.py::prepare_multi_gpu_env`.
    """

    code, name, severity = "AC014", "machine-rank-out-of-range", Severity.WARNING
    needs = (ACCELERATE_CONFIG,)
    summary = "machine_rank >= num_machines or < 0"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None:
            return
        machines = positive_int(v.value(F.NUM_MACHINES)) or 1
        rank = v.scalar("machine_rank")
        if machines <= 1 or rank is None or isinstance(rank.value, bool) or not isinstance(rank.value, int):
            return
        if 0 <= rank.value < machines:
            return
        yield self.report(
            f"`machine_rank: {rank.value}` with {machines} machines: torchrun's --node_rank must be 0–{machines - 1}",
            rank.span,
            f"set machine_rank to this machine's index, 0 to {machines - 1} (or pass --machine_rank on each machine's launch line)",
        )


class UnknownSubConfigKey(RunRule):
    """A key inside a sub-config of the accelerate file that the launcher never reads.

    **What.** A key of `deepspeed_config`, `fsdp_config`, `megatron_lm_config`, `parallelism_config`,
    `mpirun_config`, `fp8_config` or `dynamo_config` that is not one the launcher reads; the message
    suggests the closest known key. The `fsdp_`, `fp8_` and `dynamo_` prefixes are optional (the
    launcher adds them).

    **Why.** Sub-dict keys are copied onto the launcher's arguments and only the names it knows are
    used; anything else is silently ignored: `deepspeed_config.zero_stag` leaves ZeRO at stage 2,
    `megatron_lm_config.tp_degree` leaves TP at 1, `parallelism_config.tp_size` does nothing.

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      zero_stag: 3
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      zero_stage: 3
    ```

    **Fix.** None: fix the name or remove the key. Legacy names with a known successor are AC020's
    (`fsdp_backward_prefetch_policy`) and AC022's (the fp8 questionnaire's `amax_history_length` /
    `amax_compute_algorithm` / `optimization_level`), which rename them.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.6 (the keys each sub-config's reader knows, and the
    renames) and §8 AC015, AC020, AC022; accelerate `commands/launch.py::_validate_launch_command`,
    `utils/launch.py`.
    """

    code, name, severity = "AC015", "unknown-sub-config-key", Severity.WARNING
    needs = (ACCELERATE_CONFIG,)
    summary = "sub-config key the launcher ignores"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None:
            return
        for section, (prefix, known) in SUB_KEYS.items():
            sub = v.root.get(section)
            if not isinstance(sub, Mapping):
                continue
            for key_node, _value in sub.items:
                if not isinstance(key_node, Scalar):
                    continue
                key = str(key_node.value)
                full = key if not prefix or key.startswith(prefix.rstrip("_")) else prefix + key
                if full in known or (prefix == "fp8_" and "fp8_" + key.removeprefix("fp8_") in known):
                    continue
                if (
                    (section, key) in LEGACY
                    or (section == "fp8_config" and (section, key.removeprefix("fp8_")) in LEGACY)
                    or (section == "fsdp_config" and (section, "fsdp_" + key) in LEGACY)
                ):
                    continue  # legacy names: AC020 (FSDP) and AC022 (fp8) report them, with their rename fixes
                names = sorted({k.removeprefix(prefix) if prefix and not key.startswith(prefix.rstrip("_")) else k for k in known})
                close = close_matches(key, names, 1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                yield self.report(f"`{section}.{key}` is not a key the launcher reads{hint}: silently ignored", key_node.span, "fix the name or remove it")


class DeadSubConfig(RunRule):
    """A non-empty sub-config whose paradigm is off.

    **What.** `deepspeed_config` keys are read only when `distributed_type` is DEEPSPEED, `fsdp_config`
    only for FSDP, `megatron_lm_config` only for MEGATRON_LM; a non-empty one under another
    `distributed_type` is reported.

    **Why.** None of its settings is used, without a word. Under MULTI_GPU, in particular,
    `deepspeed_config.gradient_accumulation_steps` does **not** reach the run.

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    deepspeed_config:
      gradient_accumulation_steps: 4
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      gradient_accumulation_steps: 4
      zero_stage: 2
    ```

    **Fix.** None: remove the sub-config, or set the `distributed_type` it belongs to.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.6 ("They are read only when `use_deepspeed` is set")
    and §8 AC016.
    """

    code, name, severity = "AC016", "dead-sub-config", Severity.WARNING
    needs = (ACCELERATE_CONFIG,)
    summary = "sub-config of a paradigm the launch does not use"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or v.distributed_type is None:
            return
        for section, paradigm in (("deepspeed_config", "DEEPSPEED"), ("fsdp_config", "FSDP"), ("megatron_lm_config", "MEGATRON_LM")):
            sub = v.root.get(section)
            if isinstance(sub, Mapping) and sub.items and v.distributed_type != paradigm:
                key = v.root.key_node(section)
                yield self.report(
                    f"`{section}` has {len(sub.items)} setting{'s' if len(sub.items) != 1 else ''} but "
                    f"`distributed_type` is {v.distributed_type}: none of them is used",
                    key.span if key else file_start(v.doc.path),
                    f"remove it, or set distributed_type: {paradigm}",
                )


class BadParallelismConfig(RunRule):
    """`parallelism_config` sizes that `ParallelismConfig` rejects.

    **What.** `dp_replicate × dp_shard × tp × cp × sp` must equal `num_processes` (not checked for
    DeepSpeed SP, and a product of 1 means plain data parallelism); CP and SP are mutually exclusive;
    TP/CP with pure replication (`dp_replicate > 1`, `dp_shard == 1`) is refused; every size must be ≥ 1.

    **Why.** `ParallelismConfig.__post_init__` raises a `ValueError` when the job starts: "ParallelismConfig
    total_size (X) does not match num_processes (Y)", "Context Parallelism (CP) and Sequence Parallelism
    (SP) are mutually exclusive.", "Tensor/Context parallelism (tp/cp_size > 1) cannot be used with pure
    data parallelism".

    **Failing example.** `acc.yaml`: 2 × 2 = 4 for 8 processes:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    num_processes: 8
    fsdp_config:
      fsdp_version: 2
    parallelism_config:
      parallelism_config_dp_shard_size: 2
      parallelism_config_tp_size: 2
    ```

    **Passing example.** `acc.yaml` (2 × 2 × 2 = 8):

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    num_processes: 8
    fsdp_config:
      fsdp_version: 2
    parallelism_config:
      parallelism_config_dp_replicate_size: 2
      parallelism_config_dp_shard_size: 2
      parallelism_config_tp_size: 2
    ```

    **Fix.** None: make the product of the sizes equal `num_processes`.

    **Options.** `--num-processes` / `num-processes` in settings: the launch line's count is compared
    instead of the file's.

    **References.** accelerate-deepspeed.md §7 (ParallelismConfig validation) and §8 AC029; accelerate
    `parallelism_config.py::ParallelismConfig.__post_init__`.
    """

    code, name, severity = "AC029", "bad-parallelism-config", Severity.ERROR
    needs = (ACCELERATE_CONFIG,)
    summary = "parallelism_config sizes accelerate rejects"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or not isinstance(v.root.get("parallelism_config"), Mapping):
            return
        sub = v.root.get("parallelism_config")
        assert isinstance(sub, Mapping)
        sizes: dict[str, int] = {}
        for name in ("dp_replicate", "dp_shard", "tp", "cp", "sp"):
            node = sub.get(f"parallelism_config_{name}_size")
            value = node.value if isinstance(node, Scalar) else 1
            if isinstance(value, int) and not isinstance(value, bool):
                sizes[name] = value
        key = v.root.key_node("parallelism_config")
        span = key.span if key else file_start(v.doc.path)
        bad = [n for n, s in sizes.items() if s < 1]
        if bad:
            yield self.report(f"parallelism_config {', '.join(bad)} size below 1: every size must be ≥ 1", span)
            return
        if sizes.get("cp", 1) > 1 and sizes.get("sp", 1) > 1:
            yield self.report(
                'parallelism_config sets both cp and sp > 1: "Context Parallelism (CP) and Sequence Parallelism (SP) are mutually exclusive."', span
            )
        if (sizes.get("tp", 1) > 1 or sizes.get("cp", 1) > 1) and sizes.get("dp_replicate", 1) > 1 and sizes.get("dp_shard", 1) == 1:
            yield self.report(
                'tp/cp > 1 with dp_replicate > 1 and dp_shard = 1: "Tensor/Context parallelism (tp/cp_size > 1) cannot be used with pure data parallelism"',
                span,
            )
        product = 1
        for s in sizes.values():
            product *= s
        procs = positive_int(v.facts[F.NUM_PROCESSES].value) if F.NUM_PROCESSES in v.facts else None
        sp_backend = sub.get("parallelism_config_sp_backend")
        deepspeed_sp = (
            v.distributed_type == "DEEPSPEED" and sizes.get("sp", 1) > 1 and (not isinstance(sp_backend, Scalar) or sp_backend.value in (None, "deepspeed"))
        )
        if procs is not None and product > 1 and product != procs and not deepspeed_sp:
            yield self.report(
                f"parallelism_config total size {product} ({' × '.join(f'{n} {s}' for n, s in sizes.items())}) does not "
                f'match num_processes {procs}: "ParallelismConfig total_size ({product}) does not match num_processes '
                f'({procs})"',
                span,
                "make the product of the sizes equal num_processes",
            )


class AccelerateConfigMissing(RunRule):
    """The accelerate config named for the launch does not exist.

    **What.** The accelerate config given with `--accelerate-config` or `accelerate-config` in settings
    is not there. batchlint reports it where the name was given (settings or the command line) and
    cannot compute the run's total. Also a launch script's bare `accelerate launch` — no
    `--config_file`, no `--num_processes`, no paradigm flag (`--multi_gpu`, `--use_deepspeed`,
    `--use_fsdp`, `--use_megatron_lm`, `--tpu`) and no `--cpu`: it reads the default config of the
    machine it runs on (`$HF_HOME/accelerate/default_config.yaml`), or, without one, starts one
    process per visible GPU (spec §1.1, §2.4), so the run depends on that machine; the message
    names `CUDA_VISIBLE_DEVICES` when the line or the script above it sets it. Not reported when
    `--num-processes`, `num-processes` or `accelerate-config` say what the machine has.

    **Why.** `accelerate launch --config_file X` with a missing X raises `FileNotFoundError`: "The passed
    configuration file `X` does not exist. Please pass an existing file to `accelerate launch`, or use
    the default one created through `accelerate config` ...".

    **Failing example.** Settings name `configs/accelerate/8gpu.yaml`, which does not exist.
    `pyproject.toml`:

    ```toml
    [tool.batchlint]
    accelerate-config = "configs/accelerate/8gpu.yaml"
    ```

    and `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
    ```

    **Passing example.** The same files, and `configs/accelerate/8gpu.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    ```

    **Fix.** None: fix the path in settings or on the command line.

    **Options.** `--accelerate-config` / `accelerate-config` (the name checked).

    **References.** accelerate-deepspeed.md §1.1 ("Missing explicit file") and §8 AC033; accelerate
    `commands/config/config_args.py::load_config_from_file`.
    """

    code, name, severity = "AC033", "accelerate-config-missing", Severity.WARNING
    needs = (ACCELERATE_LAUNCH,)
    summary = "the named accelerate config does not exist, or a bare launch relies on the machine's default"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        bare, count = run.get(F.ACCELERATE_DEFAULT_CONFIG), run.get(F.NUM_PROCESSES)
        if (
            bare is not None
            and bare.span is not None
            and not pairing.launch_facts
            and not pairing.launch_problems
            and (count is None or count.origin == Origin.SCRIPT)
        ):
            # A bare `accelerate launch`: the machine's default config (or its GPU count) decides (spec §1.1, §2.4).
            visible = run.get(F.VISIBLE_DEVICES)
            seen = (
                ""
                if visible is None
                else f" ({visible.note} at line {visible.span.line if visible.span else '?'}: {visible.value} GPU{'s' if visible.value != 1 else ''} visible)"
            )
            yield self.report(
                "`accelerate launch` without --config_file, --num_processes or a paradigm flag: the process count comes from "
                "the default accelerate config of the machine it runs on ($HF_HOME/accelerate/default_config.yaml), or, "
                f"without one, one process per visible GPU{seen}",
                bare.span,
                "pass --config_file with the repository's accelerate config, or --num_processes N",
            )
        for err in pairing.launch_problems:
            if err.kind == LoadErrorKind.NOT_FOUND:
                yield self.report(
                    f'accelerate config `{err.path}` does not exist: "The passed configuration file `{err.path}` does not exist."',
                    file_start(run.config),
                    "fix the path in settings / on the command line",
                )

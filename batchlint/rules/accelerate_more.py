"""More AC rules: the rest of the accelerate-file catalog (accelerate-deepspeed.md §8, "accelerate config file").

Idle `gpu_ids`, file values the launcher never copies, FSDP2 keys that do nothing, legacy and
questionnaire key names, FP8 and dynamo values that fail, the DeepSpeed multi-node launcher and
hostfile, ZeRO-3 flags, `parallelism_config` under the wrong paradigm, and Megatron-LM's
context-parallel default. Behaviour of accelerate 1.15 unless `accelerate-version` (and, for the
DeepSpeed runner, `deepspeed-version`) in settings says otherwise; messages name the version.
"""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.counts import positive_int
from batchlint.derive import world_size
from batchlint.fixes import SAFE, UNSAFE, Fix, quote_scalar, rename_key, replace_node, replace_scalar
from batchlint.loading.nodes import Mapping, Node, Scalar, Span
from batchlint.model import Fact, Origin, RunModel, Severity
from batchlint.model import FactName as F
from batchlint.pair import Pairing
from batchlint.rules.accelerate import LEGACY, View, listed_gpu_ids, view
from batchlint.rules.base import (
    ACCELERATE_CONFIG,
    ACCELERATE_DEEPSPEED,
    DYNAMO,
    FLAG_IN_FILE,
    FP8,
    FSDP_CONFIG,
    GPU_IDS,
    MEGATRON,
    MULTI_DEVICE,
    PARALLELISM_CONFIG,
    Diagnostic,
    Related,
    RunRule,
    close_matches,
    file_start,
    means_true,
    version_tuple,
)
from batchlint.rules.fsdp import fsdp

FP8_BACKENDS = ("AO", "TE", "MSAMP")
DYNAMO_BACKENDS = (
    "NO",
    "EAGER",
    "AOT_EAGER",
    "INDUCTOR",
    "AOT_TS_NVFUSER",
    "NVPRIMS_NVFUSER",
    "CUDAGRAPHS",
    "OFI",
    "FX2TRT",
    "ONNXRT",
    "TENSORRT",
    "AOT_TORCHXLA_TRACE_ONCE",
    "TORCHXLA_TRACE_ONCE",
    "TVM",
    "HPU_BACKEND",
    "NEURON",
)
MULTINODE_LAUNCHERS = ("pdsh", "standard", "openmpi", "mvapich", "mpich", "nossh", "slurm")


def _sub(v: View, section: str) -> Mapping | None:
    node = v.root.get(section)
    return node if isinstance(node, Mapping) else None


def _entry(sub: Mapping, name: str, prefix: str = "") -> tuple[Scalar, Node] | None:
    """A sub-config entry, written with or without the prefix the launcher adds."""
    for key_node, value in sub.items:
        if isinstance(key_node, Scalar) and str(key_node.value) in (name, f"{prefix}{name}"):
            return key_node, value
    return None


def _scalar(sub: Mapping | None, name: str, prefix: str = "") -> Scalar | None:
    found = _entry(sub, name, prefix) if sub is not None else None
    return found[1] if found is not None and isinstance(found[1], Scalar) else None


def _ds_version(v: View) -> tuple[int, ...]:
    return version_tuple(str(v.run.setting("deepspeed-version") or "0.19.6"))


def _machines(v: View) -> int:
    fact = v.facts.get(F.NUM_MACHINES)
    return (positive_int(fact.value) if fact is not None else None) or positive_int(v.value(F.NUM_MACHINES)) or 1


def _processes(v: View) -> int | None:
    fact = v.facts.get(F.NUM_PROCESSES)
    return positive_int(fact.value) if fact is not None else None


class IdleGpuIds(RunRule):
    """`gpu_ids` lists more GPUs than processes per machine.

    **What.** `gpu_ids` (not `all`) names more ids than `num_processes // num_machines`.

    **Why.** `gpu_ids` becomes `CUDA_VISIBLE_DEVICES` on every machine and each rank takes one
    device; nothing checks the id count against the process count, so the extra GPUs sit idle
    (accelerate `commands/launch.py::_validate_launch_command`; spec §2.3). The spec calls this
    check AC009b; batchlint's codes are upper case, so it is AC009B.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 2
    gpu_ids: 0,1,2,3
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 4
    gpu_ids: 0,1,2,3
    ```

    **Fix.** None: whether to start more processes or list fewer GPUs is the user's choice.

    **Options.** `--num-processes` / `num-processes` (and a launch line's `--num_processes`) replace
    the file's count, as on the real launch.

    **References.** accelerate-deepspeed.md §2.3, §8 AC009b; accelerate `commands/launch.py::_validate_launch_command`.
    """

    code, name, severity = "AC009B", "idle-gpu-ids", Severity.INFO
    needs = (ACCELERATE_CONFIG, GPU_IDS)
    summary = "gpu_ids has more ids than processes per machine"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        ids = listed_gpu_ids(v) if v else None
        if v is None or ids is None or v.distributed_type in ("MULTI_CPU", None) or v.sagemaker:
            return
        node, parts = ids
        procs = 1 if v.distributed_type == "NO" else _processes(v)
        if procs is None:
            return
        per = procs // _machines(v)
        if len(parts) <= per:
            return
        idle = len(parts) - per
        yield self.report(
            f"`gpu_ids: {node.raw}` names {len(parts)} GPUs for {per} process{'es' if per != 1 else ''} per machine: "
            f"{idle} GPU{'s sit' if idle != 1 else ' sits'} idle",
            node.span,
            f"start {len(parts)} processes per machine, or list {per} id{'s' if per != 1 else ''}",
        )


class IgnoredFileValue(RunRule):
    """A top-level value `accelerate launch` never copies from the file.

    **What.** `enable_cpu_affinity: true`; with several machines, `rdzv_backend` other than
    `static`; on TPU (`XLA`), `downcast_bf16` or `tpu_use_sudo` switched on.

    **Why.** The launcher copies a top-level file value only onto a command-line option that is
    still `None`, and these options have non-`None` defaults (`--enable_cpu_affinity`,
    `--downcast_bf16`, `--tpu_use_sudo` are False, `--rdzv_backend` is `"static"`), so the file
    value is silently dropped: no CPU affinity, the static rendezvous, no bf16 downcast, no sudo
    (spec §2.1 R2, verified). The spec also lists a multi-node `same_network: true`, dropped the
    same way; it is not reported: it would only switch torchrun from `--rdzv_endpoint ip:port` to
    `--master_addr/--master_port`, and under the static rendezvous torchrun derives the master
    address from the endpoint, so the run connects the same either way. On one machine these
    values do nothing either way, and nothing is reported.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 8
    enable_cpu_affinity: true
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 8
    enable_cpu_affinity: false   # pass --enable_cpu_affinity on the launch line instead
    ```

    **Fix.** None: the setting belongs on the launch line (`accelerate launch --enable_cpu_affinity`),
    which batchlint does not write.

    **Options.** `accelerate-version`: `enable_cpu_affinity` exists since accelerate 0.29.

    **References.** accelerate-deepspeed.md §2.1 R2, §8 AC012; accelerate `commands/launch.py::_validate_launch_command`
    (`getattr(args, name, None) is None`), `utils/launch.py::prepare_multi_gpu_env`.
    """

    code, name, severity = "AC012", "ignored-file-value", Severity.WARNING
    needs = (ACCELERATE_CONFIG, FLAG_IN_FILE)
    summary = "file value the launcher never copies (pass the flag instead)"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or v.sagemaker:
            return
        version = v.version_text()
        affinity = v.scalar("enable_cpu_affinity")
        if means_true(affinity) and v.version() >= (0, 29):
            assert affinity is not None
            yield self.report(
                f"`enable_cpu_affinity: {affinity.raw}` is ignored: accelerate {version} copies a file value only onto "
                "an unset option, and --enable_cpu_affinity defaults to False, so no CPU affinity is set",
                affinity.span,
                "pass --enable_cpu_affinity on the launch line",
            )
        if _machines(v) > 1:
            rdzv = v.scalar("rdzv_backend")
            if rdzv is not None and isinstance(rdzv.value, str) and rdzv.value.strip() and rdzv.value != "static":
                yield self.report(
                    f'`rdzv_backend: {rdzv.raw}` is ignored: --rdzv_backend defaults to "static" in accelerate {version}, '
                    "so torchrun uses the static rendezvous",
                    rdzv.span,
                    f"pass --rdzv_backend {rdzv.value} on the launch line",
                )
        if v.distributed_type in ("XLA", "TPU"):
            for key, effect in (("downcast_bf16", "no bf16 downcast on the TPU"), ("tpu_use_sudo", "the pod launcher runs without sudo")):
                node = v.scalar(key)
                if means_true(node):
                    assert node is not None
                    yield self.report(
                        f"`{key}: {node.raw}` is ignored: --{key} defaults to False in accelerate {version}: {effect}",
                        node.span,
                        f"pass --{key} on the launch line",
                    )


class Fsdp2IgnoredKey(RunRule):
    """An FSDP1 setting in an FSDP2 config, asking for something FSDP2 does not do.

    **What.** `fsdp_version: 2` with `fsdp_forward_prefetch: true`, a `fsdp_backward_prefetch`
    policy other than `NO_PREFETCH`, `fsdp_use_orig_params: false`, or `fsdp_sync_module_states:
    true` without CPU-RAM-efficient loading.

    **Why.** Under FSDP2 `FullyShardedDataParallelPlugin` reads `FSDP_FORWARD_PREFETCH` only for
    `fsdp_version == 1`, replaces a backward-prefetch policy with None ("backward_prefetch is not
    supported in FSDP2. Setting backward prefetch to None."), always shards the original
    parameters, and does not broadcast rank 0's weights: only CPU-RAM-efficient loading sends them
    from rank 0. Nothing is prefetched or synced as the file suggests (spec §1.6, verified). Values
    that match what FSDP2 does (`fsdp_use_orig_params: true`, `NO_PREFETCH`, `false`) are left alone.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: FSDP
    num_processes: 8
    fsdp_config:
      fsdp_version: 2
      fsdp_forward_prefetch: true
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: FSDP
    num_processes: 8
    fsdp_config:
      fsdp_version: 2
      fsdp_reshard_after_forward: true
    ```

    **Fix.** None: remove the key, or use `fsdp_version: 1` if you need the FSDP1 behaviour.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.6, §8 AC018b; accelerate `utils/dataclasses.py::FullyShardedDataParallelPlugin.__post_init__`
    (and its test `tests/fsdp/test_fsdp.py::test_backward_prefetch`).
    """

    code, name, severity = "AC018B", "fsdp2-ignored-key", Severity.WARNING
    needs = (ACCELERATE_CONFIG, FSDP_CONFIG)
    summary = "FSDP1-only setting that FSDP2 ignores"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        f = fsdp(run, pairing)
        if f is None or f.version not in (2, "2"):
            return
        checks: list[tuple[str, Scalar | None, bool, str]] = []
        forward = f.scalar("forward_prefetch")
        checks.append(
            ("forward_prefetch", forward, means_true(forward), "FSDP_FORWARD_PREFETCH is read only for fsdp_version 1: nothing is prefetched forward")
        )
        backward = f.scalar("backward_prefetch")
        wants_backward = backward is not None and isinstance(backward.value, str) and backward.value.upper() not in ("NO_PREFETCH", "")
        checks.append(("backward_prefetch", backward, wants_backward, '"backward_prefetch is not supported in FSDP2. Setting backward prefetch to None."'))
        orig = f.scalar("use_orig_params")
        checks.append(("use_orig_params", orig, orig is not None and orig.value is False, "FSDP2 always shards the original parameters"))
        sync = f.scalar("sync_module_states")
        loading = f.scalar("cpu_ram_efficient_loading")
        checks.append(
            (
                "sync_module_states",
                sync,
                means_true(sync) and not means_true(loading),
                "FSDP2 does not broadcast rank 0's weights (only CPU-RAM-efficient loading sends them)",
            )
        )
        for name, node, applies, effect in checks:
            if applies and node is not None:
                key = f.entry(name)
                shown = str(key[0].value) if key else f"fsdp_{name}"
                yield self.report(
                    f"`fsdp_config.{shown}: {node.raw}` does nothing under FSDP2: {effect}",
                    node.span,
                    "remove it, or use fsdp_version: 1 for the FSDP1 behaviour",
                )


def _legacy_fix(sub: Mapping, key_node: Scalar, new: str) -> Fix | None:
    """Rename a legacy key, keeping the file's prefix style, unless the new name is already there."""
    prefix = new.split("_", 1)[0] + "_"
    target = new if str(key_node.value).startswith(prefix) else new.removeprefix(prefix)
    if _entry(sub, new.removeprefix(prefix), prefix) is not None:
        return None
    return Fix(f"rename `{key_node.value}` to `{target}`", SAFE, [rename_key(key_node, target)])


class LegacyFsdpKey(RunRule):
    """`fsdp_config.fsdp_backward_prefetch_policy`, the legacy name of `fsdp_backward_prefetch`.

    **What.** An `fsdp_config` key `fsdp_backward_prefetch_policy` (or `backward_prefetch_policy`).

    **Why.** It was renamed to `fsdp_backward_prefetch` in accelerate 0.26 (read with a deprecation
    warning until then) and removed in 1.0; since 1.0 it is silently ignored, so the run has no
    backward prefetch (spec §1.6; corpus `config_fsdp.yaml` of testFused). With `accelerate-version`
    0.26–0.x it is reported as information (still read, deprecated); before 0.26 it is the current
    name and nothing is reported.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: FSDP
    num_processes: 8
    fsdp_config:
      fsdp_backward_prefetch_policy: BACKWARD_PRE
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: FSDP
    num_processes: 8
    fsdp_config:
      fsdp_backward_prefetch: BACKWARD_PRE
    ```

    **Fix.** Safe (it makes the setting take effect as written): rename the key to
    `fsdp_backward_prefetch` (`backward_prefetch` when the file leaves out the prefix), unless the
    new name is already there.

    **Options.** `accelerate-version`.

    **References.** accelerate-deepspeed.md §1.6, §8 AC020; accelerate commits 848ed800 (0.26) and 79a84264 (1.0),
    `utils/launch.py::prepare_multi_gpu_env`.
    """

    code, name, severity, fixable = "AC020", "legacy-fsdp-key", Severity.WARNING, True
    needs = (ACCELERATE_CONFIG, FSDP_CONFIG)
    summary = "fsdp_backward_prefetch_policy, ignored since accelerate 1.0"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        sub = _sub(v, "fsdp_config") if v else None
        if v is None or sub is None or v.version() < (0, 26):
            return
        found = _entry(sub, "backward_prefetch_policy", "fsdp_")
        if found is None or not isinstance(found[0], Scalar):
            return
        key_node = found[0]
        fix = _legacy_fix(sub, key_node, "fsdp_backward_prefetch")
        if fix is None:
            yield self.report(
                f"`fsdp_config.{key_node.value}` is ignored by accelerate {v.version_text()} (removed in 1.0); "
                "fsdp_backward_prefetch in the same section is what applies",
                key_node.span,
                "remove it",
            )
            return
        if v.version() < (1, 0):
            yield self.report(
                f"`fsdp_config.{key_node.value}` is deprecated since accelerate 0.26 (still read by accelerate {v.version_text()}, ignored from 1.0)",
                key_node.span,
                "rename it to `fsdp_backward_prefetch`",
                severity=Severity.INFO,
                fix=fix,
            )
            return
        yield self.report(
            f"`fsdp_config.{key_node.value}` is ignored by accelerate {v.version_text()} (renamed to "
            "fsdp_backward_prefetch in 0.26, removed in 1.0): no backward prefetch",
            key_node.span,
            "rename it to `fsdp_backward_prefetch`",
            fix=fix,
        )


def _fp8_backend(v: View) -> tuple[Scalar | None, Fact[object] | None] | None:
    """The FP8 backend of an fp8 launch: the file's `fp8_config.backend`, or the launch line's `--fp8_backend`."""
    line_mp = v.facts.get(F.LAUNCH_MIXED_PRECISION)
    file_mp = v.value(F.MIXED_PRECISION)
    precision = line_mp.value if line_mp is not None and line_mp.origin in (Origin.SCRIPT, Origin.CLI) else file_mp
    if not isinstance(precision, str) or precision.lower() != "fp8":
        return None
    flag = v.facts.get(F.LAUNCH_FP8_BACKEND)
    if flag is not None:
        return None, flag
    node = _scalar(_sub(v, "fp8_config"), "backend", "fp8_")
    return (node, None) if node is not None else None


class Fp8BackendNotUpperCase(RunRule):
    """An fp8 launch whose FP8 backend is not exactly `AO`, `TE` or `MSAMP`.

    **What.** `mixed_precision: fp8` (in the file or on the launch line) with `fp8_config.backend`
    — or a launch line's `--fp8_backend` — that is not one of the upper-case `FP8BackendType`
    values.

    **Why.** The launcher exports the value unchanged as `ACCELERATE_FP8_BACKEND`
    (`utils/launch.py::setup_fp8_env`) and `Accelerator()` looks it up case-sensitively:
    `ValueError: 'te' is not a valid FP8BackendType` (spec §1.4, verified). The launch line's
    `--fp8_backend` only accepts the lower-case `ao`, `te`, `msamp`, so it always fails there;
    the questionnaire writes upper case.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 2
    mixed_precision: fp8
    fp8_config:
      backend: te
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 2
    mixed_precision: fp8
    fp8_config:
      backend: TE
    ```

    **Fix.** Safe (the launch fails as written): write the file's value in upper case when that is
    a backend name. A launch-line flag is not edited: set `fp8_config.backend` in the file instead.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.4, §8 AC021; accelerate `utils/dataclasses.py::FP8BackendType`,
    `utils/launch.py::setup_fp8_env`, `accelerator.py::Accelerator.__init__`.
    """

    code, name, severity, fixable = "AC021", "fp8-backend-case", Severity.ERROR, True
    needs = (ACCELERATE_CONFIG, FP8)
    summary = "FP8 backend not upper-case AO/TE/MSAMP"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        found = _fp8_backend(v) if v else None
        if v is None or found is None:
            return
        node, flag = found
        value = flag.value if flag is not None else node.value if node is not None else None
        if not isinstance(value, str) or value in FP8_BACKENDS:
            return
        upper = value.upper().replace("-", "").replace("_", "")
        hint = f"use {upper}" if upper in FP8_BACKENDS else "use AO, TE or MSAMP"
        error = f"\"ValueError: '{value}' is not a valid FP8BackendType\" when Accelerator() starts"
        if flag is not None:
            span = flag.span or file_start(v.doc.path)
            yield self.report(
                f"`--fp8_backend {value}` on the launch line: {error} (the flag only accepts lower case)",
                span,
                f"remove the flag and set fp8_config.backend: {upper if upper in FP8_BACKENDS else 'TE'} in {v.doc.path}",
            )
            return
        assert node is not None
        fix = Fix(f"write `{upper}`", SAFE, [replace_node(node, upper)]) if upper in FP8_BACKENDS and node.style == "" else None
        yield self.report(f"`fp8_config.backend: {node.raw}`: {error}", node.span, hint, fix=fix)


class Fp8QuestionnaireKey(RunRule):
    """An `fp8_config` key written by the questionnaire that no reader uses.

    **What.** `fp8_config.amax_history_length`, `amax_compute_algorithm` or `optimization_level`.

    **Why.** `accelerate config` writes these names, but the launcher exports them as
    `ACCELERATE_FP8_AMAX_HISTORY_LENGTH` and so on, and the recipe readers (`TERecipeKwargs`,
    `MSAMPRecipeKwargs`) read `amax_history_len`, `amax_compute_algo` and `opt_level`: the values
    are silently ignored and the defaults apply (spec §1.6, verified).

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 2
    mixed_precision: fp8
    fp8_config:
      backend: TE
      amax_history_length: 1024
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 2
    mixed_precision: fp8
    fp8_config:
      backend: TE
      amax_history_len: 1024
    ```

    **Fix.** Safe (it makes the setting take effect as written): rename the key to the name the
    reader uses, unless that name is already there.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.6, §8 AC022; accelerate `commands/config/cluster.py::get_cluster_input`,
    `utils/launch.py::setup_fp8_env`, `utils/dataclasses.py::TERecipeKwargs`.
    """

    code, name, severity, fixable = "AC022", "fp8-questionnaire-key", Severity.WARNING, True
    needs = (ACCELERATE_CONFIG, FP8)
    summary = "fp8_config key the recipe readers ignore"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        sub = _sub(v, "fp8_config") if v else None
        if v is None or sub is None:
            return
        for key_node, _value in sub.items:
            if not isinstance(key_node, Scalar):
                continue
            bare = str(key_node.value).removeprefix("fp8_")
            legacy = LEGACY.get(("fp8_config", bare))
            if legacy is None:
                continue
            new, why = legacy
            fix = _legacy_fix(sub, key_node, f"fp8_{new}")
            effect, help = (
                ("the default applies", f"rename it to `{new}`") if fix is not None else (f"`{new}` in the same section is what applies", "remove it")
            )
            yield self.report(f"`fp8_config.{key_node.value}` is not read ({why}): {effect}", key_node.span, help, fix=fix)


def _dynamo_backends(v: View) -> tuple[str, ...]:
    return DYNAMO_BACKENDS + (("IPEX",) if v.version() < (1, 13) else ())


class BadDynamoBackend(RunRule):
    """The dynamo backend is not a `DynamoBackend` name.

    **What.** `dynamo_config.dynamo_backend` (the prefix is optional) or the legacy top-level
    `dynamo_backend` is not one of NO, EAGER, AOT_EAGER, INDUCTOR, AOT_TS_NVFUSER, NVPRIMS_NVFUSER,
    CUDAGRAPHS, OFI, FX2TRT, ONNXRT, TENSORRT, AOT_TORCHXLA_TRACE_ONCE, TORCHXLA_TRACE_ONCE, TVM,
    HPU_BACKEND, NEURON (and IPEX before accelerate 1.13), or it is an unquoted `NO`, which PyYAML
    reads as the boolean False.

    **Why.** Every launcher does `DynamoBackend(args.dynamo_backend.upper())`: an unknown name
    raises "Unknown dynamo backend: FOO. Choose between [...]", and a bool has no `.upper()`
    (`AttributeError`) (accelerate `utils/launch.py::prepare_*_env`; spec §1.4, verified). The
    value is upper-cased first, so `inductor` is fine.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 2
    dynamo_config:
      dynamo_backend: INDUCTR
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: MULTI_GPU
    num_processes: 2
    dynamo_config:
      dynamo_backend: INDUCTOR
    ```

    **Fix.** Safe for an unquoted `NO` (it restores the string the file means): quote it. A
    misspelt name is not fixed.

    **Options.** `accelerate-version` (IPEX is a backend before 1.13).

    **References.** accelerate-deepspeed.md §1.4, §8 AC023; accelerate `utils/dataclasses.py::DynamoBackend`,
    `utils/launch.py::prepare_multi_gpu_env`.
    """

    code, name, severity, fixable = "AC023", "bad-dynamo-backend", Severity.ERROR, True
    needs = (ACCELERATE_CONFIG, DYNAMO)
    summary = "dynamo backend is not a DynamoBackend name"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or v.sagemaker:
            return
        nodes = [("dynamo_config.dynamo_backend", _scalar(_sub(v, "dynamo_config"), "backend", "dynamo_")), ("dynamo_backend", v.scalar("dynamo_backend"))]
        allowed = _dynamo_backends(v)
        for key, node in nodes:
            if node is None or node.value is None:
                continue
            if isinstance(node.value, bool):
                fix = Fix(f"quote `{node.raw}`", SAFE, [quote_scalar(node)]) if node.style == "" else None
                yield self.report(
                    f"`{key}: {node.raw}` is the boolean {node.value} to PyYAML (YAML 1.1): the launcher's "
                    "`args.dynamo_backend.upper()` fails (AttributeError)",
                    node.span,
                    f"quote it: '{node.raw}'",
                    fix=fix,
                )
                continue
            text = str(node.value).upper()
            if text in allowed:
                continue
            close = close_matches(text, allowed, 1)
            hint = f"did you mean {close[0]}?" if close else "one of " + ", ".join(allowed)
            yield self.report(f'`{key}: {node.raw}`: "Unknown dynamo backend: {text}. Choose between [...]" in accelerate {v.version_text()}', node.span, hint)


class BadMultinodeLauncher(RunRule):
    """`deepspeed_config.deepspeed_multinode_launcher` is not a launcher DeepSpeed runs.

    **What.** A value outside pdsh, standard, openmpi, mvapich, mpich, nossh, slurm; or `nossh`
    with a DeepSpeed older than 0.14.5.

    **Why.** With several machines accelerate passes every value but `standard` to the DeepSpeed
    runner as `--launcher`, which has no other launchers: the job fails at launch. accelerate
    compares `standard` case-sensitively, so `STANDARD` also goes to the runner. `nossh` raises
    "nossh launcher requires DeepSpeed >= 0.14.5" (accelerate `utils/launch.py::prepare_deepspeed_cmd_env`).
    On one machine the key is not read: reported as a warning, since it fails once the config runs
    on several.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_machines: 2
    num_processes: 16
    main_process_ip: 10.0.0.1
    deepspeed_config:
      deepspeed_multinode_launcher: torchrun
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_machines: 2
    num_processes: 16
    main_process_ip: 10.0.0.1
    deepspeed_config:
      deepspeed_multinode_launcher: standard
    ```

    **Fix.** None: which launcher the cluster has is the user's choice.

    **Options.** `deepspeed-version` (for `nossh`, default 0.19.6).

    **References.** accelerate-deepspeed.md §1.4, §8 AC024; accelerate `utils/constants.py::DEEPSPEED_MULTINODE_LAUNCHERS`,
    `commands/launch.py::deepspeed_launcher`; DeepSpeed `launcher/runner.py`.
    """

    code, name, severity = "AC024", "bad-multinode-launcher", Severity.ERROR
    needs = (ACCELERATE_CONFIG, ACCELERATE_DEEPSPEED)
    summary = "deepspeed_multinode_launcher DeepSpeed cannot run"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        node = _scalar(_sub(v, "deepspeed_config"), "deepspeed_multinode_launcher") if v else None
        if v is None or node is None or node.value is None or v.distributed_type != "DEEPSPEED":
            return
        used = _machines(v) > 1
        severity = None if used else Severity.WARNING
        tail = "" if used else " (not read on one machine; it fails once the config runs on several)"
        value = str(node.value)
        if value in MULTINODE_LAUNCHERS:
            if value == "nossh" and _ds_version(v) < (0, 14, 5):
                ds = v.run.setting("deepspeed-version")
                yield self.report(
                    f'`deepspeed_multinode_launcher: nossh` with DeepSpeed {ds}: "nossh launcher requires DeepSpeed >= 0.14.5"{tail}',
                    node.span,
                    "upgrade DeepSpeed, or use pdsh",
                    severity=severity,
                )
            return
        if value.lower() in MULTINODE_LAUNCHERS and value.lower() != "standard":
            return  # the DeepSpeed runner lower-cases its --launcher
        close = close_matches(value.lower(), MULTINODE_LAUNCHERS, 1)
        hint = f"did you mean {close[0]}?" if close else "one of " + ", ".join(MULTINODE_LAUNCHERS)
        yield self.report(
            f"`deepspeed_multinode_launcher: {node.raw}` is not a launcher: accelerate hands it to the DeepSpeed runner "
            f"as --launcher {value}, which does not have it{tail}",
            node.span,
            hint,
            severity=severity,
        )


def _filtered(names: list[str], include: object, exclude: object) -> list[str]:
    """The hosts the runner uses after `--include` / `--exclude` (`host1@host2:0,1`; a host with slots listed stays)."""
    if isinstance(include, str) and include.strip():
        wanted = [part.split(":", 1)[0] for part in include.split("@") if part.strip()]
        names = [h for h in names if h in wanted]
    if isinstance(exclude, str) and exclude.strip():
        dropped = {part for part in exclude.split("@") if part.strip() and ":" not in part}
        names = [h for h in names if h not in dropped]
    return names


class HostfileHostsDiffer(RunRule):
    """A multi-node DeepSpeed launch whose hostfile has a different number of hosts than `num_machines`.

    **What.** `distributed_type: DEEPSPEED`, `num_machines > 1`, a launcher other than `standard`,
    and `deepspeed_config.deepspeed_hostfile` (after `deepspeed_inclusion_filter` /
    `deepspeed_exclusion_filter`) listing more or fewer hosts than `num_machines`.

    **Why.** accelerate runs `deepspeed --hostfile H --num_gpus N` and never passes `--num_nodes`,
    so the DeepSpeed runner starts on every host of the hostfile: the real world size is hosts ×
    `num_processes // num_machines`, not `num_processes` (spec §2.2). batchlint's total already uses
    the hostfile; this says the file's own numbers are not what runs.

    **Failing example.** `batchlint check acc.yaml`, with `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_machines: 2
    num_processes: 16
    main_process_ip: 10.0.0.1
    deepspeed_config:
      deepspeed_hostfile: hostfile
    ```

    and three hosts in `hostfile`:

    ```text
    worker-0 slots=8
    worker-1 slots=8
    worker-2 slots=8
    ```

    **Passing example.** The same `hostfile`, and `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_machines: 3
    num_processes: 24
    main_process_ip: 10.0.0.1
    deepspeed_config:
      deepspeed_hostfile: hostfile
    ```

    **Fix.** None: edit the hostfile or `num_machines`, whichever is wrong.

    **Options.** `launch-dir` (where the hostfile path is resolved from).

    **References.** accelerate-deepspeed.md §2.2, §8 AC025; accelerate `utils/launch.py::prepare_deepspeed_cmd_env`;
    DeepSpeed `launcher/runner.py` (`--num_nodes` default -1: every host).
    """

    code, name, severity = "AC025", "hostfile-hosts-differ", Severity.WARNING
    needs = (ACCELERATE_CONFIG, ACCELERATE_DEEPSPEED)
    summary = "DeepSpeed hostfile hosts ≠ num_machines"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        sub = _sub(v, "deepspeed_config") if v else None
        if v is None or sub is None or v.distributed_type != "DEEPSPEED" or not pairing.hostfile_hosts:
            return
        machines = _machines(v)
        launcher = _scalar(sub, "deepspeed_multinode_launcher")
        node = _scalar(sub, "deepspeed_hostfile")
        if machines <= 1 or (launcher is not None and launcher.value == "standard") or node is None:
            return
        include, exclude = _scalar(sub, "deepspeed_inclusion_filter"), _scalar(sub, "deepspeed_exclusion_filter")
        used = _filtered(list(pairing.hostfile_hosts), include.value if include else None, exclude.value if exclude else None)
        if not used or len(used) == machines:
            return
        procs = _processes(v)
        world = f": {len(used)} × {procs // machines} = {len(used) * (procs // machines)} ranks, not {procs}" if procs else ""
        filtered = " after the include/exclude filters" if include is not None or exclude is not None else ""
        yield self.report(
            f"the DeepSpeed runner starts on every host of {node.value} ({len(used)} hosts{filtered}), not num_machines {machines}{world}",
            node.span,
            f"make num_machines {len(used)}, or list {machines} hosts",
        )


class NvmePathIgnored(RunRule):
    """`deepspeed_config.offload_*_nvme_path` in the accelerate file, which the launcher never exports.

    **What.** `offload_optimizer_nvme_path` or `offload_param_nvme_path` in `deepspeed_config`, with
    no `deepspeed_config_file` (with one, X001 reports them as refused).

    **Why.** `DeepSpeedPlugin` reads `ACCELERATE_DEEPSPEED_OFFLOAD_*_NVME_PATH`, but
    `prepare_deepspeed_cmd_env` never sets them, so the file's path is ignored and the plugin's
    default (`"none"`) goes into the DeepSpeed config (spec §3.1; read in the source, not run).
    Applies to accelerate up to 1.15; newer releases may export them — set `accelerate-version`.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      zero_stage: 3
      offload_param_device: nvme
      offload_param_nvme_path: /local_nvme
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: ds_zero3_nvme.json
    ```

    and `ds_zero3_nvme.json`, which sets the path:

    ```json
    {"train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": 1, "gradient_clipping": 1.0,
     "zero_optimization": {"stage": 3, "offload_param": {"device": "nvme", "nvme_path": "/local_nvme"}}}
    ```

    **Fix.** None: move the offload settings into a DeepSpeed JSON (`zero_optimization.offload_param.nvme_path`).

    **Options.** `accelerate-version` (reported for 1.15 and earlier).

    **References.** accelerate-deepspeed.md §3.1, §8 AC026; accelerate `utils/launch.py::prepare_deepspeed_cmd_env`,
    `utils/dataclasses.py::DeepSpeedPlugin.__post_init__`.
    """

    code, name, severity = "AC026", "nvme-path-ignored", Severity.WARNING
    needs = (ACCELERATE_CONFIG, ACCELERATE_DEEPSPEED)
    summary = "offload nvme path in the accelerate file is never exported"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        sub = _sub(v, "deepspeed_config") if v else None
        if v is None or sub is None or v.distributed_type != "DEEPSPEED" or sub.key_node("deepspeed_config_file") is not None:
            return
        if v.version() > (1, 15, 99):
            return
        for what in ("optimizer", "param"):
            node = _scalar(sub, f"offload_{what}_nvme_path")
            if node is None or node.value in (None, "none", ""):
                continue
            device = _scalar(sub, f"offload_{what}_device")
            effect = f'; with offload_{what}_device nvme DeepSpeed gets the default path "none"' if device is not None and device.value == "nvme" else ""
            yield self.report(
                f"`deepspeed_config.offload_{what}_nvme_path` is ignored: accelerate {v.version_text()} never exports "
                f"ACCELERATE_DEEPSPEED_OFFLOAD_{what.upper()}_NVME_PATH{effect}",
                node.span,
                f"set zero_optimization.offload_{what}.nvme_path in a DeepSpeed JSON (deepspeed_config_file)",
            )


def _json_stage(v: View) -> tuple[object, Span | None] | None:
    """ZeRO stage of the DeepSpeed JSON named by the file: an int, "auto" (accelerate fills 2) or absent (DeepSpeed's 0)."""
    link = v.pairing.deepspeed
    if link is None or link.doc is None or not isinstance(link.doc.root, Mapping):
        return None
    zero = link.doc.root.get("zero_optimization")
    stage = zero.get("stage") if isinstance(zero, Mapping) else None
    if isinstance(stage, Scalar):
        return (2 if stage.value == "auto" else stage.value), stage.span
    return 0, None


class Zero3InitWithoutStage3(RunRule):
    """`zero3_init_flag` is on while the ZeRO stage is not 3.

    **What.** `deepspeed_config.zero3_init_flag` true (any `str_to_bool` true word) and the stage
    not 3: `deepspeed_config.zero_stage` (default 2), or the DeepSpeed JSON's
    `zero_optimization.stage` when `deepspeed_config_file` is set (`"auto"` is filled with 2, a
    missing stage is DeepSpeed's 0).

    **Why.** `DeepSpeedPlugin` turns it off: "DeepSpeed Zero3 Init flag is only applicable for ZeRO
    Stage 3. Setting it to False." The file says the model is built partitioned; it is not (spec
    §3.2, verified).

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      zero_stage: 2
      zero3_init_flag: true
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      zero_stage: 3
      zero3_init_flag: true
    ```

    **Fix.** Safe (it writes down what runs): set `zero3_init_flag: false`.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.2, §8 AC027; accelerate `utils/dataclasses.py::DeepSpeedPlugin.__post_init__`.
    """

    code, name, severity, fixable = "AC027", "zero3-init-without-stage3", Severity.WARNING, True
    needs = (ACCELERATE_CONFIG, ACCELERATE_DEEPSPEED)
    summary = "zero3_init_flag on with a ZeRO stage other than 3"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        sub = _sub(v, "deepspeed_config") if v else None
        flag = _scalar(sub, "zero3_init_flag")
        if v is None or sub is None or v.distributed_type != "DEEPSPEED" or not means_true(flag):
            return
        assert flag is not None
        related: list[Related] = []
        if sub.key_node("deepspeed_config_file") is not None:
            found = _json_stage(v)
            if found is None:
                return  # the JSON is missing or unreadable (X002 / DS018)
            stage, span = found
            where = "the DeepSpeed JSON's zero_optimization.stage" if span else "the DeepSpeed JSON (no zero_optimization.stage: 0)"
            if span is not None:
                related.append(Related(span, f"stage {stage}"))
        else:
            node = _scalar(sub, "zero_stage")
            stage = node.value if node is not None else 2
            where = "zero_stage" if node is not None else "the default zero_stage"
            if node is not None:
                related.append(Related(node.span, f"zero_stage {stage}"))
        if stage == 3 or stage == "3":
            return
        edit = replace_scalar(flag, False)
        fix = Fix("set `zero3_init_flag: false`", SAFE, [edit]) if edit is not None else None
        yield self.report(
            f'`zero3_init_flag: {flag.raw}` with {where} {stage}: "DeepSpeed Zero3 Init flag is only applicable for ZeRO Stage 3. Setting it to False."',
            flag.span,
            "set zero3_init_flag: false, or use ZeRO stage 3",
            related,
            fix=fix,
        )


class Save16bitNotBool(RunRule):
    """`zero3_save_16bit_model` written so that accelerate reads it as False.

    **What.** `deepspeed_config.zero3_save_16bit_model` that means "yes" but is not the boolean
    true or the string `true`: `1`, a quoted `"yes"`, `on`, `y`.

    **Why.** The launcher exports `str(value).lower()` and `DeepSpeedPlugin` compares it with
    `"true"`: anything else is False, so the 16-bit model is not gathered on save (unquoted `yes` /
    `on` are YAML 1.1 booleans and work) (spec §1.6).

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      zero_stage: 3
      zero3_save_16bit_model: 1
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      zero_stage: 3
      zero3_save_16bit_model: true
    ```

    **Fix.** Unsafe (the run starts saving 16-bit weights, which it does not do now): write `true`.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.6, §8 AC028; accelerate `utils/launch.py::prepare_deepspeed_cmd_env`,
    `utils/dataclasses.py::DeepSpeedPlugin.__post_init__`.
    """

    code, name, severity, fixable = "AC028", "save-16bit-not-bool", Severity.WARNING, True
    needs = (ACCELERATE_CONFIG, ACCELERATE_DEEPSPEED)
    summary = "zero3_save_16bit_model not true/false: read as False"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        sub = _sub(v, "deepspeed_config") if v else None
        node = _scalar(sub, "zero3_save_16bit_model")
        if v is None or sub is None or node is None or v.distributed_type != "DEEPSPEED" or sub.key_node("deepspeed_config_file") is not None:
            return
        if isinstance(node.value, bool) or str(node.value).lower() in ("true", "false") or not means_true(node):
            return
        fix = Fix("write `true`", UNSAFE, [replace_node(node, "true")]) if node.style in ("", "'", '"') else None
        yield self.report(
            f'`zero3_save_16bit_model: {node.raw}` is read as False: accelerate compares str(value).lower() with "true"',
            node.span,
            "write true (or false)",
            fix=fix,
        )


_PARALLEL_SIZES = ("dp_replicate", "dp_shard", "tp", "cp", "sp")


class ParallelismWrongParadigm(RunRule):
    """`parallelism_config` with a paradigm that cannot use it.

    **What.** `parallelism_config` sizes whose product is above 1 while `distributed_type` is not
    FSDP with `fsdp_version: 2`, not a `MULTI_*` device type and not DEEPSPEED; or `cp_size > 1`
    without FSDP2.

    **Why.** `ParallelismConfig._validate_accelerator` raises "ParallelismConfig is only compatible
    DistributedType.FSDP (version 2) or DistributedType.Multi{Device} or DistributedType.DEEPSPEED,
    but got …", and `AcceleratorState` refuses context parallelism without FSDP2 ("`cp_size > 1`
    specified in the `parallelism_config`, but no `fsdp_plugin` was provided…" / "Using
    `cp_size>1` requires FSDP2…"). Sizes of 1 everywhere are plain data parallelism and pass.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: FSDP
    num_processes: 8
    fsdp_config:
      fsdp_version: 1
    parallelism_config:
      parallelism_config_tp_size: 2
      parallelism_config_dp_shard_size: 4
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: FSDP
    num_processes: 8
    fsdp_config:
      fsdp_version: 2
    parallelism_config:
      parallelism_config_tp_size: 2
      parallelism_config_dp_shard_size: 4
    ```

    **Fix.** None: choose FSDP2 (`fsdp_version: 2`) or drop the parallel sizes.

    **Options.** `accelerate-version` (`parallelism_config` exists since 1.10).

    **References.** accelerate-deepspeed.md §7, §8 AC030; accelerate `parallelism_config.py::ParallelismConfig._validate_accelerator`,
    `state.py::AcceleratorState.__init__`.
    """

    code, name, severity = "AC030", "parallelism-wrong-paradigm", Severity.ERROR
    needs = (ACCELERATE_CONFIG, PARALLELISM_CONFIG)
    summary = "parallelism_config with a paradigm that cannot use it"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        sub = _sub(v, "parallelism_config") if v else None
        if v is None or sub is None or not sub.items or v.version() < (1, 10):
            return
        sizes = {}
        for name in _PARALLEL_SIZES:
            node = _scalar(sub, f"parallelism_config_{name}_size")
            sizes[name] = node.value if node is not None and positive_int(node.value) else 1
        product = 1
        for size in sizes.values():
            product *= int(str(size))
        fsdp_config = _sub(v, "fsdp_config")
        version = _scalar(fsdp_config, "version", "fsdp_")
        fsdp2 = v.distributed_type == "FSDP" and version is not None and version.value in (2, "2")
        dtype = v.distributed_type
        key = v.root.key_node("parallelism_config")
        span = key.span if key is not None else file_start(v.doc.path)
        if product > 1 and not (fsdp2 or dtype in MULTI_DEVICE or dtype == "DEEPSPEED"):
            shown = f"FSDP (version {version.value if version is not None else 1})" if dtype == "FSDP" else str(dtype)
            yield self.report(
                f'parallelism_config (total size {product}) with distributed_type {shown}: "ParallelismConfig is only '
                "compatible DistributedType.FSDP (version 2) or DistributedType.Multi{Device} or "
                f'DistributedType.DEEPSPEED, but got {shown}"',
                span,
                "use FSDP with fsdp_version: 2 (or a MULTI_* type), or remove parallelism_config",
            )
        elif int(str(sizes["cp"])) > 1 and not fsdp2:
            yield self.report(
                f'parallelism_config_cp_size {sizes["cp"]} without FSDP2: "Using `cp_size>1` requires FSDP2"',
                span,
                "use distributed_type: FSDP with fsdp_version: 2",
            )


def _megatron_cp(v: View, sub: Mapping) -> tuple[int, Scalar | None]:
    node = _scalar(sub, "megatron_lm_context_parallel_size")
    if node is not None and positive_int(node.value):
        return int(str(node.value)), node
    return (2 if v.version() >= (1, 13) else 1), None


class MegatronContextParallelDefault(RunRule):
    """Megatron-LM without `megatron_lm_context_parallel_size`, which accelerate then sets to 2.

    **What.** `distributed_type: MEGATRON_LM` and no `megatron_lm_config.megatron_lm_context_parallel_size`,
    with accelerate 1.13 or later.

    **Why.** Since accelerate 1.13 `MegatronLMPlugin.context_parallel_size` defaults to 2 whenever
    `MEGATRON_LM_CONTEXT_PARALLEL_SIZE` is unset, and the launcher exports it only when the file
    sets the key: Megatron's data-parallel size becomes world / (tp · pp · 2), half of what
    accelerate's `global_batch_size` assumes, and the world must be divisible by tp · pp · 2
    (spec §7, read in the source, not run).

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: MEGATRON_LM
    num_processes: 8
    megatron_lm_config:
      megatron_lm_tp_degree: 2
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: MEGATRON_LM
    num_processes: 8
    megatron_lm_config:
      megatron_lm_tp_degree: 2
      megatron_lm_context_parallel_size: 1
    ```

    **Fix.** None: write the context-parallel size you mean.

    **Options.** `accelerate-version` (nothing is reported before 1.13).

    **References.** accelerate-deepspeed.md §7, §8 AC031; accelerate commit 7e384699, `utils/dataclasses.py::MegatronLMPlugin.__post_init__`.
    """

    code, name, severity = "AC031", "megatron-context-parallel-default", Severity.WARNING
    needs = (ACCELERATE_CONFIG, MEGATRON)
    summary = "Megatron-LM without context_parallel_size (accelerate ≥ 1.13 uses 2)"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        if v is None or v.distributed_type != "MEGATRON_LM" or v.version() < (1, 13):
            return
        sub = _sub(v, "megatron_lm_config")
        if sub is not None and _entry(sub, "megatron_lm_context_parallel_size") is not None:
            return
        key = v.root.key_node("megatron_lm_config") or v.root.key_node("distributed_type")
        yield self.report(
            f"no megatron_lm_context_parallel_size: accelerate {v.version_text()} sets context parallelism to 2, so "
            "Megatron's data-parallel size is world / (tp × pp × 2), half of accelerate's global_batch_size figure",
            key.span if key is not None else file_start(v.doc.path),
            "set megatron_lm_context_parallel_size (1 for none)",
        )


class MegatronWorldNotDivisible(RunRule):
    """Megatron-LM with a world size that tp × pp × cp does not divide.

    **What.** `distributed_type: MEGATRON_LM` and `num_processes % (tp · pp · cp) != 0`, with
    `megatron_lm_tp_degree`, `megatron_lm_pp_degree` (default 1) and the context-parallel size
    (`megatron_lm_context_parallel_size`, else 2 on accelerate ≥ 1.13 — AC031 — and 1 before).

    **Why.** Megatron's `validate_args` asserts "world size (…) is not divisible by
    total_model_size (…)" before training starts.

    **Failing example.** `acc.yaml`:

    ```yaml
    distributed_type: MEGATRON_LM
    num_processes: 6
    megatron_lm_config:
      megatron_lm_tp_degree: 4
      megatron_lm_context_parallel_size: 1
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    distributed_type: MEGATRON_LM
    num_processes: 8
    megatron_lm_config:
      megatron_lm_tp_degree: 4
      megatron_lm_context_parallel_size: 1
    ```

    **Fix.** None: change the process count or the parallel degrees.

    **Options.** `--num-processes` / `num-processes`; `accelerate-version` (the context-parallel default).

    **References.** accelerate-deepspeed.md §7, §8 AC032; Megatron-LM `megatron/training/arguments.py::validate_args`;
    accelerate `utils/dataclasses.py::MegatronLMPlugin`.
    """

    code, name, severity = "AC032", "megatron-world-not-divisible", Severity.ERROR
    needs = (ACCELERATE_CONFIG, MEGATRON)
    summary = "num_processes not divisible by tp × pp × cp"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = view(run, pairing)
        procs = _processes(v) if v else None
        if v is None or v.distributed_type != "MEGATRON_LM" or procs is None:
            return
        sub = _sub(v, "megatron_lm_config") or Mapping(file_start(v.doc.path))
        degrees = []
        for name in ("tp_degree", "pp_degree"):
            node = _scalar(sub, f"megatron_lm_{name}")
            degrees.append(int(str(node.value)) if node is not None and positive_int(node.value) else 1)
        cp, cp_node = _megatron_cp(v, sub)
        machines = _machines(v)
        world = world_size(procs, machines)
        total = degrees[0] * degrees[1] * cp
        if world % total == 0:
            return
        cp_text = f"cp {cp}" + ("" if cp_node is not None else f" (accelerate {v.version_text()}'s default)")
        count = v.scalar("num_processes")
        yield self.report(
            f'Megatron-LM: "world size ({world}) is not divisible by total_model_size ({total})" (tp {degrees[0]} × pp {degrees[1]} × {cp_text})',
            count.span if count is not None else file_start(v.doc.path),
            f"use a multiple of {total} processes, or change the parallel degrees",
        )

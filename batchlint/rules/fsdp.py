"""AC rules about `fsdp_config` in the accelerate file (accelerate-deepspeed.md §1.6, §8 AC017–AC019).

The launcher copies `fsdp_config` keys onto `accelerate launch` arguments (the `fsdp_` prefix is
optional in the file) and exports them as environment variables that
`FullyShardedDataParallelPlugin.__post_init__` reads. Behaviour of accelerate 1.15.
"""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.fixes import SAFE, UNSAFE, Fix, rename_key, replace_scalar
from batchlint.loading.nodes import Mapping, Node, Scalar
from batchlint.model import RunModel, Severity
from batchlint.pair import Pairing
from batchlint.rules.accelerate import View, view
from batchlint.rules.base import ACCELERATE_CONFIG, FSDP_CONFIG, Diagnostic, Related, RunRule

SHARDING_STRATEGIES = ("FULL_SHARD", "SHARD_GRAD_OP", "NO_SHARD", "HYBRID_SHARD", "HYBRID_SHARD_ZERO2")
_TRUTH = {"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"}  # accelerate's str_to_bool


class Fsdp:
    """The `fsdp_config` mapping of an FSDP launch, looked up with or without the `fsdp_` prefix."""

    def __init__(self, v: View, config: Mapping) -> None:
        self.v = v
        self.config = config

    def entry(self, name: str) -> tuple[Scalar, Node] | None:
        for key_node, value in self.config.items:
            if isinstance(key_node, Scalar) and str(key_node.value) in (f"fsdp_{name}", name):
                return key_node, value
        return None

    def scalar(self, name: str) -> Scalar | None:
        found = self.entry(name)
        return found[1] if found is not None and isinstance(found[1], Scalar) else None

    @property
    def version(self) -> object:
        node = self.scalar("version")
        return 1 if node is None else node.value


def fsdp(run: RunModel, pairing: Pairing) -> Fsdp | None:
    v = view(run, pairing)
    if v is None or v.distributed_type != "FSDP":
        return None
    config = v.root.get("fsdp_config")
    return Fsdp(v, config) if isinstance(config, Mapping) else None


def _python_truthy(node: Scalar | None) -> bool:
    """How the launcher tests the raw value: the string "false" is truthy, bool false / 0 / empty are not."""
    return node is None or bool(node.value)  # absent: the CLI default, the string "true"


class ReshardIgnoredUnderFsdp1(RunRule):
    """FSDP1 with `fsdp_reshard_after_forward` and no `fsdp_sharding_strategy`.

    **What.** An FSDP launch with `fsdp_version` 1 (or none) whose `fsdp_config` sets
    `fsdp_reshard_after_forward` to anything but FULL_SHARD and has no `fsdp_sharding_strategy`.

    **Why.** The launcher always exports `FSDP_SHARDING_STRATEGY` (CLI default `"FULL_SHARD"`), and for
    `fsdp_version: 1` the plugin takes the strategy from it, falling back to `reshard_after_forward`
    only when there is none. So a questionnaire-made FSDP1 config with
    `fsdp_reshard_after_forward: SHARD_GRAD_OP` still runs **FULL_SHARD** (spec §1.6, verified).

    **Failing example.** `acc.yaml`, as `accelerate config` writes it for FSDP1:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    fsdp_config:
      fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP
      fsdp_reshard_after_forward: SHARD_GRAD_OP
      fsdp_version: 1
    num_processes: 8
    ```

    **Passing example.** `acc.yaml`, after the fix:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    fsdp_config:
      fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP
      fsdp_sharding_strategy: SHARD_GRAD_OP
      fsdp_version: 1
    num_processes: 8
    ```

    **Fix.** Unsafe (the run's sharding, and so its memory, changes to what the file says): rename the
    key to `fsdp_sharding_strategy` when its value is a strategy name.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.6 ("Trap: FSDP1 ignores `fsdp_reshard_after_forward`")
    and §8 AC017; accelerate `utils/launch.py::prepare_multi_gpu_env`,
    `FullyShardedDataParallelPlugin.__post_init__`.
    """

    code, name, severity, fixable = "AC017", "fsdp1-reshard-ignored", Severity.WARNING, True
    needs = (ACCELERATE_CONFIG, FSDP_CONFIG)
    summary = "FSDP1 ignores fsdp_reshard_after_forward: FULL_SHARD runs"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        f = fsdp(run, pairing)
        if f is None or f.version not in (1, "1") or f.entry("sharding_strategy") is not None:
            return
        found = f.entry("reshard_after_forward")
        if found is None:
            return
        key_node, value = found
        if isinstance(value, Scalar) and str(value.value).upper() == "FULL_SHARD":
            return  # what runs anyway
        fix = None
        if isinstance(value, Scalar) and str(value.value).upper() in SHARDING_STRATEGIES:
            fix = Fix("rename to `fsdp_sharding_strategy`", UNSAFE, [rename_key(key_node, "fsdp_sharding_strategy")])
        shown = value.raw if isinstance(value, Scalar) else "..."
        yield self.report(
            f"`fsdp_config.{key_node.value}: {shown}` is ignored by FSDP1 under `accelerate launch`: the "
            "launcher exports FSDP_SHARDING_STRATEGY=FULL_SHARD and that wins",
            key_node.span,
            "name the strategy with `fsdp_sharding_strategy`",
            fix=fix,
        )


class ReshardNotBoolUnderFsdp2(RunRule):
    """FSDP2 with an `fsdp_reshard_after_forward` that is not a boolean.

    **What.** Under `fsdp_version: 2`, an `fsdp_reshard_after_forward` that is neither a boolean nor one
    of y/yes/t/true/on/1 and n/no/f/false/off/0. The message suggests true (FULL_SHARD) or false
    (SHARD_GRAD_OP) for a v1 strategy name.

    **Why.** Under `fsdp_version: 2` the value goes through `str_to_bool`, which accepts only those
    spellings; a v1 strategy name such as `SHARD_GRAD_OP` raises
    `ValueError: invalid truth value shard_grad_op` (spec §1.6, verified).

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    fsdp_config:
      fsdp_version: 2
      fsdp_reshard_after_forward: SHARD_GRAD_OP
    num_processes: 8
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    fsdp_config:
      fsdp_version: 2
      fsdp_reshard_after_forward: false
    num_processes: 8
    ```

    **Fix.** None: write true or false.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.6 and §8 AC018; accelerate
    `FullyShardedDataParallelPlugin.__post_init__` (`str_to_bool`).
    """

    code, name, severity = "AC018", "fsdp2-reshard-not-bool", Severity.ERROR
    needs = (ACCELERATE_CONFIG, FSDP_CONFIG)
    summary = "FSDP2 fsdp_reshard_after_forward is not a boolean"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        f = fsdp(run, pairing)
        if f is None or f.version not in (2, "2"):
            return
        node = f.scalar("reshard_after_forward")
        if node is None or isinstance(node.value, bool) or str(node.value).lower() in _TRUTH:
            return
        strategy = str(node.value).upper()
        hint = "true (FULL_SHARD) or false (SHARD_GRAD_OP)" if strategy in SHARDING_STRATEGIES else "true or false"
        yield self.report(
            f'`fsdp_reshard_after_forward: {node.raw}` under FSDP2: "ValueError: invalid truth value {str(node.value).lower()}"', node.span, f"use {hint}"
        )


class CpuRamLoadingWithoutSync(RunRule):
    """FSDP with `fsdp_sync_module_states` false while `fsdp_cpu_ram_efficient_loading` is on.

    **What.** An FSDP launch whose `fsdp_sync_module_states` is a false value (bool false, 0, empty)
    while `fsdp_cpu_ram_efficient_loading` is absent or any true value, as Python tests it.

    **Why.** The launcher tests the raw values: "When using `--fsdp_cpu_ram_efficient_loading` set
    `--fsdp_sync_module_states` to `True`" (accelerate `utils/launch.py::prepare_multi_gpu_env`). Both
    CLI defaults are the *string* `"true"`, so writing `fsdp_sync_module_states: false` alone fails, and
    `fsdp_cpu_ram_efficient_loading: "false"` (a non-empty string) counts as on (spec §1.6, verified
    with all four combinations).

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    fsdp_config:
      fsdp_version: 2
      fsdp_reshard_after_forward: true
      fsdp_sync_module_states: false
    num_processes: 8
    ```

    **Passing example.** `acc.yaml`, after the fix:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    fsdp_config:
      fsdp_version: 2
      fsdp_reshard_after_forward: true
      fsdp_sync_module_states: false
      fsdp_cpu_ram_efficient_loading: false
    num_processes: 8
    ```

    **Fix.** Safe (the launch fails as written): set `fsdp_cpu_ram_efficient_loading: false` (inserted
    after `fsdp_sync_module_states` when absent).

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.6 ("Other FSDP checks") and §8 AC019; accelerate
    `utils/launch.py::prepare_multi_gpu_env`.
    """

    code, name, severity, fixable = "AC019", "fsdp-cpu-ram-loading-without-sync", Severity.ERROR, True
    needs = (ACCELERATE_CONFIG, FSDP_CONFIG)
    summary = "fsdp_cpu_ram_efficient_loading on with fsdp_sync_module_states false"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        f = fsdp(run, pairing)
        if f is None:
            return
        sync = f.entry("sync_module_states")
        if sync is None or not isinstance(sync[1], Scalar) or sync[1].value:
            return
        sync_value = sync[1]
        loading = f.scalar("cpu_ram_efficient_loading")
        if not _python_truthy(loading):
            return
        if loading is not None:
            edit = replace_scalar(loading, False)
            related = [Related(loading.span, "fsdp_cpu_ram_efficient_loading is on here")]
            state = f"`fsdp_cpu_ram_efficient_loading: {loading.raw}` (on: the launcher tests the raw value)"
        else:
            edit = f.v.doc.insert_key_after(sync_value, "fsdp_cpu_ram_efficient_loading", False)
            related = []
            state = '`fsdp_cpu_ram_efficient_loading` absent (the launcher\'s default is the string "true")'
        fix = Fix("set `fsdp_cpu_ram_efficient_loading: false`", SAFE, [edit]) if edit is not None else None
        yield self.report(
            f'`fsdp_sync_module_states: {sync_value.raw}` with {state}: "When using '
            '`--fsdp_cpu_ram_efficient_loading` set `--fsdp_sync_module_states` to `True`"',
            sync_value.span,
            "set fsdp_cpu_ram_efficient_loading: false, or fsdp_sync_module_states: true",
            related,
            fix=fix,
        )

"""X rules: across files — the accelerate config against its DeepSpeed JSON, the training config
and the launch line (accelerate-deepspeed.md §8 "Across files")."""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.counts import positive_int
from batchlint.fixes import UNSAFE, Edit, Fix, replace_node
from batchlint.loading.nodes import Mapping, Node, Scalar
from batchlint.model import FactName as F
from batchlint.model import Origin, RunModel, Severity
from batchlint.pair import Pairing
from batchlint.rules.base import ACCELERATE_CONFIG, DEEPSPEED_CONFIG, Diagnostic, Related, RunRule, file_start
from batchlint.views import DocumentView, view_of

IGNORED_WITH_FILE = (
    "gradient_accumulation_steps",
    "gradient_clipping",
    "zero_stage",
    "offload_optimizer_device",
    "offload_param_device",
    "offload_param_nvme_path",
    "offload_optimizer_nvme_path",
    "zero3_save_16bit_model",
)


class IgnoredNextToConfigFile(RunRule):
    """`deepspeed_config_file` next to settings accelerate refuses to combine with it.

    **What.** An accelerate config with `deepspeed_config.deepspeed_config_file` and any of
    `gradient_accumulation_steps`, `gradient_clipping`, `zero_stage`, the offload devices and nvme
    paths, `zero3_save_16bit_model` in `deepspeed_config`, or a top-level `mixed_precision`, even
    `'no'` (accelerate ≥ 0.16, §3.2).

    **Why.** With a DeepSpeed JSON, `DeepSpeedPlugin` raises: "When using `deepspeed_config_file`, the
    following accelerate config variables will be ignored: [...]. Please specify them appropriately in
    the DeepSpeed config file."

    **Failing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    mixed_precision: 'no'
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: ds.json
      gradient_accumulation_steps: 2
      zero_stage: 2
    ```

    and `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** What the fix writes. `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: ds.json
    ```

    and `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "zero_optimization": {"stage": 2},
      "gradient_accumulation_steps": 2
    }
    ```

    **Fix.** Unsafe (it edits the DeepSpeed JSON too): move `gradient_accumulation_steps` and
    `gradient_clipping` into the JSON (added when absent, written over `"auto"`), and delete them,
    `zero_stage` and `mixed_precision` from the accelerate file where the JSON already says the same
    (`zero_optimization.stage`; `'no'` with no half precision enabled; `fp16`/`bf16` with that section
    enabled, `"auto"` being written as `true`, since the launch precision that filled it is deleted).
    Offered only when every refused key can be handled so.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.2 (b) step 3 (`_deepspeed_config_checks`) and §8 X001;
    accelerate `utils/dataclasses.py::DeepSpeedPlugin.__post_init__`.
    """

    code, name, severity, fixable = "X001", "ignored-next-to-deepspeed-file", Severity.ERROR, True
    needs = (ACCELERATE_CONFIG,)
    summary = "deepspeed_config_file with settings accelerate refuses"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        from batchlint.rules.accelerate import view  # the accelerate rules' module, only for a run with an accelerate config

        v = view(run, pairing)
        if v is None or v.distributed_type != "DEEPSPEED":
            return
        sub = v.root.get("deepspeed_config")
        if not isinstance(sub, Mapping) or sub.get(F.DEEPSPEED_CONFIG_FILE) is None:
            return
        offending = [(k, sub.key_node(k)) for k in IGNORED_WITH_FILE if sub.get(k) is not None]
        mp = v.scalar("mixed_precision")
        if mp is not None and mp.value not in (None, "None"):
            offending.append(("mixed_precision", v.root.key_node("mixed_precision")))
        if not offending:
            return
        names = [k for k, _ in offending]
        first = offending[0][1]
        link = v.pairing.deepspeed
        fix = _move_fix(v.doc, v.root, sub, offending, view_of(link.doc) if link is not None and link.doc is not None else None)
        yield self.report(
            f'with deepspeed_config_file, accelerate raises "When using `deepspeed_config_file`, the following '
            f'accelerate config variables will be ignored: {names}"',
            first.span if first else file_start(v.doc.path),
            "move these settings into the DeepSpeed JSON and delete them here",
            [Related(n.span, f"{k} here") for k, n in offending[1:] if n is not None],
            fix=fix,
        )


def _json_text(value: object) -> str:
    import json

    return json.dumps(value)


def _json_value(root: Mapping, dotted: str) -> Node | None:
    node: Node | None = root
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _move_fix(doc: DocumentView, root: Mapping, sub: Mapping, offending: list[tuple[str, Scalar | None]], ds: DocumentView | None) -> Fix | None:
    if ds is None or not isinstance(ds.root, Mapping) or ds.format != "json":
        return None
    edits: list[Edit] = []
    for key, key_node in offending:
        holder = root if key == "mixed_precision" else sub
        value_node = holder.get(key)
        if key_node is None or not isinstance(value_node, Scalar):
            return None
        value = value_node.value
        if key in ("gradient_accumulation_steps", "gradient_clipping"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            current = ds.root.get(key)
            if current is None:
                edit = ds.insert_member(key, value)
                if edit is None:
                    return None
                edits.append(edit)
            elif isinstance(current, Scalar) and current.value == "auto":
                edits.append(replace_node(current, _json_text(value)))
            elif not (isinstance(current, Scalar) and current.value == value):
                return None  # the JSON says something else: a person must choose
        elif key == "zero_stage":
            stage = _json_value(ds.root, "zero_optimization.stage")
            if not (isinstance(stage, Scalar) and stage.value == value):
                return None
        elif key == "mixed_precision":
            wanted = str(value).lower() if value is not False else "no"
            enabled = {dtype: _json_value(ds.root, f"{dtype}.enabled") for dtype in ("fp16", "bf16")}
            on = {d for d, n in enabled.items() if isinstance(n, Scalar) and (n.value is True or n.value == "auto")}
            if wanted == "no" and any(isinstance(n, Scalar) and n.value is True for n in enabled.values()):
                return None
            if wanted in ("fp16", "bf16"):
                node = enabled[wanted]
                if wanted not in on or not isinstance(node, Scalar):
                    return None
                if node.value == "auto":  # filled from the launch's precision, which is gone once deleted
                    edits.append(replace_node(node, "true"))
            if wanted not in ("no", "fp16", "bf16"):
                return None
        else:
            return None  # offload devices and paths: nested JSON sections, left to a person
        edits.append(doc.delete_entry(key_node, value_node))
    return Fix("move the refused settings into the DeepSpeed JSON", UNSAFE, edits) if edits else None


class DeepSpeedFileMissing(RunRule):
    """`deepspeed_config_file` names a file that does not exist (relative to the launch directory).

    **What.** The path in the accelerate config's `deepspeed_config.deepspeed_config_file` does not
    exist, relative to where the launch runs.

    **Why.** `HfDeepSpeedConfig` raises "Expected a string path to an existing deepspeed config, or a
    dictionary, or a base64 encoded string."

    **Failing example.** `configs/ds_zero2.json` does not exist. `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: configs/ds_zero2.json
    ```

    **Passing example.** The same `acc.yaml`, and `configs/ds_zero2.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: fix the path (relative to where the launch runs).

    **Options.** `launch-dir` in settings when the launch does not run from the directory batchlint runs
    in.

    **References.** accelerate-deepspeed.md §3.2 (b) and §8 X002; accelerate
    `utils/deepspeed.py::HfDeepSpeedConfig.__init__`.
    """

    code, name, severity = "X002", "deepspeed-file-missing", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "deepspeed_config_file does not exist"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        link = pairing.deepspeed if run else None
        if link is None or link.path is not None or link.outside is not None:
            return  # found, or outside the project (BL009's)
        span = link.named_by.span or file_start(run.config)
        yield self.report(
            f'deepspeed_config_file `{link.name}` not found: "Expected a string path to an existing deepspeed '
            'config, or a dictionary, or a base64 encoded string."',
            span,
            "fix the path (relative to where the launch runs; settings `launch-dir`)",
        )


class LauncherAccumOverrides(RunRule):
    """The launcher's accumulation differs from the training config's.

    **What.** Under DeepSpeed, the accelerate file's `deepspeed_config.gradient_accumulation_steps`
    differs from the training config's accumulation.

    **Why.** It is exported as `ACCELERATE_GRADIENT_ACCUMULATION_STEPS`, which silently overrides
    `Accelerator(gradient_accumulation_steps=...)` (§3.3; the diffusers flux `ds2.yaml` case: 1 against
    the README's 4).

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      gradient_accumulation_steps: 1
      zero_stage: 2
    ```

    and `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 4
      mixed_precision: bf16
    ```

    **Passing example.** The same `train.yaml`, and `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      gradient_accumulation_steps: 4
      zero_stage: 2
    ```

    **Fix.** None: make them agree, or drop the launcher's value.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.1 (the environment variables), §3.3 (the accumulation
    chain) and §8 X003; accelerate `accelerator.py::Accelerator.__init__`.
    """

    code, name, severity = "X003", "launcher-accum-overrides", Severity.WARNING
    summary = "launcher accumulation ≠ the training config's"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training:
            return
        launcher, ga = run.get(F.LAUNCHER_GRAD_ACCUM), run.get(F.GRAD_ACCUM)
        dtype = run.get(F.DISTRIBUTED_TYPE)
        if launcher is None or ga is None or dtype is None or dtype.value != "DEEPSPEED":
            return
        if positive_int(launcher.value) is None or launcher.value == ga.value:
            return
        yield self.report(
            f"deepspeed_config.gradient_accumulation_steps {launcher.value} in {launcher.file} overrides the training "
            f"config's {ga.value} (ACCELERATE_GRADIENT_ACCUMULATION_STEPS)",
            ga.span or file_start(run.config),
            "make them agree, or drop the launcher's value",
            [Related(launcher.span, f"launcher accumulation {launcher.value}")] if launcher.span else [],
        )


class EffectiveAccumDiffers(RunRule):
    """The accumulation that really applies differs from the training config's.

    **What.** For a reason no more specific rule (DS006, DS007, X003) names — e.g. Megatron-LM, which
    accumulates `megatron_lm_num_micro_batches` and ignores the script's value. The total batch uses
    the effective value.

    **Why.** The script's `gradient_accumulation_steps` does not multiply the batch: a total computed
    from it is wrong, and so is a learning rate scaled by it.

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MEGATRON_LM
    num_processes: 8
    megatron_lm_config:
      megatron_lm_tp_degree: 2
      megatron_lm_pp_degree: 1
      megatron_lm_context_parallel_size: 1
      megatron_lm_num_micro_batches: 8
    ```

    and `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 4
      mixed_precision: bf16
    ```

    **Passing example.** The same `acc.yaml`, and `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 8
      mixed_precision: bf16
    ```

    **Fix.** None: set `megatron_lm_num_micro_batches` to what you mean.

    **Options.** None.

    **References.** accelerate-deepspeed.md §7 ("Megatron-LM details"), §3.3 (the effective
    accumulation under DeepSpeed) and §8 X004, X009; accelerate
    `utils/megatron_lm.py::prepare_data_loader`.
    """

    code, name, severity = "X004", "effective-accum-differs", Severity.WARNING
    summary = "effective accumulation ≠ the training config's"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training:
            return
        eff, ga = run.get(F.EFFECTIVE_GRAD_ACCUM), run.get(F.GRAD_ACCUM)
        dtype = run.get(F.DISTRIBUTED_TYPE)
        if eff is None or ga is None or dtype is None or dtype.value != "MEGATRON_LM":
            return
        yield self.report(
            f"under Megatron-LM the accumulation is megatron_lm_num_micro_batches = {eff.value}, not the config's {ga.value}",
            ga.span or file_start(run.config),
            "set megatron_lm_num_micro_batches to what you mean",
            [Related(eff.span, "num_micro_batches")] if eff.span else [],
        )


class ScriptPrecisionWins(RunRule):
    """The training config's precision (passed to `Accelerator(mixed_precision=...)`) differs from the accelerate config's.

    **What.** A training config whose mixed precision differs from its accelerate config's. Runs with a
    DeepSpeed JSON are left to DS014 / DS015, which judge precision against the JSON.

    **Why.** The keyword argument beats `ACCELERATE_MIXED_PRECISION` (§5), so the accelerate file's
    value is silently unused (corpus: Hallo's `fp16` in accelerate_config.yaml against `"no"` in the
    YAML).

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    mixed_precision: fp16
    ```

    and `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
      mixed_precision: 'no'
    ```

    **Passing example.** The same `acc.yaml`, and `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
      mixed_precision: fp16
    ```

    **Fix.** None: make them agree, so the launch config says what runs.

    **Options.** None.

    **References.** accelerate-deepspeed.md §5 (which setting wins) and §8 X005; accelerate
    `state.py::AcceleratorState.__init__`.
    """

    code, name, severity = "X005", "script-precision-wins", Severity.WARNING
    summary = "training config precision ≠ accelerate config precision"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training:
            return
        mine, launch = run.get(F.MIXED_PRECISION), run.get(F.LAUNCH_MIXED_PRECISION)
        if mine is None or launch is None or not isinstance(mine.value, str) or not isinstance(launch.value, str):
            return
        if pairing.deepspeed is not None:
            return  # DS014 / DS015 judge precision against the JSON
        if mine.value.lower() == launch.value.lower():
            return
        yield self.report(
            f"the training config passes mixed_precision {mine.value!r} to Accelerator(), which wins over the accelerate config's {launch.value!r}",
            mine.span or file_start(run.config),
            "make them agree, so the launch config says what runs",
            [Related(launch.span, f"accelerate mixed_precision {launch.value}")] if launch.span else [],
        )


class LaunchLineProcesses(RunRule):
    """The process count on the launch line differs from the accelerate config's `num_processes`.

    **What.** The launch line is a script's `accelerate launch --num_processes`, the command line
    (`--num-processes`) or settings (`num-processes`).

    **Why.** The launch line wins (accelerate's CLI flags beat the file, spec §2.1), so the file's value
    is not what runs. Also, for every launcher (`accelerate launch`, `torchrun`, `deepspeed`, `tune
    run`): more processes per machine than GPUs in the `CUDA_VISIBLE_DEVICES` the launch line sees (set
    on the line, or exported above it in the script). Ranks then share a device: NCCL "Duplicate GPU
    detected" (accelerate ≥ 0.33 picks `local_rank % device_count()`) or "invalid device ordinal"
    (corpus: quick_sd's `--num_processes 3` with `CUDA_VISIBLE_DEVICES=2,3`). An accelerate file's
    `gpu_ids` (or `--gpu_ids`) replaces the variable, and AC009 judges it. The `deepspeed` runner
    ignores (and unsets) `CUDA_VISIBLE_DEVICES` when the line passes `--num_gpus`, `--num_nodes`,
    `--include` or `--exclude`: then the listed GPUs are not the ones used.

    **Failing example.** `batchlint check stage.yaml`, with the launch script `run.sh`:

    ```sh
    accelerate launch --config_file acc.yaml --num_processes 4 train.py --config stage.yaml
    ```

    `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    ```

    and `stage.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 4
      mixed_precision: bf16
    ```

    **Passing example.** The same files, with `run.sh`:

    ```sh
    accelerate launch --config_file acc.yaml --num_processes 8 train.py --config stage.yaml
    ```

    **Fix.** None: make the accelerate config say what runs.

    **Options.** `--num-processes` / `num-processes` in settings count as the launch line.

    **References.** accelerate-deepspeed.md §2.1 (R2: the CLI wins over the file), §2.3 and §8 X011;
    accelerate `commands/launch.py::_validate_launch_command`, `state.py::PartialState.set_device`;
    DeepSpeed `launcher/runner.py`.
    """

    code, name, severity = "X011", "launch-line-processes", Severity.WARNING
    summary = "launch-line process count ≠ the accelerate config's, or more processes than visible GPUs"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        yield from self._visible(run, pairing)
        if not pairing.launch_facts:
            return
        line, file = run.get(F.NUM_PROCESSES), pairing.launch_facts.get(F.NUM_PROCESSES)
        if line is None or file is None or line.origin not in (Origin.CLI, Origin.SETTINGS, Origin.SCRIPT) or line.value == file.value:
            return
        if line.origin == Origin.SCRIPT:
            where = (
                f"the launch line's {line.key or '--num_processes'} ({line.span.file}:{line.span.line})" if line.span else "the launch line's --num_processes"
            )
        else:
            where = "--num-processes" if line.origin == Origin.CLI else "num-processes in settings"
        related = [Related(line.span, "the launch line's count")] if line.origin == Origin.SCRIPT and line.span else []
        yield self.report(
            f"{where} {line.value} overrides num_processes {file.value} of {file.file}",
            file.span or file_start(run.config),
            "make the accelerate config say what runs",
            related,
        )

    def _visible(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        visible, ignored = run.get(F.VISIBLE_DEVICES), run.get(F.DEEPSPEED_IGNORES_VISIBLE)
        if visible is None or visible.span is None:
            return
        if ignored is not None and ignored.span is not None:
            yield self.report(
                f"deepspeed ignores {visible.note} (line {visible.span.line}) because the line passes {ignored.value}: it "
                "picks GPUs from 0 on each host, not the ones listed",
                ignored.span,
                f"use --include localhost:{str(visible.note).split('=', 1)[1]} instead, or drop {ignored.value}",
                [Related(visible.span, "CUDA_VISIBLE_DEVICES set here")],
            )
            return
        procs, machines = run.int_fact(F.NUM_PROCESSES), run.int_fact(F.NUM_MACHINES) or 1
        ids, dtype = pairing.launch_facts.get(F.GPU_IDS), run.get(F.DISTRIBUTED_TYPE)
        if procs is None or not isinstance(visible.value, int) or (ids is not None and str(ids.value).strip().lower() != "all"):
            return
        if dtype is not None and dtype.value in ("NO", False, "MULTI_CPU"):
            return  # one process per launch
        per = procs // machines
        if per <= visible.value:
            return
        count = run[F.NUM_PROCESSES]
        related = [Related(count.span, f"{procs} processes")] if count.span else []
        effect = "no GPU is visible to the ranks" if not visible.value else 'ranks share a device, NCCL "Duplicate GPU detected" (or "invalid device ordinal")'
        yield self.report(
            f"{per} processes per machine on {visible.value} visible GPU{'s' if visible.value != 1 else ''} ({visible.note}): {effect}",
            visible.span,
            f"list {per} GPUs in CUDA_VISIBLE_DEVICES" + (f", or start {visible.value} processes" if visible.value else ""),
            related,
        )

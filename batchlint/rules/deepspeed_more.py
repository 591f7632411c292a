"""More DS rules: the rest of the DeepSpeed-JSON catalog (accelerate-deepspeed.md §8, "DeepSpeed JSON").

Sub-configs DeepSpeed validates with pydantic, the gradient-clipping default, offload settings
that do nothing, AutoTP's count of replicas, an optimizer in both the JSON and the script, and
`"auto"` values accelerate cannot fill. Behaviour of DeepSpeed 0.19.6 and accelerate 1.15 unless
`deepspeed-version` / `accelerate-version` in settings say otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.fixes import UNSAFE, Fix
from batchlint.loading.nodes import Mapping, Node, Scalar
from batchlint.model import FactName as F
from batchlint.model import RunModel, Severity
from batchlint.pair import Pairing
from batchlint.rules.base import DEEPSPEED_CONFIG, Diagnostic, Related, RunRule, close_matches, file_start, version_tuple
from batchlint.rules.deepspeed import AUTO, DsView, ds_view, leaves

# Field names and aliases of DeepSpeed's pydantic sub-configs (`extra="forbid"`; populate_by_name accepts both).
# runtime/precision_config.py; `fused_mode` is read by older releases (runtime/constants.py FP16_FORMAT).
FP16_KEYS = frozenset(
    {
        "enabled",
        "auto_cast",
        "loss_scale",
        "initial_scale_power",
        "loss_scale_window",
        "hysteresis",
        "consecutive_hysteresis",
        "min_loss_scale",
        "fp16_master_weights_and_grads",
        "fused_mode",
    }
)
BF16_KEYS = frozenset({"enabled", "immediate_grad_update", "check_grad_overflow", "bf16_master_weights_and_grads", "bf16_optimizer_states"})
# runtime/zero/config.py::DeepSpeedZeroConfig, with the stage3_ aliases.
ZERO_KEYS = frozenset(
    {
        "stage",
        "contiguous_gradients",
        "reduce_scatter",
        "reduce_bucket_size",
        "use_multi_rank_bucket_allreduce",
        "allgather_partitions",
        "allgather_bucket_size",
        "overlap_comm",
        "load_from_fp32_weights",
        "elastic_checkpoint",
        "offload_param",
        "offload_optimizer",
        "zenflow",
        "sub_group_size",
        "cpu_offload_param",
        "cpu_offload_use_pin_memory",
        "cpu_offload",
        "prefetch_bucket_size",
        "stage3_prefetch_bucket_size",
        "param_persistence_threshold",
        "stage3_param_persistence_threshold",
        "model_persistence_threshold",
        "stage3_model_persistence_threshold",
        "max_live_parameters",
        "stage3_max_live_parameters",
        "max_reuse_distance",
        "stage3_max_reuse_distance",
        "gather_16bit_weights_on_model_save",
        "stage3_gather_16bit_weights_on_model_save",
        "module_granularity_threshold",
        "stage3_module_granularity_threshold",
        "use_all_reduce_for_fetch_params",
        "stage3_use_all_reduce_for_fetch_params",
        "allgather_sequential",
        "stage3_allgather_sequential",
        "partition_stream_chunk_size",
        "stage3_partition_stream_chunk_size",
        "stage3_gather_fp16_weights_on_model_save",
        "ignore_unused_parameters",
        "legacy_stage1",
        "round_robin_gradients",
        "zero_hpz_partition_size",
        "zero_quantized_weights",
        "zero_quantized_nontrainable_weights",
        "zero_quantized_gradients",
        "zeropp_loco_param",
        "mics_shard_size",
        "mics_hierarchical_params_gather",
        "memory_efficient_linear",
        "pipeline_loading_checkpoint",
        "override_module_apply",
        "log_trace_cache_warnings",
        "enable_sanity_checks",
        "save_muon_momentum_buffer_in_memory",
        "leaf_module",
    }
)
# runtime/zero/offload_config.py.
OFFLOAD_PARAM_KEYS = frozenset({"device", "nvme_path", "buffer_count", "buffer_size", "max_in_cpu", "pin_memory"})
OFFLOAD_OPTIMIZER_KEYS = frozenset(
    {
        "device",
        "nvme_path",
        "buffer_count",
        "pin_memory",
        "pipeline_read",
        "pipeline_write",
        "fast_init",
        "ratio",
        "super_offload",
        "convert_grad_on_cpu",
        "cpuadam_cores_perc",
    }
)
OFFLOAD_DEVICES = ("none", "cpu", "nvme")
# The leaves accelerate fills when they are "auto" (utils/dataclasses.py::DeepSpeedPlugin.__post_init__ /
# set_mixed_precision, accelerator.py::_prepare_deepspeed with DummyOptim / DummyScheduler); spec §3.2, §3.4.
ACCELERATE_FILLS = frozenset(
    {
        "train_micro_batch_size_per_gpu",
        "train_batch_size",
        "gradient_accumulation_steps",
        "gradient_clipping",
        "zero_optimization.stage",
        "zero_optimization.offload_optimizer.device",
        "zero_optimization.offload_param.device",
        "zero_optimization.offload_optimizer.nvme_path",
        "zero_optimization.offload_param.nvme_path",
        "zero_optimization.stage3_gather_16bit_weights_on_model_save",
        "fp16.enabled",
        "bf16.enabled",
        "zero_optimization.reduce_bucket_size",
        "zero_optimization.stage3_prefetch_bucket_size",
        "zero_optimization.stage3_param_persistence_threshold",
        "optimizer.params.lr",
        "optimizer.params.weight_decay",
        "scheduler.params.warmup_min_lr",
        "scheduler.params.warmup_max_lr",
        "scheduler.params.warmup_num_steps",
        "scheduler.params.total_num_steps",
    }
)


def _root(v: DsView) -> Mapping | None:
    return v.doc.root if isinstance(v.doc.root, Mapping) else None


def _section(root: Mapping, *path: str) -> Mapping | None:
    node: Node | None = root
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else None


def _ds_version(v: DsView) -> tuple[tuple[int, ...], str]:
    text = str(v.run.setting("deepspeed-version") or "0.19.6")
    return version_tuple(text), text


class InvalidSubConfig(RunRule):
    """A key or value DeepSpeed's pydantic sub-configs refuse.

    **What.** An unknown key inside `fp16`, `bf16` (or the legacy `bfloat16`), `zero_optimization`,
    `zero_optimization.offload_param` or `zero_optimization.offload_optimizer`; a
    `zero_optimization.stage` outside 0–3; an offload `device` other than `none`, `cpu`, `nvme`.

    **Why.** These sections are `DeepSpeedConfigModel`s with `extra="forbid"`:
    `deepspeed.initialize` raises a pydantic `ValidationError` ("Extra inputs are not permitted",
    "Input should be 0, 1, 2 or 3") after the job got its GPUs (DeepSpeed
    `runtime/config_utils.py::DeepSpeedConfigModel`, `runtime/zero/config.py`,
    `runtime/zero/offload_config.py`, `runtime/precision_config.py`; spec §4.4, verified). Field
    names and their `stage3_` aliases are both accepted. An unknown key whose value is `"auto"` is
    dropped before validation (non-strict mode), so it is not reported here (DS023 reports the
    `"auto"` accelerate cannot fill). The fp16/bf16 models are checked as in DeepSpeed 0.19.6; with
    an older `deepspeed-version` their unknown keys are warnings, since older releases read those
    sections key by key.

    **Failing example.** `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": 4,
     "zero_optimization": {"stage": 2, "offload_optimizer": {"device": "CPU"}, "stage3_gather_16bit_weights": true}}
    ```

    **Passing example.** `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": 4,
     "zero_optimization": {"stage": 2, "offload_optimizer": {"device": "cpu"}}}
    ```

    **Fix.** None: a misspelt key's meaning is for the user to confirm ("did you mean" names the
    closest field).

    **Options.** `deepspeed-version` (default 0.19.6).

    **References.** accelerate-deepspeed.md §4.4, §8 DS011; DeepSpeed `runtime/config_utils.py::DeepSpeedConfigModel`,
    `runtime/zero/config.py::DeepSpeedZeroConfig`, `runtime/zero/offload_config.py`, `runtime/precision_config.py`.
    """

    code, name, severity = "DS011", "deepspeed-invalid-sub-config", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "key or value DeepSpeed's pydantic sub-configs refuse"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        root = _root(v) if v else None
        if v is None or root is None:
            return
        version, version_text = _ds_version(v)
        old_precision = version < (0, 19, 6)
        sections: list[tuple[str, Mapping | None, frozenset[str], bool]] = [
            ("fp16", _section(root, "fp16"), FP16_KEYS, old_precision),
            ("bf16", _section(root, "bf16"), BF16_KEYS, old_precision),
            ("bfloat16", _section(root, "bfloat16"), BF16_KEYS, old_precision),
            ("zero_optimization", _section(root, "zero_optimization"), ZERO_KEYS, False),
            ("zero_optimization.offload_param", _section(root, "zero_optimization", "offload_param"), OFFLOAD_PARAM_KEYS, False),
            ("zero_optimization.offload_optimizer", _section(root, "zero_optimization", "offload_optimizer"), OFFLOAD_OPTIMIZER_KEYS, False),
        ]
        for name, section, known, lenient in sections:
            if section is None:
                continue
            for key_node, value in section.items:
                if not isinstance(key_node, Scalar) or str(key_node.value) in known:
                    continue
                if isinstance(value, Scalar) and value.value == AUTO:
                    continue  # dropped before validation
                key = str(key_node.value)
                close = close_matches(key, sorted(known), 1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                if lenient:
                    yield self.report(
                        f"`{name}.{key}` is not a field of DeepSpeed 0.19.6's `{name}` model{hint}: refused there "
                        f'("Extra inputs are not permitted"); DeepSpeed {version_text} may ignore it',
                        key_node.span,
                        "fix the name or remove it",
                        severity=Severity.WARNING,
                    )
                    continue
                yield self.report(
                    f'`{name}.{key}` is not a DeepSpeed field{hint}: pydantic ValidationError "Extra inputs are not permitted" (DeepSpeed {version_text})',
                    key_node.span,
                    "fix the name or remove it",
                )
        zero = _section(root, "zero_optimization")
        stage = zero.get("stage") if zero is not None else None
        if isinstance(stage, Scalar) and isinstance(stage.value, int) and not isinstance(stage.value, bool) and not 0 <= stage.value <= 3:
            yield self.report(
                f'`zero_optimization.stage: {stage.raw}`: pydantic ValidationError "Input should be 0, 1, 2 or 3"', stage.span, "use a ZeRO stage from 0 to 3"
            )
        for what in ("offload_param", "offload_optimizer"):
            device = _section(root, "zero_optimization", what)
            node = device.get("device") if device is not None else None
            if isinstance(node, Scalar) and isinstance(node.value, str) and node.value != AUTO and node.value not in OFFLOAD_DEVICES:
                hint = f"write {node.value.lower()}" if node.value.lower() in OFFLOAD_DEVICES else "use none, cpu or nvme"
                yield self.report(
                    f"`zero_optimization.{what}.device: {node.raw}`: pydantic ValidationError (\"Input should be 'none', 'cpu' or 'nvme'\")", node.span, hint
                )


def _insert_top(v: DsView, key: str, value: object) -> Fix | None:
    edit = v.doc.insert_member(key, value) if v.doc.format == "json" else None
    return Fix(f'add "{key}": {value!r}'.replace("'", '"'), UNSAFE, [edit]) if edit is not None else None


class NoGradientClipping(RunRule):
    """The DeepSpeed JSON does not set `gradient_clipping`, so the DeepSpeed version decides.

    **What.** No top-level `gradient_clipping` in a DeepSpeed JSON (YAML files are not judged:
    accelerate and DeepSpeed load JSON).

    **Why.** DeepSpeed clips the gradients itself (the script's `clip_grad_norm_` does not decide
    under DeepSpeed). Its default changed in DeepSpeed 0.19.3 (commit 442166559, "Default
    gradient_clipping to 1.0"): before, no clipping; from 0.19.3, clipping at 1.0 — the same file
    trains differently depending on the installed DeepSpeed (spec §4.4). Under accelerate a
    `"auto"` value means 1.0, and the HF Trainer fills it from `max_grad_norm`. The message names
    the behaviour of the `deepspeed-version` in settings (default 0.19.6). Not reported when the
    accelerate config sets `deepspeed_config.gradient_clipping` next to the JSON: X001 refuses that
    and its fix moves the value into the JSON. Severity follows that
    version: a warning below 0.19.3, where the run is silently unclipped (accelerate's
    `clip_grad_norm_` does nothing under DeepSpeed); information from 0.19.3, where the default 1.0
    matches accelerate's `"auto"` and the HF Trainer's default `max_grad_norm`, and only an older
    installed DeepSpeed would differ (the spec's warning, lowered for that case).

    **Failing example.** `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": "auto", "zero_optimization": {"stage": 2}}
    ```

    **Passing example.** `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": "auto", "zero_optimization": {"stage": 2}, "gradient_clipping": "auto"}
    ```

    **Fix.** Unsafe (the run's DeepSpeed may not be the assumed one, and the value then changes how
    it trains): add `"gradient_clipping": "auto"` when accelerate or the HF Trainer fills the JSON,
    or the assumed version's default (1.0 from 0.19.3, else 0.0) under the raw `deepspeed` launcher.

    **Options.** `deepspeed-version`, `deepspeed-launch`.

    **References.** accelerate-deepspeed.md §3.4, §4.4, §8 DS017; DeepSpeed `runtime/constants.py::GRADIENT_CLIPPING_DEFAULT`.
    """

    code, name, severity, fixable = "DS017", "deepspeed-no-gradient-clipping", Severity.WARNING, True  # info from DeepSpeed 0.19.3
    needs = (DEEPSPEED_CONFIG,)
    summary = "no gradient_clipping: the DeepSpeed version decides"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        root = _root(v) if v else None
        if v is None or root is None or v.doc.format != "json" or root.get("gradient_clipping") is not None:
            return  # a YAML file shaped like a DeepSpeed config is not one DeepSpeed or accelerate loads
        launch = pairing.launch_view() if v.via_accelerate else None
        refused = _section(launch.root, "deepspeed_config") if launch is not None and isinstance(launch.root, Mapping) else None
        if refused is not None and refused.get("gradient_clipping") is not None:
            return  # the accelerate file sets it next to the JSON: X001 refuses that and moves it into the JSON
        version, text = _ds_version(v)
        clips = version >= (0, 19, 3)
        now = "clips at 1.0 (the default since 0.19.3)" if clips else "does not clip (the default before 0.19.3)"
        value: object = AUTO if v.launch in ("accelerate", "hf-trainer") else (1.0 if clips else 0.0)
        yield self.report(
            f"no gradient_clipping: DeepSpeed {text} {now}; the same file trains {'unclipped before 0.19.3' if clips else 'clipped at 1.0 from 0.19.3'}",
            file_start(v.doc.path),
            f'write "gradient_clipping": {value!r}'.replace("'", '"'),
            severity=Severity.INFO if clips else None,
            fix=_insert_top(v, "gradient_clipping", value),
        )


def _stage(v: DsView, root: Mapping) -> int | None:
    """The ZeRO stage DeepSpeed will use, when the file decides it."""
    zero = _section(root, "zero_optimization")
    node = zero.get("stage") if zero is not None else None
    if node is None:
        return 0
    if isinstance(node, Scalar) and node.value == AUTO:
        return 0 if v.launch == "deepspeed" else None  # raw: dropped, stage 0; accelerate fills it from the launch
    if isinstance(node, Scalar) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return None


class OffloadDoesNothing(RunRule):
    """Offload settings DeepSpeed accepts and then ignores, or cannot run.

    **What.** `offload_param` with a device (not `none`) and a ZeRO stage below 3;
    `offload_optimizer` with a device and stage 0; an offload `device: nvme` without `nvme_path`.

    **Why.** The config accepts them (spec §4.4, verified): parameter offload exists only in
    ZeRO-3 and optimizer offload needs ZeRO ≥ 1, so the memory the file counts on is not saved;
    NVMe offload without a path fails when the swapper starts. The stage is the JSON's
    `zero_optimization.stage` (absent: 0); a `"auto"` stage is filled by accelerate from the launch
    and not judged.

    **Failing example.** `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": 2,
     "zero_optimization": {"stage": 2, "offload_param": {"device": "cpu"}}}
    ```

    **Passing example.** `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": 2,
     "zero_optimization": {"stage": 3, "offload_param": {"device": "cpu"}}}
    ```

    **Fix.** None: raise the stage or drop the offload section, whichever was meant.

    **Options.** `deepspeed-launch` (a raw launch drops a `"auto"` stage to 0).

    **References.** accelerate-deepspeed.md §4.4, §8 DS019; DeepSpeed `runtime/zero/offload_config.py`,
    `runtime/zero/config.py`.
    """

    code, name, severity = "DS019", "deepspeed-offload-does-nothing", Severity.WARNING
    needs = (DEEPSPEED_CONFIG,)
    summary = "offload settings that are ignored or cannot run"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        root = _root(v) if v else None
        if v is None or root is None:
            return
        stage = _stage(v, root)
        for what, needs in (("offload_param", 3), ("offload_optimizer", 1)):
            section = _section(root, "zero_optimization", what)
            device = section.get("device") if section is not None else None
            if section is None or not isinstance(device, Scalar) or device.value in (None, "none", AUTO):
                continue
            if stage is not None and stage < needs:
                yield self.report(
                    f"`zero_optimization.{what}` offloads to {device.value} but the ZeRO stage is {stage}: it needs stage "
                    f"{needs}{'' if needs == 3 else ' or more'}, so nothing is offloaded",
                    device.span,
                    f"use ZeRO stage {needs}{'' if needs == 3 else '+'}, or remove {what}",
                )
            if device.value == "nvme" and section.get("nvme_path") is None:
                yield self.report(
                    f"`zero_optimization.{what}.device: nvme` without nvme_path: the NVMe swapper has no directory",
                    device.span,
                    'add "nvme_path": "/local_nvme" (a fast local disk)',
                )


class AutoTpCountsReplicas(RunRule):
    """AutoTP training: `train_batch_size` counts each tensor-parallel replica as if it were new samples.

    **What.** `tensor_parallel.autotp_size` t > 1 with `train_batch_size` an integer or `"auto"`.

    **Why.** DeepSpeed's triad uses the full world size (no `mpu` is passed for AutoTP) and
    accelerate fills `"auto"` with `num_processes`, but the t ranks of a tensor-parallel group get
    the same batch: the distinct samples per optimizer step are micro × accumulation × world / t,
    t times fewer than `train_batch_size` (spec §7, read in the source). The message gives both.

    **Failing example.** `ds.json`:

    ```json
    {"train_batch_size": "auto", "train_micro_batch_size_per_gpu": "auto", "tensor_parallel": {"autotp_size": 2}}
    ```

    **Passing example.** `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": "auto", "tensor_parallel": {"autotp_size": 1}}
    ```

    **Fix.** None: report totals as distinct samples, or drop AutoTP.

    **Options.** `--num-processes` / `num-processes` (for the numbers).

    **References.** accelerate-deepspeed.md §7, §8 DS021; DeepSpeed `runtime/config.py::DeepSpeedConfig.__init__`;
    accelerate `accelerator.py::_prepare_deepspeed`, `data_loader.py::prepare_data_loader`.
    """

    code, name, severity = "DS021", "deepspeed-autotp-counts-replicas", Severity.WARNING
    needs = (DEEPSPEED_CONFIG,)
    summary = "AutoTP: train_batch_size counts TP replicas"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        tp = v.value(F.AUTOTP_SIZE) if v else None
        if v is None or not isinstance(tp, int) or isinstance(tp, bool) or tp <= 1 or F.GLOBAL_BATCH not in v.facts:
            return
        t = v.value(F.GLOBAL_BATCH)
        if t != AUTO and not (isinstance(t, int) and not isinstance(t, bool)):
            return
        world, m, g = v.world, v.value(F.PER_DEVICE_BATCH), v.value(F.GRAD_ACCUM)
        numbers = ""
        if isinstance(t, int):
            numbers = f": {t} counted, {t // tp} distinct samples per step"
        elif world is not None and isinstance(m, int) and isinstance(g, int):
            numbers = f": {m * g * world} counted ({m} × {g} × {world}), {m * g * world // tp} distinct samples per step"
        yield self.report(
            f"tensor_parallel.autotp_size {tp}: train_batch_size counts each of the {tp} tensor-parallel replicas, which see the same samples{numbers}",
            v.span(F.GLOBAL_BATCH),
            f"the distinct samples per step are micro × accumulation × world / {tp}",
            [Related(v.span(F.AUTOTP_SIZE), f"autotp_size {tp}")],
        )


class OptimizerInJsonAndScript(RunRule):
    """The DeepSpeed JSON has an `optimizer` (or `scheduler`) block while the training script builds its own.

    **What.** Under accelerate, a JSON `optimizer` block while the script the launch line runs
    builds a torch optimizer (`torch.optim.AdamW`, `bnb.optim.AdamW8bit`, …) and never uses
    `accelerate.utils.DummyOptim`; the same for a `scheduler` block, a torch / transformers scheduler
    and `DummyScheduler`.

    **Why.** `Accelerator.prepare` refuses: "You cannot specify an optimizer in the config file and
    in the code at the same time. Please remove the optimizer from the config file or create
    `accelerate.utils.DummyOptim` in the code." (and the scheduler twin) (spec §3.4, verified).
    Checked only when a launch script names the training script and batchlint can read it; a script
    that mentions `DummyOptim` anywhere (the accelerate examples choose it when the JSON has an
    optimizer) passes. The HF Trainer and the raw launcher handle both and are not checked.

    **Failing example.** `batchlint check stage.yaml`, with the launch script `run.sh`:

    ```sh
    accelerate launch --config_file acc.yaml train.py --config stage.yaml
    ```

    the training script `train.py`:

    ```python
    import torch
    from accelerate import Accelerator

    accelerator = Accelerator()
    model = torch.nn.Linear(4, 4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model, optimizer = accelerator.prepare(model, optimizer)
    ```

    `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: ds.json
    ```

    `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": "auto", "gradient_clipping": "auto",
     "zero_optimization": {"stage": 2}, "optimizer": {"type": "AdamW", "params": {"lr": "auto", "weight_decay": "auto"}}}
    ```

    and `stage.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
    ```

    **Passing example.** The same files, with `ds.json` leaving the optimizer to the script:

    ```json
    {"train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": "auto", "gradient_clipping": "auto",
     "zero_optimization": {"stage": 2}}
    ```

    **Fix.** None: remove the block, or build `DummyOptim` / `DummyScheduler` in the script.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.4, §8 DS022; accelerate `accelerator.py::Accelerator._prepare_deepspeed`,
    `utils/deepspeed.py::DummyOptim`.
    """

    code, name, severity = "DS022", "deepspeed-optimizer-twice", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "optimizer/scheduler in the JSON and in the script"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        root = _root(v) if v else None
        if v is None or root is None or not v.via_accelerate:
            return
        blocks = [(k, root.key_node(k)) for k in ("optimizer", "scheduler") if isinstance(root.get(k), Mapping)]
        if not blocks:
            return
        program = run.get(F.TRAINING_PROGRAM)
        for key, key_node in blocks:
            name, dummy = (F.SCRIPT_OPTIMIZER, "DummyOptim") if key == "optimizer" else (F.SCRIPT_SCHEDULER, "DummyScheduler")
            built = run.get(name)
            if built is None or built.span is None or key_node is None or program is None:
                continue
            yield self.report(
                f"the JSON has an `{key}` block and {program.value} builds its own ({built.value} at line {built.span.line}): "
                f'"You cannot specify an {key} in the config file and in the code at the same time."',
                key_node.span,
                f"remove `{key}` from the JSON, or use accelerate.utils.{dummy} in the script",
                [Related(built.span, f"{built.value} here")],
            )


class UnfillableAuto(RunRule):
    """A `"auto"` value accelerate cannot fill.

    **What.** Under accelerate, `"auto"` anywhere except the keys accelerate fills: the batch
    triad, `gradient_clipping`, `fp16.enabled` / `bf16.enabled`, `zero_optimization.stage`, the
    offload devices and NVMe paths, `stage3_gather_16bit_weights_on_model_save`, the three
    hidden-size bucket settings (from `model.config.hidden_size`), and the `optimizer.params.lr` /
    `weight_decay` and `scheduler.params` warm-up values of `DummyOptim` / `DummyScheduler`.

    **Why.** `Accelerator.prepare` walks every leaf and raises for the rest: "`<key>` not found in
    kwargs. Please specify `<key>` without `auto` (set to correct value) in the DeepSpeed config
    file or pass it in kwargs." (`DeepSpeedPlugin.fill_match`; spec §3.4, verified). Only a JSON
    that an accelerate config names, or one checked on its own with `deepspeed-launch =
    "accelerate"` in settings: the HF Trainer fills more keys (`optimizer.params.betas`, …).

    **Failing example.** `pyproject.toml`, saying the JSON is used by accelerate:

    ```toml
    [tool.batchlint]
    deepspeed-launch = "accelerate"
    ```

    and `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": "auto", "gradient_clipping": "auto", "zero_optimization": {"stage": 2},
     "optimizer": {"type": "AdamW", "params": {"lr": "auto", "betas": "auto"}}}
    ```

    **Passing example.** The same settings, and `ds.json`:

    ```json
    {"train_micro_batch_size_per_gpu": "auto", "gradient_clipping": "auto", "zero_optimization": {"stage": 2},
     "optimizer": {"type": "AdamW", "params": {"lr": "auto", "betas": [0.9, 0.999]}}}
    ```

    **Fix.** None: the value to write is the user's.

    **Options.** `deepspeed-launch`.

    **References.** accelerate-deepspeed.md §3.2, §3.4, §8 DS023; accelerate `utils/dataclasses.py::DeepSpeedPlugin.fill_match`,
    `accelerator.py::Accelerator._prepare_deepspeed`.
    """

    code, name, severity = "DS023", "deepspeed-unfillable-auto", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = '"auto" value accelerate cannot fill'

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        root = _root(v) if v else None
        if v is None or root is None or not (v.via_accelerate or v.run.setting("deepspeed-launch") == "accelerate"):
            return
        for key, node in leaves(root, ""):
            if isinstance(node, Scalar) and node.value == AUTO and key not in ACCELERATE_FILLS:
                yield self.report(
                    f'`{key}` is "auto", which accelerate does not fill: "`{key}` not found in kwargs. Please specify `{key}` without `auto`"',
                    node.span,
                    "write the value",
                )

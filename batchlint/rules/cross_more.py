"""More X rules: across files — `split_batches`, Megatron-LM's accumulation and a launch line's
paradigm flag (accelerate-deepspeed.md §8 "Across files"). Behaviour of accelerate 1.15 unless
`accelerate-version` in settings says otherwise."""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.counts import positive_int
from batchlint.model import FactName as F
from batchlint.model import RunModel, Severity
from batchlint.pair import Pairing
from batchlint.rules.base import (
    ACCELERATE_CONFIG,
    MEGATRON,
    MULTI_DEVICE,
    PARADIGM_FLAG,
    SPLIT_BATCHES,
    Diagnostic,
    Related,
    Rule,
    RunRule,
    file_start,
    split_batches,
    version_tuple,
)


def _accelerate_version(run: RunModel) -> tuple[tuple[int, ...], str]:
    text = str(run.setting("accelerate-version") or "1.15")
    return version_tuple(text), text


class SplitBatchesTotal(RunRule):
    """`split_batches` is on: the per-device batch of the config is the global batch of a micro-step.

    **What.** The training config turns on `split_batches` where accelerate honours it — the HF
    Trainer's `accelerator_config.split_batches: true` (a `DataLoaderConfiguration`), or, with
    `accelerate-version` below 1.0, a `split_batches: true` key passed to `Accelerator()`.

    **Why.** With `split_batches=True` the DataLoader's `batch_size` is split over the processes:
    each rank gets bs / N and a step takes bs × accumulation samples, not bs × N × accumulation
    (spec §6, verified). batchlint's total assumes the usual bs × N × accumulation. When bs is
    above 1 and not a multiple of N, `prepare_data_loader` stops: "To use a `DataLoader` in
    `split_batches` mode, the batch size (B) needs to be a round multiple of the number of
    processes (N)." — then the finding is an error.

    **Failing example.** `train.yaml`:

    ```yaml
    per_device_train_batch_size: 6
    gradient_accumulation_steps: 2
    accelerator_config:
      split_batches: true
    ```

    **Passing example.** `train.yaml`:

    ```yaml
    per_device_train_batch_size: 6
    gradient_accumulation_steps: 2
    accelerator_config:
      split_batches: false
    ```

    **Fix.** None: read the total as bs × accumulation, or turn `split_batches` off.

    **Options.** `--num-processes` / `num-processes` (for the numbers); `accelerate-version`.

    **References.** accelerate-deepspeed.md §6, §8 X006; accelerate `data_loader.py::prepare_data_loader`,
    `utils/dataclasses.py::DataLoaderConfiguration`.
    """

    code, name, severity = "X006", "split-batches-total", Severity.WARNING
    summary = "split_batches on: the total is bs × accumulation"
    needs = (SPLIT_BATCHES,)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        found = split_batches(run, pairing)
        if found is None:
            return
        node, how = found
        version, text = _accelerate_version(run)
        if how == "kwarg" and version >= (1, 0):
            return  # ignored: X007
        bs, dp = run.int_fact(F.PER_DEVICE_BATCH), run.int_fact(F.DATA_PARALLEL_SIZE)
        acc = run.accumulation
        ga = positive_int(acc.value) if acc is not None else None
        if bs is not None and dp is not None and bs > 1 and bs % dp != 0:
            yield self.report(
                f'split_batches with batch size {bs} on {dp} processes: "To use a `DataLoader` in `split_batches` mode, '
                f'the batch size ({bs}) needs to be a round multiple of the number of processes ({dp})."',
                node.span,
                f"use a batch size that is a multiple of {dp}",
                severity=Severity.ERROR,
            )
            return
        numbers = ""
        if bs is not None and ga is not None:
            numbers = f": {bs} × {ga} = {bs * ga} per step" + (f" ({bs // dp} per process), not {bs * dp * ga}" if dp else "")
        yield self.report(
            f"split_batches is on (accelerate {text}): the batch size {bs if bs is not None else ''} is split over the "
            f"processes, so the total is batch × accumulation{numbers}",
            node.span,
            "read the total as batch × accumulation, or turn split_batches off",
        )


class SplitBatchesIgnored(RunRule):
    """A training-config `split_batches` that accelerate ≥ 1.0 ignores.

    **What.** A `split_batches: true` key at the top of the training config, or next to its batch
    key (`train.split_batches`), in a config whose script passes its keys to `Accelerator(...)`
    (every dialect but the HF Trainer's, whose `accelerator_config` X006 reads), with accelerate 1.0
    or later.

    **Why.** Since accelerate 1.0 ("The Great Deprecation", 79a84264) `Accelerator(split_batches=True)`
    is still accepted but ignored: `accelerator.split_batches` stays False and the batch is not split
    (spec §6, verified). Only `Accelerator(dataloader_config=DataLoaderConfiguration(split_batches=True))`
    splits. batchlint does not read Python, so it assumes the key reaches `Accelerator(...)` directly.

    **Failing example.** `train.yaml`:

    ```yaml
    data:
      train_bs: 8
      split_batches: true
    solver:
      gradient_accumulation_steps: 1
    ```

    **Passing example.** `train.yaml`:

    ```yaml
    data:
      train_bs: 8
    solver:
      gradient_accumulation_steps: 1
    ```

    **Fix.** None: build a `DataLoaderConfiguration` in the script, or drop the key.

    **Options.** `accelerate-version` (before 1.0 the key is honoured: X006).

    **References.** accelerate-deepspeed.md §6, §8 X007; accelerate `accelerator.py::Accelerator.__init__`,
    `utils/dataclasses.py::DataLoaderConfiguration`.
    """

    code, name, severity = "X007", "split-batches-ignored", Severity.INFO
    summary = "split_batches passed to Accelerator(), ignored since 1.0"
    needs = (SPLIT_BATCHES,)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        found = split_batches(run, pairing)
        if found is None or found[1] != "kwarg":
            return
        version, text = _accelerate_version(run)
        if version < (1, 0):
            return
        yield self.report(
            f"`split_batches: true` passed to Accelerator() is ignored by accelerate {text} (since 1.0): the batch is not split",
            found[0].span,
            "pass Accelerator(dataloader_config=DataLoaderConfiguration(split_batches=True))",
        )


class MegatronIgnoresAccum(RunRule):
    """The training config accumulates while Megatron-LM's own accumulation is left at 1.

    **What.** The launch is `MEGATRON_LM`, the training config's accumulation is above 1, and the
    accelerate file has no `megatron_lm_config.megatron_lm_num_micro_batches`.

    **Why.** Under Megatron-LM `Accelerator.backward` does nothing and the DataLoader is rebuilt
    with micro × `num_micro_batches` per data-parallel rank: the script's accumulation does not
    multiply the batch, and `num_micro_batches` defaults to 1 (spec §7). When it is set and differs,
    X004 reports it.

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    distributed_type: MEGATRON_LM
    num_processes: 8
    megatron_lm_config:
      megatron_lm_tp_degree: 2
      megatron_lm_context_parallel_size: 1
    ```

    and `train.yaml`:

    ```yaml
    data:
      train_bs: 4
    solver:
      gradient_accumulation_steps: 4
    ```

    **Passing example.** The same `train.yaml`, and `acc.yaml`:

    ```yaml
    distributed_type: MEGATRON_LM
    num_processes: 8
    megatron_lm_config:
      megatron_lm_tp_degree: 2
      megatron_lm_context_parallel_size: 1
      megatron_lm_num_micro_batches: 4
    ```

    **Fix.** None: set `megatron_lm_num_micro_batches` in the accelerate file.

    **Options.** None.

    **References.** accelerate-deepspeed.md §7, §8 X009; accelerate `accelerator.py::Accelerator.backward`,
    `utils/megatron_lm.py::prepare_data_loader`.
    """

    code, name, severity = "X009", "megatron-ignores-accumulation", Severity.WARNING
    summary = "accumulation > 1 under Megatron-LM without num_micro_batches"
    needs = (MEGATRON,)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training:
            return
        dtype, ga = run.get(F.DISTRIBUTED_TYPE), run.get(F.GRAD_ACCUM)
        if dtype is None or dtype.value != "MEGATRON_LM" or ga is None or (positive_int(ga.value) or 1) <= 1:
            return
        if F.MEGATRON_NUM_MICRO_BATCHES in run:
            return  # X004 compares it
        related = [Related(dtype.span, "distributed_type MEGATRON_LM")] if dtype.span else []
        yield self.report(
            f"accumulation {ga.value} has no effect under Megatron-LM: it accumulates megatron_lm_num_micro_batches, which is not set (1)",
            ga.span or file_start(run.config),
            f"set megatron_lm_config.megatron_lm_num_micro_batches: {ga.value} in the accelerate config",
            related,
        )


def _same_paradigm(flag: object, dtype: object) -> bool:
    if flag == "MULTI_GPU":
        return dtype in MULTI_DEVICE
    return flag == dtype or (flag == "XLA" and dtype == "TPU")


class ParadigmFlagOverrides(RunRule):
    """A paradigm flag on the launch line contradicts the accelerate file's `distributed_type`.

    **What.** `accelerate launch --multi_gpu` / `--use_deepspeed` / `--use_fsdp` /
    `--use_megatron_lm` / `--tpu` with a config file whose `distributed_type` is another paradigm.

    **Why.** The file's `distributed_type` is applied only when no paradigm flag is given: the flag
    wins, and the file's `deepspeed_config` / `fsdp_config` / `megatron_lm_config` settings are not
    used for the paradigm the file names (spec §2.1 R1, verified: a DEEPSPEED file launched with
    `--multi_gpu` runs plain DDP).

    **Failing example.** `batchlint check stage.yaml`, with the launch script `run.sh`:

    ```sh
    accelerate launch --config_file acc.yaml --multi_gpu train.py --config stage.yaml
    ```

    `acc.yaml`:

    ```yaml
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      zero_stage: 2
    ```

    and `stage.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
    ```

    **Passing example.** The same files, with `run.sh`:

    ```sh
    accelerate launch --config_file acc.yaml train.py --config stage.yaml
    ```

    **Fix.** None: drop the flag or change the file, whichever says what you mean.

    **Options.** None.

    **References.** accelerate-deepspeed.md §2.1 R1, §8 X010; accelerate `commands/launch.py::_validate_launch_command`.
    """

    code, name, severity = "X010", "paradigm-flag-overrides", Severity.WARNING
    summary = "launch-line paradigm flag ≠ the file's distributed_type"
    needs = (ACCELERATE_CONFIG, PARADIGM_FLAG)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        flag = run.get(F.LAUNCH_PARADIGM)
        if flag is None or flag.span is None:
            return
        file_type = pairing.launch_facts.get(F.DISTRIBUTED_TYPE)
        if file_type is None or file_type.value is None:
            return
        dtype = "NO" if file_type.value is False else file_type.value
        if _same_paradigm(flag.value, dtype):
            return
        section = {"DEEPSPEED": "deepspeed_config", "FSDP": "fsdp_config", "MEGATRON_LM": "megatron_lm_config"}.get(str(dtype))
        unused = f"; the file's {section} is not used" if section else ""
        yield self.report(
            f"the launch line's {flag.key} beats distributed_type: {dtype} of {file_type.file}: the run is {flag.value}{unused}",
            flag.span,
            "drop the flag, or make the accelerate config's distributed_type match",
            [Related(file_type.span, f"distributed_type {dtype}")] if file_type.span else [],
        )


MORE_CROSS_RULES: list[Rule] = [SplitBatchesTotal(), SplitBatchesIgnored(), MegatronIgnoresAccum(), ParadigmFlagOverrides()]

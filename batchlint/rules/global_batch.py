"""BL109: a trainer that fixes the global batch needs it to divide over the micro batch and the
data-parallel ranks (globalbatch.py)."""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.counts import positive_int
from batchlint.fixes import ACCUMULATION, SAFE, Expectation, Fix, replace_value
from batchlint.globalbatch import Split, split
from batchlint.model import FactName as F
from batchlint.model import GlobalShape, ProblemKind, RunModel, Severity
from batchlint.pair import Pairing
from batchlint.rules.base import CONFIG_NOT_FOUND, GLOBAL_BATCH, LAYOUT_UNRESOLVED, Diagnostic, Related, RunRule, file_start


def _consequence(found: Split) -> str:
    if found.shape == GlobalShape.MICRO:
        return "Megatron-style trainers and DeepSpeed refuse to start (accumulation = global / (micro × DP) must be whole)"
    if found.what != "global batch":
        return "the microbatches do not split each device's batch evenly (OLMo refuses it, Composer runs a short last pass)"
    return "each GPU gets the floor, so every step trains on fewer samples than the global batch says"


def _largest_divisor_at_most(n: int, limit: int) -> int:
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


def _smallest_divisor_at_least(n: int, limit: int) -> int:
    return min(d for d in range(max(1, limit), n + 1) if n % d == 0) if limit <= n else n


class GlobalBatchNotDivisible(RunRule):
    """The global batch a trainer keeps fixed does not divide over the micro batch and the data-parallel ranks.

    **What.** Trainers that declare the optimizer batch (Megatron-LM and NeMo `global_batch_size`,
    DeepSpeed `train_batch_size`, StableCascade `batch_size`, Composer / OLMo
    `global_train_batch_size`, LitGPT `train.global_batch_size`) derive the rest: accumulation =
    global / (micro batch × data-parallel size), or per device = global // (data-parallel size ×
    accumulation). Reported when that division leaves a remainder, with each factor and where it
    comes from.

    **Why.** Megatron's microbatch calculator and DeepSpeed assert the division and stop at start-up,
    after the job waited for its GPUs; StableCascade, Composer and OLMo floor it and silently train
    on fewer samples per step than the global batch says.

    **Failing example.** A NeMo config on 8 GPUs, `batchlint check gpt.yaml`: 100 is not a multiple of
    3 × 8 = 24. `gpt.yaml`:

    ```yaml
    trainer:
      devices: 8
      num_nodes: 1
    model:
      tensor_model_parallel_size: 1
      pipeline_model_parallel_size: 1
      micro_batch_size: 3
      global_batch_size: 100
    ```

    **Passing example.** 96 = 2 × 8 × 6 accumulation steps. `gpt.yaml`:

    ```yaml
    trainer:
      devices: 8
      num_nodes: 1
    model:
      tensor_model_parallel_size: 1
      pipeline_model_parallel_size: 1
      micro_batch_size: 2
      global_batch_size: 96
    ```

    **Fix.** Safe, keeping the global batch: when the global batch divides over the data-parallel
    ranks, the micro batch (or the device microbatch) becomes the largest value not above the current
    one that divides it, or the accumulation the smallest value not below it — either way no GPU needs
    more memory. When the global batch does not divide over the ranks at all, no fix: the help names
    the nearest global batches that do.

    **Options.** `--num-processes` / `num-processes` in settings (the data-parallel size comes from the
    launch when the file does not give it).

    **References.** accelerate-deepspeed.md §4.2 (the batch triad DeepSpeed asserts); Megatron-LM
    `megatron/core/num_microbatches_calculator.py` (`ConstantNumMicroBatchesCalculator`), StableCascade
    `train/base.py` (`real_batch_size`), OLMo `olmo/config.py` (`device_train_batch_size`).
    """

    code = "BL109"
    name = "global-batch-not-divisible"
    summary = "the global batch is not divisible by micro batch × data-parallel size"
    severity = Severity.WARNING
    fixable = True
    needs = (GLOBAL_BATCH,)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training or run.global_shape is None:
            return
        found = split(run.global_shape, dict(run.fact_map()))
        if found is None:
            return
        glob = run.get(F.GLOBAL_BATCH)
        span = glob.span if glob is not None and glob.span is not None else file_start(run.config)
        below = found.global_batch // found.divisor * found.divisor
        nearest = f"{below} or {below + found.divisor}" if below else f"{found.divisor}"
        help = f"nearest {found.what}es that divide: {nearest}"
        related = [
            Related(f.span, f"{f.key} = {f.value!r}")
            for f in (run.get(F.PER_DEVICE_BATCH), run.accumulation, run.get(F.DEVICE_MICROBATCH), run.get(F.NUM_PROCESSES))
            if f is not None and f.span is not None and f.span != span
        ]
        yield self.report(f"{found.describe()}: {_consequence(found)}", span, help, related, fix=self._fix(run, found))

    @staticmethod
    def _fix(run: RunModel, found: Split) -> Fix | None:
        """Keep the global batch; lower the factor that does not divide it."""
        dp = run.int_fact(F.DATA_PARALLEL_SIZE)
        g = run.int_fact(F.GLOBAL_BATCH)
        if dp is None or g is None:
            return None
        expect_name: str
        if found.shape == GlobalShape.MICRO and g % dp == 0:
            fact, expect_name = run.get(F.PER_DEVICE_BATCH), str(F.PER_DEVICE_BATCH)
            room = g // dp
        elif found.shape == GlobalShape.ACCUM and g % dp == 0:
            fact, expect_name = run.get(F.GRAD_ACCUM), ACCUMULATION
            room = g // dp
        elif found.shape == GlobalShape.CHUNK and found.what != "global batch":
            fact, expect_name = run.get(F.DEVICE_MICROBATCH), str(F.DEVICE_MICROBATCH)
            room = found.global_batch
        else:
            return None
        current = positive_int(fact.value) if fact is not None else None
        if fact is None or current is None:
            return None
        # A smaller micro batch, or more accumulation steps, never needs more memory per GPU.
        new = _smallest_divisor_at_least(room, current) if found.shape == GlobalShape.ACCUM else _largest_divisor_at_most(room, current)
        edit = replace_value(fact, new)
        if edit is None or fact.shared_with:
            return None
        split_as = f"{room // new} per device × {new} accumulation" if found.shape == GlobalShape.ACCUM else f"{new} × {room // new} forward passes"
        return Fix(
            f"set {fact.key} {current} → {new}: the global batch {g} stays ({room} per data-parallel rank = {split_as})",
            SAFE,
            [edit],
            [Expectation(run.config, expect_name, new)],
        )


class ParallelLayoutInvalid(RunRule):
    """The parallel degrees do not fit the processes the launch starts.

    **What.** Tensor × pipeline × context-parallel groups must divide the world size (Megatron-LM,
    NeMo, torchtune, GPT-NeoX), and a config that declares every degree (nanotron `parallelism.dp ×
    tp × pp`) must multiply to exactly the process count. Reported with the degrees and the count;
    the data-parallel size, and with it the total batch, are then unknown.

    **Why.** The trainer checks the layout at start-up and stops ("world size is not divisible by
    tensor parallel size × pipeline parallel size", nanotron's `world_size == dp * tp * pp`), after
    the job waited for its GPUs.

    **Failing example.** A Megatron launch on 8 GPUs with 16-way tensor parallelism,
    `batchlint check train.sh`. `train.sh`:

    ```sh
    torchrun --nproc_per_node 8 pretrain_gpt.py --tensor-model-parallel-size 16 --micro-batch-size 1 --global-batch-size 64
    ```

    **Passing example.** Tensor parallelism 4 on 8 GPUs: DP 2, accumulation 32. `train.sh`:

    ```sh
    torchrun --nproc_per_node 8 pretrain_gpt.py --tensor-model-parallel-size 4 --micro-batch-size 1 --global-batch-size 64
    ```

    **Fix.** None: choose degrees that divide the GPU count, or launch on more GPUs.

    **Options.** `--num-processes` / `num-processes` in settings (the process count the check uses
    when the launch does not give one).

    **References.** accelerate-deepspeed.md §7 (Megatron-LM: data parallel = world / (tp × pp));
    Megatron-LM `megatron/core/parallel_state.py` (`initialize_model_parallel`), nanotron
    `src/nanotron/config/parallelism_config.py`.
    """

    code = "BL110"
    name = "parallel-layout-invalid"
    summary = "the parallel degrees do not fit the process count"
    severity = Severity.WARNING
    needs = (LAYOUT_UNRESOLVED,)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        dp = run.get(F.DATA_PARALLEL_SIZE)
        if not run.is_training or dp is None or dp.value is not None or not dp.unresolved:
            return
        anchors = [run.get(name) for name in (F.TP_SIZE, F.PP_SIZE, F.CP_SIZE, F.MP_SIZE, F.DP_SIZE, F.NUM_PROCESSES)]
        placed = [f for f in anchors if f is not None and f.span is not None]
        span = placed[0].span if placed and placed[0].span is not None else file_start(run.config)
        related = [Related(f.span, f"{f.key} = {f.value!r}") for f in placed[1:] if f.span is not None]
        yield self.report(f"parallel layout does not fit: {dp.unresolved}", span, "use degrees whose product divides the process count", related)


class LaunchConfigMissing(RunRule):
    """A launch line names a training config file that does not exist.

    **What.** The config a launch passes (`--config`, `--base`, `--config-path`/`--config-name`, a
    YAML argument) is looked up from where the script runs — its directory and the directories above
    it. Reported at the word when no such file exists; a path with a part set at run time
    (`$CONFIG`, `$(pwd)`) is never reported.

    **Why.** The training script fails on its first line, after the job waited for its GPUs; or a
    renamed config leaves the script launching something else than the config you check.

    **Failing example.** `batchlint check train.sh`, with `train.sh`:

    ```sh
    torchrun --nproc_per_node 8 train_video.py --base configs/missing.yaml
    ```

    **Passing example.** The config exists. `train.sh`:

    ```sh
    torchrun --nproc_per_node 8 train_video.py --base configs/sft.yaml
    ```

    and `configs/sft.yaml`:

    ```yaml
    args:
      model_parallel_size: 1
    deepspeed:
      train_micro_batch_size_per_gpu: 1
      gradient_accumulation_steps: 1
    ```

    **Fix.** None: correct the path (relative to the directory the script runs in).

    **Options.** None.

    **References.** accelerate-deepspeed.md §2.1 (what a launch line passes to the training
    script); `argparse` in the training script that reads the path.
    """

    code = "X012"
    name = "launch-config-missing"
    summary = "the training config a launch line names does not exist"
    severity = Severity.ERROR
    needs = (CONFIG_NOT_FOUND,)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        named = run.get(F.TRAINING_CONFIG)
        if named is None or named.problem != ProblemKind.NOT_FOUND or named.span is None:
            return
        yield self.report(
            f"training config `{named.value}` not found (from where {run.config} runs)",
            named.span,
            "fix the path: it is read relative to the directory the script runs in",
        )

"""BL2xx: memory — what fits on a card, the main card's extra load, accumulation that could shrink.

All of them read `run.memory` (batchlint/memory/model.py): per-card estimates from a memory profile
and a GPU. What really loads the main card under DistributedDataParallel (memory-model.md §3):
DDP does *not* gather other ranks' gradients on rank 0 — every rank holds the same buckets. The
main card carries validation and sampling run only by the main process, other ranks' stray CUDA
contexts (CUDA touched before `set_device`), an EMA kept only there, and full-state-dict gathers
when saving; `nn.DataParallel` (not used by accelerate) is the one setup that piles everything on
cuda:0.
"""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.counts import positive_int
from batchlint.fixes import Fix
from batchlint.memory.attach import missing_help
from batchlint.memory.model import MemoryModel
from batchlint.model import FactName as F
from batchlint.model import RunModel, Severity
from batchlint.pair import Pairing
from batchlint.rules.base import Diagnostic, RunRule, file_start
from batchlint.rules.batch import anchor, factor_pairs, pair_fix


def _inputs(run: RunModel) -> tuple[RunModel, MemoryModel, int, int, int] | None:
    """(run, memory model, per-device batch, accumulation, data-parallel size) when all are known."""
    if run.memory is None:
        return None
    b = run.int_fact(F.PER_DEVICE_BATCH)
    acc = run.accumulation
    k = positive_int(acc.value) if acc else None
    if b is None or k is None:
        return None
    return run, run.memory, b, k, run.int_fact(F.DATA_PARALLEL_SIZE) or 1


def lower_batch_fix(run: RunModel, pairing: Pairing, b: int, k: int, reason: str) -> Fix | None:
    """Lower the per-device batch to the largest divisor of b·k that fits the main card conservatively
    and raise the accumulation to keep the total exactly (1 always divides, so when any batch fits, a
    divisor does). None when not even 1 fits: the profile or the card is the problem, not the batch."""
    memory = run.memory
    assert memory is not None
    local = b * k
    fitting = [(b2, k2) for b2, k2 in factor_pairs(local) if b2 < b and memory.main_conservative(b2) <= memory.usable]
    if not fitting:
        return None
    b2, k2 = fitting[0]
    why = f"{reason}; {b2} is the largest divisor of {local} that fits cuda:0 even in the worst case"
    return pair_fix(run, pairing, b2, k2, why, [])


class AccumulationCouldShrink(RunRule):
    """Gradient accumulation is above 1 while a larger per-device batch with the same total fits.

    **What.** batchlint looks for the largest b′ > b dividing b·k whose estimate fits the main card in
    the conservative case, and proposes (b′, k′ = b·k / b′). When a larger batch fits only under the
    optimistic assumptions it says so as information.

    **Why.** Accumulating k micro-batches of b costs k forward/backward passes of small kernels; one
    pass of b·k does the same work faster when it fits (the seed's advice: size the per-card batch to
    memory first, then accumulate). Caveat: the two are equivalent only without batch-statistics
    layers (BatchNorm) and with a loss normalised the same way.

    What loads the main card under DistributedDataParallel: not other ranks' gradients (every rank
    holds the same gradient buckets), but validation/sampling run only by the main process (MuseV
    `validation_data.do_validation`, `output_dir.track_init`), stray CUDA contexts that other ranks
    open on cuda:0, an EMA kept only on the main process, and full-state-dict gathers when saving
    (memory-model.md §3). The optimistic case lets validation reuse the memory the training step
    freed; the conservative case does not (fragmentation).

    **Failing example.** The MuseV template on 8 A100-80GB,
    `batchlint check train.yaml --num-processes 8 --target-total 32 --gpu A100-80GB`: 1 per device × 4
    accumulation, where 4 × 1 fits cuda:0 even in the worst case. `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
      track_init: True
    model:
      use_referencenet: True
    train:
      train_batch_size: 1
      gradient_accumulation_steps: 4
      mixed_precision: fp16
      gradient_checkpointing: True
      enable_xformers_memory_efficient_attention: True
    dataset:
      n_sample_frames: 12
      dataset:
        width: 512
        height: 320
    validation_data:
      do_validation: True
    ```

    **Passing example.** What the fix writes, 4 × 1. `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
      track_init: True
    model:
      use_referencenet: True
    train:
      train_batch_size: 4
      gradient_accumulation_steps: 1
      mixed_precision: fp16
      gradient_checkpointing: True
      enable_xformers_memory_efficient_attention: True
    dataset:
      n_sample_frames: 12
      dataset:
        width: 512
        height: 320
    validation_data:
      do_validation: True
    ```

    **Fix.** Safe (the total is kept): set the per-device batch to b′ and the accumulation to k′.

    **Options.** `gpu` (`--gpu`), `gpu-memory-gib`, `headroom` (default 0.05), `gpus-per-node`, and
    the memory profile: `memory-profile` (`--memory-profile`), `memory-preset` or
    `[tool.batchlint.memory]` (MuseV configs get the authors' figures as a low-confidence preset).
    Without a GPU and a profile the rule is not evaluated (BL204).

    **References.** memory-model.md §3 (the main card), §6.2 (formulas) and §6.4 (b) (accumulation
    could shrink, and the BatchNorm caveat); musev.md "The seed's advice, as rules".
    """

    code = "BL201"
    name = "accumulation-could-shrink"
    summary = "accumulation > 1 while a larger per-device batch fits"
    severity = Severity.WARNING
    fixable = True

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        inputs = _inputs(run)
        if inputs is None:
            return
        run, memory, b, k, dp = inputs
        if k <= 1:
            return
        local = b * k
        bigger = [(b2, k2) for b2, k2 in factor_pairs(local) if b2 > b]
        safe = [(b2, k2) for b2, k2 in bigger if memory.main_conservative(b2) <= memory.usable]
        acc = run.accumulation
        assert acc is not None
        if safe:
            b2, k2 = safe[0]
            message = (f"accumulation {k} with per-device batch {b}: {b2} per device × {k2} accumulation keeps the total "
                       f"{local * dp} and fits cuda:0 even in the worst case (≈ {memory.main_conservative(b2):.1f} of "
                       f"{memory.usable:.1f} GiB on {memory.gpu.name}; now ≈ {memory.main_conservative(b):.1f})")
            fix = pair_fix(run, pairing, b2, k2, f"same total in fewer, larger steps; {memory.confidence} confidence", [])
            yield self.report(message, anchor(run, F.GRAD_ACCUM, F.PER_DEVICE_BATCH),
                              "a larger per-device batch does the same work in fewer, faster steps", fix=fix)
            return
        optimistic = [(b2, k2) for b2, k2 in bigger if memory.main_optimistic(b2) <= memory.usable]
        if optimistic:
            b2, k2 = optimistic[0]
            yield self.report(
                f"accumulation {k} with per-device batch {b}: {b2} × {k2} would fit only if validation reuses freed memory "
                f"(≈ {memory.main_optimistic(b2):.1f} of {memory.usable:.1f} GiB optimistic, "
                f"{memory.main_conservative(b2):.1f} conservative)",
                anchor(run, F.GRAD_ACCUM, F.PER_DEVICE_BATCH), "measure rank 0 with validation on before relying on it",
                severity=Severity.INFO)


class BatchDoesNotFit(RunRule):
    """The per-device batch does not fit on any card by the estimate.

    **What.** M(b) = static + b × per-sample memory exceeds the usable capacity (capacity × (1 −
    headroom)). On a single GPU the one card also runs validation, so its validation term counts too.
    The message gives the estimate, the capacity and the largest batch that fits.

    **Why.** A batch that does not fit any card stops the run with CUDA out of memory at its first
    step, once the job has its GPUs.

    What loads the main card under DistributedDataParallel: not other ranks' gradients (every rank
    holds the same gradient buckets), but validation/sampling run only by the main process (MuseV
    `validation_data.do_validation`, `output_dir.track_init`), stray CUDA contexts that other ranks
    open on cuda:0, an EMA kept only on the main process, and full-state-dict gathers when saving
    (memory-model.md §3). The optimistic case lets validation reuse the memory the training step
    freed; the conservative case does not (fragmentation).

    **Failing example.** `batchlint check train.yaml --num-processes 16 --target-total 192 --gpu A100-80GB`:
    12 per device needs ≈ 88.9 GiB of the 75.2 usable. `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
      track_init: True
    model:
      use_referencenet: True
    train:
      train_batch_size: 12
      gradient_accumulation_steps: 1
      mixed_precision: fp16
      gradient_checkpointing: True
      enable_xformers_memory_efficient_attention: True
    dataset:
      n_sample_frames: 12
      dataset:
        width: 512
        height: 320
    validation_data:
      do_validation: True
    ```

    **Passing example.** What the fix writes, 6 × 2 (the same total). `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
      track_init: True
    model:
      use_referencenet: True
    train:
      train_batch_size: 6
      gradient_accumulation_steps: 2
      mixed_precision: fp16
      gradient_checkpointing: True
      enable_xformers_memory_efficient_attention: True
    dataset:
      n_sample_frames: 12
      dataset:
        width: 512
        height: 320
    validation_data:
      do_validation: True
    ```

    **Fix.** Safe (the total is kept exactly): lower the per-device batch to the largest divisor of
    batch × accumulation that fits the main card conservatively, and raise the accumulation to match.
    No fix when not even a batch of 1 fits: then the profile or the card is the problem.

    **Options.** `gpu` (`--gpu`), `gpu-memory-gib`, `headroom` (default 0.05), `gpus-per-node`, and
    the memory profile: `memory-profile` (`--memory-profile`), `memory-preset` or
    `[tool.batchlint.memory]` (MuseV configs get the authors' figures as a low-confidence preset).
    Without a GPU and a profile the rule is not evaluated (BL204).

    **References.** memory-model.md §3 (the main card), §5 (GPU capacities), §6.2 (formulas) and §6.4
    (deciding); musev.md "Memory facts published by the authors".
    """

    code = "BL202"
    name = "batch-does-not-fit"
    summary = "per-device batch does not fit any card"
    severity = Severity.ERROR
    fixable = True

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        inputs = _inputs(run)
        if inputs is None:
            return
        run, memory, b, k, _dp = inputs
        need = memory.rank(b) if memory.multi_gpu else memory.main_optimistic(b)
        if need <= memory.usable:
            return
        largest = memory.largest("rank" if memory.multi_gpu else "main_optimistic")
        parts = f"static {memory.static + memory.distributed:.1f} + {b} × {memory.per_sample:.2f} per sample"
        if not memory.multi_gpu and memory.transient_gib():
            parts += f" + validation {memory.transient_gib():.1f}"
        largest_text = f"the largest that fits is {largest}" if largest else "not even 1 fits: check the profile"
        yield self.report(
            f"per-device batch {b} needs ≈ {need:.1f} GiB per card ({parts}), {memory.gpu.name} has {memory.usable:.1f} "
            f"GiB usable: {largest_text} ({memory.confidence} confidence)",
            anchor(run, F.PER_DEVICE_BATCH), "lower the per-device batch and raise accumulation to keep the total",
            fix=lower_batch_fix(run, pairing, b, k, f"{b} does not fit {memory.gpu.name}"))


class MainCardRisk(RunRule):
    """The per-device batch fits the other cards but not the main one (cuda:0).

    **What.** Error when even the optimistic case (validation reuses the memory the step freed) does
    not fit, warning when only the conservative case does not. The message names the dominant
    main-card term, e.g. "validation on the main process adds ≈ 9 GiB to cuda:0", and what to do:
    turn validation off or make it smaller, check that `set_device` runs before any CUDA call, or lower
    the per-device batch.

    **Why.** The run goes out of memory on cuda:0 alone, when the main process validates or saves,
    while the other cards have room to spare.

    What loads the main card under DistributedDataParallel: not other ranks' gradients (every rank
    holds the same gradient buckets), but validation/sampling run only by the main process (MuseV
    `validation_data.do_validation`, `output_dir.track_init`), stray CUDA contexts that other ranks
    open on cuda:0, an EMA kept only on the main process, and full-state-dict gathers when saving
    (memory-model.md §3). The optimistic case lets validation reuse the memory the training step
    freed; the conservative case does not (fragmentation).

    **Failing example.** `batchlint check train.yaml --num-processes 16 --target-total 288 --gpu A100-80GB`:
    9 per device fits the other cards, but validation on the main process adds ≈ 9 GiB to cuda:0.
    `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
      track_init: True
    model:
      use_referencenet: True
    train:
      train_batch_size: 9
      gradient_accumulation_steps: 2
      mixed_precision: fp16
      gradient_checkpointing: True
      enable_xformers_memory_efficient_attention: True
    dataset:
      n_sample_frames: 12
      dataset:
        width: 512
        height: 320
    validation_data:
      do_validation: True
    ```

    **Passing example.** The same batch with validation off. `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
      track_init: True
    model:
      use_referencenet: True
    train:
      train_batch_size: 9
      gradient_accumulation_steps: 2
      mixed_precision: fp16
      gradient_checkpointing: True
      enable_xformers_memory_efficient_attention: True
    dataset:
      n_sample_frames: 12
      dataset:
        width: 512
        height: 320
    validation_data:
      do_validation: False
    ```

    **Fix.** Safe (the total is kept exactly): lower the per-device batch to the largest divisor of
    batch × accumulation that fits the main card conservatively, and raise the accumulation to match.
    No fix when not even a batch of 1 fits: then the profile or the card is the problem.

    **Options.** `gpu` (`--gpu`), `gpu-memory-gib`, `headroom` (default 0.05), `gpus-per-node`, and
    the memory profile: `memory-profile` (`--memory-profile`), `memory-preset` or
    `[tool.batchlint.memory]` (MuseV configs get the authors' figures as a low-confidence preset).
    Without a GPU and a profile the rule is not evaluated (BL204).

    **References.** memory-model.md §3 (why cuda:0 uses more memory), §6.2 (the main-rank formula) and
    §6.4 (a) (main-card memory risk); musev.md "Memory facts published by the authors" (validation
    runs only on the main process; the authors advise `do_validation=False`).
    """

    code = "BL203"
    name = "main-card-memory-risk"
    summary = "fits the other cards but not the main card"
    severity = Severity.WARNING
    fixable = True

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        inputs = _inputs(run)
        if inputs is None or not inputs[1].multi_gpu:
            return
        run, memory, b, k, _dp = inputs
        if memory.rank(b) > memory.usable or memory.main_conservative(b) <= memory.usable:
            return  # BL202's, or fine
        error = memory.main_optimistic(b) > memory.usable
        term = memory.dominant_main_term()
        because = f": {term.name} ({term.why}) adds ≈ {term.gib:.1f} GiB to cuda:0" if term else ""
        case = (f"not even if validation reuses freed memory (≈ {memory.main_optimistic(b):.1f} GiB)" if error
                else f"not in the worst case (≈ {memory.main_conservative(b):.1f} GiB; ≈ {memory.main_optimistic(b):.1f} "
                     "if validation reuses freed memory)")
        best = memory.largest("main_conservative")
        yield self.report(
            f"per-device batch {b} fits the other cards (≈ {memory.rank(b):.1f} of {memory.usable:.1f} GiB on "
            f"{memory.gpu.name}) but {case} on cuda:0{because}",
            anchor(run, F.PER_DEVICE_BATCH),
            f"turn validation off or shrink it, call set_device before any CUDA use, or use per-device {best}"
            " (fits cuda:0 even in the worst case) with more accumulation",
            severity=Severity.ERROR if error else Severity.WARNING,
            fix=lower_batch_fix(run, pairing, b, k, f"{b} risks cuda:0"))


class NoMemoryProfile(RunRule):
    """No memory profile or GPU, so BL201–BL203 were not evaluated.

    **What.** A training config whose run has no GPU declared, or no memory profile for its model.
    MuseV configs get the authors' figures as a low-confidence preset, so for them only the GPU is
    missing. Reported once per run, as information.

    **Why.** Whether a per-device batch fits, on the other cards and on cuda:0, and whether
    accumulation could shrink, depends on the card's capacity and the model's memory per sample:
    without them the memory rules say nothing, and the advice "size the per-card batch to memory
    first" cannot be checked.

    **Failing example.** `batchlint check train.yaml --num-processes 8 --target-total 32`, with
    `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
      track_init: True
    model:
      use_referencenet: True
    train:
      train_batch_size: 4
      gradient_accumulation_steps: 1
      mixed_precision: fp16
      gradient_checkpointing: True
      enable_xformers_memory_efficient_attention: True
    dataset:
      n_sample_frames: 12
      dataset:
        width: 512
        height: 320
    validation_data:
      do_validation: True
    ```

    **Passing example.** The same `train.yaml`, with a `pyproject.toml` that declares the GPU:

    ```toml
    [tool.batchlint]
    gpu = "A100-80GB"
    ```

    **Fix.** None: declare the GPU and, for models without a built-in preset, a memory profile — best
    two measured points (per-device batch, peak GiB) of the same config on two or more GPUs:

    ```toml
    [tool.batchlint]
    gpu = "A100-80GB"
    [tool.batchlint.memory]
    reference = { frames = 12, height = 320, width = 512 }
    points = [{ per_device_batch = 1, peak_gib = 35.0, num_gpus = 16, rank = 1 },
              { per_device_batch = 4, peak_gib = 49.7, num_gpus = 16, rank = 1 }]
    ```

    or `--gpu A100-80GB --memory-profile profile.yaml`.

    **Options.** `gpu` (`--gpu`), `gpu-memory-gib`, `memory-profile` (`--memory-profile`),
    `memory-preset`, `[tool.batchlint.memory]`.

    **References.** memory-model.md §5 (GPU capacities), §6.1 (inputs) and §6.3 (calibration from
    measured points); musev.md "Memory facts published by the authors".
    """

    code = "BL204"
    name = "no-memory-profile"
    summary = "no memory profile: memory rules not evaluated"
    severity = Severity.INFO

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training or run.memory is not None or run.memory_missing is None:
            return
        yield self.report(f"memory rules BL201–BL203 not evaluated: {run.memory_missing}",
                          anchor(run, F.PER_DEVICE_BATCH) if run.get(F.PER_DEVICE_BATCH) else file_start(run.config),
                          missing_help(run.memory_missing))

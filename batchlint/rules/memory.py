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
from batchlint.memory import CENTRAL, CONSERVATIVE, OPTIMISTIC
from batchlint.memory.attach import missing_help
from batchlint.model import FactName as F
from batchlint.model import RunModel, Severity
from batchlint.pair import Pairing
from batchlint.plan import FITS, FITS_WITHOUT_VALIDATION, MAIN_AT_RISK, Plan
from batchlint.rules.base import MEMORY, Diagnostic, RunRule, file_start
from batchlint.rules.batch import anchor, plan_fix, run_plan

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.memory.model import MemoryModel


def _inputs(run: RunModel) -> tuple[RunModel, MemoryModel, int, int, int] | None:
    """(run, memory model, per-device batch, accumulation, data-parallel size) when all are known."""
    if run.memory is None:
        return None
    b = run.int_fact(F.PER_DEVICE_BATCH)
    acc = run.accumulation
    k = positive_int(acc.value) if acc else None
    dp = run.int_fact(F.DATA_PARALLEL_SIZE)
    if b is None or k is None or dp is None:
        return None
    return run, run.memory, b, k, dp


def same_total_plan(run: RunModel, b: int, k: int, dp: int) -> Plan | None:
    """The planner's pair for the run's own total (per-device × processes × accumulation kept)."""
    return run_plan(run, b * k * dp)


def lower_batch_fix(run: RunModel, pairing: Pairing, p: Plan | None, b: int) -> Fix | None:
    """The planner's smaller per-device batch for the same total, when it has one that fits."""
    if p is None or p.recommended is None or p.recommended.b >= b:
        return None
    return plan_fix(run, pairing, p, [])


def _sharding_text(memory: MemoryModel) -> str:
    return f", {memory.sharding.label}" if memory.sharding is not None else ""


class AccumulationCouldShrink(RunRule):
    """Gradient accumulation is above 1 while a larger per-device batch with the same total fits.

    **What.** The planner (the same as `batchlint plan`) looks for the largest b′ > b dividing b·k
    whose estimate fits the main card at the conservative end of its uncertainty band, validation not
    reusing freed memory, and proposes (b′, k′ = b·k / b′). When a larger batch fits only if validation
    reuses freed memory, it says so as information.

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

    **Fix.** Safe (the total is kept, and b′ fits at the conservative end): set the per-device batch to
    b′ and the accumulation to k′.

    **Options.** `gpu` (`--gpu`), `gpu-memory-gib`, `headroom` (default 0.05), `gpus-per-node`, and
    the memory profile: `memory-profile` (`--memory-profile`), `memory-preset` or
    `[tool.batchlint.memory]` (MuseV configs get the authors' figures as a low-confidence preset).
    Without a GPU and a profile the rule is not evaluated (BL204).

    **References.** memory-model.md §3 (the main card), §6.2 (formulas) and §6.4 (b) (accumulation
    could shrink, and the BatchNorm caveat); musev.md "The seed's advice, as rules".
    """

    code = "BL201"
    needs = (MEMORY,)
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
        p = same_total_plan(run, b, k, dp)
        if p is None:
            return
        row = p.recommended
        at = anchor(run, F.GRAD_ACCUM, F.PER_DEVICE_BATCH)
        if row is not None and row.b > b and row.verdict == FITS:
            message = (
                f"accumulation {k} with per-device batch {b}: {row.b} per device × {row.k} accumulation keeps the total "
                f"{b * k * dp} and fits cuda:0 at the conservative end (≈ {memory.main_conservative(row.b):.1f} of "
                f"{memory.usable:.1f} GiB on {memory.gpu.name}; now ≈ {memory.main_conservative(b):.1f})"
            )
            yield self.report(message, at, "a larger per-device batch does the same work in fewer, faster steps", fix=plan_fix(run, pairing, p, []))
            return
        bigger = [r for r in p.rows if r.b > b and r.verdict in (MAIN_AT_RISK, FITS_WITHOUT_VALIDATION)]
        if bigger:
            r = min(bigger, key=lambda r: r.b)
            yield self.report(
                f"accumulation {k} with per-device batch {b}: {r.b} × {r.k} would fit only if validation reuses freed memory "
                f"(≈ {memory.main_optimistic(r.b):.1f} of {memory.usable:.1f} GiB optimistic, "
                f"{memory.main_conservative(r.b):.1f} conservative)",
                at,
                "measure rank 0 with validation on before relying on it",
                severity=Severity.INFO,
            )


class BatchDoesNotFit(RunRule):
    """The per-device batch does not fit on any card by the estimate.

    **What.** M(b) = static + b × per-sample memory exceeds the usable capacity (capacity × (1 −
    headroom)). Every estimate carries a band set by the profile's kind (memory-model.md §4.2, §7): the
    per-sample memory of samples beyond the batch the profile was measured (or published) at may be
    16 % higher or 6.6 % lower, and a static computed from parameter counts 27 % higher or 15.5 %
    lower. **Error** when even the optimistic end does not fit, **warning** when only the conservative
    end does not. On a single GPU the one card also runs validation, so its validation term counts too.
    The message gives the central estimate, both ends, the capacity and the largest batch that fits at
    the conservative end.

    A static from parameter counts follows the run's sharding, read from every source (accelerate
    `deepspeed_config` / `fsdp_config`, the DeepSpeed JSON it or a Trainer `deepspeed:` key or
    `--deepspeed` flag names, a Trainer `fsdp:` / `--fsdp` option, launch flags), with DeepSpeed's current
    model-state formulas for P parameters, N ranks and a largest layer L (16-bit training, Adam):
    ZeRO-2 2P + 18P/N, with optimizer offload 2P (`estimate_zero2_model_states_mem_needs`,
    deepspeed/runtime/zero/stage_1_and_2.py, DeepSpeed ≥ 0.14.3); ZeRO-3 4L + 18P/N, optimizer offload
    4L + 2P/N, optimizer and parameter offload 4L (`estimate_zero3_model_states_mem_needs`,
    deepspeed/runtime/zero/stage3.py); ZeRO-1 4P + 16P/N; FSDP FULL_SHARD 4L + 16P/N. ZeRO on one GPU
    is modelled with N = 1. `inspect --format json` lists each term with its formula under
    `memory.static_terms`.

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

    **Fix.** Safe (the total is kept exactly): the planner's pair — the per-device batch lowered to the
    largest divisor of batch × accumulation that fits the main card at the conservative end, the
    accumulation raised to match. No fix when not even a batch of 1 fits: then the profile, the
    sharding or the card is the problem (the help says whether it fits with validation off).

    **Options.** `gpu` (`--gpu`), `gpu-memory-gib`, `headroom` (default 0.05), `gpus-per-node`, and
    the memory profile: `memory-profile` (`--memory-profile`), `memory-preset` or
    `[tool.batchlint.memory]` (MuseV configs get the authors' figures as a low-confidence preset;
    `largest_layer_params` for ZeRO-3 and FSDP, default 10 % of the parameters). Without a GPU and a
    profile the rule is not evaluated (BL204).

    **References.** memory-model.md §1.3 (the DeepSpeed estimators), §3 (the main card), §4.2 (measured
    errors), §5 (GPU capacities), §6.2 (formulas) and §6.4 (deciding); DeepSpeed
    docs/code-docs/source/memory.rst (the estimators' documented examples); musev.md "Memory facts
    published by the authors".
    """

    code = "BL202"
    needs = (MEMORY,)
    name = "batch-does-not-fit"
    summary = "per-device batch does not fit any card"
    severity = Severity.ERROR
    fixable = True

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        inputs = _inputs(run)
        if inputs is None:
            return
        run, memory, b, k, dp = inputs
        usable = memory.usable
        low, mid, high = (memory.need(b, case) for case in (OPTIMISTIC, CENTRAL, CONSERVATIVE))
        if high <= usable:
            return
        error = low > usable
        largest = memory.largest("rank_conservative" if memory.multi_gpu else "main_conservative")
        parts = f"static {memory.static + memory.distributed:.1f}{_sharding_text(memory)} + {b} × {memory.per_sample:.2f} per sample"
        if not memory.multi_gpu and memory.transient_gib():
            parts += f" + validation {memory.transient_gib():.1f}"
        largest_text = (
            f"the largest that fits at the conservative end is {largest}"
            if largest
            else "not even 1 fits at the conservative end: check the profile and the sharding"
        )
        case = "even at the optimistic end it is above" if error else "it may not fit: the conservative end is above"
        p = same_total_plan(run, b, k, dp)
        fix = lower_batch_fix(run, pairing, p, b)
        help = p.describe() if fix is not None and p is not None else "lower the per-device batch and raise accumulation to keep the total"
        yield self.report(
            f"per-device batch {b} needs ≈ {mid:.1f} GiB per card ({parts}; {low:.1f}–{high:.1f} with the {memory.band.kind} "
            f"profile's uncertainty): {case} the {usable:.1f} GiB usable on {memory.gpu.name}; {largest_text} "
            f"({memory.confidence} confidence)",
            anchor(run, F.PER_DEVICE_BATCH),
            help,
            severity=Severity.ERROR if error else Severity.WARNING,
            fix=fix,
        )


class MainCardRisk(RunRule):
    """The per-device batch fits the other cards but not the main one (cuda:0).

    **What.** In some case (optimistic: validation reuses the memory the step freed, at the band's low
    end; central; conservative: no reuse, at the band's high end) the other cards fit and cuda:0 does
    not. Error when that happens even in the optimistic case, warning otherwise. The message names the
    dominant main-card term, e.g. "validation on the main process adds ≈ 9 GiB to cuda:0", and the help
    what to do: turn validation off or make it smaller, check that `set_device` runs before any CUDA
    call (when stray contexts are declared), or the planner's smaller per-device batch.

    Main-card terms come from evidence only: validation when the config turns it on (MuseV
    `validation_data.do_validation`; the AnimateAnyone family's `val.validation_steps` at most
    `solver.max_train_steps`), stray CUDA contexts only when the profile declares `stray_contexts: true`
    (no config key shows their cause) or a measured `main_extra_gib`, an EMA kept on rank 0, and the
    gathers when saving: FSDP `fsdp_state_dict_type: FULL_STATE_DICT` without offload (the whole model
    in fp32) and ZeRO-3 16-bit saves (`zero3_save_16bit_model`, `stage3_gather_16bit_weights_on_model_save`:
    ≈ 2 B × the largest layer).

    **Why.** The run goes out of memory on cuda:0 alone, when the main process validates or saves,
    while the other cards have room to spare.

    What loads the main card under DistributedDataParallel: not other ranks' gradients (every rank
    holds the same gradient buckets), but validation/sampling run only by the main process (MuseV
    `validation_data.do_validation`, `output_dir.track_init`), stray CUDA contexts that other ranks
    open on cuda:0, an EMA kept only on the main process, and full-state-dict gathers when saving
    (memory-model.md §3). The optimistic case lets validation reuse the memory the training step
    freed; the conservative case does not (fragmentation).

    **Failing example.** `batchlint check train.yaml --num-processes 16 --target-total 256 --gpu A100-80GB`:
    8 per device fits the other cards, but validation on the main process adds ≈ 9 GiB to cuda:0.
    `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
      track_init: True
    model:
      use_referencenet: True
    train:
      train_batch_size: 8
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
      train_batch_size: 8
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

    **Fix.** Safe (the total is kept exactly): the planner's pair — the per-device batch lowered to the
    largest divisor of batch × accumulation that fits the main card at the conservative end, the
    accumulation raised to match. No fix when not even a batch of 1 fits with validation on; the help
    then gives the pair that fits with validation off.

    **Options.** `gpu` (`--gpu`), `gpu-memory-gib`, `headroom` (default 0.05), `gpus-per-node`, and
    the memory profile: `memory-profile` (`--memory-profile`), `memory-preset` or
    `[tool.batchlint.memory]` (MuseV configs get the authors' figures as a low-confidence preset;
    `stray_contexts`, `main_extra_gib`, `ema_main_gib`, `validation_gib`). Without a GPU and a profile
    the rule is not evaluated (BL204).

    **References.** memory-model.md §3 (why cuda:0 uses more memory, #5 the save-time gathers), §6.2 (the main-rank formula) and
    §6.4 (a) (main-card memory risk); musev.md "Memory facts published by the authors" (validation
    runs only on the main process; the authors advise `do_validation=False`).
    """

    code = "BL203"
    needs = (MEMORY,)
    name = "main-card-memory-risk"
    summary = "fits the other cards but not the main card"
    severity = Severity.WARNING
    fixable = True

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        inputs = _inputs(run)
        if inputs is None or not inputs[1].multi_gpu:
            return
        run, memory, b, k, dp = inputs
        usable = memory.usable
        main = {
            OPTIMISTIC: memory.main_optimistic(b),
            CENTRAL: memory.rank(b) + memory.persist_gib() + memory.transient_gib(),
            CONSERVATIVE: memory.main_conservative(b),
        }
        # The main card is the problem when, in some case, the other cards fit and cuda:0 does not.
        failing = [c for c in (OPTIMISTIC, CENTRAL, CONSERVATIVE) if memory.rank(b, c) <= usable < main[c]]
        if not failing:
            return
        error = failing[0] == OPTIMISTIC
        term = memory.dominant_main_term()
        because = f": {term.name} ({term.why}) adds ≈ {term.gib:.1f} GiB to cuda:0" if term else ""
        case = (
            f"not even if validation reuses freed memory (≈ {main[OPTIMISTIC]:.1f} GiB)"
            if error
            else f"not in the worst case (≈ {main[CONSERVATIVE]:.1f} GiB; ≈ {main[OPTIMISTIC]:.1f} if validation reuses freed memory)"
        )
        p = same_total_plan(run, b, k, dp)
        fix = lower_batch_fix(run, pairing, p, b)
        advice = ["turn validation off or shrink it"] if any(t.name.startswith("validation") for t in memory.transient) else []
        if any(t.name.startswith("stray") for t in memory.persist):
            advice.append("call set_device before any CUDA use")
        if fix is not None and p is not None:
            advice.append(f"or use {p.describe()}")
        elif p is not None and p.recommended is not None and p.recommended.verdict == FITS_WITHOUT_VALIDATION:
            advice.append(f"with validation off: {p.describe()}")
        yield self.report(
            f"per-device batch {b} fits the other cards (≈ {memory.rank(b, failing[0]):.1f} of {usable:.1f} GiB on "
            f"{memory.gpu.name}) but {case} on cuda:0{because}",
            anchor(run, F.PER_DEVICE_BATCH),
            ", ".join(advice) or "lower the per-device batch",
            severity=Severity.ERROR if error else Severity.WARNING,
            fix=fix,
        )


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
    needs = (MEMORY,)
    name = "no-memory-profile"
    summary = "no memory profile: memory rules not evaluated"
    severity = Severity.INFO

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training or run.memory is not None or run.memory_missing is None:
            return
        yield self.report(
            f"memory rules BL201–BL203 not evaluated: {run.memory_missing}",
            anchor(run, F.PER_DEVICE_BATCH) if run.get(F.PER_DEVICE_BATCH) else file_start(run.config),
            missing_help(run.memory_missing),
        )

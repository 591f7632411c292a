"""BL1xx: the batch arithmetic — total = per-device batch × data-parallel size × accumulation."""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.advice import lr_note
from batchlint.counts import positive_int
from batchlint.fixes import ACCUMULATION, SAFE, UNSAFE, Edit, Expectation, Fix, replace_value
from batchlint.loading.nodes import Span
from batchlint.model import Fact, Origin, RunModel, Semantics, Severity
from batchlint.model import FactName as F
from batchlint.pair import Pairing
from batchlint.plan import FITS, Plan, nearest_totals, plan
from batchlint.rules.base import Diagnostic, Related, RunRule, file_start


def _where(fact: Fact[object]) -> str:
    if fact.origin == Origin.CLI:
        return f"{fact.key} on the command line"
    if fact.origin == Origin.SETTINGS:
        return f"{fact.key} in settings"
    if fact.origin == Origin.DEFAULT:
        return "default"
    if fact.origin == Origin.DERIVED:
        return "derived"
    return f"{fact.key}, line {fact.span.line}" if fact.span else str(fact.key)


def anchor(run: RunModel, *names: F) -> Span:
    for name in names:
        fact = run.get(name)
        if fact is not None and fact.span is not None and fact.span.file == run.config:
            return fact.span
    return file_start(run.config)


def _related(run: RunModel, *names: F) -> list[Related]:
    out = []
    for name in names:
        fact = run.get(name)
        if fact is not None and fact.span is not None:
            out.append(Related(fact.span, f"{fact.key} = {fact.value!r}"))
    return out


def _formula(run: RunModel) -> str:
    acc = run.accumulation
    per_device, dp = run.get(F.PER_DEVICE_BATCH), run.get(F.DATA_PARALLEL_SIZE)
    if per_device is None or dp is None:
        # A trainer that fixes the global batch without a per-device one (verl under use_dynamic_bsz): the global batch.
        glob = run.get(F.GLOBAL_BATCH)
        return (glob.note or f"{glob.key} {glob.value}") if glob is not None else "the global batch"
    accum = f"{acc.value if acc else '?'} accumulation"
    grad_accum = run.grad_accum
    if acc is not None and acc.name == F.EFFECTIVE_GRAD_ACCUM:
        accum += (
            f" (from {acc.span.file}, not the config's {grad_accum.value})" if acc.span and grad_accum is not None else f" ({acc.note})" if acc.note else ""
        )
    return f"{per_device.value} per device × {dp.value} process{'' if dp.value == 1 else 'es'} × {accum}"


def _describe(fact: Fact[object], run: RunModel) -> str:
    if fact.origin == Origin.DEFAULT:
        keys = run.keys.get(fact.name) or (("--gradient_accumulation_steps",) if run.semantics == Semantics.SHELL else ())
        return f"{keys[0] if keys else fact.name} (absent: the default)"
    name = fact.read_as or fact.key or fact.name
    if fact.span is not None and fact.span.file != run.config:
        return f"{fact.key} in {fact.span.file}"
    return name


def run_plan(run: RunModel, target: int) -> Plan | None:
    """The planner's answer for this run and `target` (None without a data-parallel size)."""
    dp = run.int_fact(F.DATA_PARALLEL_SIZE)
    if dp is None:
        return None
    b = run.int_fact(F.PER_DEVICE_BATCH)
    acc = run.accumulation
    k = positive_int(acc.value) if acc else None
    stated = None  # a comment that states this very total as a pair on these processes: the author's record of a run
    for intent in run.stated_intent:
        if intent.total == target and intent.per_device and intent.grad_accum and intent.per_device * intent.grad_accum * dp == target:
            stated = (intent.per_device, intent.grad_accum, f"the comment at line {intent.span.line}")
            break
    return plan(dp, target, run.memory, (b, k) if b is not None and k is not None else None, stated)


def run_lr_note(run: RunModel, new_total: int) -> str:
    """`lr_note` for this run's total becoming `new_total`."""
    total = run.total_batch
    if total is None:
        return ""
    scale = run.get(F.SCALE_LR)
    return lr_note(total, new_total, run.get(F.LEARNING_RATE), scale_lr=scale is not None and scale.value is True)


def plan_fix(run: RunModel, pairing: Pairing, p: Plan, unsafe: list[str]) -> Fix | None:
    """The edits that set the plan's recommended pair; unsafe (with the reason) unless the plan is safe."""
    row = p.recommended
    if row is None or (p.memory is not None and row.verdict != FITS):
        return None  # never a pair the estimate rejects at its conservative end
    unsafe = list(unsafe)
    if not p.safe:
        if p.memory is None:
            unsafe.append("without memory information a larger per-device batch may not fit")
        else:
            unsafe.append(f"{row.b} per device does not fit at the conservative end of the estimate ({row.verdict})")
    why = p.reason
    note = run_lr_note(run, row.total)
    if note:
        why += f"; {note}"
    return pair_fix(run, pairing, row.b, row.k, why, unsafe)


def total_fix(run: RunModel, pairing: Pairing, target: int, target_explicit: bool, target_description: str) -> Fix | None:
    """Edits that set the per-device batch and accumulation to the planner's answer for `target`."""
    p = run_plan(run, target)
    if p is None or p.recommended is None:
        return None
    unsafe: list[str] = [] if target_explicit else [f"the target comes from {target_description}"]
    if p.recommended.total != target:
        unsafe.append(f"the total becomes {p.recommended.total}, not the declared {target}")
    return plan_fix(run, pairing, p, unsafe)


def pair_fix(run: RunModel, pairing: Pairing, b2: int, k2: int, why: str, unsafe: list[str]) -> Fix | None:
    """Edits that set the per-device batch to b2 and the accumulation to k2, where each value lives."""
    per_device = run.get(F.PER_DEVICE_BATCH)
    acc = run.accumulation
    if per_device is None or acc is None:
        return None
    dp = run.int_fact(F.DATA_PARALLEL_SIZE)
    unsafe = list(unsafe)
    edits: list[Edit] = []
    changes: list[str] = []
    manual: list[str] = []
    expect: list[Expectation] = []
    for fact, new in ((per_device, b2), (acc, k2)):
        if fact.value == new:
            continue
        changes.append(f"{_describe(fact, run)} {fact.value} → {new}")
        expect.append(Expectation(run.config, fact.name if fact.name != F.GRAD_ACCUM else ACCUMULATION, new))
        if fact.name == F.GRAD_ACCUM and fact.origin == Origin.DEFAULT:
            edit = _insert_accumulation(run, pairing, per_device, new)
            if edit is None and per_device.origin == Origin.SCRIPT and per_device.node is not None and per_device.span is not None:
                # A launch line without an accumulation flag: add one after the batch flag's value.
                edit = Edit(per_device.span.file, per_device.span.end, per_device.span.end, f" --gradient_accumulation_steps {new}")
                unsafe.append("it assumes the training script takes --gradient_accumulation_steps")
            if edit is None:
                keys = run.keys.get(F.GRAD_ACCUM)
                manual.append(f"add {keys[0]}: {new}" if keys else f"set the accumulation to {new} where the script reads it")
            else:
                edits.append(edit)
            continue
        if fact.origin in (Origin.CLI, Origin.SETTINGS):
            manual.append(f"{fact.key} is set {'on the command line' if fact.origin == Origin.CLI else 'in settings'}: change it there")
            continue
        edit = replace_value(fact, new)
        if edit is None:
            manual.append(f"{_describe(fact, run)} cannot be edited in place")
            continue
        if fact.shared_with:
            unsafe.append(f"the literal {fact.key} also feeds {', '.join(fact.shared_with)}")
        edits.append(edit)
    if not changes:
        return None
    message = f"set {' and '.join(changes)}: {b2} × {dp} × {k2} = {b2 * (dp or 1) * k2} ({why})"
    if manual:
        return Fix(message + "; " + "; ".join(manual), UNSAFE, [], expect)
    if unsafe:
        message += "; unsafe: " + "; ".join(unsafe)
    return Fix(message, UNSAFE if unsafe else SAFE, edits, expect)


def _insert_accumulation(run: RunModel, pairing: Pairing, per_device: Fact[object], value: int) -> Edit | None:
    """Insert the absent accumulation key next to the per-device batch, when both live in one mapping."""
    if F.PER_DEVICE_BATCH not in run.keys or F.GRAD_ACCUM not in run.keys:
        return None
    pd_key = run.keys[F.PER_DEVICE_BATCH][0]
    ga_key = run.keys[F.GRAD_ACCUM][0]
    if pd_key.rsplit(".", 1)[0] != ga_key.rsplit(".", 1)[0] or per_device.key != pd_key or per_device.span is None:
        return None
    doc = pairing.document_view(per_device.span.file)
    return doc.insert_key_after(per_device, ga_key.rsplit(".", 1)[-1], value) if doc else None


class TotalBelowTarget(RunRule):
    """The total batch per optimizer step is below the target.

    **What.** total = per-device batch × data-parallel processes × gradient accumulation.
    Where the target comes from, first match wins: `--target-total`, `target-total` in
    `[tool.batchlint]` (or a `[[tool.batchlint.runs]]` binding), a total stated in a comment of the
    config (`16卡*2accumulation*7单卡batch_size = 224`, `GBS 128`), or the dialect's preset (MuseV:
    224, the authors' own figure). The message says which. The help is the planner's pair for the
    target (the same as `batchlint plan` and the fix): memory first — without memory information the
    per-device batch is kept and the accumulation raised; with a memory model the largest per-device
    batch that fits cuda:0 at the conservative end of the estimate. It also says what the new total
    means for the learning rate (its key and value, rescaled linearly and by the square root). Quiet
    when the target cannot be reached on these processes and the total is one of the totals next to it.

    **Why.** When the GPU count changes the total silently changes with it; a smaller total changes
    the optimisation (noisier steps, a learning rate tuned for another batch, `scale_lr` scaling by
    the wrong number).

    **Failing example.** The MuseV template on 16 GPUs, `batchlint check train.yaml --num-processes 16 --target-total 224`:
    1 × 16 × 4 = 64 < 224. `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
    train:
      train_batch_size: 1
      gradient_accumulation_steps: 4
    validation_data:
      do_validation: True
    ```

    **Passing example.** What the fix writes without memory information, 1 × 16 × 14 = 224 (with a GPU
    and a memory profile, MuseV's own 7 × 2). `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
    train:
      train_batch_size: 1
      gradient_accumulation_steps: 14
    validation_data:
      do_validation: True
    ```

    **Fix.** *Safe* when the target was given explicitly (`--target-total`, settings) and is reached
    exactly, and the pair keeps the per-device batch (no memory information) or fits at the
    conservative end of the memory estimate; *unsafe* when the target came from a comment or a
    preset, when the total only comes near the target, when the edited literal also feeds other keys,
    or when an accumulation flag must be added to a launch line (the message says which). Sets the
    per-device batch and the accumulation to the planner's pair, editing the literal where each value
    lives (another section or an included file when it was interpolated), or inserting the
    accumulation key when it is absent. A target the processes cannot reach: the nearest total on
    either side with the largest allowed per-device batch, within 5 % of the target (BL104). A value
    set on the command line or in settings is not edited: the fix says where to change it.

    **Options.** `--target-total` / `target-total` (the target); `--num-processes`, `--num-machines`,
    `--accelerate-config` or their settings (the processes); `gpu` and a memory profile (what the fix
    may choose).

    **References.** musev.md "The seed's advice, as rules" (16 GPUs × 7 per card × 2 accumulation =
    224) and "Where the GPU count comes from"; accelerate-deepspeed.md §6 (the total batch) and §8
    "Formula batchlint should report"; memory-model.md §6.4 (deciding at the conservative end).
    """

    code = "BL101"
    name = "total-below-target"
    summary = "total batch below the target"
    severity = Severity.WARNING
    fixable = True

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        yield from _off_target(self, run, pairing, below=True)


def _off_target(rule: RunRule, run: RunModel, pairing: Pairing, below: bool) -> Iterator[Diagnostic]:
    """BL101 (below the target) and BL106 (above it): the message, the planner's pair as help and fix,
    and what the change does to the learning rate. Quiet when the total is one the target allows: the
    target, a total next to a target the processes cannot reach, or the planner's own choice."""
    target = run.target
    total = run.total_batch
    if target is None or total is None or total == target.value or (total < target.value) != below:
        return
    p = run_plan(run, target.value)
    if p is None or total in p.quiet_totals():
        return
    related = _related(run, F.GRAD_ACCUM, F.EFFECTIVE_GRAD_ACCUM)
    if target.span is not None:
        related.append(Related(target.span, f"target {target.value} stated here"))
    help = p.describe()
    if p.recommended is not None:
        note = run_lr_note(run, p.recommended.total)
        help += f"; {note}" if note else ""
    fix = total_fix(run, pairing, target.value, target.source.explicit, target.description)
    word = "below" if below else "above"
    yield rule.report(
        f"total batch {total} ({_formula(run)}) is {word} the target {target.value} (from {target.description})",
        anchor(run, F.PER_DEVICE_BATCH, F.GRAD_ACCUM),
        help,
        related,
        fix=fix,
    )


class TotalAboveTarget(RunRule):
    """The total batch per optimizer step is above the target.

    **What.** total = per-device batch × data-parallel processes × gradient accumulation is larger
    than the target (found as for BL101: `--target-total`, settings, a comment, the dialect's preset),
    e.g. 1 per device × 8 processes × 56 accumulation = 448 against 224. Quiet when the target cannot
    be reached on these processes and the total is one of the totals next to it. The help is the
    planner's pair for the target (the same as `batchlint plan` and the fix) and what the change does
    to the learning rate.

    **Why.** A total twice the target halves the number of optimizer steps per epoch and trains with
    a learning rate tuned for another batch; it is as much a change of the optimisation as a total
    below the target, and BL201's "accumulation could shrink" would otherwise propose keeping it.

    **Failing example.** `batchlint check train.yaml --num-processes 8 --target-total 224`, with
    `train.yaml`:

    ```yaml
    train:
      train_batch_size: 1
      gradient_accumulation_steps: 56
      learning_rate: 1.0e-5
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Passing example.** What the fix writes, 1 × 8 × 28 = 224. `train.yaml`:

    ```yaml
    train:
      train_batch_size: 1
      gradient_accumulation_steps: 28
      learning_rate: 1.0e-5
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Fix.** Safe when the target was given explicitly (`--target-total`, settings) and is reached
    exactly; unsafe otherwise (a target from a comment or a preset, a total only near the target, a
    shared literal). It sets the planner's pair: without memory information the per-device batch is
    kept (or lowered to a divisor) and the accumulation lowered; with a memory model the largest
    per-device batch that fits cuda:0 at the conservative end. The message gives the learning rate's
    linear and square-root rescaled values.

    **Options.** `--target-total` / `target-total`, the process count (`--num-processes`,
    `--accelerate-config`, settings), `gpu` and a memory profile (what the fix may choose).

    **References.** accelerate-deepspeed.md §6 (the total batch) and §8 "Formula batchlint should
    report"; memory-model.md §6.4 (deciding with the conservative estimate); Goyal et al.,
    arXiv:1706.02677 (linear learning-rate scaling) and Malladi et al., arXiv:2205.10287 (square root,
    Adam).
    """

    code = "BL106"
    name = "total-above-target"
    summary = "total batch above the target"
    severity = Severity.WARNING
    fixable = True

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        yield from _off_target(self, run, pairing, below=False)


class LearningRateScaledByTotal(RunRule):
    """The training script multiplies the learning rate by the total batch (`scale_lr: true`).

    **What.** A config with `scale_lr: true` (MuseV `train.scale_lr`, AnimateAnyone family
    `solver.scale_lr`, AnimateDiff, LatentSync `optimizer.scale_lr`, diffusers' `--scale_lr` flag):
    the script runs `learning_rate × gradient_accumulation_steps × train_batch_size × num_processes`.
    batchlint states the rate it really trains at. Warning when the total is known, information when
    the process count is not (the rate then depends on the machine).

    **Why.** The configured value is not the one used: with 16 GPUs × 7 × 2 = 224, `1e-5` becomes
    `0.00224`, and moving to 8 GPUs halves it without a word. A learning rate tuned by hand for one
    total is silently retuned whenever the GPU count or the batch changes.

    **Failing example.** `batchlint check train.yaml --num-processes 16 --target-total 224`, with
    `train.yaml`:

    ```yaml
    train:
      train_batch_size: 7
      gradient_accumulation_steps: 2
      learning_rate: 1.0e-5
      scale_lr: True
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Passing example.** What the fix writes: the rate it trains at, no scaling. `train.yaml`:

    ```yaml
    train:
      train_batch_size: 7
      gradient_accumulation_steps: 2
      learning_rate: 0.00224
      scale_lr: false
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Fix.** Unsafe: writes the learning rate the run trains at now (learning rate × total) and turns
    `scale_lr` off, so the same training no longer changes its rate when the total does; the literal
    value of the learning rate changes, so review it. None when either value is not a literal in a file.

    **Options.** The process count (`--num-processes`, `--accelerate-config`, settings) decides the
    total and so the rate.

    **References.** musev.md "Shape of the file" (`train.scale_lr`); diffusers' training scripts
    (`if args.scale_lr: args.learning_rate = args.learning_rate * args.gradient_accumulation_steps *
    args.train_batch_size * accelerator.num_processes`, e.g. `examples/text_to_image/train_text_to_image.py`).
    """

    code = "BL112"
    name = "learning-rate-scaled-by-total"
    summary = "scale_lr multiplies the learning rate by the total batch"
    severity = Severity.WARNING
    fixable = True

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        scale = run.get(F.SCALE_LR)
        if not run.is_training or scale is None or scale.value is not True:
            return
        lr = run.get(F.LEARNING_RATE)
        value = _lr_value(lr)
        name = (lr.read_as or lr.key) if lr is not None else "the learning rate"
        total = run.total_batch
        at = scale.span if scale.span is not None and scale.span.file == run.config else anchor(run, F.PER_DEVICE_BATCH)
        if total is None:
            b = run.int_fact(F.PER_DEVICE_BATCH)
            acc = run.accumulation
            k = positive_int(acc.value) if acc else None
            per_gpu = f" × {b * k} per GPU" if b is not None and k is not None else ""
            yield self.report(
                f"{scale.key} is on: the script multiplies {name} by the total batch ({name}{per_gpu} × the number of GPUs), which is not known here",
                at,
                "declare the process count to see the rate it trains at, or turn scale_lr off and write that rate",
                severity=Severity.INFO,
            )
            return
        trains = f"{value * total:.3g}" if value is not None else f"{name} × {total}"
        message = (
            f"{scale.key} is on: the script multiplies {name}"
            + (f" = {value:.3g}" if value is not None else "")
            + f" by the total batch {total} ({_formula(run)}): it trains at {trains}, and at another rate whenever the "
            "total changes"
        )
        yield self.report(message, at, f"write the rate you mean as {name} and turn {scale.key} off", fix=self._fix(run, scale, lr, value, total))

    @staticmethod
    def _fix(run: RunModel, scale: Fact[object], lr: Fact[object] | None, value: float | None, total: int) -> Fix | None:
        if lr is None or value is None:
            return None
        rate = float(f"{value * total:.6g}")
        edits = [replace_value(lr, rate), replace_value(scale, False)]
        if any(e is None for e in edits):
            return None
        return Fix(
            f"set {lr.key} {lr.value} → {rate:g} and {scale.key} → false: the rate it trains at now, no longer scaled by the "
            "total (unsafe: the learning rate literal changes)",
            UNSAFE,
            [e for e in edits if e is not None],
            [Expectation(run.config, F.SCALE_LR, False)],
        )


def _lr_value(lr: Fact[object] | None) -> float | None:
    if lr is None or isinstance(lr.value, bool):
        return None
    try:
        return float(str(lr.value))
    except ValueError:
        return None


class IntentMismatch(RunRule):
    """A comment states how the batch is made up, and the values say otherwise.

    **What.** Each statement in a comment names a per-card batch, an accumulation, a GPU count and/or
    a total; batchlint compares each number it can with the file (and the launch, when known), and the
    comment's own product with its stated total. Also selected as X008, the launch-config catalog's
    name for the same check.

    **Why.** Comments like MuseV's
    `# gradient_accumulation_steps 按8卡估计，实际使用了16卡*2accumulation*7单卡batch_size = 224`
    record what the authors actually ran. When the file's values no longer match, one of the two is
    stale: either the run is not what the comment promises, or the comment misleads the next reader.

    **Failing example.** `batchlint check stage1.yaml --num-processes 8`: the comment says 2
    accumulation steps, the file has 1. `stage1.yaml`:

    ```yaml
    data:
      # 8 gpus x 4 batch size x 2 gradient accumulation steps = 64
      train_bs: 4
    solver:
      gradient_accumulation_steps: 1
    ```

    **Passing example.** `stage1.yaml`:

    ```yaml
    data:
      # 8 gpus x 4 batch size x 2 gradient accumulation steps = 64
      train_bs: 4
    solver:
      gradient_accumulation_steps: 2
    ```

    **Fix.** None: update whichever is wrong; `--target-total` or settings make the target explicit.

    **Options.** The process count (`--num-processes`, `--accelerate-config`, settings) is compared
    with the comment's GPU count; without one, the comment's GPU count is used for its total.

    **References.** musev.md "Shape of the file" (the "estimated for 8 GPUs" comment against the
    file's values); accelerate-deepspeed.md §8 "Across files" (X008).
    """

    code = "BL102"
    aliases = ("X008",)  # the launch-config catalog's name for the same check
    name = "stated-intent-mismatch"
    summary = "a comment's stated batch arithmetic disagrees with the values"
    severity = Severity.WARNING

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training:
            return
        per_device = run.get(F.PER_DEVICE_BATCH)
        acc = run.accumulation
        dp_fact = run.get(F.DATA_PARALLEL_SIZE)
        b = positive_int(per_device.value) if per_device else None
        k = positive_int(acc.value) if acc else None
        dp = positive_int(dp_fact.value) if dp_fact else None
        for intent in run.stated_intent:
            if not intent.is_formula:
                continue
            problems: list[str] = []
            related: list[Related] = []
            for said, have, fact, label in ((intent.per_device, b, per_device, "per-device batch"), (intent.grad_accum, k, acc, "accumulation")):
                if said is None or have is None or said == have:
                    continue
                if fact is not None and fact.span is not None:
                    problems.append(f"{fact.key} = {have} (line {fact.span.line})")
                    related.append(Related(fact.span, f"{label} {have}"))
                else:
                    problems.append(f"{label} {have}")
            gpus = intent.gpus * (intent.nodes or 1) if intent.gpus is not None and intent.nodes and intent.gpus < 64 else intent.gpus
            if gpus is not None and dp is not None and dp_fact is not None and dp_fact.origin != Origin.DEFAULT and gpus != dp:
                problems.append(f"{dp} data-parallel processes ({_where(run.get(F.NUM_PROCESSES) or dp_fact)})")
            if not problems and intent.total is not None and b is not None and k is not None:
                world = dp if dp is not None else gpus
                if world is not None and b * world * k != intent.total:
                    problems.append(f"{b} per device × {world} × {k} accumulation = {b * world * k}")
            if not problems and intent.product is not None and intent.total is not None and intent.product != intent.total:
                problems.append(f"the comment's own product is {intent.product}")
            if not problems:
                continue
            detail = ", ".join(problems)
            if b is not None and k is not None and (intent.total is not None or intent.gpus is not None):
                world = dp if dp is not None else gpus
                if world is not None and f"= {b * world * k}" not in detail:
                    detail += f": {b} × {world} × {k} = {b * world * k}"
            yield self.report(
                f"comment states {intent.describe()}, but the config has {detail}",
                intent.span,
                "update the values to match the comment, or the comment to match the values",
                related,
            )


class ProcessCountUnknown(RunRule):
    """The number of data-parallel processes is not known, so the total batch is not either.

    **What.** A training config with no process count from the command line, settings, a paired
    accelerate config or a launch script. The message gives the total per GPU, what a GPU count
    assumed in a comment would give, and how many GPUs a known target needs; with a launch script
    whose count is set only at run time (`$HOST_GPU_NUM`, `$1`, `$(nvidia-smi ...)`), it says so.
    Reported once per run, as information.

    **Why.** MuseV and most diffusion repositories launch with `accelerate launch train.py --config ...`
    and no `--num_processes`: the GPU count comes from the user's own default accelerate config on the
    machine, not from the repository. The total is then "per-device × accumulation per GPU", whatever
    the GPU count turns out to be.

    **Failing example.** `train.yaml`, checked alone:

    ```yaml
    train:
      train_batch_size: 2
      gradient_accumulation_steps: 4
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Passing example.** The same `train.yaml`, with a `pyproject.toml` beside it that declares the
    count:

    ```toml
    [tool.batchlint]
    num-processes = 16
    ```

    **Fix.** None: declare the count, as under Options.

    **Options.** `--num-processes N` (and `--num-machines M`), `--accelerate-config FILE`, or in
    `[tool.batchlint]`: `num-processes = 16`, `accelerate-config = "..."`, or a
    `[[tool.batchlint.runs]]` entry binding `configs = ["configs/train/*.yaml"]` to them.

    **References.** musev.md "Where the GPU count comes from"; accelerate-deepspeed.md §2.4
    (`num_processes` missing) and §8 AC033 (a total that cannot be determined from the repository).
    """

    code = "BL103"
    name = "process-count-unknown"
    summary = "process count unknown: the total batch cannot be computed"
    severity = Severity.INFO

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training or F.DATA_PARALLEL_SIZE in run:
            return
        b = run.int_fact(F.PER_DEVICE_BATCH)
        acc = run.accumulation
        k = positive_int(acc.value) if acc else None
        if b is None or k is None or any(f is not None and f.unresolved for f in (run.per_device_batch, acc)):
            return  # a value the run does not really use (a path that does not resolve) says nothing per GPU
        message = f"process count unknown: total batch = {b * k} per GPU ({b} per device × {k} accumulation) × number of GPUs"
        assumed = [i for i in run.stated_intent if i.gpus is not None and not i.is_formula]
        if assumed:
            intent = assumed[0]
            gpus = intent.gpus * (intent.nodes or 1)  # type: ignore[operator]
            message += f"; the comment at line {intent.span.line} assumes {gpus} GPUs: {b * k * gpus}"
        if run.target is not None and run.target.value % (b * k) == 0:
            message += f"; reaching {run.target.value} needs {run.target.value // (b * k)} GPUs"
        if run.launch_script:
            # Paired with a launch line whose count is set at run time ($HOST_GPU_NUM, $1, $(nvidia-smi ...)).
            message += f"; the launch in {run.launch_script} sets it only when it runs"
        yield self.report(
            message,
            anchor(run, F.PER_DEVICE_BATCH, F.GRAD_ACCUM),
            "declare it: --num-processes N, --accelerate-config FILE, or num-processes / accelerate-config in [tool.batchlint]",
        )


class TargetNotReachable(RunRule):
    """The target total is not a multiple of the data-parallel size.

    **What.** Every total is per-device × processes × accumulation, so on P processes only multiples
    of P are reachable. 224 on 12 GPUs cannot be hit exactly: 216 (18 per GPU) or 228 (19). The message
    gives the two nearest totals.

    **Why.** A target that no whole numbers reach describes a run that cannot exist: BL101's fix has
    to overshoot to the nearest total above it, and the comment or setting stays wrong.

    **Failing example.** `batchlint check train.yaml --num-processes 12 --target-total 224`, with
    `train.yaml`:

    ```yaml
    train:
      train_batch_size: 2
      gradient_accumulation_steps: 4
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Passing example.** `batchlint check train.yaml --num-processes 14 --target-total 224`
    (4 × 14 × 4 = 224), with `train.yaml`:

    ```yaml
    train:
      train_batch_size: 4
      gradient_accumulation_steps: 4
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Fix.** None: choose one of the nearest totals as the target, or change the process count.

    **Options.** `--target-total` / `target-total`, and the process count (`--num-processes`,
    `--accelerate-config`, settings).

    **References.** accelerate-deepspeed.md §8 "Formula batchlint should report"; musev.md "The
    seed's advice, as rules" (16 GPUs → 7 per card × 2 accumulation = 224).
    """

    code = "BL104"
    name = "target-not-reachable"
    summary = "the target total cannot be met exactly with whole numbers"
    severity = Severity.WARNING

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if run.target is None:
            return
        dp = run.int_fact(F.DATA_PARALLEL_SIZE)
        if dp is None or run.target.value % dp == 0:
            return
        p = run_plan(run, run.target.value)
        total = run.total_batch
        if p is not None and total is not None and total in p.quiet_totals():
            return  # the run already sits on a total next to the target (or the planner's choice)
        below, above = nearest_totals(run.target.value, dp)
        options = f"{above}" if below == 0 else f"{below} ({below // dp} per process) or {above} ({above // dp} per process)"
        help = "pick an achievable target (--target-total / target-total) or another process count"
        if p is not None and p.recommended is not None:
            help += f"; the plan: {p.describe()}"
        yield self.report(
            f"target total {run.target.value} (from {run.target.description}) is not a multiple of "
            f"{dp} data-parallel processes: nearest achievable totals are {options}",
            anchor(run, F.PER_DEVICE_BATCH, F.GRAD_ACCUM),
            help,
        )


class InvalidBatchValue(RunRule):
    """A batch or accumulation value is not a positive whole number.

    **What.** The per-device batch or the accumulation of a training config is a float, 0, a negative,
    a boolean, null or a string. batchlint reads values as the consumer does: a float `4.0` or `1e1`
    stays a float. Values that come from an environment variable without a default, or from a resolver
    the training script registers, cannot be checked: reported as information.

    **Why.** `DataLoader(batch_size=4.0)` raises "batch_size should be a positive integer value";
    accumulation 0 divides by zero; a string such as `"4"` (what `${oc.env:BS,4}` gives: OmegaConf's
    `oc.env` always returns a string) or an unresolved interpolation fails at the first use.

    **Failing example.** `batchlint check train.yaml --num-processes 8`, with `train.yaml`:

    ```yaml
    train:
      train_batch_size: 4.0
      gradient_accumulation_steps: 0
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Passing example.** `train.yaml`:

    ```yaml
    train:
      train_batch_size: 4
      gradient_accumulation_steps: 2
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Fix.** Safe, for a float with a whole value (`4.0`) and a quoted string of digits (`"4"`): written
    as the integer, the same number with the right type. None for 0, a negative or any other value:
    write a whole number ≥ 1, e.g. `train_batch_size: 4`.

    **Options.** None.

    **References.** musev.md "Shape of the file" (the batch and accumulation keys); PyTorch
    `BatchSampler` (the `DataLoader` message above); OmegaConf's `oc.env` resolver.
    """

    code = "BL105"
    name = "invalid-batch-value"
    summary = "batch or accumulation value is not a positive integer"
    severity = Severity.ERROR
    fixable = True

    NAMES = {F.PER_DEVICE_BATCH: "per-device batch", F.GRAD_ACCUM: "gradient accumulation", F.EFFECTIVE_GRAD_ACCUM: "gradient accumulation"}

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not run.is_training:
            return
        for name, label in self.NAMES.items():
            fact = run.get(name)
            if fact is None or fact.span is None:
                continue
            if fact.unresolved is not None:
                if fact.problem is not None and fact.problem.known_at_run_time:
                    yield self.report(
                        f"cannot check {label} `{fact.key}`: {fact.unresolved}", fact.span, "give it a literal value or a default", severity=Severity.INFO
                    )
                continue  # missing keys and cycles are BL004's
            value = fact.value
            if positive_int(value) is not None or value == "auto":
                continue
            if isinstance(value, bool):
                got = f"the boolean {value}"
            elif isinstance(value, float):
                got = f"the float {value}"
            elif isinstance(value, int):
                got = str(value)
            elif value is None:
                got = "null"
            elif isinstance(value, list | tuple | dict):
                shown = repr(value) if len(repr(value)) <= 60 else f"of {len(value)} items"
                got = f"{'a list' if not isinstance(value, dict) else 'a mapping'} {shown}"
            else:
                got = f"the string {value!r}"
            yield self.report(
                f"{label} `{fact.key}` must be a positive integer, got {got}", fact.span, "set a whole number ≥ 1", fix=self._fix(run, name, fact)
            )

    @staticmethod
    def _fix(run: RunModel, name: F, fact: Fact[object]) -> Fix | None:
        """A float with a whole value or a string of digits becomes that integer: same number, right type."""
        value = fact.value
        number: int | None = None
        if isinstance(value, float) and value.is_integer() and value >= 1:
            number = int(value)
        elif isinstance(value, str) and value.strip().isdigit() and int(value) >= 1:
            number = int(value)
        if number is None:
            return None
        edit = replace_value(fact, number)
        if edit is None:
            return None
        expect_name = F.PER_DEVICE_BATCH if name == F.PER_DEVICE_BATCH else ACCUMULATION
        return Fix(f"write {fact.key} as the integer {number}", SAFE, [edit], [Expectation(run.config, expect_name, number)])

"""BL107–BL108: what a change did to a run's total, against the baseline revision (`--baseline REV`).

The run at the revision comes from `batchlint.baseline` (attached as `run.baseline`); these rules only
compare it with the run now.
"""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.model import BaselineRun, Change, Fact, Origin, RunModel, Severity, Target, TargetSource
from batchlint.model import FactName as F
from batchlint.pair import Pairing
from batchlint.rules.base import BASELINE, Diagnostic, Related, RunRule
from batchlint.rules.batch import anchor


def _totals(run: RunModel) -> tuple[BaselineRun, int, int] | None:
    """The baseline and both totals, when the run existed at the baseline and its total changed."""
    base = run.baseline
    if base is None or base.run is None:
        return None
    old, new = base.total, run.total_batch
    if old is None or new is None or old == new:
        return None
    return base, old, new


def _shown(fact: Fact[object] | None) -> str:
    return "unset" if fact is None else str(fact.value)


def where(change: Change) -> str:
    """Where the value is now: `accelerate.yaml:5`, or where it was when it is gone."""
    fact, old = change.new, change.old
    if fact is None:
        return f"no longer set; was {old.span.file}:{old.span.line}" if old is not None and old.span else "no longer set"
    if fact.span is not None:
        return f"{fact.span.file}:{fact.span.line}"
    return {Origin.SETTINGS: fact.note or "settings", Origin.CLI: "command line", Origin.DEFAULT: "default"}.get(fact.origin, "derived")


def describe(change: Change) -> str:
    """`num_processes 16 → 8 (accelerate.yaml:5)`; `num_processes 16 → --num_processes 4 (train.sh:2)` when
    another key decides it now."""
    old, new = change.old, change.new
    now = f"{_shown(new)} ({where(change)})"
    if old is not None and new is not None and old.key != new.key:
        return f"{old.key or change.name} {_shown(old)} → {new.key or change.name} {now}"
    return f"{change.fact.key or change.name} {_shown(old)} → {now}"


def _declare(target: Target | None, run: RunModel, total: int) -> str:
    """Where to write the new total."""
    if target is None or target.source == TargetSource.PRESET:
        return f"declare it: `target-total = {total}` in settings, or a comment such as `# total batch {total}`"
    if target.source == TargetSource.COMMENT:
        return f"update {target.description} of {run.config} to {total}"
    return f"set {target.description} to {total}"


class TotalChanged(RunRule):
    """The total batch changed against the baseline revision, and the declared target did not change with it.

    **What.** With `--baseline REV` (or `baseline = "REV"` in settings), every run the checked files
    belong to is computed twice: as it is now, and as it was at REV (each file read with git, nothing
    checked out). When the total differs and the run's target — `--target-total`, `target-total` in
    settings, a total stated in a comment, or none at all — stayed the same, the message gives both
    totals and every factor that changed, with its file and line now and its old value:
    `total 224 → 112: num_processes 16 → 8 (accelerate.yaml:5)`. It is reported at the changed factor,
    with the training config as a related location. A run whose config did not exist at REV is new,
    and not reported.

    **Why.** The total changes silently when an accelerate file, a launch script, an included file or a
    DeepSpeed JSON changes: lowering `num_processes` from 16 to 8 halves MuseV's 224, and no file of
    the training config changes. Declaring the new total (a comment, `target-total`) with the change
    makes it deliberate and visible in review.

    **Failing example.** `batchlint check accelerate.yaml --baseline HEAD`: the commit at HEAD has
    `HEAD:accelerate.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_machines: 1
    num_processes: 16
    ```

    and the working tree lowers the processes to 8, `accelerate.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_machines: 1
    num_processes: 8
    ```

    with the training config, unchanged, `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
    train:
      # 16卡*2accumulation*7单卡batch_size = 224
      train_batch_size: 7
      gradient_accumulation_steps: 2
    validation_data:
      do_validation: True
    ```

    paired with it in `pyproject.toml`:

    ```toml
    [tool.batchlint]
    accelerate-config = "accelerate.yaml"
    ```

    **Passing example.** The comment states the new total with the change, `train.yaml`:

    ```yaml
    output_dir:
      exp_dir: ./exp
    train:
      # 8卡*2accumulation*7单卡batch_size = 112
      train_batch_size: 7
      gradient_accumulation_steps: 2
    validation_data:
      do_validation: True
    ```

    **Fix.** None: either the change is wrong (restore the factor) or the new total is meant (update the
    target); only you know which.

    **Options.** `--baseline REV` / `baseline` in settings (the revision: `HEAD` in a pre-commit hook,
    `origin/main` in CI); `--target-total` / `target-total` and comments (the target compared).

    **References.** accelerate-deepspeed.md §6 (the total batch) and §2.1 (which file decides each
    factor); musev.md "The seed's advice, as rules" (16 GPUs × 7 per card × 2 accumulation = 224);
    git `cat-file --batch` (https://git-scm.com/docs/git-cat-file).
    """

    code = "BL107"
    needs = (BASELINE,)
    name = "total-changed"
    summary = "the total batch changed against the baseline and the target did not"
    severity = Severity.WARNING

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        found = _totals(run)
        if found is None:
            return
        base, old, new = found
        before, now = base.target, run.target
        if (before.value if before else None) != (now.value if now else None):
            return  # the target was changed with the total: the change is declared
        factors = ", ".join(describe(change) for change in base.changes) or "no factor batchlint reads changed"
        declared = f"the target {now.value} ({now.description}) did not change" if now is not None else "no target is declared"
        config = anchor(run, F.PER_DEVICE_BATCH, F.GRAD_ACCUM)
        related = [Related(now.span if now is not None and now.span is not None else config, f"the run of {run.config}: total {new}")]
        spans = [change.new.span for change in base.changes if change.new is not None and change.new.span is not None]
        related.extend(Related(span, "changed here") for span in spans[1:])
        restore = describe(base.changes[0]).split(" (")[0] if base.changes else ""
        yield self.report(
            f"total {old} → {new}: {factors}; {declared} (baseline {base.rev})",
            spans[0] if spans else config,
            f"if {new} is meant, {_declare(now, run, new)}; if not, undo {restore or 'the change'}",
            related,
        )


class LearningRateNotScaled(RunRule):
    """The total batch changed against the baseline revision and the learning rate did not.

    **What.** With `--baseline REV`, when a run's total differs from the one at REV and its learning
    rate (MuseV `train.learning_rate`, AnimateAnyone `solver.learning_rate`, HF Trainer, axolotl and
    Latte `learning_rate`, or the trainer's default when none is set) is the same, the message says
    what linear and square-root scaling would give for the new total. Not reported when the config
    asks the trainer to scale it (`scale_lr: true`), or when the dialect has no learning-rate key.
    Information only.

    **Why.** A learning rate is tuned for a total batch: halving the total with the same learning rate
    doubles the effective step size per sample (linear scaling rule, Goyal et al. 2017, for SGD;
    square-root scaling is the usual rule for Adam-type optimisers). Whether to rescale is a choice;
    making it without noticing is not.

    **Failing example.** `batchlint check train.yaml --baseline HEAD`: the processes and the target
    went from 16 and 224 at HEAD (`HEAD:pyproject.toml`):

    ```toml
    [tool.batchlint]
    num-processes = 16
    target-total = 224
    ```

    to 8 and 112 (`pyproject.toml`):

    ```toml
    [tool.batchlint]
    num-processes = 8
    target-total = 112
    ```

    and the learning rate stayed, `train.yaml`:

    ```yaml
    train:
      train_batch_size: 7
      gradient_accumulation_steps: 2
      learning_rate: 1.0e-5
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Passing example.** The learning rate scaled with the total (linearly), `train.yaml`:

    ```yaml
    train:
      train_batch_size: 7
      gradient_accumulation_steps: 2
      learning_rate: 5.0e-6
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: True
    ```

    **Fix.** None: which scaling suits the optimiser, or none, is a choice.

    **Options.** `--baseline REV` / `baseline` in settings.

    **References.** accelerate-deepspeed.md §6 (the total batch); Goyal et al., "Accurate, Large
    Minibatch SGD" (2017, https://arxiv.org/abs/1706.02677), the linear scaling rule; diffusers
    `train_*.py` `--scale_lr` (`learning_rate × accumulation × batch × processes`).
    """

    code = "BL108"
    needs = (BASELINE,)
    name = "learning-rate-not-scaled"
    summary = "the total batch changed against the baseline and the learning rate did not"
    severity = Severity.INFO

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        found = _totals(run)
        if found is None or (F.LEARNING_RATE not in run.keys and F.LEARNING_RATE not in run):
            return
        from batchlint.advice import lr_note

        base, old, new = found
        assert base.run is not None
        lr, before = run.get(F.LEARNING_RATE), base.run.get(F.LEARNING_RATE)
        scale = run.get(F.SCALE_LR)
        if (lr.value if lr else None) != (before.value if before else None) or (scale is not None and scale.value is True):
            return
        where = lr.span if lr is not None and lr.span is not None else anchor(run, F.PER_DEVICE_BATCH, F.GRAD_ACCUM)
        yield self.report(
            f"learning rate unchanged against {base.rev} while {lr_note(old, new, lr)}", where, "scale the learning rate with the total, or keep it on purpose"
        )

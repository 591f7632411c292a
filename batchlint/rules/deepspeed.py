"""DS rules: the DeepSpeed JSON — its batch triad, precision, and what accelerate does with it
(accelerate-deepspeed.md §3.2–§4.4, §8 "DeepSpeed JSON"). Behaviour of DeepSpeed 0.19.6 and
accelerate 1.15 unless settings say otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping as FactMapping

from batchlint.counts import positive_int
from batchlint.derive import world_size
from batchlint.fixes import SAFE, UNSAFE, Fix, rename_key
from batchlint.loading.nodes import Mapping, Scalar, Span
from batchlint.model import DialectKind, Fact, Origin, RunModel, Severity
from batchlint.model import FactName as F
from batchlint.pair import Pairing
from batchlint.rules.base import DEEPSPEED_CONFIG, Diagnostic, Related, RunRule, close_matches, file_start
from batchlint.settings import DEFAULTS
from batchlint.views import DocumentView, view_of

AUTO = "auto"


class DsView:
    """The DeepSpeed JSON a rule looks at, how it is launched, and the world size DeepSpeed sees."""

    def __init__(self, run: RunModel, doc: DocumentView, facts: RunModel | FactMapping[F, Fact[object]], via: str | None) -> None:
        self.run = run
        self.doc = doc
        self.facts = facts
        self.via_accelerate = via == "accelerate"  # named by an accelerate config
        self.launch = via or str(run.setting("deepspeed-launch") or DEFAULTS["deepspeed-launch"])

    def value(self, name: F) -> object:
        fact = self.facts.get(name)
        return None if fact is None else fact.value

    def span(self, name: F) -> Span:
        fact = self.facts.get(name)
        return fact.span if fact is not None and fact.span is not None else file_start(self.doc.path)

    @property
    def world(self) -> int | None:
        """DeepSpeed's world_size for the triad (§4.1): all ranks under accelerate, divided by the
        DeepSpeed sequence-parallel size when there is one."""
        procs = self.run.int_fact(F.NUM_PROCESSES)
        if procs is None:
            return None
        dp = self.run.int_fact(F.DATA_PARALLEL_SIZE)
        split = [self.run.get(n) for n in (F.TP_SIZE, F.PP_SIZE)]
        if dp is not None and any(f is not None and f.origin == Origin.SCRIPT for f in split):
            return dp  # Megatron-style flags on the launch line: the trainer hands DeepSpeed its data-parallel group
        world = world_size(procs, self.run.int_fact(F.NUM_MACHINES))
        sp = self.run.int_fact(F.SP_SIZE) or 1
        return world // sp if sp > 1 else world


def ds_view(run: RunModel, pairing: Pairing) -> DsView | None:
    if run.kind == DialectKind.DEEPSPEED:
        own = pairing.config_view()
        return DsView(run, own, run, None) if own is not None else None
    link = pairing.deepspeed
    if link is None or link.doc is None or not isinstance(link.doc.root, Mapping):
        return None
    return DsView(run, view_of(link.doc), link.facts, link.mode)


def triad_problem(t: object, m: object, g: object, w: int | None) -> str | None:
    """DeepSpeed's verdict on the batch triad (DS `DeepSpeedConfig._set_batch_related_parameters`
    and `_batch_assertion`, spec §4.2–4.3), for integer or missing values; None when it passes.
    `"auto"` values are filled later by accelerate / the HF Trainer and are not judged here."""
    if AUTO in (t, m, g) or w is None:
        return None
    ints = [x for x in (t, m, g) if x is not None]
    if any(positive_int(x) is None for x in ints):
        return None  # DS004's
    if t is None and m is None:
        return None  # DS003's
    if t is not None and m is not None and g is not None:
        assert isinstance(t, int) and isinstance(m, int) and isinstance(g, int)
        if t != m * g * w:
            return (
                f"Check batch related parameters. train_batch_size is not equal to micro_batch_per_gpu * gradient_acc_step * world_size {t} != {m} * {g} * {w}"
            )
        return None
    if t is not None and m is not None:
        assert isinstance(t, int) and isinstance(m, int)
        g2 = t // m // w
        if g2 <= 0:
            return f"Gradient accumulation steps: {g2} has to be greater than 0 (derived {t} // {m} // {w})"
        if t != m * g2 * w:
            return f"train_batch_size is not equal to micro_batch_per_gpu * gradient_acc_step * world_size {t} != {m} * {g2} * {w} (derived accumulation {g2})"
        return None
    if t is not None and g is not None:
        assert isinstance(t, int) and isinstance(g, int)
        m2 = t // w // g
        if m2 <= 0:
            return f"Micro batch size per gpu: {m2} has to be greater than 0 (derived {t} // {w} // {g})"
        if t != m2 * g * w:
            return f"train_batch_size is not equal to micro_batch_per_gpu * gradient_acc_step * world_size {t} != {m2} * {g} * {w} (derived micro batch {m2})"
        return None
    if t is not None:
        assert isinstance(t, int)
        m2 = t // w
        if m2 <= 0:
            return f"Micro batch size per gpu: {m2} has to be greater than 0 (derived {t} // {w})"
        if t != m2 * w:
            return f"train_batch_size is not equal to micro_batch_per_gpu * gradient_acc_step * world_size {t} != {m2} * 1 * {w}"
    return None


class TriadMismatch(RunRule):
    """The batch triad does not add up on this world size.

    **What.** `train_batch_size`, `train_micro_batch_size_per_gpu` and `gradient_accumulation_steps` are
    all integers and T ≠ M × G × W. World size W: the number of processes under accelerate (divided by
    the DeepSpeed sequence-parallel size). Under accelerate a missing `gradient_accumulation_steps` is
    inserted as 1 first (§3.2), so the triad is complete. `"auto"` values are filled later by
    accelerate / the HF Trainer and are not judged; partial triads are DS002's.

    **Why.** DeepSpeed derives what is missing with floor divisions and then asserts
    `train_batch_size == train_micro_batch_size_per_gpu × gradient_accumulation_steps × world_size`:
    "AssertionError: Check batch related parameters. train_batch_size is not equal to
    micro_batch_per_gpu * gradient_acc_step * world_size 60 != 2 * 3 * 8" — after the job waited for
    its GPUs.

    **Failing example.** `batchlint check ds.json --num-processes 8`: 2 × 2 × 8 = 32, not 64.
    `ds.json`:

    ```json
    {
      "train_batch_size": 64,
      "train_micro_batch_size_per_gpu": 2,
      "gradient_accumulation_steps": 2,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** `ds.json` (2 × 4 × 8 = 64):

    ```json
    {
      "train_batch_size": 64,
      "train_micro_batch_size_per_gpu": 2,
      "gradient_accumulation_steps": 4,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: make train_batch_size = micro × accumulation × world, or set the ones you do not pin
    to "auto".

    **Options.** The process count (`--num-processes`, `--num-machines`, their settings, or the
    accelerate config that names the JSON) gives the world size; without one the rule is silent.

    **References.** accelerate-deepspeed.md §4.1 (what `world_size` means), §4.2, §4.3 and §8 DS001;
    DeepSpeed `runtime/config.py` (`DeepSpeedConfig._set_batch_related_parameters`, `_batch_assertion`).
    """

    code, name, severity = "DS001", "deepspeed-triad-mismatch", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "train_batch_size ≠ micro × accumulation × world"

    full = True  # this rule judges complete triads; PartialTriad the ones DeepSpeed completes itself

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None:
            return
        t, m, g = v.value(F.GLOBAL_BATCH), v.value(F.PER_DEVICE_BATCH), v.value(F.GRAD_ACCUM)
        if v.via_accelerate and g is None:
            g = 1  # accelerate inserts it before DeepSpeed sees the dict
        if all(x is not None for x in (t, m, g)) != self.full:
            return
        problem = triad_problem(t, m, g, v.world)
        if problem is None:
            return
        anchor = F.GLOBAL_BATCH if F.GLOBAL_BATCH in v.facts else F.PER_DEVICE_BATCH
        yield self.report(
            f'DeepSpeed will fail: "{problem}" (world size {v.world})',
            v.span(anchor),
            'make train_batch_size = micro × accumulation × world, or set the ones you do not pin to "auto"',
        )


class PartialTriad(TriadMismatch):
    """A partial batch triad whose derived values fail.

    **What.** DeepSpeed derives the missing ones by floor division (§4.2): {T, M} → G = T // M // W,
    {T, G} → M = T // W // G, {T} → M = T // W; a remainder or a 0 then fails. World size as in DS001.

    **Why.** The derivation is silent, the assertion that follows is not: "… 60 != 2 * 3 * 8", "Micro
    batch size per gpu: 0 has to be greater than 0" — after the job waited for its GPUs.

    **Failing example.** `batchlint check ds.json --num-processes 8`: G = 60 // 2 // 8 = 3, and
    2 × 3 × 8 = 48. `ds.json`:

    ```json
    {
      "train_batch_size": 60,
      "train_micro_batch_size_per_gpu": 2,
      "zero_optimization": {"stage": 1}
    }
    ```

    **Passing example.** `ds.json` (G = 64 // 2 // 8 = 4):

    ```json
    {
      "train_batch_size": 64,
      "train_micro_batch_size_per_gpu": 2,
      "zero_optimization": {"stage": 1}
    }
    ```

    **Fix.** None: give a `train_batch_size` that micro × world divides, or all three values.

    **Options.** As DS001: the process count gives the world size.

    **References.** accelerate-deepspeed.md §4.2 (which of the three may be left out), §4.3 and §8
    DS002; DeepSpeed `runtime/config.py` (`DeepSpeedConfig._set_batch_related_parameters`).
    """

    code, name, severity = "DS002", "deepspeed-partial-triad", Severity.ERROR
    summary = "partial triad whose derived values fail"
    full = False


class NoBatchSize(RunRule):
    """Neither `train_batch_size` nor `train_micro_batch_size_per_gpu` is present.

    **What.** A DeepSpeed JSON with neither key, not even as `"auto"`.

    **Why.** "AssertionError: Either train_batch_size or train_micro_batch_size_per_gpu needs to be
    provided" (accelerate fills only keys that are literally `"auto"`).

    **Failing example.** `ds.json`:

    ```json
    {
      "gradient_accumulation_steps": 4,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": 4,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: add `"train_micro_batch_size_per_gpu": "auto"` (accelerate fills it from the
    DataLoader), or an integer.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.4 (`train_micro_batch_size_per_gpu` missing), §4.2 and
    §8 DS003; DeepSpeed `runtime/config.py` (`DeepSpeedConfig._set_batch_related_parameters`).
    """

    code, name, severity = "DS003", "deepspeed-no-batch-size", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "neither train_batch_size nor train_micro_batch_size_per_gpu"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None or F.GLOBAL_BATCH in v.facts or F.PER_DEVICE_BATCH in v.facts:
            return
        yield self.report(
            'neither train_batch_size nor train_micro_batch_size_per_gpu: "Either train_batch_size or train_micro_batch_size_per_gpu needs to be provided"',
            file_start(v.doc.path),
            'add "train_micro_batch_size_per_gpu": "auto" (accelerate fills it from the DataLoader)',
        )


class BadBatchValue(RunRule):
    """A batch value that is not a positive integer and not `"auto"`.

    **What.** `train_batch_size`, `train_micro_batch_size_per_gpu` or `gradient_accumulation_steps` is
    a float, 0, a negative, or a string placeholder.

    **Why.** DeepSpeed asserts "... has to be greater than 0"; a float `train_batch_size` silently
    propagates (types are not checked); `"GB_SIZE"` never gets replaced.

    **Failing example.** `batchlint check ds.json --num-processes 8`, with `ds.json`:

    ```json
    {
      "train_batch_size": "GB_SIZE",
      "train_micro_batch_size_per_gpu": 2.5,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** `ds.json`:

    ```json
    {
      "train_batch_size": 32,
      "train_micro_batch_size_per_gpu": 2,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: write a whole number ≥ 1, or `"auto"` (under accelerate / the HF Trainer).

    **Options.** None.

    **References.** accelerate-deepspeed.md §4.3 (the assertions; types are not checked) and §8 DS004;
    DeepSpeed `runtime/config.py` (`DeepSpeedConfig._batch_assertion`).
    """

    code, name, severity = "DS004", "deepspeed-bad-batch-value", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = 'batch value not a positive integer or "auto"'

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None:
            return
        for name, key in (
            (F.GLOBAL_BATCH, "train_batch_size"),
            (F.PER_DEVICE_BATCH, "train_micro_batch_size_per_gpu"),
            (F.GRAD_ACCUM, "gradient_accumulation_steps"),
        ):
            value = v.value(name)
            if name in v.facts and value != AUTO and positive_int(value) is None:
                yield self.report(
                    f'`{key}` is {value!r}: DeepSpeed needs a positive integer (or "auto" under accelerate / the HF Trainer)',
                    v.span(name),
                    'write a whole number ≥ 1, or "auto"',
                )


class AutoWithRawDeepSpeed(RunRule):
    """`"auto"` in a JSON launched by the plain `deepspeed` launcher (settings `deepspeed-launch = "deepspeed"`).

    **What.** Any `"auto"` value, at any depth, of a DeepSpeed JSON that settings say the raw
    `deepspeed` launcher (or `deepspeed.initialize`) reads, with no accelerate or HF Trainer in between.

    **Why.** Nothing fills `"auto"` without accelerate or the HF Trainer: the batch assertion fails with
    `TypeError: '>' not supported between instances of 'str' and 'int'`, `zero_optimization.stage:
    "auto"` silently becomes stage 0 and `fp16.enabled: "auto"` means off.

    **Failing example.** `pyproject.toml`:

    ```toml
    [tool.batchlint]
    deepspeed-launch = "deepspeed"
    ```

    and `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "zero_optimization": {"stage": "auto"}
    }
    ```

    **Passing example.** The same settings, and `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": 2,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: write the value.

    **Options.** `deepspeed-launch` in settings: only `"deepspeed"` turns the rule on (the default is
    `"accelerate"`).

    **References.** accelerate-deepspeed.md §4.3 (`"auto"` reaching DeepSpeed), §4.4 (non-strict mode
    drops `"auto"`) and §8 DS005; DeepSpeed `runtime/config_utils.py` (`DeepSpeedConfigModel`).
    """

    code, name, severity = "DS005", "deepspeed-auto-without-hf", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = '"auto" in a JSON the raw deepspeed launcher reads'

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None or v.launch != "deepspeed" or not isinstance(v.doc.root, Mapping):
            return
        for key, node in leaves(v.doc.root, ""):
            if isinstance(node, Scalar) and node.value == AUTO:
                yield self.report(
                    f'`{key}` is "auto", which only accelerate / the HF Trainer fill in: the raw deepspeed launcher '
                    "fails (TypeError) or silently uses a default",
                    node.span,
                    "write the value",
                )


def leaves(node: object, prefix: str) -> Iterator[tuple[str, object]]:
    """(dotted key, node) of every non-mapping value under `node`."""
    if isinstance(node, Mapping):
        for k in node.keys():
            yield from leaves(node.get(k), f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix, node


def _training(v: DsView) -> tuple[Fact[object] | None, Fact[object] | None] | None:
    run = v.run
    if not run.is_training:
        return None
    return run.get(F.PER_DEVICE_BATCH), run.get(F.GRAD_ACCUM)


class AccumMissingFromJson(RunRule):
    """The DeepSpeed JSON used through accelerate has no `gradient_accumulation_steps`, while the training config accumulates.

    **What.** A JSON named by an accelerate config's `deepspeed_config_file`, without
    `gradient_accumulation_steps`, for a training config whose accumulation is above 1.

    **Why.** accelerate inserts `gradient_accumulation_steps: 1` into such a JSON before anything else
    (§3.2 step 1), so the effective accumulation is 1 and the script's value is ignored.

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: ds.json
    ```

    `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "zero_optimization": {"stage": 2}
    }
    ```

    and `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 4
      mixed_precision: fp16
    ```

    **Passing example.** The same files, with `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: add `"gradient_accumulation_steps": "auto"` (or the config's value) to the JSON.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.2 (b) step 1, §3.3 (the effective accumulation) and §8
    DS006; accelerate `utils/dataclasses.py::DeepSpeedPlugin.__post_init__`.
    """

    code, name, severity = "DS006", "deepspeed-accum-missing", Severity.WARNING
    needs = (DEEPSPEED_CONFIG,)
    summary = "JSON without gradient_accumulation_steps while the config accumulates"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        training = _training(v) if v else None
        if v is None or training is None or not v.via_accelerate or F.GRAD_ACCUM in v.facts:
            return
        ga = training[1]
        if ga is None or (positive_int(ga.value) or 1) <= 1:
            return
        yield self.report(
            f"{v.doc.path} has no gradient_accumulation_steps: accelerate inserts 1, so the config's {ga.value} is ignored",
            file_start(v.doc.path),
            f'add "gradient_accumulation_steps": "auto" (or {ga.value})',
            [Related(ga.span, f"the config asks for {ga.value}")] if ga.span else [],
        )


class AccumDiffersFromJson(RunRule):
    """The JSON's integer `gradient_accumulation_steps` differs from the training config's.

    **What.** An integer `gradient_accumulation_steps` in the DeepSpeed JSON other than the training
    config's accumulation: a warning under accelerate, an error when the HF Trainer reads the JSON.

    **Why.** Under accelerate the JSON value governs the optimizer step in every version (since 1.8
    with "Gradient accumulation steps mismatch … Using DeepSpeed's value."); the HF Trainer raises
    "Please correct the following DeepSpeed config values that mismatch TrainingArguments values".

    **Failing example.** An HF Trainer config, `batchlint check sft.yaml --num-processes 8`. `sft.yaml`:

    ```yaml
    model_name_or_path: Qwen/Qwen3-4B
    per_device_train_batch_size: 2
    gradient_accumulation_steps: 8
    bf16: true
    deepspeed: ds_z2.json
    ```

    and `ds_z2.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": 4,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** The same `sft.yaml`, and `ds_z2.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": 8,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: make them agree, or write `"auto"` in the JSON.

    **Options.** None: the launch is the one that pairs the JSON with the training config (an HF
    Trainer config's `deepspeed:` key, or an accelerate config's `deepspeed_config_file`).

    **References.** accelerate-deepspeed.md §3.3 (the accumulation chain under DEEPSPEED), §3.4 (the HF
    Trainer is stricter) and §8 DS007; transformers `integrations/deepspeed.py`
    (`HfTrainerDeepSpeedConfig.trainer_config_process`).
    """

    code, name, severity = "DS007", "deepspeed-accum-differs", Severity.WARNING
    needs = (DEEPSPEED_CONFIG,)
    summary = "JSON accumulation ≠ the training config's"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        training = _training(v) if v else None
        if v is None or training is None:
            return
        ga, ds_ga = training[1], v.value(F.GRAD_ACCUM)
        if ga is None or positive_int(ds_ga) is None or positive_int(ga.value) is None or ds_ga == ga.value:
            return
        effect = (
            ('the HF Trainer stops: "Please correct the following DeepSpeed config values that mismatch TrainingArguments values"')
            if v.launch == "hf-trainer"
            else f"{ds_ga} is what runs"
        )
        yield self.report(
            f"the DeepSpeed JSON sets gradient_accumulation_steps {ds_ga}, the training config {ga.value}: {effect}",
            v.span(F.GRAD_ACCUM),
            'make them agree, or write "auto" in the JSON',
            [Related(ga.span, f"the config asks for {ga.value}")] if ga.span else [],
            severity=Severity.ERROR if v.launch == "hf-trainer" else Severity.WARNING,
        )


class MicroDiffersFromConfig(RunRule):
    """The JSON's integer `train_micro_batch_size_per_gpu` differs from the training config's per-device batch.

    **What.** An integer `train_micro_batch_size_per_gpu` in the DeepSpeed JSON other than the
    training config's per-device batch.

    **Why.** accelerate takes the JSON value and never compares it with the DataLoader: DeepSpeed's
    bookkeeping (`train_batch_size()`, throughput, schedulers) describes a batch the script does not
    feed. The HF Trainer raises the mismatch error.

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: ds.json
    ```

    `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": 4,
      "gradient_accumulation_steps": "auto",
      "zero_optimization": {"stage": 2}
    }
    ```

    and `train.yaml`, per-device batch 2:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
      mixed_precision: fp16
    ```

    **Passing example.** The same files, with `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: write `"auto"` (accelerate fills it from the DataLoader), or the same number.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.4 (`train_micro_batch_size_per_gpu` as an integer) and
    §8 DS008; accelerate `accelerator.py::Accelerator._prepare_deepspeed`.
    """

    code, name, severity = "DS008", "deepspeed-micro-differs", Severity.WARNING
    needs = (DEEPSPEED_CONFIG,)
    summary = "JSON micro batch ≠ the training config's per-device batch"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        training = _training(v) if v else None
        if v is None or training is None:
            return
        b, m = training[0], v.value(F.PER_DEVICE_BATCH)
        if b is None or positive_int(m) is None or positive_int(b.value) is None or m == b.value:
            return
        yield self.report(
            f"train_micro_batch_size_per_gpu {m} in the JSON, per-device batch {b.value} in the training config: "
            "DeepSpeed's counts describe a batch the DataLoader does not feed",
            v.span(F.PER_DEVICE_BATCH),
            'write "auto" (accelerate fills it from the DataLoader)',
            [Related(b.span, f"per-device batch {b.value}")] if b.span else [],
        )


class PinnedTotalWithAuto(RunRule):
    """An integer `train_batch_size` next to `"auto"` micro batch or accumulation.

    **What.** `train_batch_size` is an integer while `train_micro_batch_size_per_gpu` or
    `gradient_accumulation_steps` is `"auto"`.

    **Why.** accelerate fills the `"auto"` ones from the DataLoader and the script, then DeepSpeed
    asserts the triad: as soon as micro × accumulation × world differs from the pinned total the run
    fails ("… 64 != 8 * 4 * 1").

    **Failing example.** `acc.yaml`:

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
      "train_batch_size": 64,
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** The same `acc.yaml`, and `ds.json`:

    ```json
    {
      "train_batch_size": "auto",
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: write `"train_batch_size": "auto"`.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.4 (`train_batch_size: "auto"`, and an integer left
    unchanged) and §8 DS009.
    """

    code, name, severity = "DS009", "deepspeed-pinned-total-with-auto", Severity.WARNING
    needs = (DEEPSPEED_CONFIG,)
    summary = 'integer train_batch_size with "auto" micro or accumulation'

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None or positive_int(v.value(F.GLOBAL_BATCH)) is None:
            return
        autos = [k for k, n in (("train_micro_batch_size_per_gpu", F.PER_DEVICE_BATCH), ("gradient_accumulation_steps", F.GRAD_ACCUM)) if v.value(n) == AUTO]
        if autos:
            yield self.report(
                f"train_batch_size is pinned to {v.value(F.GLOBAL_BATCH)} while {' and '.join(autos)} "
                f'{"is" if len(autos) == 1 else "are"} "auto": the filled values must multiply to exactly that',
                v.span(F.GLOBAL_BATCH),
                'write "train_batch_size": "auto"',
            )


class ZeroSectionMissing(RunRule):
    """The JSON named by `deepspeed_config_file` has no `zero_optimization` section.

    **What.** A DeepSpeed JSON named by an accelerate config's `deepspeed_config_file` without
    `zero_optimization`.

    **Why.** `DeepSpeedPlugin` raises `ValueError("Please specify the ZeRO optimization config in the
    DeepSpeed config.")` (accelerate `utils/dataclasses.py`).

    **Failing example.** `acc.yaml`:

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
      "train_batch_size": "auto",
      "fp16": {"enabled": "auto"}
    }
    ```

    **Passing example.** The same `acc.yaml`, and `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "train_batch_size": "auto",
      "fp16": {"enabled": "auto"},
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: add e.g. `"zero_optimization": {"stage": 2}`.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.2 (b) step 2 and §8 DS010; accelerate
    `utils/dataclasses.py::DeepSpeedPlugin.__post_init__`.
    """

    code, name, severity = "DS010", "deepspeed-zero-missing", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "JSON used by accelerate without zero_optimization"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None or not v.via_accelerate or not isinstance(v.doc.root, Mapping) or v.doc.root.get("zero_optimization") is not None:
            return
        yield self.report(
            'no `zero_optimization` section: "Please specify the ZeRO optimization config in the DeepSpeed config."',
            file_start(v.doc.path),
            'add "zero_optimization": {"stage": 2}',
        )


class BothHalfPrecisions(RunRule):
    """`fp16.enabled` and `bf16.enabled` are both true.

    **What.** A DeepSpeed JSON whose `fp16` and `bf16` sections are both literally enabled.

    **Why.** "AssertionError: bfloat16 and fp16 modes cannot be simultaneously enabled" (DeepSpeed
    `DeepSpeedConfig._initialize_params`).

    **Failing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "fp16": {"enabled": true},
      "bf16": {"enabled": true},
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "fp16": {"enabled": false},
      "bf16": {"enabled": true},
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: enable one of them.

    **Options.** None.

    **References.** accelerate-deepspeed.md §4.4 and §8 DS013; DeepSpeed `runtime/config.py`
    (`DeepSpeedConfig._initialize_params`).
    """

    code, name, severity = "DS013", "deepspeed-fp16-and-bf16", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "fp16 and bf16 both enabled"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None or v.value(F.FP16_ENABLED) is not True or v.value(F.BF16_ENABLED) is not True:
            return
        yield self.report(
            'fp16.enabled and bf16.enabled are both true: "bfloat16 and fp16 modes cannot be simultaneously enabled"',
            v.span(F.BF16_ENABLED),
            "enable one of them",
        )


def requested_precision(run: RunModel) -> tuple[str, Fact[object]] | None:
    """The precision the run asks for: the training config's (passed to Accelerator()), else the accelerate file's."""
    for name in (F.MIXED_PRECISION, F.LAUNCH_MIXED_PRECISION):
        fact = run.get(name)
        if fact is not None and isinstance(fact.value, str) and fact.value.lower() in ("no", "fp16", "bf16", "fp8"):
            return fact.value.lower(), fact
    return None


class PrecisionConflict(RunRule):
    """The requested precision contradicts the JSON.

    **What.** fp16 requested with `bf16.enabled: true`, or the reverse, for a JSON named by an
    accelerate config. The request is the training config's precision (passed to `Accelerator()`),
    else the accelerate file's.

    **Why.** accelerate raises "`--mixed_precision` arg cannot be set to `fp16` when `bf16` is set in
    the DeepSpeed config file." (§5).

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: ds.json
    ```

    `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "bf16": {"enabled": true},
      "zero_optimization": {"stage": 2}
    }
    ```

    and `train.yaml`, asking for fp16:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
      mixed_precision: fp16
    ```

    **Passing example.** The same files, with `train.yaml`:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
      mixed_precision: bf16
    ```

    **Fix.** None: make them agree.

    **Options.** None.

    **References.** accelerate-deepspeed.md §5 (mixed precision under DeepSpeed) and §8 DS014;
    accelerate `utils/dataclasses.py::DeepSpeedPlugin.set_mixed_precision`.
    """

    code, name, severity = "DS014", "deepspeed-precision-conflict", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "requested fp16/bf16 contradicts the JSON"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        req = requested_precision(v.run) if v and v.via_accelerate else None
        if v is None or req is None:
            return
        want, fact = req
        other = {"fp16": "bf16", "bf16": "fp16"}.get(want)
        if other and v.value(F(f"{other}_enabled")) is True:
            yield self.report(
                f'mixed_precision {want} is requested but the JSON enables {other}: "`--mixed_precision` arg cannot '
                f'be set to `{want}` when `{other}` is set in the DeepSpeed config file."',
                v.span(F(f"{other}_enabled")),
                "make them agree",
                [Related(fact.span, f"mixed_precision {want}")] if fact.span else [],
            )


class PrecisionSilentlyDiffers(RunRule):
    """The JSON silently overrides the requested precision.

    **What.** fp16/bf16 requested while the JSON has that dtype's `enabled: false` → a silent fp32 run;
    `no` requested while the JSON enables fp16 or bf16 → a silent half-precision run. For a JSON named
    by an accelerate config; the request as in DS014.

    **Why.** The JSON wins (§5): the run's precision is not the one the training config asks for, and
    nothing says so.

    **Failing example.** `batchlint check train.yaml --accelerate-config acc.yaml`, with `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    num_processes: 8
    deepspeed_config:
      deepspeed_config_file: ds.json
    ```

    `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "fp16": {"enabled": false},
      "zero_optimization": {"stage": 2}
    }
    ```

    and `train.yaml`, asking for fp16:

    ```yaml
    data:
      train_bs: 2
    solver:
      gradient_accumulation_steps: 1
      mixed_precision: fp16
    ```

    **Passing example.** The same files, with `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "fp16": {"enabled": "auto"},
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: set that dtype's `enabled` to `"auto"`.

    **Options.** None.

    **References.** accelerate-deepspeed.md §5 (the requested/JSON table) and §8 DS015; accelerate
    `utils/dataclasses.py::DeepSpeedPlugin.set_mixed_precision`.
    """

    code, name, severity = "DS015", "deepspeed-precision-differs", Severity.WARNING
    needs = (DEEPSPEED_CONFIG,)
    summary = "the JSON silently overrides the requested precision"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        req = requested_precision(v.run) if v and v.via_accelerate else None
        if v is None or req is None:
            return
        want, fact = req
        related = [Related(fact.span, f"mixed_precision {want}")] if fact.span else []
        if want in ("fp16", "bf16") and v.value(F(f"{want}_enabled")) is False:
            yield self.report(
                f"mixed_precision {want} is requested but the JSON has {want}.enabled false: the run is fp32",
                v.span(F(f"{want}_enabled")),
                f'set {want}.enabled to "auto"',
                related,
            )
        elif want == "no":
            for dtype in ("fp16", "bf16"):
                if v.value(F(f"{dtype}_enabled")) is True:
                    yield self.report(
                        f"mixed_precision no is requested but the JSON enables {dtype}: the run is {dtype}",
                        v.span(F(f"{dtype}_enabled")),
                        f'set {dtype}.enabled to "auto"',
                        related,
                    )


# DeepSpeed's top-level config keys (runtime/config.py and the sub-config readers it calls): any other key is
# ignored (DS012), and a near miss of one of these gets "did you mean".
DEEPSPEED_TOP_LEVEL_KEYS = frozenset(
    {
        "train_batch_size",
        "train_micro_batch_size_per_gpu",
        "gradient_accumulation_steps",
        "optimizer",
        "scheduler",
        "fp16",
        "bf16",
        "bfloat16",
        "amp",
        "torch_autocast",
        "gradient_clipping",
        "prescale_gradients",
        "gradient_predivide_factor",
        "sparse_gradients",
        "zero_optimization",
        "zero_allow_untested_optimizer",
        "zero_force_ds_cpu_optimizer",
        "steps_per_print",
        "wall_clock_breakdown",
        "memory_breakdown",
        "dump_state",
        "flops_profiler",
        "activation_checkpointing",
        "aio",
        "tensorboard",
        "wandb",
        "csv_monitor",
        "comet",
        "elasticity",
        "autotuning",
        "communication_data_type",
        "compression_training",
        "data_efficiency",
        "curriculum_learning",
        "checkpoint",
        "data_types",
        "sparse_attention",
        "pipeline",
        "tensor_parallel",
        "compile",
        "nebula",
        "eigenvalue",
        "progressive_layer_drop",
        "quantize_training",
        "weight_quantization",
        "hybrid_engine",
        "timers",
        "disable_allgather",
        "graph_harvesting",
        "datastates",
        # DeepSpeed runtime/constants.py and DeepSpeedConfig._initialize_params (the JSON spellings, not the attribute names
        # seq_parallel_communication_data_type and use_data_before_expert_parallel_):
        "seq_parallel_comm_data_type",
        "use_data_before_expert_parallelism",
        "sequence_parallel_size",
        "vocabulary_size",
        "dataloader_drop_last",
        "comms_logger",
        "managed_gradient_accumulation",
        "gradient_allreduce_op",
        "log_level",
        "expert_parallel",
    }
)
_COMMENT_KEYS = ("comment", "comments", "description", "note", "notes")
# Misspelt, these change the batch or the precision without a word.
_BATCH_CRITICAL = (
    "train_batch_size",
    "train_micro_batch_size_per_gpu",
    "gradient_accumulation_steps",
    "fp16",
    "bf16",
    "zero_optimization",
    "gradient_clipping",
)


class NearMissKey(RunRule):
    """A top-level key DeepSpeed does not read.

    **What.** A near miss of a known key is a warning when the intended key decides the batch,
    precision or ZeRO, else information; in a JSON file, any other unknown key
    (`cuda_visible_devices`, accelerate's example `seq_parallel_communication_data_type`, whose
    DeepSpeed spelling is `seq_parallel_comm_data_type`) is information. Keys written as comments
    (`_comment`, `//`, `#...`, `comment`, `description`, `note`) are left alone.

    **Why.** DeepSpeed ignores unknown top-level keys silently (every value is read with
    `get_scalar_param`, spec §4.4): `"gradient_accumulation_step": 8` leaves accumulation to be derived
    or 1, `"train_micro_batch_size_per_gpus"` leaves the micro batch to `train_batch_size`.

    **Failing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_step": 8,
      "zero_optimisation": {"stage": 2},
      "_comment": "ZeRO-2 for 8 x A100"
    }
    ```

    **Passing example.** `ds.json`:

    ```json
    {
      "_comment": "ZeRO-2 for 8 x A100",
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": 8,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** Unsafe (the setting starts to apply): rename the key, when the file does not already have
    the known one.

    **Options.** None.

    **References.** accelerate-deepspeed.md §4.4 (unknown top-level keys are ignored) and §8 DS012;
    DeepSpeed `runtime/config.py` (the top-level keys it reads).
    """

    code, name, severity, fixable = "DS012", "deepspeed-unknown-key", Severity.INFO, True
    needs = (DEEPSPEED_CONFIG,)
    summary = "top-level key DeepSpeed ignores"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None or not isinstance(v.doc.root, Mapping):
            return
        known = sorted(DEEPSPEED_TOP_LEVEL_KEYS)
        for key_node, _value in v.doc.root.items:
            if not isinstance(key_node, Scalar):
                continue
            key = str(key_node.value)
            if key in DEEPSPEED_TOP_LEVEL_KEYS:
                continue
            close = close_matches(key, known, 1, cutoff=0.85)
            if not close:
                if v.doc.format == "json" and not key.startswith(("_", "#", "//")) and key.lower() not in _COMMENT_KEYS:
                    yield self.report(f"`{key}` is not a DeepSpeed key: DeepSpeed ignores it", key_node.span, "remove it, or fix its name")
                continue
            critical = close[0] in _BATCH_CRITICAL
            effect = f"`{close[0]}` keeps its default" if critical else "silently ignored"
            fix = None
            if v.doc.root.get(close[0]) is None:
                fix = Fix(f"rename `{key}` to `{close[0]}`", UNSAFE, [rename_key(key_node, close[0])])
            yield self.report(
                f"`{key}` is not a DeepSpeed key (did you mean `{close[0]}`?): {effect}",
                key_node.span,
                f"rename it to `{close[0]}`",
                severity=Severity.WARNING if critical else None,
                fix=fix,
            )


class NotStrictJson(RunRule):
    """The DeepSpeed JSON is not strict JSON, or has duplicate keys.

    **What.** A DeepSpeed JSON with duplicate keys, or, when an accelerate config names it, comments or
    trailing commas.

    **Why.** accelerate reads it with `json.load`: comments and trailing commas are a
    `JSONDecodeError`, and of duplicate keys the last silently wins; DeepSpeed's own loader rejects
    duplicates.

    **Failing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": 2,
      "train_micro_batch_size_per_gpu": 4,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": 4,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** None: delete one of the duplicates; remove comments and trailing commas.

    **Options.** None.

    **References.** accelerate-deepspeed.md §3.2 (b) (`json.load`, the last duplicate wins), §4.4
    (DeepSpeed's hjson loader rejects duplicates) and §8 DS018; accelerate
    `utils/deepspeed.py::HfDeepSpeedConfig.__init__`.
    """

    code, name, severity = "DS018", "deepspeed-not-strict-json", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "JSON with comments, trailing commas or duplicate keys"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        link = pairing.deepspeed
        if link is not None and link.error is not None:
            err = link.error
            detail = err.message.removeprefix("invalid JSON: ")
            yield self.report(
                f"the DeepSpeed JSON named by deepspeed_config_file is not strict JSON ({detail}): accelerate's json.load fails",
                Span(err.path, err.line, err.column, err.line, err.column, 0, 0),
                err.help or None,
            )
        v = ds_view(run, pairing)
        if v is None:
            return
        for dup in v.doc.duplicates:
            yield self.report(
                f"duplicate key `{dup.key}` (first at line {dup.first.line}): json.load keeps the last, DeepSpeed's loader rejects the file",
                dup.again,
                "delete one of them",
                [Related(dup.first, "first here")],
            )


class LegacyBfloat16Section(RunRule):
    """The JSON enables bf16 through the legacy `bfloat16` section.

    **What.** A DeepSpeed JSON with a `bfloat16` section, used through accelerate or the HF Trainer.
    With the raw `deepspeed` launcher (settings `deepspeed-launch = "deepspeed"`) the alias works and
    nothing is reported.

    **Why.** DeepSpeed itself still reads `bfloat16` as an alias of `bf16`, but accelerate and the HF
    Trainer look only at `bf16`: accelerate always writes a `bf16` section of its own
    (`{"enabled": mixed_precision == "bf16"}`, `DeepSpeedPlugin.set_mixed_precision`), so the legacy
    section is overridden and the run's precision is whatever the launch asks for, not what the file
    says.

    **Failing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "bfloat16": {"enabled": true},
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** `ds.json`, after the fix:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "bf16": {"enabled": true},
      "zero_optimization": {"stage": 2}
    }
    ```

    **Fix.** Safe when the file has no `bf16` section (DeepSpeed reads both names the same way): rename
    `bfloat16` to `bf16`. No fix when both sections are there.

    **Options.** `deepspeed-launch` in settings: `"deepspeed"` turns the rule off.

    **References.** accelerate-deepspeed.md §4.4 (`bfloat16` is a legacy alias), §5 and §8 DS016;
    DeepSpeed `runtime/precision_config.py::get_bfloat16_config`; accelerate
    `DeepSpeedPlugin.set_mixed_precision`.
    """

    code, name, severity, fixable = "DS016", "deepspeed-legacy-bfloat16", Severity.WARNING, True
    needs = (DEEPSPEED_CONFIG,)
    summary = "legacy `bfloat16` section, ignored under accelerate"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None or v.launch == "deepspeed" or not isinstance(v.doc.root, Mapping):
            return
        key = v.doc.root.key_node("bfloat16")
        if not isinstance(key, Scalar):
            return
        launcher = "the HF Trainer" if v.launch == "hf-trainer" else "accelerate"
        fix = None
        if v.doc.root.get("bf16") is None:
            fix = Fix("rename `bfloat16` to `bf16`", SAFE, [rename_key(key, "bf16")])
        yield self.report(
            f"legacy `bfloat16` section: {launcher} reads only `bf16` and inserts its own, so this section does not set the precision",
            key.span,
            "rename it to `bf16`",
            fix=fix,
        )


class ElasticityWithBatchSizes(RunRule):
    """Elastic training is enabled while the JSON also sets the batch triad.

    **What.** `elasticity.enabled: true` without `ignore_non_elastic_batch_info: true`, and any of
    `train_batch_size`, `train_micro_batch_size_per_gpu`, `gradient_accumulation_steps` in the JSON.
    Under accelerate the check always fires: accelerate inserts `gradient_accumulation_steps` (1) into a
    file that has none (§3.2).

    **Why.** With `elasticity.enabled: true` DeepSpeed computes the batch itself from
    `elasticity.max_train_batch_size`, `micro_batch_sizes` and the GPU range, and refuses a file that
    also pins `train_batch_size`, `train_micro_batch_size_per_gpu` or `gradient_accumulation_steps`:
    `ElasticityConfigError: One or more batch related parameters were found in your ds_config (...).
    These parameters *will not be used* since elastic training is enabled, which takes control of
    these parameters. If you want to suppress this error (the parameters will be silently ignored)
    please set 'ignore_non_elastic_batch_info': true in your elasticity config.`

    **Failing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": 4,
      "zero_optimization": {"stage": 1},
      "elasticity": {
        "enabled": true,
        "max_train_batch_size": 64,
        "micro_batch_sizes": [2, 4],
        "min_gpus": 1,
        "max_gpus": 16,
        "version": 0.1
      }
    }
    ```

    **Passing example.** `ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": 4,
      "zero_optimization": {"stage": 1},
      "elasticity": {
        "enabled": true,
        "ignore_non_elastic_batch_info": true,
        "max_train_batch_size": 64,
        "micro_batch_sizes": [2, 4],
        "min_gpus": 1,
        "max_gpus": 16,
        "version": 0.1
      }
    }
    ```

    **Fix.** None: remove the batch keys, or set `"ignore_non_elastic_batch_info": true` in
    `elasticity`.

    **Options.** `deepspeed-launch` in settings: under `"deepspeed"` and `"hf-trainer"` the inserted
    accumulation does not count.

    **References.** accelerate-deepspeed.md §4.3 ("Elasticity"), §3.2 and §8 DS020; DeepSpeed
    `runtime/config.py` (`DeepSpeedConfig.__init__`).
    """

    code, name, severity = "DS020", "deepspeed-elasticity-with-batch", Severity.ERROR
    needs = (DEEPSPEED_CONFIG,)
    summary = "elasticity enabled while the batch triad is set"

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        v = ds_view(run, pairing)
        if v is None or not isinstance(v.doc.root, Mapping):
            return
        elastic = v.doc.root.get(F.ELASTICITY)
        if not isinstance(elastic, Mapping):
            return
        enabled = elastic.get("enabled")
        if not isinstance(enabled, Scalar) or enabled.value is not True:
            return
        ignore = elastic.get("ignore_non_elastic_batch_info")
        if isinstance(ignore, Scalar) and ignore.value:
            return
        present = [k for k in ("train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps") if v.doc.root.get(k) is not None]
        if "gradient_accumulation_steps" not in present and v.launch == "accelerate":
            present.append("gradient_accumulation_steps (accelerate inserts 1)")
        if not present:
            return
        yield self.report(
            f"`elasticity.enabled` is true and the JSON sets {', '.join(present)}: DeepSpeed raises "
            '"ElasticityConfigError: One or more batch related parameters were found in your ds_config"',
            enabled.span,
            'remove the batch keys, or set "ignore_non_elastic_batch_info": true in `elasticity`',
        )

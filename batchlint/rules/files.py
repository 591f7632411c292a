"""BL0xx: the file itself — unreadable, duplicated keys, broken includes and interpolations."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from batchlint.dialects.registry import DEEPSPEED_NAME
from batchlint.loading.nodes import LoadErrorKind
from batchlint.model import Caveat, FactName, Origin, ProblemKind, RunModel, Semantics, Severity
from batchlint.pair import Pairing
from batchlint.rules.base import Diagnostic, DocumentRule, Related, Rule, RunRule, file_start
from batchlint.views import DocumentView


class InvalidFile(DocumentRule, RunRule):
    """The file cannot be read as YAML or JSON.

    **What.** Binary files, invalid UTF-8, YAML or JSON syntax errors and files over the size limit
    (10 MiB) land here, each with the line and column where reading stopped. An accelerate config
    named on the command line or in settings that cannot be read is reported here too (one that does
    not exist is AC033's).

    **Why.** The launcher (`accelerate launch`, OmegaConf in the training script, DeepSpeed) fails on
    the same file, but only after the job has waited for its GPUs.

    **Failing example.** `train.yaml` (`invalid YAML: ... expected ',' or ']'`):

    ```yaml
    train:
      train_batch_size: [1
      gradient_accumulation_steps: 4
    ```

    **Passing example.** `train.yaml`:

    ```yaml
    train:
      train_batch_size: 1
      gradient_accumulation_steps: 4
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: False
    ```

    **Fix.** None: repair the syntax; batchlint does not guess what the file meant.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.1 (accelerate reads `.json` with `json.load`, anything
    else with PyYAML `yaml.safe_load`); musev.md "Shape of the file" (`OmegaConf.load`).
    """

    code = "BL001"
    name = "invalid-file"
    summary = "file cannot be parsed"
    severity = Severity.ERROR

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        err = doc.load_error
        if err is not None:
            yield self._from_error(err.path, err.line, err.column, err.message, err.help)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        for err in pairing.launch_problems:
            if err.kind == LoadErrorKind.NOT_FOUND:
                continue  # AC033's
            yield self._from_error(
                err.path, err.line, err.column, f"accelerate config: {err.message}", err.help or "check the path given to --accelerate-config or in settings"
            )

    def _from_error(self, path: str, line: int, column: int, message: str, help: str) -> Diagnostic:
        from batchlint.loading.nodes import Span

        return self.report(message, Span(path, line, column, line, column, 0, 0), help or None)


class DuplicateKey(DocumentRule):
    """A mapping has the same key twice.

    **What.** A mapping with a repeated key: an error in training configs read by OmegaConf
    (MuseV/AnimateAnyone), a warning elsewhere (accelerate files, configs read by PyYAML or
    `json.load`). A DeepSpeed JSON's duplicates are DS018's.

    **Why.** PyYAML (accelerate) and `json.load` silently keep the last value, so the first one, often
    the one you edited, is ignored. OmegaConf refuses the file outright
    (`ConstructorError: found duplicate key`), hence the error for training configs.

    **Failing example.** `accelerate.yaml` (the second `debug` silently wins):

    ```yaml
    compute_environment: LOCAL_MACHINE
    debug: false
    distributed_type: MULTI_GPU
    debug: true
    num_processes: 4
    ```

    **Passing example.** `accelerate.yaml` with one `debug`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    debug: true
    distributed_type: MULTI_GPU
    num_processes: 4
    ```

    **Fix.** None: delete the copy you do not mean; only you know which one that is.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.1 (PyYAML `yaml.safe_load` / `json.load`), §3.2 (duplicate
    keys in a DeepSpeed JSON: the last one wins); musev.md "Shape of the file" (`OmegaConf.load`).
    """

    code = "BL002"
    name = "duplicate-key"
    summary = "the same key appears twice in one mapping"
    severity = Severity.WARNING

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        if doc.dialect is None or doc.dialect == DEEPSPEED_NAME:
            return  # not a config batchlint reads; a DeepSpeed JSON's duplicates are DS018's
        omegaconf = doc.semantics == Semantics.OMEGACONF
        for dup in doc.duplicates:
            where = f" in `{dup.path}`" if dup.path else ""
            consequence = "OmegaConf refuses to load the file" if omegaconf else "the last value silently wins"
            yield self.report(
                f"duplicate key `{dup.key}`{where} (first at line {dup.first.line}): {consequence}",
                dup.again,
                "delete one of the two",
                [Related(dup.first, "first defined here")],
                severity=Severity.ERROR if omegaconf else Severity.WARNING,
            )


def _problems(rule: Rule, doc: DocumentView, wanted: Callable[[ProblemKind], bool]) -> Iterator[Diagnostic]:
    """The resolution problems of a file (includes, interpolations) of the kinds a rule reports, where each is written."""
    for problem in doc.problems:
        if wanted(problem.kind):
            yield rule.report(problem.message, problem.span, problem.help or None)


class IncludeError(DocumentRule):
    """A `${include:file.yaml}` cannot be resolved.

    **What.** The file an `${include:...}` names is missing, is a directory, cannot be read, or
    includes itself (a cycle). Reported where the include is written.

    **Why.** MuseV registers an `include` resolver that loads the named file from the training
    config's directory; a missing file, a directory, a cycle or an unreadable file crashes `train.py`
    when OmegaConf resolves the config at start-up.

    **Failing example.** `train.yaml`, whose included file does not exist:

    ```yaml
    train:
      train_batch_size: 2
      gradient_accumulation_steps: 4
    dataset:
      dataset: '${include:webvid.yaml}'
    validation_data:
      do_validation: False
    ```

    **Passing example.** The same `train.yaml`, with `webvid.yaml` next to it:

    ```yaml
    width: 512
    height: 320
    ```

    **Fix.** None: create the file or fix its name.

    **Options.** `include-root` in settings (or `--include-root DIR`) when your script loads includes
    from another directory than the including file's.

    **References.** musev.md "Interpolations and includes" (MuseV's `include` resolver, registered
    with `OmegaConf.register_new_resolver` in `train.py`).
    """

    code = "BL003"
    name = "include-error"
    summary = "an included file is missing, unreadable or includes itself"
    severity = Severity.ERROR

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        # (an include outside the project is BL009's)
        return _problems(self, doc, lambda kind: kind.is_include and kind != ProblemKind.INCLUDE_OUTSIDE)


class OutsideProject(DocumentRule, RunRule):
    """A file named in a checked file lies outside the project, so batchlint did not read it.

    **What.** Every file batchlint follows from the contents of a checked file must resolve, every
    symlink followed, inside the project: an `${include:...}`, a Hydra defaults file, the accelerate
    config a launch line (`--config_file`) or the settings (`accelerate-config`) name, the DeepSpeed
    JSON an accelerate config (`deepspeed_config_file`), a training config (`deepspeed: ds.json`) or a
    launch line (`--deepspeed ds.json`) names, a hostfile (`deepspeed_hostfile`, `--hostfile`), the
    training config and the training script a checked launch script runs, and the launch scripts
    that pair a config. The project is the nearest directory above the checked file with `.git` or
    `pyproject.toml`; in a tree with neither, the working directory when the file is below it (unless
    that is `/` or the home directory), else the directory (or the file's directory) named on the
    command line. Files named on the command line (`--accelerate-config`, `--memory-profile`,
    `--include-root`, the checked paths) are the user's choice and never fenced. A memory profile
    named in settings outside the project is a settings error.

    **Why.** A linter run on a repository it did not write (a pre-commit hook on a contributor's
    branch, CI on a pull request) must not print the values and lines of files elsewhere on the
    machine: an include of `../../.ssh/config`, or a symlinked `configs/` directory pointing at
    another checkout, would otherwise show them as snippets of findings.

    **Failing example.** In a project marked by its pyproject.toml, `project/acc.yaml` names a
    DeepSpeed JSON outside it:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: DEEPSPEED
    deepspeed_config:
      deepspeed_config_file: ../shared/ds.json
      zero3_init_flag: false
    machine_rank: 0
    num_machines: 1
    num_processes: 8
    ```

    `project/pyproject.toml`:

    ```toml
    [project]
    name = "trainer"
    ```

    and `shared/ds.json`:

    ```json
    {
      "train_micro_batch_size_per_gpu": "auto",
      "gradient_accumulation_steps": "auto",
      "gradient_clipping": 1.0,
      "zero_optimization": {"stage": 2}
    }
    ```

    **Passing example.** The same files, with the settings allowing the shared directory
    (`project/pyproject.toml`):

    ```toml
    [project]
    name = "trainer"

    [tool.batchlint]
    allow-outside = ["../shared"]
    ```

    **Fix.** None: move the file into the project, or add its directory to `allow-outside` in
    [tool.batchlint] (relative to the settings file).

    **Options.** `allow-outside` (directories outside the project that may be read); `include-root`
    (`--include-root`) for includes.

    **References.** README.md "What batchlint reads" (the rule, and the files it covers);
    `batchlint/paths.py` `Fence` and `batchlint/session.py` `Session.fence_for` (the one check every
    follower asks).
    """

    code = "BL009"
    name = "outside-project"
    summary = "a file named in a checked file is outside the project and was not read"
    severity = Severity.WARNING

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        return _problems(self, doc, lambda kind: kind == ProblemKind.INCLUDE_OUTSIDE)

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if not pairing.outside:
            return
        from batchlint.paths import FENCE_HELP

        for outside in pairing.outside:
            yield self.report(outside.message, outside.span, FENCE_HELP)


class InterpolationError(DocumentRule):
    """An OmegaConf interpolation cannot be resolved: a missing key, a cycle or bad syntax.

    **What.** A `${...}` in a training config that points at a key that does not exist, that forms a
    cycle, or that cannot be parsed. Relative keys count dots from the mapping that holds the value:
    `${.x}` is a sibling, `${..x}` a sibling of the parent.

    **Why.** The training script resolves the whole config (`resolve=True`), so one broken `${...}`
    stops the run with `InterpolationKeyError` or `GrammarParseError` before the first step.

    **Failing example.** `train.yaml`: `train.per_card` does not exist, and the accumulation refers to
    itself through `accum`:

    ```yaml
    train:
      train_batch_size: ${train.per_card}
      gradient_accumulation_steps: ${.accum}
      accum: ${.gradient_accumulation_steps}
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: False
    ```

    **Passing example.** `train.yaml`:

    ```yaml
    train:
      train_batch_size: ${train.per_card}
      per_card: 2
      gradient_accumulation_steps: ${.accum}
      accum: 4
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: False
    ```

    **Fix.** None: point the interpolation at a key that exists, or break the cycle.

    **Options.** None.

    **References.** musev.md "Shape of the file" (`OmegaConf.load`, `resolve=True`) and
    "Interpolations and includes" (relative and absolute interpolations).
    """

    code = "BL004"
    name = "interpolation-error"
    summary = "an interpolation points at a missing key, forms a cycle or cannot be parsed"
    severity = Severity.ERROR

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        return _problems(self, doc, lambda kind: kind in (ProblemKind.MISSING_KEY, ProblemKind.CYCLE, ProblemKind.GRAMMAR))


class ReadingDiffers(RunRule):
    """A value batchlint uses reads differently to PyYAML (YAML 1.1) and to OmegaConf.

    **What.** In an OmegaConf training config, a value batchlint reads (batch, accumulation, frames,
    resolution, ...) that PyYAML would read as another type. Reported as information: batchlint uses
    the OmegaConf reading.

    **Why.** `1e-5` without a dot is a string to PyYAML but a float to OmegaConf; `2024-01-01` is a date
    to PyYAML but a string to OmegaConf. batchlint reads each file the way its consumer does (OmegaConf
    for training YAML), and says so when a tool that reads the same file with PyYAML would see
    something else.

    **Failing example.** `train.yaml`: `12e0` is a float to OmegaConf, the string `'12e0'` to PyYAML:

    ```yaml
    train:
      train_batch_size: 2
      gradient_accumulation_steps: 4
    dataset:
      n_sample_frames: 12e0
    validation_data:
      do_validation: False
    ```

    **Passing example.** `train.yaml`:

    ```yaml
    train:
      train_batch_size: 2
      gradient_accumulation_steps: 4
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: False
    ```

    **Fix.** None: write the value unambiguously (`1.0e-5`, a quoted string).

    **Options.** None.

    **References.** musev.md "Interpolations and includes" (YAML 1.1 against OmegaConf: `1e-5`);
    anchors.md Appendix A (the same YAML read by PyYAML, OmegaConf and ruamel).
    """

    code = "BL005"
    name = "yaml-reading-differs"
    summary = "PyYAML and OmegaConf read a used value differently"
    severity = Severity.INFO

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if run.semantics != Semantics.OMEGACONF or not _omegaconf_caveat(run):
            return
        for fact in run.facts():
            if fact.name == FactName.LEARNING_RATE:
                continue  # read only to word the learning-rate note, never for the arithmetic
            if fact.caveat == Caveat.OMEGACONF_READING and fact.span and fact.origin == Origin.FILE:
                yield self.report(
                    f"`{fact.key}`: {fact.note}; batchlint uses the OmegaConf reading",
                    fact.span,
                    "write the value so both agree (e.g. 1.0e-5, or quote a string)",
                )


def _omegaconf_caveat(run: RunModel) -> bool:
    """Whether a fact of the run other than the learning rate (read only to word a note) is read
    differently by OmegaConf (every fact: `RunModel.facts` yields the typed ones and the extras, in an
    order this look does not need)."""
    typed = (
        run.per_device_batch,
        run.grad_accum,
        run.effective_grad_accum,
        run.global_batch,
        run.num_processes,
        run.num_machines,
        run.data_parallel_size,
        run.mixed_precision,
        run.distributed_type,
    )  # RunModel._FIELDS
    reading = Caveat.OMEGACONF_READING
    return any(fact is not None and fact.caveat == reading and fact.name != FactName.LEARNING_RATE for fact in (*typed, *run.extras.values()))


class EmptyFile(DocumentRule):
    """The file is empty.

    **What.** A checked file with no content, or only whitespace.

    **Why.** An empty training or launch config loads as nothing: OmegaConf gives an empty config and
    the script fails on the first missing key; accelerate raises "A `distributed_type` must be
    specified". Usually a failed save or a placeholder.

    **Failing example.** An empty `train.yaml`:

    ```yaml
    ```

    **Passing example.** `train.yaml`:

    ```yaml
    train:
      train_batch_size: 2
      gradient_accumulation_steps: 4
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: False
    ```

    **Fix.** None: fill it in or delete it.

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.2 (`distributed_type` is the one required key).
    """

    code = "BL006"
    name = "empty-file"
    summary = "the file has no content"
    severity = Severity.WARNING

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        if doc.is_empty and doc.format not in ("toml", "python"):  # an empty TOML table, an empty Python module: valid
            yield self.report("file is empty: nothing to check", file_start(doc.path), "fill it in or delete it")


class UnusedSuppression(Rule):
    """A `# batchlint: ignore[...]` / `disable[...]` / `file-ignore[...]` comment that silences nothing.

    **What.** A suppression comment under which no finding of the codes it names was reported. Checked
    after all other rules of the file ran.

    **Why.** Left over after the problem was fixed, or naming the wrong code, it would hide the next
    real finding on that line.

    **Failing example.** `train.yaml`: nothing on that line is an AC003 finding:

    ```yaml
    train:
      train_batch_size: 2
      gradient_accumulation_steps: 4  # batchlint: ignore[AC003]
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: False
    ```

    **Passing example.** `train.yaml`: the comment silences the BL103 finding of its line:

    ```yaml
    train:
      train_batch_size: 2  # batchlint: ignore[BL103]
      gradient_accumulation_steps: 4
    dataset:
      n_sample_frames: 12
    validation_data:
      do_validation: False
    ```

    **Fix.** Safe: remove the comment (the whole line when the comment is alone on it).

    **Options.** None.

    **References.** anchors.md §0 and §1 (ruff's unused-suppression rule RUF100, removed by `--fix`).
    """

    code = "BL008"
    name = "unused-suppression"
    summary = "suppression comment that silences nothing"
    severity = Severity.WARNING
    fixable = True
    # Reported by batchlint/suppression.py once every other rule of the file has run.

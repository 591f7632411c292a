"""BL0xx: the file itself — unreadable, duplicated keys, broken includes and interpolations."""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.dialects.registry import DEEPSPEED
from batchlint.loading.nodes import LoadErrorKind
from batchlint.model import Caveat, Origin, ProblemKind, RunModel, Semantics, Severity
from batchlint.pair import Pairing
from batchlint.rules.base import Diagnostic, DocumentRule, Related, Rule, RunRule, file_start
from batchlint.views import DocumentView


class InvalidFile(DocumentRule, RunRule):
    """The file cannot be read as YAML or JSON.

    **Why it matters.** The launcher (`accelerate launch`, OmegaConf in the training script,
    DeepSpeed) fails on the same file, but only after the job has waited for its GPUs.
    Binary files, invalid UTF-8, YAML or JSON syntax errors and files over the size limit
    land here, each with the line and column where reading stopped. An accelerate config
    named on the command line or in settings that cannot be read is reported here too.

    **Example.** `train_batch_size: [1` → `invalid YAML: ... expected ',' or ']'`.

    **Fix.** None: repair the syntax.
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
            yield self._from_error(err.path, err.line, err.column,
                                   f"accelerate config: {err.message}", err.help or "check the path given to --accelerate-config or in settings")

    def _from_error(self, path: str, line: int, column: int, message: str, help: str) -> Diagnostic:
        from batchlint.loading.nodes import Span

        return self.report(message, Span(path, line, column, line, column, 0, 0), help or None)


class DuplicateKey(DocumentRule):
    """A mapping has the same key twice.

    **Why it matters.** PyYAML (accelerate) and `json.load` silently keep the last value, so
    the first one, often the one you edited, is ignored. OmegaConf refuses the file outright
    (`ConstructorError: found duplicate key`), so in MuseV/AnimateAnyone training configs this
    is an error; in accelerate and DeepSpeed files it is a warning.

    **Fix.** Delete the copy you do not mean.
    """

    code = "BL002"
    name = "duplicate-key"
    summary = "the same key appears twice in one mapping"
    severity = Severity.WARNING

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        if doc.dialect is None or doc.dialect == DEEPSPEED.name:
            return  # not a config batchlint reads; a DeepSpeed JSON's duplicates are DS018's
        omegaconf = doc.semantics == Semantics.OMEGACONF
        for dup in doc.duplicates:
            where = f" in `{dup.path}`" if dup.path else ""
            consequence = ("OmegaConf refuses to load the file" if omegaconf
                           else "the last value silently wins")
            yield self.report(
                f"duplicate key `{dup.key}`{where} (first at line {dup.first.line}): {consequence}",
                dup.again, "delete one of the two", [Related(dup.first, "first defined here")],
                severity=Severity.ERROR if omegaconf else Severity.WARNING)


class IncludeError(DocumentRule):
    """A `${include:file.yaml}` cannot be resolved.

    **Why it matters.** MuseV registers an `include` resolver that loads the named file from
    the training config's directory; a missing file, a directory, a cycle or an unreadable file
    crashes `train.py` when OmegaConf resolves the config at start-up.

    **Options.** `include-root` in settings when your script loads includes from elsewhere.
    """

    code = "BL003"
    name = "include-error"
    summary = "an included file is missing, unreadable or includes itself"
    severity = Severity.ERROR

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        for problem in doc.problems:
            if problem.kind.is_include:
                yield self.report(problem.message, problem.span, problem.help or None)


class InterpolationError(DocumentRule):
    """An OmegaConf interpolation cannot be resolved: a missing key, a cycle or bad syntax.

    **Why it matters.** The training script resolves the whole config (`resolve=True`), so one
    broken `${...}` stops the run with `InterpolationKeyError` or `GrammarParseError` before the
    first step. Relative keys count dots from the mapping that holds the value:
    `${.x}` is a sibling, `${..x}` a sibling of the parent.
    """

    code = "BL004"
    name = "interpolation-error"
    summary = "an interpolation points at a missing key, forms a cycle or cannot be parsed"
    severity = Severity.ERROR

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        for problem in doc.problems:
            if problem.kind in (ProblemKind.MISSING_KEY, ProblemKind.CYCLE, ProblemKind.GRAMMAR):
                yield self.report(problem.message, problem.span, problem.help or None)


class ReadingDiffers(RunRule):
    """A value batchlint uses reads differently to PyYAML (YAML 1.1) and to OmegaConf.

    **Why it matters.** `1e-5` without a dot is a string to PyYAML but a float to OmegaConf;
    `2024-01-01` is a date to PyYAML but a string to OmegaConf. batchlint reads each file the
    way its consumer does (OmegaConf for training YAML), and says so when a tool that reads the
    same file with PyYAML would see something else.

    **Fix.** Write the value unambiguously (`1.0e-5`, a quoted string).
    """

    code = "BL005"
    name = "yaml-reading-differs"
    summary = "PyYAML and OmegaConf read a used value differently"
    severity = Severity.INFO

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        if run.semantics != Semantics.OMEGACONF:
            return
        for fact in run.facts():
            if fact.caveat == Caveat.OMEGACONF_READING and fact.span and fact.origin == Origin.FILE:
                yield self.report(f"`{fact.key}`: {fact.note}; batchlint uses the OmegaConf reading", fact.span,
                                  "write the value so both agree (e.g. 1.0e-5, or quote a string)")


class EmptyFile(DocumentRule):
    """The file is empty.

    **Why it matters.** An empty training or launch config loads as nothing: OmegaConf gives an
    empty config and the script fails on the first missing key; accelerate raises
    "A `distributed_type` must be specified". Usually a failed save or a placeholder.
    """

    code = "BL006"
    name = "empty-file"
    summary = "the file has no content"
    severity = Severity.WARNING

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        if doc.is_empty and doc.format not in ("toml", "python"):  # an empty TOML table, an empty Python module: valid
            yield self.report("file is empty: nothing to check", file_start(doc.path),
                              "fill it in or delete it")


class UnusedSuppression(Rule):
    """A `# batchlint: ignore[...]` / `disable[...]` / `file-ignore[...]` comment that silences nothing.

    Left over after the problem was fixed, or naming the wrong code, it would hide the next real
    finding on that line. Checked after all other rules of the file ran.

    **Fix** (safe): remove the comment (the whole line when the comment is alone on it).
    """

    code = "BL008"
    name = "unused-suppression"
    summary = "suppression comment that silences nothing"
    severity = Severity.WARNING
    fixable = True
    # Reported by batchlint/suppression.py once every other rule of the file has run.

"""What a rule is and what it reports.

Two kinds, as the data flows: a `DocumentRule` looks at one file (its nodes, comments, duplicate keys
and resolution problems, through a `DocumentView`), a `RunRule` at one run (`RunModel`) and what it is
launched with (`Pairing`). Neither ever sees raw text. A rule's class docstring is its documentation
(`batchlint rule CODE`), with the same sections for every rule (tests/test_rule_docs.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from batchlint.fixes import Fix
from batchlint.loading.nodes import Span
from batchlint.model import DialectKind, FactName, RunModel, Severity
from batchlint.pair import Pairing
from batchlint.views import DocumentView

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar, Literal

    Need = Literal["accelerate-config", "accelerate-launch", "deepspeed-config", "baseline", "memory"]

# What a rule may need of a run (`Rule.needs`).
ACCELERATE_CONFIG: Need = "accelerate-config"  # launched with an accelerate config (the launch facts of `Pairing`)
ACCELERATE_LAUNCH: Need = "accelerate-launch"  # that, a bare `accelerate launch`, or an accelerate config that cannot be read
DEEPSPEED_CONFIG: Need = "deepspeed-config"  # a DeepSpeed JSON, or a run that names one
BASELINE: Need = "baseline"  # compared with `--baseline REV`
MEMORY: Need = "memory"  # a memory model, or the reason there is none
NEEDS: tuple[Need, ...] = (ACCELERATE_CONFIG, ACCELERATE_LAUNCH, DEEPSPEED_CONFIG, BASELINE, MEMORY)


def needs_met(run: RunModel, pairing: Pairing) -> frozenset[Need]:
    """The needs a run meets. Each is a necessary condition of the rules that declare it: the accelerate
    rules look at `view()` (no launch facts, no view), AC033 at a bare `accelerate launch` or the launch
    problems, the DeepSpeed ones at `ds_view()`, the drift rules at the baseline, the memory rules at the
    memory model or why there is none."""
    met: list[Need] = []
    if pairing.launch_facts:
        met.append(ACCELERATE_CONFIG)
    if pairing.launch_facts or pairing.launch_problems or FactName.ACCELERATE_DEFAULT_CONFIG in run:
        met.append(ACCELERATE_LAUNCH)
    if run.kind == DialectKind.DEEPSPEED or pairing.deepspeed is not None:
        met.append(DEEPSPEED_CONFIG)
    if run.baseline is not None:
        met.append(BASELINE)
    if run.memory is not None or run.memory_missing is not None:
        met.append(MEMORY)
    return frozenset(met)


class Related:
    __slots__ = ("span", "label")

    def __init__(self, span: Span, label: str) -> None:
        self.span = span
        self.label = label

    def __reduce__(self) -> tuple[type[Related], tuple[Span, str]]:
        return Related, (self.span, self.label)  # (see Diagnostic.__reduce__)


class Diagnostic:
    __slots__ = ("code", "name", "severity", "message", "span", "help", "related", "fix")

    def __init__(
        self,
        code: str,
        name: str,
        severity: Severity,
        message: str,
        span: Span,
        help: str | None = None,
        related: list[Related] | None = None,
        fix: Fix | None = None,
    ) -> None:
        self.code = code
        self.name = name
        self.severity = severity
        self.message = message
        self.span = span
        self.help = help
        self.related = related or []
        self.fix = fix

    def __repr__(self) -> str:
        return f"Diagnostic({self.code} {self.span.file}:{self.span.line}:{self.span.column} {self.message!r})"

    def __reduce__(self) -> tuple[type[Diagnostic], tuple[object, ...]]:
        # The parallel walk pickles every diagnostic back to the parent: its fields as arguments cost
        # about two thirds of the default slot-state dicts, to write and to read.
        return Diagnostic, (self.code, self.name, self.severity, self.message, self.span, self.help, self.related, self.fix)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)

    def identity(self) -> tuple[str, str, int, int, str]:
        """Two runs sharing a launch config report its findings once: same code, place and message."""
        return (self.code, self.span.file, self.span.line, self.span.column, self.message)

    @property
    def failing(self) -> bool:
        return self.severity in (Severity.ERROR, Severity.WARNING)

    def as_json(self, sources: dict[str, str] | None = None) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "help": self.help,
            "related": [{"file": r.span.file, "line": r.span.line, "column": r.span.column, "label": r.label} for r in self.related],
            "fix": self.fix.as_json(sources) if self.fix is not None else None,
        }


def file_start(path: str) -> Span:
    return Span(path, 1, 1, 1, 1, 0, 0)


class Rule:
    """Code, name, summary, severity; subclasses of DocumentRule / RunRule implement the check."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity]
    fixable: ClassVar[bool] = False
    aliases: ClassVar[tuple[str, ...]] = ()  # other codes that select this rule (the spec's catalog names)
    # What a run must have for the rule to report anything (`needs_met`); the registry's table
    # (rules/__init__.py) repeats it so that a run imports only the rule modules that can apply to it.
    needs: ClassVar[tuple[Need, ...]] = ()

    def report(
        self, message: str, span: Span, help: str | None = None, related: list[Related] | None = None, severity: Severity | None = None, fix: Fix | None = None
    ) -> Diagnostic:
        return Diagnostic(self.code, self.name, severity or self.severity, message, span, help, related or [], fix)


class DocumentRule(Rule):
    """A rule about one file as written."""

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        raise NotImplementedError


class RunRule(Rule):
    """A rule about one run: its typed facts and what it is launched with."""

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        raise NotImplementedError


# accelerate's multi-device distributed types, and a version's numbers: for the accelerate rules and the
# cross-file ones that do not import them.
MULTI_DEVICE = ("MULTI_GPU", "MULTI_NPU", "MULTI_MLU", "MULTI_SDAA", "MULTI_MUSA", "MULTI_XPU", "MULTI_HPU", "MULTI_NEURON")


def version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in str(text).split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def close_matches(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Known names close to a misspelt one, to phrase "did you mean". Equally close names are ordered
    by how many characters differ in place (`BL1O1` is `BL101` with one letter for a digit, not `BL112`)."""
    import difflib  # only when a name is unknown

    def misplaced(name: str) -> int:
        return sum(a != b for a, b in zip(word, name, strict=True)) if len(name) == len(word) else len(word) + len(name)

    scored = []
    for name in set(choices):
        ratio = difflib.SequenceMatcher(None, word, name).ratio()
        if ratio >= cutoff:
            scored.append((-ratio, misplaced(name), name))
    scored.sort(key=lambda item: item[2], reverse=True)  # difflib's own order among the rest
    scored.sort(key=lambda item: item[:2])
    return [name for _, _, name in scored[:n]]

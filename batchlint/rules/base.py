"""What a rule is, what it reports, and what it reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from batchlint.fixes import Fix
from batchlint.loading import Document, LoadError
from batchlint.loading.nodes import Span
from batchlint.run import Run

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar

SEVERITIES = ("error", "warning", "info")


class Related:
    __slots__ = ("span", "label")

    def __init__(self, span: Span, label: str) -> None:
        self.span = span
        self.label = label


class Diagnostic:
    __slots__ = ("code", "name", "severity", "message", "span", "help", "related", "fix")

    def __init__(self, code: str, name: str, severity: str, message: str, span: Span, help: str | None = None,
                 related: list[Related] | None = None, fix: Fix | None = None) -> None:
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

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code, "name": self.name, "severity": self.severity, "message": self.message,
            "file": self.span.file, "line": self.span.line, "column": self.span.column,
            "end_line": self.span.end_line, "end_column": self.span.end_column,
            "help": self.help,
            "related": [{"file": r.span.file, "line": r.span.line, "column": r.span.column, "label": r.label}
                        for r in self.related],
            "fix": self.fix.as_json() if self.fix is not None else None,
        }


class FileContext:
    """Everything known about one checked file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.doc: Document | None = None
        self.load_error: LoadError | None = None
        self.run: Run | None = None


def file_start(path: str) -> Span:
    return Span(path, 1, 1, 1, 1, 0, 0)


class Rule:
    """Base class: subclasses set the class attributes and implement `check`.

    The subclass docstring is the rule's documentation (`batchlint rule CODE`).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[str]
    fixable: ClassVar[bool] = False
    aliases: ClassVar[tuple[str, ...]] = ()  # other codes that select this rule (the spec's catalog names)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def report(self, message: str, span: Span, help: str | None = None,
               related: list[Related] | None = None, severity: str | None = None, fix: Fix | None = None) -> Diagnostic:
        return Diagnostic(self.code, self.name, severity or self.severity, message, span, help, related or [], fix)


def close_matches(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Known names close to a misspelt one, to phrase "did you mean"."""
    import difflib  # only when a name is unknown

    return difflib.get_close_matches(word, list(choices), n, cutoff)

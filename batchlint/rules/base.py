"""What a rule is, what it reports, and what it reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from batchlint.loading import Document, LoadError
from batchlint.loading.nodes import Span
from batchlint.run import Run

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Related:
    span: Span
    label: str


@dataclass(slots=True)
class Diagnostic:
    code: str
    name: str
    severity: str
    message: str
    span: Span
    help: str | None = None
    related: list[Related] = field(default_factory=list)
    fix: dict[str, object] | None = None

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
            "fix": self.fix,
        }


@dataclass
class FileContext:
    """Everything known about one checked file."""

    path: str
    doc: Document | None = None
    load_error: LoadError | None = None
    run: Run | None = None


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

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def report(self, message: str, span: Span, help: str | None = None,
               related: list[Related] | None = None, severity: str | None = None) -> Diagnostic:
        return Diagnostic(self.code, self.name, severity or self.severity, message, span, help, related or [])

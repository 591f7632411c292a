"""A fact: one number or setting of the run, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from batchlint.loading.nodes import Scalar, Span


@dataclass(slots=True)
class Fact:
    name: str
    value: object
    source: str  # "file", "cli", "settings", "default", "derived"
    key: str | None = None  # dotted key path of the literal (or the CLI flag / settings key)
    span: Span | None = None  # where the literal is; None for CLI, settings, defaults
    node: Scalar | None = None  # the literal scalar, for fixes
    via: list[str] = field(default_factory=list)  # interpolation sites followed to reach it
    note: str | None = None  # reading caveats, derivation formula
    unresolved: str | None = None  # why the value could not be determined

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "value": self.value,
            "file": self.file,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "key": self.key,
            "source": self.source,
        }
        if self.via:
            out["via"] = list(self.via)
        if self.note:
            out["note"] = self.note
        if self.unresolved:
            out["unresolved"] = self.unresolved
        return out


def positive_int(value: object) -> int | None:
    """The value as a batch count, or None when it is not a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value > 0 else None

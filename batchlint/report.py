"""What a check found: the diagnostics, the runs with their pairings, and the texts reporters quote."""

from __future__ import annotations

from dataclasses import dataclass, field

from batchlint.model import RunModel
from batchlint.pair import Pairing
from batchlint.rules.base import Diagnostic


@dataclass
class Report:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    runs: list[RunModel] = field(default_factory=list)
    pairings: list[Pairing] = field(default_factory=list)  # one per run, same order
    sources: dict[str, str] = field(default_factory=dict)  # display path -> text, for snippets and edit positions
    files: int = 0
    internal_errors: list[str] = field(default_factory=list)
    unsafe_fixes: bool = False  # whether unsafe fixes count as applicable (for the [*] marks)
    unread: dict[str, object] = field(default_factory=dict)  # display path -> why no run came from it: text, or the
    # document to explain (only `inspect` asks, so the explanation is not computed for `check`)

    def unread_reasons(self, user_dialects: list[dict[str, object]] | None = None) -> dict[str, str]:
        from batchlint.detect import why_not
        from batchlint.loading.nodes import Document

        return {file: why_not(why, user_dialects or ()) if isinstance(why, Document) else str(why) for file, why in self.unread.items()}

    @property
    def failing(self) -> bool:
        return any(d.failing for d in self.diagnostics)

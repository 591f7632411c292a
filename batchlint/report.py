"""What a check found: the diagnostics, the runs with their pairings, and the texts reporters quote."""

from __future__ import annotations

from collections.abc import Iterable

from batchlint.model import RunModel, Severity
from batchlint.pair import Pairing
from batchlint.rules.base import Diagnostic

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass, field
else:
    from batchlint.record import dataclass, field


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


_STRENGTH = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


def unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Each finding once, in order. A launch config shared by several runs reports its findings once
    (same code, place and message); and where one rule reports one place at two severities (an
    accelerate config checked on its own, where the launch line may still give the process count, and
    as the known launch of a training config, where it does not), only the more severe stays."""
    kept: list[Diagnostic] = []
    seen: set[tuple[str, str, int, int, str]] = set()
    strongest: dict[tuple[str, str, int, int], int] = {}
    for d in diagnostics:
        identity = d.identity()
        if identity in seen:
            continue
        seen.add(identity)
        kept.append(d)
        place = identity[:4]
        strongest[place] = max(strongest.get(place, -1), _STRENGTH[d.severity])
    return [d for d in kept if _STRENGTH[d.severity] == strongest[d.identity()[:4]]]

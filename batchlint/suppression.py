"""Inline suppression comments, like ruff's `# noqa` and yamllint's `disable-line`:

    key: 1  # batchlint: ignore[BL101]          this line (or, alone on a line, the next one)
    # batchlint: disable[BL2]  ...  # batchlint: enable[BL2]     a range
    # batchlint: file-ignore[AC011]                            the whole file

Codes may be prefixes or names; no brackets means every rule. Suppressions that silence nothing
are reported by BL008 (fixable: the comment is removed)."""

from __future__ import annotations

import re

from batchlint.loading.nodes import Comment
from batchlint.loading.text import LineIndex, find_comments

_DIRECTIVE = re.compile(r"batchlint:\s*(ignore|disable|enable|file-ignore)\b(?:\[([^\]]*)\])?", re.I)


class Directive:
    __slots__ = ("kind", "codes", "comment", "own_line", "used")

    def __init__(self, kind: str, codes: list[str], comment: Comment, own_line: bool) -> None:
        self.kind = kind
        self.codes = codes  # empty: every rule
        self.comment = comment
        self.own_line = own_line  # the comment is alone on its line
        self.used = False

    def matches(self, code: str, name: str) -> bool:
        return not self.codes or any(code.startswith(c.upper()) or c == name for c in self.codes)


class Suppressions:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        index = LineIndex(text)
        self.directives: list[Directive] = []
        for comment in find_comments(file, index, set()):
            m = _DIRECTIVE.search(comment.text)
            if m is None:
                continue
            codes = [c.strip() for c in (m.group(2) or "").split(",") if c.strip()]
            own = index.line_text(comment.line)[: comment.column - 1].strip() == ""
            self.directives.append(Directive(m.group(1).lower(), codes, comment, own))

    def suppresses(self, code: str, name: str, line: int) -> bool:
        hit = False
        for d in self.directives:
            if d.kind == "file-ignore" and d.matches(code, name):
                d.used = hit = True
            elif d.kind == "ignore" and d.matches(code, name) and (
                    d.comment.line == line or (d.own_line and d.comment.line == line - 1)):
                d.used = hit = True
        # Ranges: the last disable/enable for this code before the line decides.
        state: Directive | None = None
        for d in sorted(self.directives, key=lambda d: d.comment.line):
            if d.comment.line >= line:
                break
            if d.kind in ("disable", "enable") and d.matches(code, name):
                state = d if d.kind == "disable" else None
        if state is not None:
            state.used = hit = True
        return hit

    def unused(self) -> list[Directive]:
        return [d for d in self.directives if not d.used and d.kind != "enable"]

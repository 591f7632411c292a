"""The engine's data model as LSP types: positions, diagnostics, edits.

The engine counts lines and columns from 1 and offsets in characters (code points); LSP counts
from 0 and columns in the code units the client negotiated (UTF-16 unless it asked otherwise).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from lsprotocol import types

from batchlint.fixes import Edit
from batchlint.loading.nodes import Span
from batchlint.rules import Diagnostic

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning, "info": types.DiagnosticSeverity.Information}
SOURCE = "batchlint"


class Positions:
    """Offsets and (line, column) of one text as LSP positions, and back."""

    __slots__ = ("text", "encoding", "starts")

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.encoding = str(encoding)
        starts = [0]
        i = text.find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = text.find("\n", i + 1)
        self.starts = starts

    def _units(self, chars: str) -> int:
        if self.encoding == types.PositionEncodingKind.Utf32:
            return len(chars)
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(chars.encode("utf-8", "surrogatepass"))
        return len(chars) + sum(1 for c in chars if ord(c) > 0xFFFF)

    def line_text(self, line: int) -> str:
        """Line `line` (0-based), without its line break."""
        if line < 0 or line >= len(self.starts):
            return ""
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[line] : end].rstrip("\r")

    def at(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return types.Position(line=line, character=self._units(self.text[self.starts[line] : offset]))

    def at_line_column(self, line: int, column: int) -> types.Position:
        """A 1-based line and character column (the engine's) as a position."""
        line0 = max(0, min(line - 1, len(self.starts) - 1))
        text = self.line_text(line0)
        return types.Position(line=line0, character=self._units(text[: max(0, column - 1)]))

    def offset(self, position: types.Position) -> int:
        """A client position as a character offset into the text (clamped to the line)."""
        if position.line >= len(self.starts):
            return len(self.text)
        start = self.starts[position.line]
        text = self.line_text(position.line)
        units = 0
        for i, c in enumerate(text):
            if units >= position.character:
                return start + i
            units += self._units(c)
        return start + len(text)

    def _offsets_fit(self, start: int, end: int, line: int) -> bool:
        """Whether a span's offsets index this text (not a placeholder or another version of it)."""
        return 0 <= start <= end <= len(self.text) and bisect.bisect_right(self.starts, start) == line

    def range_of(self, start: int, end: int, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        if self._offsets_fit(start, end, line) and (end > start or (end_line, end_column) == (line, column)):
            return types.Range(self.at(start), self.at(end))
        first = self.at_line_column(line, column)
        last = self.at_line_column(end_line, end_column)
        return types.Range(first, last if (last.line, last.character) >= (first.line, first.character) else first)

    def span(self, span: Span) -> types.Range:
        return self.range_of(span.start, span.end, span.line, span.column, span.end_line, span.end_column)

    def edit(self, edit: Edit) -> types.TextEdit:
        """An edit's offsets (into this text: the one the fix was computed on) as a range."""
        return types.TextEdit(range=types.Range(self.at(edit.start), self.at(edit.end)), new_text=edit.content)

    def whole(self) -> types.Range:
        return types.Range(types.Position(line=0, character=0), self.at(len(self.text)))


def diagnostic(d: Diagnostic, positions: Callable[[str], Positions], uri: Callable[[str], str], url: Callable[[str], str]) -> types.Diagnostic:
    """One finding; `positions` and `uri` map a displayed file name to its text's positions and URI."""
    related = [
        types.DiagnosticRelatedInformation(location=types.Location(uri=uri(r.span.file), range=positions(r.span.file).span(r.span)), message=r.label)
        for r in d.related
    ]
    message = d.message.rstrip()
    if d.help:
        message += f"\nhelp: {d.help}"
    data = {"fix": str(d.fix.applicability)} if d.fix is not None and d.fix.edits else None
    return types.Diagnostic(
        range=positions(d.span.file).span(d.span),
        message=message,
        severity=SEVERITY.get(d.severity, types.DiagnosticSeverity.Warning),
        code=d.code,
        code_description=types.CodeDescription(href=url(d.code)),
        source=SOURCE,
        related_information=related or None,
        data=data,
    )


def notice(message: str, severity: types.DiagnosticSeverity = types.DiagnosticSeverity.Error) -> types.Diagnostic:
    """A problem that stops the check (settings, internal error), shown on the first line."""
    start = types.Position(line=0, character=0)
    return types.Diagnostic(range=types.Range(start, start), message=message, severity=severity, source=SOURCE)

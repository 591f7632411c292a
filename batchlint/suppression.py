"""Inline suppression comments, like ruff's `# noqa` and yamllint's `disable-line`:

    key: 1  # batchlint: ignore[BL101]          this line (or, alone on a line, the next one)
    # batchlint: disable[BL2]  ...  # batchlint: enable[BL2]     a range
    # batchlint: file-ignore[AC011]                            the whole file

Codes may be prefixes or names; no brackets means every rule. Suppressions that silence nothing
are reported by BL008 (fixable: the comment is removed)."""

from __future__ import annotations

import os
import re

from batchlint.loading.nodes import Comment, Document
from batchlint.loading.text import LineIndex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.fixes import Edit
    from batchlint.options import Options
    from batchlint.report import Report
    from batchlint.session import Session

_DIRECTIVE = r"batchlint:\s*(ignore|disable|enable|file-ignore)\b(?:\[([^\]]*)\])?"  # with re.I; compiled for a file that has directives
_ANY_CASE: re.Pattern[str] | None = None  # `batchlint:` in any case, as _DIRECTIVE reads it


def may_hold_directives(text: str) -> bool:
    """Whether `text` can hold a directive: `batchlint:` in it, in any case (`# BatchLint: ignore[...]`
    is one, as the directive pattern ignores case). The exact spelling is found without a pattern."""
    global _ANY_CASE
    if "batchlint:" in text:
        return True
    if _ANY_CASE is None:
        _ANY_CASE = re.compile("batchlint:", re.I)
    return _ANY_CASE.search(text) is not None


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
    """The directives of one file, read from the comments its loader found (never from a block
    scalar or a quoted string: `prompt: |` text that mentions batchlint silences nothing)."""

    def __init__(self, file: str, text: str, comments: list[Comment]) -> None:
        self.file = file
        self.text = text
        index = LineIndex(text)
        self.directives: list[Directive] = []
        directive = re.compile(_DIRECTIVE, re.I)
        for comment in comments:
            m = directive.search(comment.text)
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
            elif d.kind == "ignore" and d.matches(code, name) and (d.comment.line == line or (d.own_line and d.comment.line == line - 1)):
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


def _comments(file: str, text: str, session: Session) -> list[Comment]:
    """A file's comments as its loader read them; a script's from the shell reader."""
    from batchlint.loading import LoadError
    from batchlint.loading.shell import script_comments
    from batchlint.session import SCRIPT_SUFFIXES

    if file.endswith(SCRIPT_SUFFIXES):
        return script_comments(file, text)
    doc = session.documents.get(os.path.abspath(file))
    if not isinstance(doc, Document):
        try:  # checked in another process (the parallel walk), or only for syntax
            doc = session.load(file)
        except LoadError:
            return []
    return doc.comments


def apply_suppressions(report: Report, options: Options, session: Session) -> None:
    """Drop what `# batchlint: ignore[...]` comments silence; report the comments that silence nothing (BL008)."""
    from batchlint.fixes import SAFE, Edit, Fix
    from batchlint.rules import rule as rule_of
    from batchlint.rules import select_codes

    files = {f: Suppressions(f, text, _comments(f, text, session)) for f, text in report.sources.items() if may_hold_directives(text)}
    files = {f: sup for f, sup in files.items() if sup.directives}
    if not files:
        return
    report.diagnostics = [d for d in report.diagnostics if (sup := files.get(d.span.file)) is None or not sup.suppresses(d.code, d.name, d.span.line)]
    rule = rule_of("BL008")
    for file, sup in files.items():
        file_settings = session.settings_for(file)
        select = options.select if options.select is not None else file_settings.select()
        if rule.code not in select_codes(select, (options.ignore or []) + file_settings.ignores_for(file)):
            continue
        for directive in sup.unused():
            c = directive.comment
            text = sup.text
            line_start = text.rfind("\n", 0, c.span.start) + 1
            if directive.own_line:
                end = text.find("\n", c.span.end)
                edit = Edit(file, line_start, len(text) if end < 0 else end + 1, "")
            else:
                start = c.span.start
                while start > line_start and text[start - 1] in " \t":
                    start -= 1
                edit = Edit(file, start, c.span.end, "")
            what = c.text.strip()
            report.diagnostics.append(rule.report(f"`{what}` silences nothing here", c.span, "remove it", fix=Fix(f"remove `{what}`", SAFE, [edit])))


def ignore_edits(report: Report) -> dict[str, list[Edit]]:
    """`--add-ignore`: per file, the edits that append `# batchlint: ignore[CODES]` to every line with a
    finding (not in JSON, which has no comments, and not for BL008, which is about those comments)."""
    from batchlint.fixes import Edit

    by_line: dict[tuple[str, int], set[str]] = {}
    for d in report.diagnostics:
        if d.code != "BL008" and not d.span.file.endswith(".json"):
            by_line.setdefault((d.span.file, d.span.line), set()).add(d.code)
    edits: dict[str, list[Edit]] = {}
    indexes: dict[str, LineIndex] = {}
    for (file, line), codes in sorted(by_line.items()):
        text = report.sources.get(file)
        if text is None:
            continue
        starts = (indexes.get(file) or indexes.setdefault(file, LineIndex(text))).starts
        if line > len(starts):
            continue
        end = text.find("\n", starts[line - 1])
        end = len(text) if end < 0 else end
        if end > 0 and text[end - 1] == "\r":
            end -= 1
        comment = f"  # batchlint: ignore[{','.join(sorted(codes))}]"
        edits.setdefault(file, []).append(Edit(file, end, end, comment))
    return edits

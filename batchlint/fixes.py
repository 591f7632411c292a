"""Fixes are edits: (file, character span, replacement). One component applies them.

Every character outside the edited spans is kept, so comments, quoting, indentation, key
order, CRLF, a BOM and a missing final newline survive byte for byte (UTF-8 decoding and
encoding round-trip exactly). Writing is atomic: a temporary file in the same directory,
fsync, then rename over the original with its mode kept; a file that changed on disk after
it was read is never written.
"""

from __future__ import annotations

import os

from batchlint.facts import Fact
from batchlint.loading.nodes import Scalar

SAFE, UNSAFE, DISPLAY = "safe", "unsafe", "display-only"


class Edit:
    __slots__ = ("file", "start", "end", "text", "line", "column", "end_line", "end_column")

    def __init__(self, file: str, start: int, end: int, text: str, line: int, column: int,
                 end_line: int, end_column: int) -> None:
        self.file = file  # path as displayed (relative to the working directory)
        self.start = start  # character offsets into the decoded text
        self.end = end
        self.text = text
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column

    def as_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column, "content": self.text}


class Expectation:
    """After the fix, `fact` of the config `config` must read back as `value`."""

    __slots__ = ("config", "fact", "value")

    def __init__(self, config: str, fact: str, value: object) -> None:
        self.config = config
        self.fact = fact
        self.value = value


class Fix:
    __slots__ = ("message", "applicability", "edits", "expect")

    def __init__(self, message: str, applicability: str, edits: list[Edit] | None = None,
                 expect: list[Expectation] | None = None) -> None:
        self.message = message
        self.applicability = applicability if edits else DISPLAY
        self.edits = edits or []
        self.expect = expect or []

    def applies(self, unsafe: bool) -> bool:
        return self.applicability == SAFE or (unsafe and self.applicability == UNSAFE)

    def as_json(self) -> dict[str, object]:
        return {"applicability": self.applicability, "message": self.message,
                "edits": [e.as_json() for e in self.edits]}


def scalar_text(value: object, node: Scalar | None) -> str:
    """How to write `value` where `node` was: numbers plain; strings keep the node's quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    quote = node.style if node is not None and node.style in ("'", '"') else '"'
    if quote == "'":
        return "'" + text.replace("'", "''") + "'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def replace_value(fact: Fact, value: object) -> Edit | None:
    """An edit that writes `value` over the literal the fact was read from, or None when the
    fact does not come from a literal in a file."""
    if fact.source not in ("file", "script") or fact.node is None or fact.span is None:
        return None
    node = fact.node
    if node.style in ("|", ">") or fact.span.end_line != fact.span.line:
        return None  # never rewrite block or multi-line scalars
    text = scalar_text(value, node)
    if fact.source == "script" and node.style in ("'", '"') and not text.startswith(node.style):
        text = f"{node.style}{text}{node.style}"  # a shell word keeps its quotes
    return replace_node(node, text)


def replace_node(node: Scalar, text: str) -> Edit:
    """Write `text` over a scalar's whole source text (quotes included)."""
    span = node.span
    return Edit(span.file, span.start, span.end, text, span.line, span.column, span.end_line, span.end_column)


def insert_key_after(anchor: Fact, key: str, value: object, text: str) -> Edit | None:
    """Insert `key: value` on a new line after the anchor's line, at the anchor key's indentation."""
    if anchor.source != "file" or anchor.span is None or anchor.node is None:
        return None
    span = anchor.span
    line_end = text.find("\n", span.end)
    newline = "\r\n" if line_end > 0 and text[line_end - 1] == "\r" else "\n"
    line_start = text.rfind("\n", 0, span.start) + 1
    prefix = text[line_start:span.start]
    indent = prefix[: len(prefix) - len(prefix.lstrip(" "))]
    if line_end < 0:  # the anchor is on the last line, with no final newline
        return Edit(span.file, len(text), len(text), f"{newline}{indent}{key}: {scalar_text(value, None)}",
                    span.end_line, span.end_column, span.end_line, span.end_column)
    at = line_end + 1
    return Edit(span.file, at, at, f"{indent}{key}: {scalar_text(value, None)}{newline}",
                span.line + 1, 1, span.line + 1, 1)


class FixConflict(Exception):
    pass


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits; identical duplicates are applied once."""
    unique: dict[tuple[int, int, str], Edit] = {}
    for edit in edits:
        unique.setdefault((edit.start, edit.end, edit.text), edit)
    ordered = sorted(unique.values(), key=lambda e: (e.start, e.end))
    out: list[str] = []
    pos = 0
    for edit in ordered:
        if edit.start < pos:
            raise FixConflict(f"overlapping edits at line {edit.line}")
        out.append(text[pos:edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def _fault(stage: str) -> None:
    """Fault injection for tests: BATCHLINT_FAULT=<stage> kills the process at that point."""
    if os.environ.get("BATCHLINT_FAULT") == stage:
        os._exit(137)


class WriteError(Exception):
    pass


def write_atomic(path: str, new_text: str, old_text: str) -> None:
    """Replace `path` with `new_text` unless it no longer holds `old_text`; all or nothing."""
    try:
        with open(path, "rb") as fh:
            current = fh.read()
    except OSError as exc:
        raise WriteError(f"cannot read it back before writing: {exc.strerror or exc}") from None
    if current != old_text.encode("utf-8"):
        raise WriteError("changed on disk since batchlint read it; nothing written (run again)")
    import tempfile  # only when writing: keeps `check` start-up lean

    mode = os.stat(path).st_mode & 0o7777
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".batchlint-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(new_text.encode("utf-8"))
            _fault("after-temp-write")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        _fault("before-replace")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fault("after-replace")
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass  # some filesystems cannot fsync a directory; the rename itself is atomic


def delete_entry(key: Scalar, value_span_end: int, text: str) -> Edit:
    """Delete a mapping entry: from the start of the key's line to the end of the value's last line."""
    start = text.rfind("\n", 0, key.span.start) + 1
    end = value_span_end
    if end > 0 and text[end - 1] == "\n":
        pass  # a block value already ends at the start of the next line
    else:
        nl = text.find("\n", end)
        end = len(text) if nl < 0 else nl + 1
    return Edit(key.span.file, start, end, "", key.span.line, 1, key.span.line + text.count("\n", start, end), 1)


def quote_scalar(node: Scalar, quote: str = "'") -> Edit:
    """Write a plain scalar's own text as a quoted string (what `accelerate config` writes)."""
    body = node.raw.replace("'", "''") if quote == "'" else node.raw.replace('"', '\\"')
    return replace_node(node, f"{quote}{body}{quote}")


def rename_key(key: Scalar, new_name: str) -> Edit:
    """Rename a mapping key in place; a JSON key stays a JSON string."""
    if key.style == "json":
        import json

        new_name = json.dumps(new_name)
    return replace_node(key, new_name)

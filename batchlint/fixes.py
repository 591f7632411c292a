"""Fixes are edits: (file, offsets, replacement). `batchlint/fixer.py` applies them.

Every character outside the edited spans is kept, so comments, quoting, indentation, key
order, CRLF, a BOM and a missing final newline survive byte for byte (UTF-8 decoding and
encoding round-trip exactly). Writing is atomic (batchlint/atomic.py): a temporary file in the
same directory, fsync, then rename over the original with its mode and owner kept; a file that
changed on disk after it was read is never written.
"""

from __future__ import annotations

from batchlint.loading.nodes import Document, Mapping, Scalar
from batchlint.loading.text import LineIndex
from batchlint.model import Applicability, Fact, Origin

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass, field

    from batchlint.atomic import WriteError, write_atomic
else:
    from batchlint.record import dataclass, field

    def __getattr__(name: str) -> object:
        """WriteError and write_atomic, imported from batchlint.atomic when first asked for (a check writes nothing)."""
        if name in ("WriteError", "write_atomic"):
            from batchlint import atomic

            return getattr(atomic, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# WriteError and write_atomic moved to atomic.py; they stay importable from here.
__all__ = [
    "ACCUMULATION",
    "DISPLAY",
    "SAFE",
    "UNSAFE",
    "Edit",
    "Expectation",
    "Fix",
    "FixConflict",
    "WriteError",
    "apply_edits",
    "delete_entry",
    "insert_json_member",
    "insert_key_after",
    "quote_scalar",
    "rename_key",
    "replace_node",
    "replace_scalar",
    "replace_value",
    "scalar_text",
    "write_atomic",
]

SAFE, UNSAFE, DISPLAY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY
ACCUMULATION = "accumulation"  # an expectation on the accumulation that really applies (see RunModel.accumulation)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `text[start:end]` of `file` with `content`. Offsets only (into the decoded text, a BOM
    counting as one character): line and column are computed from the text when shown, so they can
    never drift from what is applied."""

    file: str  # path as displayed (relative to the working directory)
    start: int
    end: int
    content: str

    def as_json(self, text: str | None) -> dict[str, object]:
        """The edit with 1-based line/column of both ends, computed from the file's text."""
        out: dict[str, object] = {"file": self.file}
        if text is not None:
            index = LineIndex(text)
            line, column = index.position(self.start)
            end_line, end_column = index.position(self.end)
            out.update(line=line, column=column, end_line=end_line, end_column=end_column)
        out["content"] = self.content
        return out


@dataclass(frozen=True, slots=True)
class Expectation:
    """After the fix, `fact` (a FactName, or ACCUMULATION) of the config `config` must read back as `value`."""

    config: str
    fact: str
    value: object


@dataclass(slots=True)
class Fix:
    message: str
    applicability: Applicability
    edits: list[Edit] = field(default_factory=list)
    expect: list[Expectation] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.edits:
            self.applicability = DISPLAY

    def applies(self, unsafe: bool) -> bool:
        return self.applicability == SAFE or (unsafe and self.applicability == UNSAFE)

    def as_json(self, sources: dict[str, str] | None = None) -> dict[str, object]:
        return {"applicability": str(self.applicability), "message": self.message, "edits": [e.as_json((sources or {}).get(e.file)) for e in self.edits]}


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


def replace_value(fact: Fact[object], value: object) -> Edit | None:
    """An edit that writes `value` over the literal the fact was read from, or None when the
    fact does not come from a literal in a file."""
    if fact.origin not in (Origin.FILE, Origin.SCRIPT) or fact.node is None or fact.span is None:
        return None
    node = fact.node
    if node.style in ("|", ">") or fact.span.end_line != fact.span.line:
        return None  # never rewrite block or multi-line scalars
    text = scalar_text(value, node)
    if fact.origin == Origin.SCRIPT and node.style in ("'", '"') and not text.startswith(node.style):
        text = f"{node.style}{text}{node.style}"  # a shell word keeps its quotes
    return replace_node(node, text)


def replace_scalar(node: Scalar, value: object) -> Edit | None:
    """An edit that writes `value` over a scalar of a file (never a block or multi-line scalar)."""
    if node.style in ("|", ">") or node.span.end_line != node.span.line:
        return None
    return replace_node(node, scalar_text(value, node))


def replace_node(node: Scalar, text: str) -> Edit:
    """Write `text` over a scalar's whole source text (quotes included)."""
    return Edit(node.span.file, node.span.start, node.span.end, text)


def insert_key_after(anchor: Fact[object] | Scalar, key: str, value: object, text: str) -> Edit | None:
    """Insert `key: value` on a new line after the anchor's line (a fact read from a file, or a
    scalar value), at the anchor key's indentation."""
    if isinstance(anchor, Scalar):
        span = anchor.span
    elif anchor.origin != Origin.FILE or anchor.span is None or anchor.node is None:
        return None
    else:
        span = anchor.span
    line_end = text.find("\n", span.end)
    newline = "\r\n" if line_end > 0 and text[line_end - 1] == "\r" else "\n"
    line_start = text.rfind("\n", 0, span.start) + 1
    prefix = text[line_start : span.start]
    indent = prefix[: len(prefix) - len(prefix.lstrip(" "))]
    if line_end < 0:  # the anchor is on the last line, with no final newline
        return Edit(span.file, len(text), len(text), f"{newline}{indent}{key}: {scalar_text(value, None)}")
    at = line_end + 1
    return Edit(span.file, at, at, f"{indent}{key}: {scalar_text(value, None)}{newline}")


class FixConflict(Exception):
    pass


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits; identical duplicates are applied once."""
    unique: dict[tuple[int, int, str], Edit] = {}
    for edit in edits:
        unique.setdefault((edit.start, edit.end, edit.content), edit)
    ordered = sorted(unique.values(), key=lambda e: (e.start, e.end))
    out: list[str] = []
    pos = 0
    for edit in ordered:
        if edit.start < pos:
            raise FixConflict(f"overlapping edits at line {LineIndex(text).position(edit.start)[0]}")
        out.append(text[pos : edit.start])
        out.append(edit.content)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def delete_entry(key: Scalar, value_span_end: int, text: str) -> Edit:
    """Delete a mapping entry: from the start of the key's line to the end of the value's last line."""
    start = text.rfind("\n", 0, key.span.start) + 1
    end = value_span_end
    if end > 0 and text[end - 1] == "\n":
        pass  # a block value already ends at the start of the next line
    else:
        nl = text.find("\n", end)
        end = len(text) if nl < 0 else nl + 1
    return Edit(key.span.file, start, end, "")


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


def insert_json_member(doc: Document, key: str, value: object) -> Edit | None:
    """`"key": value` as the last member of the JSON's top-level object, laid out like the member before it."""
    import json

    root = doc.root
    if not isinstance(root, Mapping) or not root.items:
        return None
    last_key, last_value = root.items[-1]
    text = doc.text
    line_start = text.rfind("\n", 0, last_key.span.start) + 1
    indent = text[line_start : last_key.span.start]
    newline = "\r\n" if "\r\n" in text else "\n"
    lead = f",{newline}{indent}" if not indent.strip() else ", "
    end = last_value.span.end  # right after the value's last character
    return Edit(last_value.span.file, end, end, f"{lead}{json.dumps(key)}: {json.dumps(value)}")

"""The plain block YAML most training configs are, read without PyYAML: the same tree, or None.

Importing PyYAML (with libyaml's parser) costs a one-file check about 4.5 ms of its ~33: as much as
everything batchlint itself computes for that file. Most configs use a small part of YAML: block
mappings and lists indented with spaces, one-line plain or quoted scalars, one-line flow lists and
comments. This reader takes exactly that part, line by line, and builds the tree loading/yaml.py would
build from libyaml's events: the same nodes, tags, values, styles, duplicate keys, comments, and spans
at the same marks (a block collection ends where the token that closes it starts, the stream's end one
line past an unterminated last line). Whenever a file uses anything else (anchors, tags, block or
multi-line scalars, escapes, flow mappings, several documents, tabs, a BOM, control or unusual space
characters, a scalar whose implicit tag needs the resolver's patterns) or is not valid YAML, it answers
None and the file goes to libyaml: errors are always libyaml's, so their messages never differ.

tests/loading/test_block_yaml.py holds it to loading/yaml.py on every YAML file of the tests and the
corpora and on generated ones: whenever this reader answers, the trees are the same.
"""

from __future__ import annotations

from batchlint.loading.nodes import MAX_NODES, MAX_SEQUENCE_ITEMS, Document, DuplicateKey, Mapping, Scalar, Sequence, Span
from batchlint.loading.scalar_tags import NULL, SLOW, STR, fast_value, implicit_tag
from batchlint.loading.text import comments_in

TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.loading.nodes import Node

# Larger files go to libyaml, whose data-file handling (syntax only) loading/yaml.py decides.
MAX_CHARS = 256 * 1024
# Deeper nesting goes to libyaml (which reports MAX_DEPTH); no config nests this deep.
_MAX_NESTING = 40
# libyaml's limit on a simple key is 1024 characters from its first one to its `:` (spaces before the
# colon count, and so do a quoted key's quotes): keys reaching further go to it.
_MAX_KEY = 512
# Characters that cannot start a plain scalar here ('-' can, before a non-space: handled apart).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# Characters that end or break a plain scalar inside a flow list (or that this reader leaves to libyaml).
_FLOW_STOP = frozenset(",[]{}#:'\"")
# Characters libyaml treats as line breaks, or that change columns: files holding one go to libyaml.
_UNUSUAL = ("\t", "\r", "\x85", "\u2028", "\u2029", "\ufeff")


class _Unsupported(Exception):
    """Something this reader leaves to libyaml."""


# Plain scalar text -> (tag, value): a pure function of the text (the values are immutable), shared by
# every file of the process, since configs repeat the same keys and values.
_PLAIN: dict[str, tuple[str, object]] = {}
_PLAIN_MAX = 100_000


def _plain(raw: str) -> tuple[str, object]:
    """The tag and value of a plain scalar, as loading/yaml.py gives them; _Unsupported for a shape
    left to the resolver's patterns or a value left to SafeConstructor."""
    tag = implicit_tag(raw)
    if tag is None:
        raise _Unsupported
    value = fast_value(tag, raw)
    if value is SLOW:
        raise _Unsupported
    return tag, value


class _Reader:
    """The content lines of one file (no blank or comment-only lines), read from `at` on."""

    __slots__ = ("path", "lines", "at", "count", "text_end", "duplicates", "nodes")

    def __init__(self, path: str, lines: list[tuple[int, int, str, int]], text_end: tuple[int, int, int]) -> None:
        self.path = path
        self.lines = lines  # (0-based line number, indentation, the line, offset of its first character)
        self.at = 0
        self.count = len(lines)
        self.text_end = text_end  # (line, column, offset) of the text's end
        self.duplicates: list[DuplicateKey] = []
        self.nodes = 0

    def next_token(self) -> tuple[int, int, int]:
        """The mark where the current content line's first token starts."""
        number, indent, _, start = self.lines[self.at]
        return (number, indent, start + indent)

    def end_of(self, indent: int) -> tuple[int, int, int]:
        """Where a block collection whose entries are at column `indent` ends: where the next content
        line's first token starts; after the last line, libyaml closes the collections indented past
        the text's last column there, and the others after its end-of-stream line break (one line further,
        when the text does not end with one)."""
        if self.at < self.count:
            return self.next_token()
        line, column, offset = self.text_end
        if column == 0 or indent > column:
            return self.text_end
        return (line + 1, 0, offset)

    def span(self, start: tuple[int, int, int], end: tuple[int, int, int]) -> Span:
        return Span(self.path, start[0] + 1, start[1] + 1, end[0] + 1, end[1] + 1, start[2], end[2])

    def count_node(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Unsupported

    def scalar(self, raw: str, style: str, number: int, start: int, end: int, base: int) -> Scalar:
        """A scalar of line `number` (offset `base`) from column `start` to `end`."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Unsupported
        tag: str = STR
        value: object = raw
        if not style:
            known = _PLAIN.get(raw)
            if known is None:
                if len(_PLAIN) > _PLAIN_MAX:
                    _PLAIN.clear()
                known = _PLAIN[raw] = _plain(raw)
            tag, value = known
        return Scalar(Span(self.path, number + 1, start + 1, number + 1, end + 1, base + start, base + end), raw, tag, style, value)

    # -- one line's pieces ------------------------------------------------------------------------

    def quoted(self, line: str, at: int) -> tuple[str, str, int]:
        """The quoted scalar starting at `at`: (value, style, the column after its closing quote)."""
        quote = line[at]
        if quote == '"':
            close = line.find('"', at + 1)
            if close < 0 or "\\" in line[at + 1 : close]:
                raise _Unsupported  # (continued on the next line, or escapes)
            return line[at + 1 : close], quote, close + 1
        i = at + 1
        while True:
            close = line.find("'", i)
            if close < 0:
                raise _Unsupported
            if line.startswith("'", close + 1):
                i = close + 2
                continue
            return line[at + 1 : close].replace("''", "'"), quote, close + 1

    @staticmethod
    def rest_is_empty(line: str, at: int) -> bool:
        """Whether only spaces, or spaces and a comment, follow column `at`."""
        rest = line[at:]
        stripped = rest.lstrip(" ")
        if not stripped:
            return True
        if stripped[0] == "#" and len(stripped) < len(rest):
            return True  # (a comment needs a space before it)
        if rest and rest[0] == "#" and at > 0 and line[at - 1] == " ":
            return True
        return False

    def key_at(self, line: str, at: int) -> tuple[str, str, int, int] | None:
        """A `key:` at column `at`: (key, style, end column of the key, column after the colon), or None."""
        first = line[at]
        if first == '"' or first == "'":
            raw, style, end = self.quoted(line, at)
            colon = end
            while colon < len(line) and line[colon] == " ":
                colon += 1
            if colon < len(line) and line[colon] == ":" and (colon + 1 == len(line) or line[colon + 1] == " "):
                if colon - at > _MAX_KEY:
                    raise _Unsupported
                return raw, style, end, colon + 1
            return None
        comment = line.find(" #", at)
        limit = comment if comment >= 0 else len(line)
        colon = line.find(":", at, limit)
        while colon >= 0 and colon + 1 < len(line) and line[colon + 1] != " ":
            colon = line.find(":", colon + 1, limit)
        if colon < 0:
            return None
        raw = line[at:colon].rstrip(" ")
        if not raw or first in _INDICATORS or colon - at > _MAX_KEY:
            raise _Unsupported
        return raw, "", at + len(raw), colon + 1

    def inline_value(self, number: int, line: str, at: int, base: int, depth: int) -> Node:
        """The value written on this line from column `at` (not empty, not a comment), up to the line's end."""
        first = line[at]
        if first == '"' or first == "'":
            raw, style, end = self.quoted(line, at)
            node: Node = self.scalar(raw, style, number, at, end, base)
        elif first == "[":
            node, end = self.flow_list(number, line, at, base, depth)
        elif first == "{":
            close = at + 1
            while close < len(line) and line[close] == " ":
                close += 1
            if close >= len(line) or line[close] != "}":
                raise _Unsupported  # (only `{}`: a flow mapping's entries go to libyaml)
            self.count_node()
            end = close + 1
            node = Mapping(Span(self.path, number + 1, at + 1, number + 1, end + 1, base + at, base + end), [])
            node._index = {}
        else:
            if first in _INDICATORS and not (first in "-?:" and at + 1 < len(line) and line[at + 1] != " "):
                raise _Unsupported  # (`-`, `?` and `:` start a plain scalar before a non-space: `-x`, `???`)
            comment = line.find(" #", at)
            text = line[at:comment] if comment >= 0 else line[at:]
            raw = text.rstrip(" ")
            if ": " in raw or raw.endswith(":"):
                raise _Unsupported  # (a mapping where one is not allowed: libyaml's error)
            return self.scalar(raw, "", number, at, at + len(raw), base)
        if not self.rest_is_empty(line, end):
            raise _Unsupported
        return node

    def flow_list(self, number: int, line: str, at: int, base: int, depth: int) -> tuple[Sequence, int]:
        """A flow list on one line, of scalars: (the list, the column after its `]`)."""
        if depth > _MAX_NESTING:
            raise _Unsupported
        self.count_node()
        items: list[Node] = []
        i = at + 1
        size = len(line)
        trailing_comma = False
        while True:
            while i < size and line[i] == " ":
                i += 1
            if i >= size:
                raise _Unsupported  # (continued on the next line)
            ch = line[i]
            if ch == "]":
                break  # (after a last `,` too: `[32, ]` is `[32]`)
            if items and not trailing_comma:
                raise _Unsupported
            if ch == '"' or ch == "'":
                raw, style, end = self.quoted(line, i)
                items.append(self.scalar(raw, style, number, i, end, base))
            else:
                if ch in _INDICATORS and not (ch == "-" and i + 1 < size and line[i + 1] not in " ,]"):
                    raise _Unsupported
                end = i
                while end < size and line[end] not in _FLOW_STOP:
                    end += 1
                if end < size and line[end] not in ",]":
                    raise _Unsupported  # (a flow mapping entry, a comment, a nested collection, a quote)
                raw = line[i:end].rstrip(" ")
                end = i + len(raw)
                items.append(self.scalar(raw, "", number, i, end, base))
            i = end
            while i < size and line[i] == " ":
                i += 1
            trailing_comma = False
            if i < size and line[i] == ",":
                trailing_comma = True
                i += 1
            elif i < size and line[i] != "]":
                raise _Unsupported
        if len(items) > MAX_SEQUENCE_ITEMS:
            raise _Unsupported
        end = i + 1
        return Sequence(Span(self.path, number + 1, at + 1, number + 1, end + 1, base + at, base + end), items), end

    # -- blocks -----------------------------------------------------------------------------------

    def block_after(self, indent: int, colon: tuple[int, int, int], path: str, depth: int, in_mapping: bool) -> Node:
        """The value of a `key:` (or `-`) with nothing after it on its line: the block on the next lines,
        deeper than `indent` (a list at `indent` itself, after a key), or an empty value at the colon."""
        if self.at < self.count:
            number, next_indent, line, _ = self.lines[self.at]
            dash = line.startswith("- ", next_indent) or len(line) == next_indent + 1 and line[next_indent] == "-"
            if next_indent > indent:
                if dash:
                    return self.block_list(next_indent, path, depth + 1)
                return self.block_mapping(next_indent, path, depth + 1)
            if next_indent == indent and dash and in_mapping:
                return self.block_list(indent, path, depth + 1)  # (libyaml's indentless list)
        if not in_mapping:
            raise _Unsupported  # (an empty list item)
        number, column, offset = colon
        self.count_node()
        return Scalar(Span(self.path, number + 1, column + 1, number + 1, column + 1, offset, offset), "", NULL, "", None)

    def block_mapping(self, indent: int, path: str, depth: int) -> Mapping:
        """The mapping whose keys are at column `indent`, from the current line (whose own indentation
        is less in a list item: `- key: value`)."""
        if depth > _MAX_NESTING:
            raise _Unsupported
        self.count_node()
        lines = self.lines
        items: list[tuple[Node, Node]] = []
        index: dict[str, tuple[Scalar, Node]] = {}
        seen: dict[str, Node] | None = None
        number, _, line, base = lines[self.at]
        start = (number, indent, base + indent)
        while True:
            number, _, line, base = lines[self.at]
            found = self.key_at(line, indent)
            if found is None:
                raise _Unsupported
            raw, style, key_end, after = found
            key = self.scalar(raw, style, number, indent, key_end, base)
            text = key.value if type(key.value) is str else key.raw
            child_path = f"{path}.{text}" if path else text
            self.at += 1
            if self.rest_is_empty(line, after):
                value = self.block_after(indent, (number, after, base + after), child_path, depth, True)
            else:
                value_at = after
                while line[value_at] == " ":
                    value_at += 1
                value = self.inline_value(number, line, value_at, base, depth + 1)
            if text in index:
                if seen is None:
                    seen = {}
                earlier = seen.setdefault(text, index[text][0])
                self.duplicates.append(DuplicateKey(text, path, earlier.span, key.span))
            entry = (key, value)
            index[text] = entry
            items.append(entry)
            if self.at >= self.count:
                break
            next_indent = lines[self.at][1]
            if next_indent < indent:
                break
            if next_indent > indent:
                raise _Unsupported  # (a value continued on the next line, or an error)
        node = Mapping(self.span(start, self.end_of(indent)), items)
        node._index = index
        return node

    def block_list(self, indent: int, path: str, depth: int) -> Sequence:
        """The list whose `-` are at column `indent`, from the current line."""
        if depth > _MAX_NESTING:
            raise _Unsupported
        self.count_node()
        lines = self.lines
        items: list[Node] = []
        start = self.next_token()
        while self.at < self.count:
            number, line_indent, line, base = lines[self.at]
            if line_indent != indent:
                if line_indent < indent:
                    break
                raise _Unsupported
            if not (line.startswith("- ", indent) or len(line) == indent + 1 and line[indent] == "-"):
                break  # (a key after an indentless list; anything else fails in the caller)
            content = indent + 1
            while content < len(line) and line[content] == " ":
                content += 1
            if self.rest_is_empty(line, content):
                self.at += 1
                items.append(self.block_after(indent, (number, indent + 1, base + indent + 1), path, depth, False))
                continue
            if line.startswith("- ", content) or line.endswith("-") and len(line) == content + 1:
                raise _Unsupported  # (`- - x`: a list in a list on one line)
            if line[content] not in "[{" and self.key_at(line, content) is not None:
                items.append(self.block_mapping(content, path, depth + 1))
            else:
                self.at += 1
                items.append(self.inline_value(number, line, content, base, depth + 1))
                if self.at < self.count and lines[self.at][1] > indent:
                    raise _Unsupported
            if len(items) > MAX_SEQUENCE_ITEMS:
                raise _Unsupported
        return Sequence(self.span(start, self.end_of(indent)), items)


def _content_lines(text: str) -> list[tuple[int, int, str, int]] | None:
    """(line number, indentation, line, offset) of each line holding more than a comment; None for a
    file this reader leaves to libyaml."""
    lines: list[tuple[int, int, str, int]] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        start = offset
        offset += len(line) + 1
        stripped = line.lstrip(" ")
        if not stripped:
            continue
        if not line.isprintable():
            return None  # (control characters, unusual spaces: libyaml's business)
        if stripped[0] == "#":
            continue
        indent = len(line) - len(stripped)
        if indent == 0 and (line.startswith(("---", "...")) and (len(line) == 3 or line[3] == " ") or line[0] == "%"):
            return None  # (a document marker or a directive)
        lines.append((number, indent, line, start))
    return lines


def load_block_yaml(path: str, text: str, syntax_only: bool = False) -> Document | None:
    """The document loading/yaml.load_yaml builds from `text`, or None when this reader leaves it to libyaml."""
    if len(text) > MAX_CHARS or any(ch in text for ch in _UNUSUAL):
        return None
    lines = _content_lines(text)
    if lines is None:
        return None
    reader = _Reader(path, lines, (text.count("\n"), len(text) - text.rfind("\n") - 1, len(text)))
    root: Node | None = None
    try:
        if lines:
            _, indent, line, _ = lines[0]
            if line.startswith("- ", indent) or len(line) == indent + 1 and line[indent] == "-":
                root = reader.block_list(indent, "", 1)
            elif line[indent] not in "[{" and reader.key_at(line, indent) is not None:
                root = reader.block_mapping(indent, "", 1)
            else:
                return None  # (a scalar or a flow collection as the whole document)
            if reader.at < reader.count:
                return None  # (lines after the root's end: an error, libyaml's to report)
    except _Unsupported:
        return None
    if syntax_only:
        return Document.syntax_checked(path, text, "yaml", [])
    return Document(path, text, "yaml", root, comments_in(path, text, set()), reader.duplicates, [])

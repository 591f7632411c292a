"""Node tree with source positions: what every later stage reads instead of text.

Plain classes with __slots__ rather than dataclasses: they are created for every value of
every file, and `dataclasses` alone costs ~30 ms of start-up in a pre-commit hook.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sys

    if sys.version_info >= (3, 11):
        from enum import StrEnum
    else:  # pragma: no cover - Python 3.10
        from enum import Enum

        class StrEnum(str, Enum):
            pass
else:
    from batchlint.strenum import StrEnum  # (enum's class machinery costs start-up time: strenum.py)

# Limits of the loaders (README "Limits"). No training config nests MAX_DEPTH deep; a deeper tree would
# exhaust the recursion of the later stages. A sequence keeps its first MAX_SEQUENCE_ITEMS items (a data
# list in a config); a file with more than MAX_NODES values is a data file, checked for syntax only.
MAX_DEPTH = 100
MAX_SEQUENCE_ITEMS = 10_000
MAX_NODES = 200_000


# An integer written with fewer characters is converted directly; a longer one goes through the check
# that reports Python's digit limit as a finding: int() refuses more digits than
# sys.get_int_max_str_digits(), 4300 by default and as low as 640 (PYTHONINTMAXSTRDIGITS).
SAFE_INT_CHARS = 600


def int_digit_limit() -> int:
    """Python's limit on the digits of an integer read from text (4300; 0 = none, or before 3.10.7)."""
    import sys

    return int(getattr(sys, "get_int_max_str_digits", lambda: 0)())


class Span:
    """Where a value sits. Lines and columns are 1-based; offsets are character offsets
    into the decoded text (a BOM counts as one character)."""

    # (`_marks`: the parser's marks of a lazy span, loading/yaml.py's MarkSpan, in this layout so that a
    # computed one becomes a plain Span; a Span never sets it)
    __slots__ = ("file", "line", "column", "end_line", "end_column", "start", "end", "_marks")

    def __init__(self, file: str, line: int, column: int, end_line: int, end_column: int, start: int, end: int) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.start = start
        self.end = end

    def _key(self) -> tuple[str, int, int, int, int, int, int]:
        return (self.file, self.line, self.column, self.end_line, self.end_column, self.start, self.end)

    def site(self) -> str:
        """`file:line`, where it starts."""
        return f"{self.file}:{self.line}"

    def __reduce__(self) -> tuple[type[Span], tuple[str, int, int, int, int, int, int]]:
        # Its fields, not the default slot-state dict: the parallel walk sends every diagnostic's spans back.
        return Span, self._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Span) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Span({self.file!r}, {self.line}:{self.column}-{self.end_line}:{self.end_column})"


class Scalar:
    __slots__ = ("span", "raw", "tag", "style", "value")

    def __init__(self, span: Span, raw: str, tag: str, style: str, value: object) -> None:
        self.span = span
        self.raw = raw  # the scalar's text after unquoting, as the parser produced it
        self.tag = tag  # resolved tag: YAML 1.1 implicit resolution (PyYAML), or the JSON type
        self.style = style  # "" plain, "'" or '"' quoted, "|" or ">" block, "json" for JSON
        self.value = value  # the value as PyYAML safe_load (or json.load) constructs it

    def __repr__(self) -> str:
        return f"Scalar({self.value!r} at {self.span!r})"


class Mapping:
    __slots__ = ("span", "items", "_index", "_merges")

    def __init__(self, span: Span, items: list[tuple[Node, Node]] | None = None) -> None:
        self.span = span
        self.items: list[tuple[Node, Node]] = items if items is not None else []
        # key text -> (key node, value node), last duplicate wins; built on first lookup
        self._index: dict[str, tuple[Scalar, Node]] | None = None
        self._merges: list[Node] = []

    def _build(self) -> dict[str, tuple[Scalar, Node]]:
        index: dict[str, tuple[Scalar, Node]] = {}
        for k, v in self.items:
            if isinstance(k, Scalar):
                if k.tag == MERGE_TAG:
                    self._merges.append(v)
                else:
                    index[_key_text(k)] = (k, v)
        self._index = index
        return index

    def get(self, key: str) -> Node | None:
        """Value of `key`; like PyYAML, the last duplicate wins and `<<` merges fill gaps."""
        index = self._index if self._index is not None else self._build()
        hit = index.get(key)
        if hit is not None:
            return hit[1]
        for merged in self._merges:
            for source in merged.items if isinstance(merged, Sequence) else [merged]:
                if isinstance(source, Mapping) and source is not self:
                    found = source.get(key)
                    if found is not None:
                        return found
        return None

    def key_node(self, key: str) -> Scalar | None:
        index = self._index if self._index is not None else self._build()
        hit = index.get(key)
        return hit[0] if hit else None

    def keys(self) -> list[str]:
        index = self._index if self._index is not None else self._build()
        return list(index)

    def entries(self) -> list[tuple[str, Node]]:
        """(key text, value) of each key, in order, the last duplicate winning: `(k, get(k)) for k in keys()`."""
        index = self._index if self._index is not None else self._build()
        return [(k, hit[1]) for k, hit in index.items()]

    def __repr__(self) -> str:
        return f"Mapping({len(self.items)} items at {self.span!r})"


class Sequence:
    __slots__ = ("span", "items")

    def __init__(self, span: Span, items: list[Node] | None = None) -> None:
        self.span = span
        self.items: list[Node] = items if items is not None else []

    def __repr__(self) -> str:
        return f"Sequence({len(self.items)} items at {self.span!r})"


Node = Scalar | Mapping | Sequence
MERGE_TAG = "tag:yaml.org,2002:merge"


def _key_text(key: Scalar) -> str:
    # YAML keys like `1` or `true` are still addressed by their text in key paths.
    return key.value if isinstance(key.value, str) else key.raw


def key_text(key: Node) -> str | None:
    return _key_text(key) if isinstance(key, Scalar) else None


class Comment:
    __slots__ = ("line", "column", "text", "span")

    def __init__(self, line: int, column: int, text: str, span: Span) -> None:
        self.line = line
        self.column = column
        self.text = text  # including the leading '#'
        self.span = span


class DuplicateKey:
    __slots__ = ("key", "path", "first", "again")

    def __init__(self, key: str, path: str, first: Span, again: Span) -> None:
        self.key = key
        self.path = path  # dotted path of the mapping holding it
        self.first = first
        self.again = again


class Document:
    __slots__ = ("path", "text", "format", "root", "comments", "duplicates", "unsafe_tags")

    def __init__(
        self,
        path: str,
        text: str,
        format: str,
        root: Node | None,
        comments: list[Comment],
        duplicates: list[DuplicateKey],
        unsafe_tags: list[tuple[str, Span]] | None = None,
    ) -> None:
        self.path = path  # as given / displayed
        self.text = text  # decoded text, BOM included
        self.format = format  # "yaml" or "json"
        self.root = root
        self.comments = comments
        self.duplicates = duplicates
        self.unsafe_tags = unsafe_tags or []

    @classmethod
    def syntax_checked(cls, path: str, text: str, format: str, unsafe_tags: list[tuple[str, Span]] | None = None) -> Document:
        """A large data file that was only checked for syntax: an empty root, so no dialect matches."""
        return cls(path, text, format, Mapping(Span(path, 1, 1, 1, 1, 0, 0)), [], [], unsafe_tags)


class LoadErrorKind(StrEnum):
    """Why a file could not be loaded (rules act on the kind, never on the message)."""

    SYNTAX = "syntax"
    NOT_FOUND = "not-found"
    DIRECTORY = "directory"
    UNREADABLE = "unreadable"
    TOO_LARGE = "too-large"
    BINARY = "binary"
    ENCODING = "encoding"
    SPECIAL_FILE = "special-file"
    NOT_ACCELERATE = "not-accelerate"  # loaded, but not the accelerate config it was named as
    OUTSIDE = "outside"  # not read: outside the project fence of the file that names it (paths.Fence)


class LoadError(Exception):
    """A file that cannot be read as YAML/JSON; carries a position for the one-line report."""

    def __init__(self, path: str, line: int, column: int, message: str, help: str = "", kind: LoadErrorKind = LoadErrorKind.SYNTAX) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.help = help
        self.kind = kind


def to_python(node: Node | None, limit: int = 100_000) -> object:
    """Plain Python values of a node tree (for small side files such as a memory profile, and the
    value of a fact that is a list or a mapping). Bounded whatever the file holds: an alias that
    contains itself becomes "<recursive alias>", and past `limit` values (an alias bomb) or 100
    levels the rest becomes "...". Merge keys are followed, as PyYAML does."""
    budget = [limit]
    active: set[int] = set()

    def convert(item: Node | None, depth: int) -> object:
        budget[0] -= 1
        if budget[0] < 0 or depth > 100:
            return "..."
        if not isinstance(item, Mapping | Sequence):
            return None if item is None else item.value
        if id(item) in active:
            return "<recursive alias>"
        active.add(id(item))
        try:
            if isinstance(item, Mapping):
                return {k: convert(item.get(k), depth + 1) for k in item.keys() if budget[0] > 0}
            out: list[object] = []
            for child in item.items:
                if budget[0] <= 0:
                    out.append("...")
                    break
                out.append(convert(child, depth + 1))
            return out
        finally:
            active.discard(id(item))

    return convert(node, 0)

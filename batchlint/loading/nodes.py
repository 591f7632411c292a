"""Node tree with source positions: what every later stage reads instead of text."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """Where a value sits. Lines and columns are 1-based; offsets are character offsets
    into the decoded text (a BOM counts as one character)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int


@dataclass(slots=True, eq=False)
class Scalar:
    span: Span
    raw: str  # the scalar's text after unquoting, as the parser produced it
    tag: str  # resolved tag: YAML 1.1 implicit resolution (PyYAML), or the JSON type
    style: str  # "" plain, "'" or '"' quoted, "|" or ">" block, "json" for JSON
    value: object  # the value as PyYAML safe_load (or json.load) constructs it


@dataclass(slots=True, eq=False)
class Mapping:
    span: Span
    items: list[tuple[Node, Node]] = field(default_factory=list)
    # key text -> (key node, value node), last duplicate wins; built on first lookup
    _index: dict[str, tuple[Scalar, Node]] | None = field(default=None, repr=False)
    _merges: list[Node] = field(default_factory=list, repr=False)

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


@dataclass(slots=True, eq=False)
class Sequence:
    span: Span
    items: list[Node] = field(default_factory=list)


Node = Scalar | Mapping | Sequence
MERGE_TAG = "tag:yaml.org,2002:merge"


def _key_text(key: Scalar) -> str:
    # YAML keys like `1` or `true` are still addressed by their text in key paths.
    return key.value if isinstance(key.value, str) else key.raw


def key_text(key: Node) -> str | None:
    return _key_text(key) if isinstance(key, Scalar) else None


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    column: int
    text: str  # including the leading '#'
    span: Span


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    key: str
    path: str  # dotted path of the mapping holding it
    first: Span
    again: Span


@dataclass(slots=True)
class Document:
    path: str  # as given / displayed
    text: str  # decoded text, BOM included
    format: str  # "yaml" or "json"
    root: Node | None
    comments: list[Comment]
    duplicates: list[DuplicateKey]
    unsafe_tags: list[tuple[str, Span]] = field(default_factory=list)


class LoadError(Exception):
    """A file that cannot be read as YAML/JSON; carries a position for the one-line report."""

    def __init__(self, path: str, line: int, column: int, message: str, help: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.help = help

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

    def get(self, key: str) -> Node | None:
        """Value of `key`; like PyYAML, the last duplicate wins and `<<` merges fill gaps."""
        found: Node | None = None
        merges: list[Node] = []
        for k, v in self.items:
            if isinstance(k, Scalar):
                if k.tag == MERGE_TAG:
                    merges.append(v)
                elif _key_text(k) == key:
                    found = v
        if found is None:
            for merged in merges:
                for source in merged.items if isinstance(merged, Sequence) else [merged]:
                    if isinstance(source, Mapping) and source is not self:
                        found = source.get(key)
                        if found is not None:
                            return found
        return found

    def key_node(self, key: str) -> Scalar | None:
        found: Scalar | None = None
        for k, _ in self.items:
            if isinstance(k, Scalar) and _key_text(k) == key:
                found = k
        return found

    def keys(self) -> list[str]:
        return [_key_text(k) for k, _ in self.items if isinstance(k, Scalar) and k.tag != MERGE_TAG]


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

"""YAML text -> node tree with positions, via PyYAML's composer (libyaml when present).

Composing never constructs Python objects from tags, so `!!python/object/apply:os.system`
is never run; scalars are built with SafeConstructor, and unknown tags stay plain text.
Aliases become shared nodes (never copied), so an alias bomb costs memory linear in the file.
"""

from __future__ import annotations

import yaml

from batchlint.loading.nodes import (
    Document,
    DuplicateKey,
    LoadError,
    Mapping,
    Node,
    Scalar,
    Sequence,
    Span,
    key_text,
)
from batchlint.loading.text import LineIndex, find_comments

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_SAFE_TAG_PREFIX = "tag:yaml.org,2002:"
_MERGE = _SAFE_TAG_PREFIX + "merge"
_SAFE_TAGS = {_SAFE_TAG_PREFIX + t for t in
              ("str", "int", "float", "bool", "null", "timestamp", "binary", "map", "seq",
               "omap", "pairs", "set", "merge", "value")}


_SLOW = object()
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


def _fast_value(node: yaml.ScalarNode) -> object:
    """The common scalars without SafeConstructor's dispatch (same results; the rest go slow)."""
    tag = node.tag
    raw = node.value
    if tag == "tag:yaml.org,2002:str":
        return raw
    if tag == "tag:yaml.org,2002:int" and raw.isdigit() and (raw == "0" or raw[0] != "0"):
        return int(raw)
    if tag == "tag:yaml.org,2002:bool":
        return _BOOLS.get(raw.lower(), _SLOW)
    if tag == "tag:yaml.org,2002:null":
        return None
    return _SLOW


def _mark_span(path: str, start: yaml.Mark, end: yaml.Mark, offset: int) -> Span:
    # The parser's marks already carry line and column (0-based, BOM excluded).
    return Span(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1, start.index + offset, end.index + offset)


class _Converter:
    def __init__(self, path: str, index: LineIndex, offset: int) -> None:
        self.path = path
        self.index = index
        self.offset = offset  # characters stripped before parsing (a BOM)
        self.memo: dict[int, Node] = {}
        self.duplicates: list[DuplicateKey] = []
        self.unsafe_tags: list[tuple[str, Span]] = []
        self.multiline: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()

    def span(self, node: yaml.Node) -> Span:
        return _mark_span(self.path, node.start_mark, node.end_mark, self.offset)

    def convert(self, node: yaml.Node, path: str) -> Node:
        known = self.memo.get(id(node))
        if known is not None:
            return known
        span = self.span(node)
        if node.tag not in _SAFE_TAGS:
            self.unsafe_tags.append((node.tag, span))
        if isinstance(node, yaml.ScalarNode):
            style = node.style or ""
            if span.end_line > span.line:
                # A block scalar ends at column 1 of the line after its last line.
                last = span.end_line if span.end_column > 1 else span.end_line - 1
                self.multiline.update(range(span.line + 1, last + 1))
            value = _fast_value(node)
            if value is _SLOW:
                try:
                    value = self.constructor.construct_object(node) if node.tag in _SAFE_TAGS else node.value
                except (yaml.YAMLError, ValueError, OverflowError):
                    value = node.value
            scalar = Scalar(span, node.value, node.tag, style, value)
            self.memo[id(node)] = scalar
            return scalar
        if isinstance(node, yaml.SequenceNode):
            seq = Sequence(span)
            self.memo[id(node)] = seq  # before the children: recursive aliases end here
            seq.items = [self.convert(child, path) for child in node.value]
            return seq
        mapping = Mapping(span)
        self.memo[id(node)] = mapping
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.convert(key_node, path)
            text = key_text(key)
            value = self.convert(value_node, f"{path}.{text}" if path else str(text))
            if text is not None and key_node.tag != _MERGE:
                if text in seen:
                    self.duplicates.append(DuplicateKey(text, path, seen[text].span, key.span))
                else:
                    seen[text] = key
            mapping.items.append((key, value))
        return mapping


# A YAML file this large is a dataset index or a data dump, not a training config. When it names
# nothing batch-related it is only parsed for syntax (events, in C: about a tenth of the cost of
# building the positioned tree), like large JSON files; see README "Limits".
LARGE_FILE_CHARS = 1 << 20
_RELEVANT_WORDS = ("batch", "accum", "num_processes", "gpus", "world_size", "nproc", "devices", "deepspeed",
                   "distributed")


def _worth_positions(body: str) -> bool:
    lowered = body.lower()
    return any(word in lowered for word in _RELEVANT_WORDS)


def _syntax_error(path: str, exc: Exception) -> LoadError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            problem += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        return LoadError(path, line, col, f"invalid YAML: {problem}",
                         "fix the syntax; the training launcher cannot read this file either")
    if isinstance(exc, RecursionError):
        return LoadError(path, 1, 1, "YAML nested too deeply to read", "no training config nests this deep: check the file")
    return LoadError(path, 1, 1, f"invalid YAML: {exc}")


MAX_SYNTAX_DEPTH = 1000  # what composing the tree in Python reaches before it stops with RecursionError


def _check_syntax(path: str, text: str, body: str, offset: int) -> Document:
    """Only the events, in C: what composing would reject (syntax, undefined aliases, nesting too
    deep to read), without building the positioned tree."""
    unsafe_tags: list[tuple[str, Span]] = []
    anchors: set[str] = set()
    depth = 0
    loader = _Loader(body)
    try:
        while loader.check_event():
            event = loader.get_event()
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!" and tag not in _SAFE_TAGS:
                unsafe_tags.append((tag, _mark_span(path, event.start_mark, event.end_mark, offset)))
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)  # type: ignore[arg-type]
            elif getattr(event, "anchor", None):
                anchors.add(event.anchor)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_SYNTAX_DEPTH:
                    raise RecursionError("nested too deeply")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except (yaml.YAMLError, RecursionError) as exc:
        raise _syntax_error(path, exc) from None
    finally:
        loader.dispose()
    return Document.syntax_checked(path, text, "yaml", unsafe_tags)


def load_yaml(path: str, text: str, syntax_only: bool = False) -> Document:
    """The positioned tree; with `syntax_only` (a file the prefilter found nothing in) only the syntax."""
    offset = 1 if text.startswith("\ufeff") else 0
    body = text[offset:]
    if syntax_only or (len(body) > LARGE_FILE_CHARS and not _worth_positions(body)):
        return _check_syntax(path, text, body, offset)
    index = LineIndex(text)
    try:
        loader = _Loader(body)
        try:
            root_node = loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError) as exc:
        raise _syntax_error(path, exc) from None
    converter = _Converter(path, index, offset)
    root: Node | None = None
    if root_node is not None:
        try:
            root = converter.convert(root_node, "")
        except RecursionError as exc:
            raise _syntax_error(path, exc) from None
    comments = find_comments(path, index, converter.multiline)
    return Document(path, text, "yaml", root, comments, converter.duplicates, converter.unsafe_tags)

"""YAML text -> node tree with positions, built from PyYAML's parser events (libyaml when present).

The tree is built from events, iteratively, without PyYAML's composer: no Python recursion however
deep the file nests (the loader's own depth limit says "nested too deeply" with a position), and no
intermediate PyYAML node per value.

Nothing is ever constructed from an unknown tag, so `!!python/object/apply:os.system` is never run
(its text stays a plain value). Scalars with YAML's own tags are built with SafeConstructor; an
explicit tag whose value PyYAML cannot construct (`!!bool maybe`, `!!int abc`, `!!timestamp x`,
`!!map [1]`) or an integer over Python's 4,300-digit limit is an error with its position, as
`yaml.safe_load` fails on it too. Aliases become shared nodes (never copied), so an alias bomb costs
memory linear in the file.

A stream of several documents (`---`): every document is parsed and checked, and the first one
that is not empty is the file's content (what dialect detection and the rules read).

A sequence longer than MAX_SEQUENCE_ITEMS (a data list inside a config) keeps only its first
MAX_SEQUENCE_ITEMS items in the tree; the rest are still parsed and their tags checked. A file with
more than MAX_NODES values is a data file: checked for syntax only, like a large file that names
nothing batch-related (README "Limits").
"""

from __future__ import annotations

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from batchlint.loading.nodes import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_SEQUENCE_ITEMS,
    SAFE_INT_CHARS,
    Document,
    DuplicateKey,
    LoadError,
    Mapping,
    Node,
    Scalar,
    Sequence,
    Span,
    int_digit_limit,
    key_text,
)
from batchlint.loading.scalar_tags import BOOL_VALUES, SLOW, fast_value, with_fast_path
from batchlint.loading.text import comments_in

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# libyaml's parser alone: CSafeLoader adds a constructor and a resolver that each file would set up
# again, and only the resolver's pure lookup of a plain scalar's tag is used (one instance).
_Loader: Any = getattr(getattr(yaml, "_yaml", None), "CParser", None) or yaml.SafeLoader  # SafeLoader: PyYAML built without libyaml
_RESOLVE: Any = with_fast_path(yaml.resolver.Resolver().resolve)  # the common shapes without compiling its patterns

_SAFE_TAG_PREFIX = "tag:yaml.org,2002:"
_MERGE = _SAFE_TAG_PREFIX + "merge"
_VALUE = _SAFE_TAG_PREFIX + "value"
_STR, _INT, _BOOL, _NULL, _FLOAT = (_SAFE_TAG_PREFIX + t for t in ("str", "int", "bool", "null", "float"))
_SEQ, _MAP = _SAFE_TAG_PREFIX + "seq", _SAFE_TAG_PREFIX + "map"
_SAFE_TAGS = {
    _SAFE_TAG_PREFIX + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary", "map", "seq", "omap", "pairs", "set", "merge", "value")
}
_SCALAR_TAGS = {_SAFE_TAG_PREFIX + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")}
_CONSTRUCTORS = yaml.constructor.SafeConstructor.yaml_constructors
_EXPECTED = {
    _BOOL: "a YAML 1.1 boolean (true/false, yes/no, on/off)",
    _INT: "an integer",
    _SAFE_TAG_PREFIX + "float": "a number",
    _SAFE_TAG_PREFIX + "timestamp": "a date or time such as 2001-12-14 or 2001-12-14T21:59:43Z",
    _SAFE_TAG_PREFIX + "binary": "base64 text",
}

# PyYAML's C and Python parsers have different Mark and event classes, and the stubs type event
# attributes loosely: both are Any here.


def _too_deep(path: str, mark: Any) -> LoadError:
    return LoadError(
        path,
        mark.line + 1,
        mark.column + 1,
        f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)",
        "no training config nests this deep: check the file",
    )


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("node", "keep", "path", "key", "seen", "count", "explicit", "start")

    def __init__(self, node: Mapping | Sequence | None, keep: bool, path: str, explicit: str | None, start: Any) -> None:
        self.node = node  # None while only parsing (items past MAX_SEQUENCE_ITEMS)
        self.keep = keep
        self.path = path  # dotted path of this container, as in DuplicateKey.path
        self.key: Node | None = None  # a mapping's key waiting for its value
        self.seen: dict[str, Node] | None = None  # the first key of each text written twice (the index holds the last)
        self.count = 0
        self.explicit = explicit  # an explicit tag: recorded (unknown) or validated (YAML's own) once complete
        self.start = start


# A scalar's position is kept as the parser's two marks until something reads a line or column
# (a diagnostic, a fact's provenance): most values of most files are never pointed at. False builds
# every span at once (the output is the same; kept to compare the two).
LAZY_SPANS = True


class MarkSpan(Span):
    """A Span whose lines, columns and offsets are computed from the parser's marks when first read;
    then it becomes a plain Span (the same slots), whose reads Python's attribute caches serve (they
    pass over a class with __getattr__)."""

    __slots__ = ()

    def __init__(self, file: str, start: Any, end: Any, offset: int) -> None:  # no super().__init__: the point is not computing them
        self.file = file
        self._marks: tuple[Any, Any, int] | None = (start, end, offset)

    def __getattr__(self, name: str) -> object:
        marks = self._marks
        if marks is None:
            raise AttributeError(name)
        start, end, offset = marks
        self.line = start.line + 1
        self.column = start.column + 1
        self.end_line = end.line + 1
        self.end_column = end.column + 1
        self.start = start.index + offset
        self.end = end.index + offset
        self._marks = None
        self.__class__ = Span  # type: ignore[assignment]
        return getattr(self, name)

    def site(self) -> str:
        """`file:line` from the start mark, without computing the rest (an interpolation's hop: its span is rarely read)."""
        marks = self._marks
        return f"{self.file}:{self.line if marks is None else marks[0].line + 1}"

    def __reduce__(self) -> tuple[type[Span], tuple[str, int, int, int, int, int, int]]:
        return Span, self._key()  # a plain Span crosses processes (marks do not pickle)


_new = object.__new__  # a node or span built without a Python __init__ call (the event loop's hot lines set the slots)


# Plain scalar text -> its implicit tag: a pure function of the text (the safe loader has no path
# resolvers), shared by every file of the process, since configs repeat the same values and keys.
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 100_000


class _TooManyNodes(Exception):
    pass


class _Builder:
    def __init__(self, path: str, offset: int, loader: Any, keep: bool = True) -> None:
        self.path = path
        self.keep = keep  # False: only checked (syntax, tags, aliases, depth), nothing kept but anchored values
        self.offset = offset  # characters stripped before parsing (a BOM)
        self.loader = loader
        self.duplicates: list[DuplicateKey] = []
        self.unsafe_tags: list[tuple[str, Span]] = []
        self.multiline: set[int] = set()
        self.constructor: Any = None  # a SafeConstructor, made for the first value the fast paths leave to it (most files have none)
        self.resolved = _RESOLVED  # plain scalar text -> implicit tag
        self.nodes = 0
        self.budget = True  # whether MAX_NODES still allows building

    def span(self, start: Any, end: Any) -> Span:
        return Span(self.path, start.line + 1, start.column + 1, end.line + 1, end.column + 1, start.index + self.offset, end.index + self.offset)

    def fail(self, mark: Any, message: str, help: str = "yaml.safe_load (and OmegaConf) fail on it too: fix the value") -> LoadError:
        return LoadError(self.path, mark.line + 1, mark.column + 1, f"invalid YAML: {message}", help)

    def scalar_tag(self, event: Any) -> str:
        tag = event.tag
        if tag is not None and tag != "!":
            return str(tag)
        if not event.implicit[0]:
            return _STR  # quoted: the resolver's default
        known = self.resolved.get(event.value)
        if known is None:
            if len(self.resolved) > _RESOLVED_MAX:
                self.resolved.clear()
            known = self.resolved[event.value] = _RESOLVE(yaml.ScalarNode, event.value, event.implicit)
        return known

    def scalar_value(self, event: Any, tag: str, explicit: bool) -> object:
        raw = event.value
        value = fast_value(tag, raw)
        if value is not SLOW:
            return value
        if tag not in _SAFE_TAGS:
            return raw  # an unknown tag is never constructed
        constructor = _CONSTRUCTORS.get(tag)
        if constructor is None or tag not in _SCALAR_TAGS:
            if explicit and tag not in (_MERGE, _VALUE):
                raise self.fail(
                    event.start_mark, f"`{_short(tag)}` needs a {'mapping' if tag.endswith(('map', 'set')) else 'sequence'}, not the scalar {_quoted(raw)}"
                )
            return raw  # `<<` and `=` as plain text
        node = yaml.ScalarNode(tag, raw, event.start_mark, event.end_mark, style=event.style)
        if self.constructor is None:
            self.constructor = yaml.constructor.SafeConstructor()
        try:
            return constructor(self.constructor, node)
        except ValueError as exc:
            if tag == _INT and "digits" in str(exc):
                raise self.fail(
                    event.start_mark,
                    f"an integer with {sum(c.isdigit() for c in raw)} digits; Python reads at most {int_digit_limit()} (ValueError)",
                    "no batch value is this large: fix the number, or quote it to make it a string",
                ) from None
            if explicit:
                raise self._bad_value(event, tag) from None
        except (yaml.YAMLError, TypeError, KeyError, AttributeError, OverflowError):
            if explicit:
                raise self._bad_value(event, tag) from None
        return raw  # an implicit value PyYAML cannot build (a timestamp out of range): as written

    def _bad_value(self, event: Any, tag: str) -> LoadError:
        expected = _EXPECTED.get(tag, "a value of this type")
        return self.fail(
            event.start_mark,
            f"{_quoted(event.value)} is not a valid `{_short(tag)}`: expected {expected}",
            "yaml.safe_load (and OmegaConf) fail on it too: write a valid value, or remove the tag",
        )

    def container_error(self, frame: _Frame, mark: Any) -> None:
        """Whether an explicitly tagged container holds what its tag needs (`!!omap` a list of one-key maps)."""
        tag = frame.explicit
        node = frame.node
        if tag is None or tag not in _SAFE_TAGS or node is None:
            return
        short = _short(tag)
        is_seq = isinstance(node, Sequence)
        if tag in _SCALAR_TAGS:
            raise self.fail(mark, f"`{short}` needs a scalar, not a {'sequence' if is_seq else 'mapping'}")
        if tag in (_SEQ, _SAFE_TAG_PREFIX + "omap", _SAFE_TAG_PREFIX + "pairs") and not is_seq:
            raise self.fail(mark, f"`{short}` needs a sequence, not a mapping")
        if tag in (_MAP, _SAFE_TAG_PREFIX + "set") and is_seq:
            raise self.fail(mark, f"`{short}` needs a mapping, not a sequence")
        if is_seq and tag != _SEQ:
            assert isinstance(node, Sequence)
            for item in node.items:
                if not isinstance(item, Mapping) or len(item.items) != 1:
                    raise self.fail(mark, f"every item of `{short}` must be a mapping of one key")

    def document(self) -> Node | None:
        """The root of the next document (after its DocumentStartEvent), through its DocumentEndEvent."""
        get: Any = self.loader.get_event
        anchors: dict[str, Node] = {}
        stack: list[_Frame] = []
        top: _Frame | None = None  # stack[-1], kept in a local
        keeping = self.keep  # top.keep (self.keep outside any container): whether values are built
        root: Node | None = None
        path = self.path
        offset = self.offset
        resolved = self.resolved
        lazy = LAZY_SPANS
        nodes = self.nodes  # (a local while the loop runs; written back when the document ends)
        while True:
            event = get()
            cls = type(event)
            node: Node | None
            if cls is ScalarEvent:
                anchor = event.anchor
                if not keeping and anchor is None:
                    # past MAX_SEQUENCE_ITEMS, or only checking: only what could fail is looked at
                    if top is not None:
                        top.count += 1
                    if event.tag is not None or len(event.value) >= SAFE_INT_CHARS:
                        explicit = event.tag is not None and event.tag != "!"
                        tag = self.scalar_tag(event)
                        if tag not in _SAFE_TAGS:
                            self.unsafe_tags.append((tag, self.span(event.start_mark, event.end_mark)))
                        self.scalar_value(event, tag, explicit)
                    continue
                # scalar_tag, count and fast_value inlined: this branch runs for every value of every file
                raw = event.value
                etag = event.tag
                explicit = etag is not None and etag != "!"
                nodes += 1
                if nodes > MAX_NODES:
                    raise _TooManyNodes
                if explicit:
                    tag = str(etag)
                elif not event.implicit[0]:
                    tag = _STR
                else:
                    tag = resolved.get(raw)  # type: ignore[assignment]
                    if tag is None:
                        tag = self.scalar_tag(event)
                start = event.start_mark
                end = event.end_mark
                if lazy:
                    span: Span = _new(MarkSpan)  # MarkSpan(path, start, end, offset), its __init__ inlined
                    span.file = path
                    span._marks = (start, end, offset)  # type: ignore[attr-defined]
                else:
                    span = Span(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1, start.index + offset, end.index + offset)
                if tag not in _SAFE_TAGS:
                    self.unsafe_tags.append((tag, span))
                if end.line > start.line:
                    # A block scalar ends at column 1 of the line after its last line.
                    last = end.line + 1 if end.column > 0 else end.line  # (span.end_line, or the line before when span.end_column is 1)
                    self.multiline.update(range(start.line + 2, last + 1))  # (from span.line + 1; read from the marks, the span left to compute)
                # fast_value's common cases inlined (the same results); the others through scalar_value
                if tag == _STR:
                    value: object = raw
                elif tag == _INT and raw.isdigit() and (raw == "0" or raw[0] != "0") and len(raw) < SAFE_INT_CHARS:
                    value = int(raw)
                elif tag == _NULL:
                    value = None
                elif tag == _BOOL and raw.lower() in BOOL_VALUES:
                    value = BOOL_VALUES[raw.lower()]
                else:
                    value = SLOW
                    if tag == _FLOAT:
                        try:
                            value = float(raw)  # (fast_value's float: float() agrees whenever it reads the text as written)
                        except ValueError:
                            pass
                    if value is SLOW:
                        value = self.scalar_value(event, tag, explicit)
                node = _new(Scalar)  # Scalar(span, raw, tag, event.style or "", value), its __init__ inlined
                node.span = span
                node.raw = raw
                node.tag = tag
                node.style = event.style or ""
                node.value = value
                if anchor is not None:
                    self.anchor(anchors, anchor, node, start)
            elif cls is AliasEvent:
                found = anchors.get(event.anchor)
                if found is None:
                    raise self.fail(event.start_mark, f"found undefined alias {event.anchor!r}", "define the anchor (&name) before its alias (*name)")
                node = found
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise _too_deep(self.path, event.start_mark)
                anchor = event.anchor
                keep = keeping or anchor is not None
                etag = event.tag
                explicit_tag = etag if etag is not None and etag != "!" else None
                if explicit_tag is not None and explicit_tag in _SAFE_TAGS and explicit_tag != (_SEQ if cls is SequenceStartEvent else _MAP):
                    keep = True  # built to check what the tag needs
                child_path = top.path if top is not None else ""
                if top is not None and top.key is not None and type(top.node) is Mapping:
                    text = key_text(top.key)
                    child_path = f"{top.path}.{text}" if top.path else str(text)
                container: Mapping | Sequence | None = None
                if keep:
                    nodes += 1
                    if nodes > MAX_NODES:
                        raise _TooManyNodes
                    # (its span is set at its end event, from the frame's start mark: nothing reads it before)
                    if cls is MappingStartEvent:
                        container = _new(Mapping)  # Mapping(_OPEN) with the index Mapping._build would build, filled as each key is attached
                        container.span = _OPEN
                        container.items = []
                        container._index = {}
                        container._merges = []
                    else:
                        container = _new(Sequence)  # Sequence(_OPEN)
                        container.span = _OPEN
                        container.items = []
                    if anchor is not None:
                        self.anchor(anchors, anchor, container, event.start_mark)
                top = _Frame(container, keep, child_path, explicit_tag, event.start_mark)
                stack.append(top)
                keeping = keep
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                top = stack[-1] if stack else None
                keeping = top.keep if top is not None else self.keep
                node = frame.node
                if lazy:
                    full: Span = _new(MarkSpan)  # MarkSpan(path, frame.start, event.end_mark, offset), inlined
                    full.file = path
                    full._marks = (frame.start, event.end_mark, offset)  # type: ignore[attr-defined]
                else:
                    full = self.span(frame.start, event.end_mark)
                if node is not None:
                    node.span = full
                    if frame.explicit is not None:
                        self.container_error(frame, frame.start)
                if frame.explicit is not None and frame.explicit not in _SAFE_TAGS:
                    self.unsafe_tags.append((frame.explicit, full))
            elif cls is DocumentEndEvent:
                self.nodes = nodes
                return root
            else:  # pragma: no cover - the parser only emits the events above inside a document
                raise self.fail(event.start_mark, f"unexpected {cls.__name__}")
            if top is None:
                root = node
                continue
            # attach(), inlined: it runs for every value of every file
            container = top.node
            if type(container) is Mapping:
                key = top.key
                if key is None:
                    top.key = node
                    continue
                if type(key) is Scalar and node is not None:
                    top.key = None
                    entry = (key, node)  # (one tuple for the items and the index)
                    if key.tag != _MERGE:
                        text = key.value if type(key.value) is str else key.raw  # (a value this loop built: a str is exactly one)
                        index = container._index
                        if text in index:  # type: ignore[operator]
                            self.duplicate(top, text, index[text][0], key)  # type: ignore[index]
                        index[text] = entry  # type: ignore[index]  # (the last duplicate wins)
                    else:
                        container._merges.append(node)
                    container.items.append(entry)
                    continue
            elif type(container) is Sequence:
                top.count += 1
                if node is not None and top.count <= MAX_SEQUENCE_ITEMS:
                    container.items.append(node)
                elif top.count == MAX_SEQUENCE_ITEMS + 1:
                    top.keep = keeping = False  # the rest of a data list is parsed, not kept
                continue
            self.attach(top, node)

    def attach(self, top: _Frame, node: Node | None) -> None:
        """What the event loop leaves here: a value inside a container that is not kept, or the value
        of a mapping key that is itself a mapping or a list (no key text: not indexed, never a duplicate)."""
        container = top.node
        if container is None:
            return
        assert isinstance(container, Mapping) and top.key is not None and node is not None
        key, top.key = top.key, None
        if isinstance(key, Scalar) and container._index is not None:  # the index Mapping._build would build
            if key.tag == _MERGE:
                container._merges.append(node)
            else:
                text = key_text(key) or ""
                if text in container._index:
                    self.duplicate(top, text, container._index[text][0], key)
                container._index[text] = (key, node)
        container.items.append((key, node))

    def duplicate(self, top: _Frame, text: str, last: Node, again: Scalar) -> None:
        """`again` repeats a key of its mapping (`last`: its latest key of that text): recorded against the first."""
        if top.seen is None:
            top.seen = {}
        first = top.seen.setdefault(text, last)
        self.duplicates.append(DuplicateKey(text, top.path, first.span, again.span))

    def anchor(self, anchors: dict[str, Node], name: str, node: Node, mark: Any) -> None:
        if name in anchors:
            raise self.fail(mark, f"found duplicate anchor {name!r}", "give each anchor (&name) its own name")
        anchors[name] = node


_OPEN = Span("", 0, 0, 0, 0, 0, 0)  # a mapping's or list's span while its values are read
_TOO_MANY = Scalar(Span("", 1, 1, 1, 1, 0, 0), "", _NULL, "", None)


def _empty(node: Node | None) -> bool:
    """An empty document (`---` with nothing after it)."""
    return node is None or isinstance(node, Scalar) and node.value is None and node.raw == "" and node.tag == _NULL


def _short(tag: str) -> str:
    return "!!" + tag[len(_SAFE_TAG_PREFIX) :] if tag.startswith(_SAFE_TAG_PREFIX) else tag


def _quoted(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


# A YAML file this large is a dataset index or a data dump, not a training config. When it names
# nothing batch-related it is only parsed for syntax (events, in C: about a tenth of the cost of
# building the positioned tree), like large JSON files; see README "Limits".
LARGE_FILE_CHARS = 1 << 20
_RELEVANT_WORDS = ("batch", "accum", "num_processes", "gpus", "world_size", "nproc", "devices", "deepspeed", "distributed")


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
        return LoadError(path, line, col, f"invalid YAML: {problem}", "fix the syntax; the training launcher cannot read this file either")
    if isinstance(exc, RecursionError):
        return LoadError(path, 1, 1, "YAML nested too deeply to read", "no training config nests this deep: check the file")
    return LoadError(path, 1, 1, f"invalid YAML: {exc}")


def _check_syntax(path: str, text: str, body: str, offset: int) -> Document:
    """Only checked, nothing kept (a file no dialect can read, or one with more than MAX_NODES values):
    the same events and the same checks as a full load — syntax, undefined or duplicate anchors, tags
    PyYAML cannot construct, integers over the digit limit, nesting over MAX_DEPTH — without the tree."""
    loader = _Loader(body)
    builder = _Builder(path, offset, loader, keep=False)
    try:
        _documents(loader, builder)
    except (yaml.YAMLError, RecursionError) as exc:
        raise _syntax_error(path, exc) from None
    finally:
        loader.dispose()
    return Document.syntax_checked(path, text, "yaml", builder.unsafe_tags)


def _documents(loader: Any, builder: _Builder) -> Node | None:
    """Every document of the stream through `builder`; the first one that is not empty is the content."""
    root: Node | None = None
    loader.get_event()  # StreamStartEvent
    while not loader.check_event(StreamEndEvent):
        loader.get_event()  # DocumentStartEvent
        node = builder.document()
        if root is None or _empty(root) and not _empty(node):
            root = node
    loader.get_event()
    return root


def load_yaml(path: str, text: str, syntax_only: bool = False) -> Document:
    """The positioned tree; with `syntax_only` (a file the prefilter found nothing in) only the checks."""
    offset = 1 if text.startswith("\ufeff") else 0
    body = text[offset:]
    if syntax_only or (len(body) > LARGE_FILE_CHARS and not _worth_positions(body)):
        return _check_syntax(path, text, body, offset)
    loader = _Loader(body)
    builder = _Builder(path, offset, loader)
    root: Node | None = None
    try:
        root = _documents(loader, builder)
    except _TooManyNodes:
        root = _TOO_MANY
    except (yaml.YAMLError, RecursionError) as exc:
        raise _syntax_error(path, exc) from None
    finally:
        loader.dispose()
    if root is _TOO_MANY:
        return _check_syntax(path, text, body, offset)
    comments = comments_in(path, text, builder.multiline)
    return Document(path, text, "yaml", root, comments, builder.duplicates, builder.unsafe_tags)

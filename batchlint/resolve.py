"""Resolve: OmegaConf interpolations and MuseV-style `${include:file.yaml}` over node trees.

The result of resolving a key keeps the literal scalar where the value really lives, so a
value reached through `${train.x}` or an included file still reports that file, line and
column. Problems (missing keys, cycles, missing includes) are returned, never raised.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable

from batchlint.loading.nodes import Document, LoadError, Mapping, Node, Scalar, Sequence, Span
from batchlint.model import ProblemKind, Semantics
from batchlint.paths import FENCE_HELP, Fence, fence_root

KeyPath = tuple[str | int, ...]


@functools.lru_cache(maxsize=8192)
def format_path(path: KeyPath) -> str:
    """`a.b[0].c` (memoised, a pure function: every config of a dialect reads the same keys)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@functools.lru_cache(maxsize=4096)
def parse_key_path(text: str) -> KeyPath:
    """`a.b[0].c` as a tuple of parts (memoised, a pure function: every config of a dialect asks for the same keys)."""
    if "[" not in text and "]" not in text:  # (what the pattern finds then, without compiling it)
        return tuple(part for part in text.split(".") if part)
    parts: list[str | int] = []
    for name, idx in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        parts.append(int(idx) if idx else name)
    return tuple(parts)


# --------------------------------------------------------------------------- grammar


class NodeRef:
    __slots__ = ("dots", "key")

    def __init__(self, dots: int, key: list[Part]) -> None:
        self.dots = dots
        self.key = key  # text of the key path, possibly with nested interpolations


class Call:
    __slots__ = ("name", "args", "quoted")

    def __init__(self, name: str, args: list[list[Part]], quoted: list[bool]) -> None:
        self.name = name
        self.args = args
        self.quoted = quoted


Part = str | NodeRef | Call


class GrammarError(ValueError):
    pass


def has_interpolation(text: str) -> bool:
    return "${" in text


@functools.lru_cache(maxsize=8192)
def _parse_cached(text: str) -> tuple[Part, ...]:
    return tuple(_parse(text))


def parse(text: str) -> list[Part]:
    """Split a string into literal text and `${...}` interpolations (memoised, a pure function:
    configs of one project repeat the same interpolations; the parts are never mutated)."""
    return list(_parse_cached(text))


def _parse(text: str) -> list[Part]:
    """Split a string into literal text and `${...}` interpolations (OmegaConf grammar subset)."""
    parts: list[Part] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        # Jump over plain text to the next place where something can happen.
        nxt = min((j for j in (text.find("${", i), text.find("\\", i)) if j >= 0), default=n)
        if nxt > i:
            buf.append(text[i:nxt])
            i = nxt
            continue
        if text.startswith("\\${", i):
            buf.append("${")
            i += 3
        elif text.startswith("\\\\${", i):
            buf.append("\\")
            i += 2
        elif text.startswith("${", i):
            end = _matching_brace(text, i + 2)
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(_parse_inner(text[i + 2 : end]))
            i = end + 1
        else:
            buf.append(text[i])
            i += 1
    if buf:
        parts.append("".join(buf))
    return parts


def _matching_brace(text: str, i: int) -> int:
    depth = 0
    quote = ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif text.startswith("${", i):
            depth += 1
            i += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise GrammarError(f"unclosed '${{' in {text!r}")


def _resolver_name(inner: str) -> tuple[str, int] | None:
    """The resolver's name and where its arguments start, as `\\s*([A-Za-z_][\\w.]*)\\s*:` matches `inner`
    (`\\s` is str.isspace, `\\w` str.isalnum or `_`; the three runs are disjoint, so nothing backtracks)."""
    n = len(inner)
    i = 0
    while i < n and inner[i].isspace():
        i += 1
    if i == n or not (inner[i] == "_" or ("a" <= inner[i] <= "z") or ("A" <= inner[i] <= "Z")):
        return None
    start = i
    i += 1
    while i < n and (inner[i].isalnum() or inner[i] in "_."):
        i += 1
    name = inner[start:i]
    while i < n and inner[i].isspace():
        i += 1
    return (name, i + 1) if i < n and inner[i] == ":" else None


_BAD_KEY_CHARACTERS = frozenset(":,'\"")


def _parse_inner(inner: str) -> NodeRef | Call:
    m = _resolver_name(inner) if ":" in inner else None  # (a resolver call has a colon: most references have none)
    if m:
        args: list[list[Part]] = []
        quoted: list[bool] = []
        for raw in _split_args(inner[m[1] :]):
            arg = raw.strip()
            if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"":
                args.append(parse(arg[1:-1]))
                quoted.append(True)
            else:
                args.append(parse(arg))
                quoted.append(False)
        return Call(m[0], args, quoted)
    stripped = inner.strip()
    if not stripped:
        raise GrammarError("empty interpolation '${}'")
    dots = len(stripped) - len(stripped.lstrip("."))
    key = stripped[dots:]
    if "${" not in key and any(c in _BAD_KEY_CHARACTERS or c.isspace() for c in key):  # (the pattern `[\s:,'"]`: `\s` is str.isspace)
        raise GrammarError(f"invalid key in interpolation '${{{inner}}}'")
    return NodeRef(dots, parse(key) if key else [])


def _split_args(text: str) -> list[str]:
    if not text.strip():
        return []
    out: list[str] = []
    depth = 0
    quote = ""
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif text.startswith("${", i):
            depth += 1
            i += 1
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
        i += 1
    out.append(text[start:])
    return out


def primitive(text: str) -> object:
    """An unquoted resolver argument typed as OmegaConf's grammar types it."""
    t = text.strip()
    low = t.lower()
    if low == "null":
        return None
    if low in ("true", "false"):
        return low == "true"
    rest = t[1:] if t[:1] in ("+", "-") else t
    if not (rest[:1].isdecimal() or rest[:1] == "." or rest.lower() in ("inf", "nan")):
        return t  # (both patterns below start, after a sign, with a digit (`\d`), a dot, or inf or nan)
    if re.fullmatch(r"[-+]?\d[\d_]*", t):
        return int(t.replace("_", ""))
    if re.fullmatch(r"[-+]?(\d[\d_]*)?\.?\d[\d_]*([eE][-+]?\d+)?|[-+]?(inf|nan)", low):
        try:
            return float(t.replace("_", ""))
        except ValueError:
            return t
    return t


# --------------------------------------------------------------------------- values

_OMEGACONF_FLOAT_PATTERN = r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$"""


@functools.cache
def _omegaconf_float() -> re.Pattern[str]:
    return re.compile(_OMEGACONF_FLOAT_PATTERN, re.X)


def _is_omegaconf_float(text: str) -> bool:
    """OmegaConf's extra float resolver (omegaconf/_utils.py::get_yaml_loader), compiled on first use."""
    if not text or text[0] not in "-+.0123456789" or ("." not in text and "e" not in text and "E" not in text):
        return False  # (every form of the pattern has a dot or an exponent)
    if not _FLOAT_CHARACTERS.issuperset(text):
        return False  # (a path, a word: a character no form of the pattern has)
    return _plain_float(text) or _omegaconf_float().match(text) is not None


# Every character the pattern can match (ASCII digits, signs, `_`, `.`, `:`, exponents, inf and nan, the
# newline its `$` allows at the end).
_FLOAT_CHARACTERS = frozenset("0123456789+-_.:eEinfINFaA\n")


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _plain_float(text: str) -> bool:
    """`[sign] digits . [digits] [exponent]` or `[sign] digits exponent` (`1e-5`, `0.5`) in ASCII: the
    first two forms of the pattern, the usual ones, told without compiling it (False: ask the pattern)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    mantissa, exponent = body, ""
    for mark in "eE":
        if mark in body:
            mantissa, _, exponent = body.partition(mark)
            exponent = exponent[1:] if exponent[:1] in ("+", "-") else exponent
            if not _ascii_digits(exponent):
                return False
            break
    whole, dot, fraction = mantissa.partition(".")
    return _ascii_digits(whole) and (not fraction or _ascii_digits(fraction)) and bool(dot or exponent)


_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def read_as_written(node: Scalar) -> bool:
    """Whether every consuming tool reads the scalar as its loader did (`scalar_value` is `node.value`
    whatever the semantics): a quoted one, or one neither a plain string nor a timestamp."""
    return node.style != "" or (node.tag != _STR_TAG and node.tag != _TIMESTAMP_TAG)


def scalar_value(node: Scalar, semantics: Semantics) -> object:
    """The value as the consuming tool reads it.

    `yaml11`/`json`: PyYAML safe_load / json.load. `omegaconf`: the same YAML 1.1 loader with
    OmegaConf's two changes: `1e-5` (no dot) is a float, and timestamps stay strings.
    """
    if semantics == Semantics.OMEGACONF and not read_as_written(node):
        if node.tag == _TIMESTAMP_TAG:
            return node.raw
        if _is_omegaconf_float(node.raw):  # (a plain string)
            try:
                return float(node.raw.replace("_", ""))
            except ValueError:
                return node.value
    return node.value


def reading_difference(node: Scalar) -> str | None:
    """When PyYAML and OmegaConf read this scalar differently, say how."""
    if node.style != "":
        return None
    yaml11 = node.value
    if read_as_written(node) and yaml11 == yaml11:
        return None  # (OmegaConf reads it as PyYAML does: scalar_value returns node.value, equal to itself unless NaN)
    omega = scalar_value(node, Semantics.OMEGACONF)
    if type(yaml11) is type(omega) and yaml11 == omega:
        return None
    return f"`{node.raw}` is {type(omega).__name__} {omega!r} to OmegaConf but {type(yaml11).__name__} {yaml11!r} to PyYAML (YAML 1.1)"


# --------------------------------------------------------------------------- resolution


class Problem:
    __slots__ = ("kind", "message", "span", "help")

    def __init__(self, kind: ProblemKind, message: str, span: Span, help: str = "") -> None:
        self.kind = kind
        self.message = message
        self.span = span
        self.help = help

    def __repr__(self) -> str:
        return f"Problem({self.kind}: {self.message} at {self.span!r})"


class Resolved:
    __slots__ = ("value", "origin", "origin_path", "container", "hops", "problem", "composite")

    def __init__(
        self,
        value: object = None,
        origin: Scalar | None = None,
        origin_path: KeyPath | None = None,
        container: Node | None = None,
        hops: list[str] | None = None,
        problem: Problem | None = None,
        composite: bool = False,
    ) -> None:
        self.value = value
        self.origin = origin  # literal where the value lives
        self.origin_path = origin_path
        self.container = container
        self.hops = hops or []  # interpolation sites followed, "file:line"
        self.problem = problem
        self.composite = composite  # built from text and interpolations (no single literal)

    @property
    def ok(self) -> bool:
        return self.problem is None


DocumentLoader = Callable[[str], Document]


class ConfigTree:
    """A training config with its includes, addressed by key paths from the main root."""

    def __init__(
        self,
        doc: Document,
        fs_path: str,
        semantics: Semantics,
        load: DocumentLoader,
        include_root: str | None = None,
        env: dict[str, str] | None = None,
        fence: Fence | None = None,
    ) -> None:
        self.doc = doc
        self.fence = fence  # where includes may be read from (Session.fence_for); None: the file's project
        self.semantics = semantics
        self.load = load
        self.include_root = include_root
        self.env = env or {}
        self.fs_paths: dict[str, str] = {doc.path: fs_path}
        self.includes: dict[str, Document] = {}
        self.memo: dict[KeyPath, Resolved] = {}
        self.nodes: dict[KeyPath, tuple[Node | None, Resolved | None]] = {}  # node_at, memoised
        self.active: list[KeyPath] = []
        # For each loaded file, the chain of files that included it (the main file: itself).
        own = os.path.abspath(fs_path)
        self.include_chains: dict[str, list[str]] = {own: [own]}
        self.problems: list[Problem] = []
        self.readers: dict[int, set[KeyPath]] = {}  # id(literal scalar) -> key paths whose value uses it
        self.base: KeyPath = ()  # where the trainer's config starts (a run YAML's `parameters:`): absolute `${x}` start there

    # -- walking
    def node_at(self, path: KeyPath) -> tuple[Node | None, Resolved | None]:
        """The node at `path`, following interpolated containers (includes) on the way."""
        known = self.nodes.get(path)
        if known is not None:
            return known
        found = self._node_at(path)
        if found[1] is None and path not in self.active:
            self.nodes[path] = found
        return found

    def _node_at(self, path: KeyPath) -> tuple[Node | None, Resolved | None]:
        cur: Node | None = self.doc.root
        for i, part in enumerate(path):
            if type(cur) is Scalar:  # (no node class has a subclass)
                res = self.resolve(path[:i])
                if res.container is None:
                    return None, res if res.problem else None
                cur = res.container
            if type(cur) is Mapping:
                # Mapping.get, its index lookup inlined (a key path's parts are mostly str); merges and the rest through get
                text = part if type(part) is str else str(part)
                hit = cur._index.get(text) if cur._index is not None else None
                cur = hit[1] if hit is not None else cur.get(text)
            elif type(cur) is Sequence and isinstance(part, int):
                cur = cur.items[part] if 0 <= part < len(cur.items) else None
            else:
                cur = None
            if cur is None:
                return None, None
        return cur, None

    def get(self, dotted: str) -> Resolved | None:
        """Resolve a dotted key path; None when the key is absent."""
        path = parse_key_path(dotted)
        node, failed = self.node_at(path)
        if failed is not None:
            return failed
        if node is None:
            return None
        return self.memo.get(path) or self._resolve_node(path, node)  # resolve(path), its node known

    def resolve(self, path: KeyPath) -> Resolved:
        known = self.memo.get(path)
        if known is not None:
            return known
        node, failed = self.node_at(path)
        if failed is not None:
            return failed
        return self._resolve_node(path, node)

    def _resolve_node(self, path: KeyPath, node: Node | None) -> Resolved:
        """`resolve(path)` once the node at `path` is known (the whole-file pass walks to it)."""
        if node is None:
            span = self.doc.root.span if self.doc.root else Span(self.doc.path, 1, 1, 1, 1, 0, 0)
            return Resolved(problem=Problem(ProblemKind.MISSING_KEY, f"key '{format_path(path)}' not found", span))
        if type(node) is not Scalar:
            result = Resolved(container=node, origin_path=path)
            self.memo[path] = result
            return result
        semantics = self.semantics
        value = node.value if read_as_written(node) else scalar_value(node, semantics)
        if semantics != Semantics.OMEGACONF or not isinstance(value, str) or "${" not in value:
            result = Resolved(value, node, path)
            self.memo[path] = result
            return result
        if path in self.active:
            cycle = " -> ".join(format_path(p) for p in self.active[self.active.index(path) :] + [path])
            return Resolved(
                problem=Problem(ProblemKind.CYCLE, f"interpolation cycle: {cycle}", node.span, "break the cycle: one of these keys must hold a literal value")
            )
        self.active.append(path)
        try:
            result = self._resolve_string(node, value, path)
        finally:
            self.active.pop()
        self.memo[path] = result
        return result

    def _resolve_string(self, node: Scalar, value: str, path: KeyPath) -> Resolved:
        try:
            parts = _parse_cached(value)  # (read only: the memoised parts themselves)
        except GrammarError as exc:
            return Resolved(
                problem=Problem(
                    ProblemKind.GRAMMAR, f"invalid interpolation: {exc}", node.span, "OmegaConf cannot parse this string; escape a literal '${' as '\\${'"
                )
            )
        site = node.span.site()
        if len(parts) == 1 and not isinstance(parts[0], str):
            res = self._evaluate(parts[0], node, path)
            if res.problem is None:
                res = Resolved(res.value, res.origin, res.origin_path, res.container, [site, *res.hops], None, res.composite)
            return res
        text: list[str] = []
        hops = [site]
        for part in parts:
            if isinstance(part, str):
                text.append(part)
                continue
            res = self._evaluate(part, node, path)
            if res.problem is not None:
                return res
            hops.extend(res.hops)
            text.append(_to_text(res.value if res.container is None else res.container))
        return Resolved("".join(text), node, path, None, hops, None, composite=True)

    def _text_of(self, parts: list[Part] | tuple[Part, ...], node: Scalar, path: KeyPath) -> tuple[str | None, Resolved | None]:
        if len(parts) == 1 and isinstance(parts[0], str):
            return parts[0], None  # a plain key: `${train.batch}`
        out: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            else:
                res = self._evaluate(part, node, path)
                if res.problem is not None:
                    return None, res
                out.append(_to_text(res.value))
        return "".join(out), None

    def _arg(self, parts: list[Part], quoted: bool, node: Scalar, path: KeyPath) -> tuple[object, Resolved | None]:
        if len(parts) == 1 and not isinstance(parts[0], str):
            res = self._evaluate(parts[0], node, path)
            return (res.value if res.container is None else res.container), (res if res.problem else None)
        text, failed = self._text_of(parts, node, path)
        if failed is not None:
            return None, failed
        assert text is not None
        return (text if quoted else primitive(text)), None

    def _evaluate(self, part: NodeRef | Call, node: Scalar, path: KeyPath) -> Resolved:
        if isinstance(part, NodeRef):
            key = part.key
            if len(key) == 1 and isinstance(key[0], str):
                key_text: str | None = key[0]  # a plain key: `${train.batch}` (_text_of's first case)
            else:
                key_text, failed = self._text_of(key, node, path)
                if failed is not None:
                    return failed
            assert key_text is not None
            if part.dots:
                base = path[:-1]
                up = part.dots - 1
                if up > len(base):
                    return Resolved(problem=Problem(ProblemKind.MISSING_KEY, f"'{'.' * part.dots}{key_text}' goes above the top of the config", node.span))
                base = base[: len(base) - up]
            else:
                base = self.base if path[: len(self.base)] == self.base else ()
            target = base + parse_key_path(key_text)
            found, failed = self.node_at(target)
            if failed is not None:
                return failed
            if found is None:
                return Resolved(
                    problem=Problem(
                        ProblemKind.MISSING_KEY,
                        f"interpolation key '{format_path(target)}' not found",
                        node.span,
                        "OmegaConf raises InterpolationKeyError here: fix the key or add it",
                    )
                )
            res = self.memo.get(target) or self._resolve_node(target, found)  # resolve(target), its node known
            if res.origin is not None:
                # Remember who reads this literal: editing it changes every one of them.
                known = self.readers.get(id(res.origin))
                if known is None:
                    self.readers[id(res.origin)] = {path}
                else:
                    known.add(path)
            return res
        name = part.name
        args: list[object] = []
        for arg_parts, quoted in zip(part.args, part.quoted, strict=True):
            value, failed = self._arg(arg_parts, quoted, node, path)
            if failed is not None:
                return failed
            args.append(value)
        if name in ("oc.env", "env"):
            if not args:
                return Resolved(problem=Problem(ProblemKind.GRAMMAR, "oc.env needs a variable name", node.span))
            var = str(args[0])
            if var in self.env:
                return Resolved(self.env[var], node, path, composite=True)
            if len(args) > 1:
                default = args[1]
                return Resolved(None if default is None else str(default), node, path, composite=True)
            return Resolved(
                problem=Problem(
                    ProblemKind.ENV, f"value comes from environment variable {var} (no default)", node.span, f"give a default: ${{oc.env:{var},VALUE}}"
                )
            )
        if name == "oc.decode":
            raw = args[0] if args else None
            return Resolved(primitive(raw) if isinstance(raw, str) else raw, node, path, composite=True)
        if name == "oc.select":
            target = parse_key_path(str(args[0])) if args else ()
            found, _ = self.node_at(target)
            if found is None:
                return Resolved(args[1] if len(args) > 1 else None, node, path, composite=True)
            return self.resolve(target)
        if name == "include":
            return self._include(str(args[0]) if args else "", node, path)
        return Resolved(
            problem=Problem(ProblemKind.UNKNOWN_RESOLVER, f"custom resolver '{name}' is registered by the training script; its value is unknown", node.span)
        )

    def _include(self, name: str, node: Scalar, path: KeyPath) -> Resolved:
        including = self.fs_paths.get(node.span.file, node.span.file)
        base = self.include_root or os.path.dirname(including)
        target, shown, real = _include_paths(base, name, os.getcwd())
        including_real = os.path.abspath(including)
        fence = self._fence()
        if not fence.allows(target):
            return Resolved(problem=Problem(ProblemKind.INCLUDE_OUTSIDE, fence.refusal("included file", name, target), node.span, FENCE_HELP))
        from batchlint.loading.files import is_file  # notes a missing include for the cache

        if not is_file(target):
            what = "is a directory" if os.path.isdir(target) else "not found"
            return Resolved(
                problem=Problem(
                    ProblemKind.INCLUDE_MISSING,
                    f"included file '{name}' {what} (looked in {os.path.relpath(base) if base else '.'})",
                    node.span,
                    "fix the name, or set include-root to the directory the training script loads includes from",
                )
            )
        chain = self.include_chains.get(including_real) or [including_real]
        if real in chain:
            names = " -> ".join(os.path.basename(f) for f in chain[chain.index(real) :] + [real])
            return Resolved(
                problem=Problem(
                    ProblemKind.INCLUDE_CYCLE,
                    f"include cycle: {names}",
                    node.span,
                    "OmegaConf recurses until it fails: remove the include that closes the loop",
                )
            )
        doc = self.includes.get(real)
        if doc is None:
            try:
                doc = self.load(target)
            except LoadError as exc:
                return Resolved(problem=Problem(ProblemKind.INCLUDE_INVALID, f"included file '{name}': {exc.message} (line {exc.line})", node.span))
            self.includes[real] = doc
            self.fs_paths[doc.path] = target
            self.include_chains[real] = [*chain, real]
        if doc.root is None:
            return Resolved(None, node, path, composite=True, hops=[shown])
        return Resolved(container=doc.root, origin_path=path, hops=[shown])

    def other_readers(self, literal: Scalar, own: KeyPath | None) -> list[str]:
        """Keys besides `own` (and the literal's own key) whose resolved value uses this literal."""
        paths = self.readers.get(id(literal))
        return sorted(format_path(p) for p in paths if p != own) if paths else []

    def _fence(self) -> Fence:
        """Includes must stay inside the checked file's fence (paths.Fence: the project root and the
        directories settings allow), or below include-root, which the user chose."""
        fence = self.fence or Fence(fence_root(self.fs_paths[self.doc.path]))
        return fence.widened(self.include_root)

    # -- whole-file pass
    def resolve_all(self) -> list[Problem]:
        """Resolve every interpolation (MuseV resolves the whole config at start-up)."""
        problems: list[Problem] = []
        if self.semantics == Semantics.OMEGACONF and "${" in self.doc.text:
            self._walk_all(self.doc.root, (), 0, problems, set(), set())
        return problems

    def _walk_all(self, node: Node | None, path: KeyPath, depth: int, problems: list[Problem], seen_spans: set[tuple[str, int]], visited: set[int]) -> None:
        # A method, not a closure calling itself: such a closure is a reference cycle that keeps the
        # tree (and its document) alive until the cyclic collector runs.
        if node is None or depth > 200 or id(node) in visited:
            return
        visited.add(id(node))
        if type(node) is Scalar:  # (no node class has a subclass)
            if isinstance(node.value, str) and "${" in node.value:
                self._walk_site(node, path, depth, problems, seen_spans, visited)
            return
        # A scalar value is looked at in place: one with no interpolation holds nothing to resolve (most
        # values of a config are such literals), one with an interpolation is resolved without the call
        # that would look at it as a node of its own (the same guards: depth and aliases already seen).
        deeper = depth + 1
        if type(node) is Mapping:
            # node.entries() without its list: (key text, value) in order, the last duplicate winning
            for key, (_, value) in (node._index if node._index is not None else node._build()).items():
                if type(value) is not Scalar:
                    self._walk_all(value, (*path, key), deeper, problems, seen_spans, visited)
                elif isinstance(value.value, str) and "${" in value.value and deeper <= 200 and id(value) not in visited:
                    visited.add(id(value))
                    self._walk_site(value, (*path, key), deeper, problems, seen_spans, visited)
        elif type(node) is Sequence:
            for i, item in enumerate(node.items):
                if type(item) is not Scalar:
                    self._walk_all(item, (*path, i), deeper, problems, seen_spans, visited)
                elif isinstance(item.value, str) and "${" in item.value and deeper <= 200 and id(item) not in visited:
                    visited.add(id(item))
                    self._walk_site(item, (*path, i), deeper, problems, seen_spans, visited)

    def _walk_site(self, node: Scalar, path: KeyPath, depth: int, problems: list[Problem], seen_spans: set[tuple[str, int]], visited: set[int]) -> None:
        """The whole-file pass at a scalar holding an interpolation: resolved, its problem kept once, the
        mapping or list it resolves to (an include) walked in turn."""
        known = self.memo.get(path)
        res = known if known is not None else self._resolve_node(path, node)
        if res.problem is not None:
            where = (res.problem.span.file, res.problem.span.start)
            if where not in seen_spans:
                seen_spans.add(where)
                problems.append(res.problem)
        elif res.container is not None:
            self._walk_all(res.container, path, depth + 1, problems, seen_spans, visited)


@functools.lru_cache(maxsize=1024)
def _include_paths(base: str, name: str, cwd: str) -> tuple[str, str, str]:
    """Where `${include:name}` looks in the directory `base`, from `cwd`: (the file's path, that path as
    shown, it made absolute). Memoised: path arithmetic only (no file is looked at), and every config of
    a folder includes the same files."""
    target = os.path.normpath(os.path.join(base, name))
    shown = os.path.relpath(target, cwd) if not os.path.isabs(name) else target
    return target, shown, os.path.normpath(os.path.join(cwd, target))  # (os.path.abspath(target))


def _to_text(value: object) -> str:
    return str(value)

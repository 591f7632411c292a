"""TOML text -> node tree with positions.

Values come from `tomllib` (the standard library's reader: what torchtitan and sd-scripts use), so
types, dates and escapes are exactly TOML's. `tomllib` gives no positions, so a small scanner walks
the text once more: table headers (`[a.b]`, `[[a.b]]`, each array-of-tables header a new element),
`key = value` lines with bare, quoted and dotted keys, and inside values the strings (basic, literal,
multi-line), arrays and inline tables, recording where each key and each value starts and ends.
Every node takes its span from that record; a value the scanner did not place (it never should)
falls back to its table's header. `#` comments outside strings are the document's comments.

A syntax error is reported at the line and column `tomllib` names. An empty file is an empty table.
"""

from __future__ import annotations

import datetime
import re

from batchlint.loading.nodes import Comment, Document, LoadError, Mapping, Node, Scalar, Sequence, Span
from batchlint.loading.text import LineIndex

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_TOKEN = re.compile(r"[^\s,\]\}#]+")
_ERROR_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_TAGS = {bool: "bool", int: "int", float: "float", str: "str"}

Path = tuple[str | int, ...]


class _Scanner:
    """Positions of every key and value, by full key path (array-of-tables elements by index)."""

    def __init__(self, text: str) -> None:
        self.t = text
        self.i = 0
        self.values: dict[Path, tuple[int, int]] = {}  # path -> (start, end) of the value text
        self.keys: dict[Path, tuple[int, int]] = {}  # path -> (start, end) of the key text
        self.headers: dict[Path, tuple[int, int]] = {}  # table path -> its header
        self.comments: list[tuple[int, int]] = []
        self.arrays: dict[Path, int] = {}  # array-of-tables path (without index) -> elements so far

    # -- low level
    def ws(self, newlines: bool = False) -> None:
        t = self.t
        while self.i < len(t):
            ch = t[self.i]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.i += 1
            elif ch == "#":
                end = t.find("\n", self.i)
                end = len(t) if end < 0 else end
                self.comments.append((self.i, end if t[end - 1 : end] != "\r" else end - 1))
                self.i = end
            else:
                return

    def key_part(self) -> str:
        t = self.t
        if t.startswith('"', self.i):
            end = self.i + 1
            while end < len(t) and t[end] != '"':
                end += 2 if t[end] == "\\" else 1
            raw = t[self.i + 1 : end]
            self.i = end + 1
            if "\\" in raw:
                import json

                try:
                    return str(json.loads(f'"{raw}"'))
                except ValueError:
                    return raw
            return raw
        if t.startswith("'", self.i):
            end = t.find("'", self.i + 1)
            end = len(t) if end < 0 else end
            raw = t[self.i + 1 : end]
            self.i = end + 1
            return raw
        m = _BARE.match(t, self.i)
        if not m:
            raise ValueError("key expected")
        self.i = m.end()
        return m.group()

    def dotted_key(self) -> list[str]:
        parts = [self.key_part()]
        while True:
            self.ws()
            if self.t.startswith(".", self.i):
                self.i += 1
                self.ws()
                parts.append(self.key_part())
            else:
                return parts

    def string(self) -> None:
        t = self.t
        for quote in ('"""', "'''"):
            if t.startswith(quote, self.i):
                end = t.find(quote, self.i + 3)
                while quote == '"""' and end > 0 and t[end - 1] == "\\" and t[end - 2] != "\\":
                    end = t.find(quote, end + 1)
                end = len(t) if end < 0 else end + 3
                while t.startswith(quote[0], end):  # up to two more quotes belong to the string
                    end += 1
                self.i = end
                return
        quote = t[self.i]
        j = self.i + 1
        while j < len(t) and t[j] != quote and t[j] != "\n":
            j += 2 if quote == '"' and t[j] == "\\" else 1
        self.i = j + 1

    def value(self, path: Path) -> None:
        t = self.t
        start = self.i
        ch = t[self.i] if self.i < len(t) else ""
        if ch in "\"'":
            self.string()
        elif ch == "[":
            self.i += 1
            n = 0
            while True:
                self.ws(newlines=True)
                if self.i >= len(t) or t[self.i] == "]":
                    self.i += 1
                    break
                self.value((*path, n))
                n += 1
                self.ws(newlines=True)
                if self.i < len(t) and t[self.i] == ",":
                    self.i += 1
        elif ch == "{":
            self.i += 1
            while True:
                self.ws()
                if self.i >= len(t) or t[self.i] == "}":
                    self.i += 1
                    break
                self.key_value(path)
                self.ws()
                if self.i < len(t) and t[self.i] == ",":
                    self.i += 1
        else:
            m = _TOKEN.match(t, self.i)
            self.i = m.end() if m else self.i + 1
            # A date-time written with a space: `1979-05-27 07:32:00`.
            if m and re.fullmatch(r"\d{4}-\d\d-\d\d", m.group()) and re.match(r" \d\d:\d\d", t[self.i :]):
                m2 = _TOKEN.match(t, self.i + 1)
                self.i = m2.end() if m2 else self.i
        self.values[path] = (start, self.i)

    def key_value(self, table: Path) -> None:
        start = self.i
        parts = self.dotted_key()
        end = self.i
        path: Path = (*table, *parts)
        self.keys[path] = (start, end)
        self.ws()
        if not self.t.startswith("=", self.i):
            raise ValueError("'=' expected")
        self.i += 1
        self.ws()
        self.value(path)

    def header(self) -> Path:
        t = self.t
        start = self.i
        double = t.startswith("[[", self.i)
        self.i += 2 if double else 1
        self.ws()
        parts = self.dotted_key()
        self.ws()
        self.i += 2 if double else 1
        path = self._resolve(parts, double)
        if double:
            n = self.arrays.get(path, 0)
            self.arrays[path] = n + 1
            path = (*path, n)
        self.headers[path] = (start, self.i)
        self.keys.setdefault(path, (start, self.i))
        return path

    def _resolve(self, parts: list[str], double: bool) -> Path:
        """A header's path with the current element of every array of tables it passes through
        (the last part of a `[[header]]` is the array itself, not its current element)."""
        out: list[str | int] = []
        for k, part in enumerate(parts):
            out.append(part)
            if double and k == len(parts) - 1:
                break
            n = self.arrays.get(tuple(out))
            if n is not None:
                out.append(n - 1)
        return tuple(out)

    def run(self) -> None:
        t = self.t
        table: Path = ()
        while self.i < len(t):
            self.ws(newlines=True)
            if self.i >= len(t):
                break
            before = self.i
            if t[self.i] == "[":
                table = self.header()
            else:
                self.key_value(table)
            if self.i == before:
                self.i += 1


def _tag(value: object) -> str:
    for kind, tag in _TAGS.items():
        if type(value) is kind:
            return "tag:yaml.org,2002:" + tag
    if isinstance(value, (datetime.date, datetime.time)):
        return "tag:yaml.org,2002:timestamp"
    return "tag:yaml.org,2002:str"


class _Builder:
    def __init__(self, path: str, index: LineIndex, scanner: _Scanner) -> None:
        self.path = path
        self.index = index
        self.s = scanner

    def span(self, where: tuple[int, int] | None) -> Span:
        start, end = where or (0, 0)
        return self.index.span(self.path, start, end)

    def node(self, value: object, path: Path, fallback: tuple[int, int] | None) -> Node:
        where = self.s.values.get(path) or self.s.headers.get(path) or fallback
        if isinstance(value, dict):
            mapping = Mapping(self.span(where))
            for k, v in value.items():
                child = (*path, k)
                key_at = self.s.keys.get(child) or where
                key = Scalar(self.span(key_at), k, "tag:yaml.org,2002:str", "", k)
                mapping.items.append((key, self.node(v, child, key_at)))
            return mapping
        if isinstance(value, list):
            seq = Sequence(self.span(where))
            seq.items = [self.node(v, (*path, n), where) for n, v in enumerate(value)]
            return seq
        raw_at = self.s.values.get(path)
        raw = self.index.text[raw_at[0] : raw_at[1]] if raw_at else str(value)
        style = raw[:1] if raw[:1] in ("'", '"') else ""
        return Scalar(self.span(where), raw.strip("'\"") if style else raw, _tag(value), style, value)


class TomlError(ValueError):
    """TOML text that cannot be read: a syntax error (`syntax`, at the line and column tomllib names; 1, 1
    when it names none), or a document Python cannot build (an integer over its 4,300-digit limit, nesting
    too deep). `message` is tomllib's, without the position."""

    def __init__(self, message: str, line: int = 1, column: int = 1, syntax: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.syntax = syntax


def parse_toml(text: str) -> dict[str, Any]:
    """TOML text as `tomllib` reads it (the `tomli` package on Python 3.10, the same parser); TomlError
    for anything it refuses. Settings, the TOML config reader and the baseline's settings all read here."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: the same parser, as the tomli package (a dependency there)
        import tomli as tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _ERROR_AT.search(str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        raise TomlError(_ERROR_AT.sub("", str(exc)).strip(), line, col) from None
    except (ValueError, RecursionError) as exc:  # an integer over Python's 4,300-digit limit, nesting too deep
        raise TomlError(str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__, syntax=False) from None


def load_toml(path: str, text: str) -> Document:
    body = text.lstrip("\ufeff")
    try:
        data = parse_toml(body)
    except TomlError as exc:
        if not exc.syntax:
            raise LoadError(path, 1, 1, f"cannot read this TOML: {exc.message}", "the trainer cannot read this file either") from None
        raise LoadError(path, exc.line, exc.column, f"invalid TOML: {exc.message}", "fix the syntax; the trainer cannot read this file either") from None
    index = LineIndex(text)
    scanner = _Scanner(text)
    scanner.i = len(text) - len(body)
    try:
        scanner.run()
    except (ValueError, IndexError):
        pass  # tomllib read it, so the positions found so far stand; the rest fall back to their table
    root = _Builder(path, index, scanner).node(data, (), (0, 0))
    comments = [Comment(index.position(a)[0], index.position(a)[1], text[a:b], index.span(path, a, b)) for a, b in scanner.comments]
    return Document(path, text, "toml", root, comments, [])

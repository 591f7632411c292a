"""Strict JSON -> node tree with positions.

Strict like `json.load` (what accelerate uses for a DeepSpeed file): comments, trailing
commas, bare words and integers over Python's 4,300-digit limit are errors with a line and column.
Duplicate keys are recorded (json.load keeps the last one silently; DeepSpeed's own loader rejects
them). Nesting deeper than MAX_DEPTH is an error from the parser's own depth check, before Python's
recursion limit. As in YAML (loading/yaml.py), an array keeps its first MAX_SEQUENCE_ITEMS items
(the rest are checked by the C scanner), and a file with more than MAX_NODES values is only
checked for syntax.
"""

from __future__ import annotations

import json
import re

from batchlint.loading.nodes import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_SEQUENCE_ITEMS,
    Document,
    DuplicateKey,
    LoadError,
    Mapping,
    Node,
    Scalar,
    Sequence,
    int_digit_limit,
)
from batchlint.loading.text import LineIndex

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')


class _Parser:
    def __init__(self, path: str, text: str, start: int) -> None:
        self.path = path
        self.text = text
        self.pos = start
        self.index = LineIndex(text)
        self.duplicates: list[DuplicateKey] = []
        self.nodes = 0

    def fail(self, message: str, at: int | None = None) -> LoadError:
        line, col = self.index.position(self.pos if at is None else at)
        return LoadError(self.path, line, col, f"invalid JSON: {message}", "json.load (used by accelerate) rejects this; fix the syntax")

    def ws(self) -> None:
        m = _WS.match(self.text, self.pos)
        assert m is not None
        self.pos = m.end()
        if self.text.startswith(("//", "/*", "#"), self.pos):
            raise self.fail("comments are not allowed in JSON")

    def value(self, path: str, depth: int) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooManyNodes
        self.ws()
        text = self.text
        if self.pos >= len(text):
            raise self.fail("unexpected end of file")
        ch = text[self.pos]
        start = self.pos
        if ch in "{[" and depth >= MAX_DEPTH:  # `depth` containers hold this one
            raise LoadError(
                self.path,
                *self.index.position(start),
                f"invalid JSON: nested too deeply (more than {MAX_DEPTH} levels)",
                "no training config nests this deep: check the file",
            )
        if ch == "{":
            return self.mapping(path, depth)
        if ch == "[":
            return self.sequence(path, depth)
        if ch == '"':
            m = _STRING.match(text, self.pos)
            if not m:
                raise self.fail("unterminated or invalid string")
            self.pos = m.end()
            body = m.group()
            text = body[1:-1] if "\\" not in body else json.loads(body)
            return Scalar(self.index.span(self.path, start, self.pos), text, "tag:yaml.org,2002:str", "json", text)
        m = _NUMBER.match(text, self.pos)
        if m and m.end() > start:
            self.pos = m.end()
            raw = m.group()
            if not (m.group(1) or m.group(2)) and len(raw.lstrip("-")) > int_digit_limit() > 0:
                raise LoadError(
                    self.path,
                    *self.index.position(start),
                    f"invalid JSON: an integer with {len(raw.lstrip('-'))} digits; json.load reads at most {int_digit_limit()} (ValueError)",
                    "no batch value is this large: fix the number",
                )
            number: object = float(raw) if (m.group(1) or m.group(2)) else int(raw)
            tag = "float" if isinstance(number, float) else "int"
            return Scalar(self.index.span(self.path, start, self.pos), raw, "tag:yaml.org,2002:" + tag, "json", number)
        for word, val, tag in (("true", True, "bool"), ("false", False, "bool"), ("null", None, "null")):
            if text.startswith(word, self.pos):
                self.pos += len(word)
                return Scalar(self.index.span(self.path, start, self.pos), word, "tag:yaml.org,2002:" + tag, "json", val)
        word_m = re.compile(r"[^\s,:\]\}]+").match(text, self.pos)
        word = word_m.group() if word_m else ch
        raise self.fail(f"unexpected {word!r}" + (" (a template placeholder?)" if word.isidentifier() else ""))

    def mapping(self, path: str, depth: int) -> Mapping:
        start = self.pos
        self.pos += 1
        node = Mapping(self.index.span(self.path, start, start))
        seen: dict[str, Scalar] = {}
        self.ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
        else:
            while True:
                self.ws()
                if not self.text.startswith('"', self.pos):
                    raise self.fail("expected a quoted key" + (" (trailing comma?)" if self.text.startswith("}", self.pos) else ""))
                key = self.value(path, depth + 1)
                assert isinstance(key, Scalar)
                name = str(key.value)
                if name in seen:
                    self.duplicates.append(DuplicateKey(name, path, seen[name].span, key.span))
                else:
                    seen[name] = key
                self.ws()
                if not self.text.startswith(":", self.pos):
                    raise self.fail("expected ':' after the key")
                self.pos += 1
                child = self.value(f"{path}.{name}" if path else name, depth + 1)
                node.items.append((key, child))
                self.ws()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                    continue
                if self.text.startswith("}", self.pos):
                    self.pos += 1
                    break
                raise self.fail("expected ',' or '}'")
        node.span = self.index.span(self.path, start, self.pos)
        return node

    def sequence(self, path: str, depth: int) -> Sequence:
        start = self.pos
        self.pos += 1
        node = Sequence(self.index.span(self.path, start, start))
        self.ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
        else:
            while True:
                self.ws()
                if self.text.startswith("]", self.pos):
                    raise self.fail("trailing comma before ']'")
                if len(node.items) == MAX_SEQUENCE_ITEMS and self.skip_rest(start):
                    break
                node.items.append(self.value(f"{path}[{len(node.items)}]", depth + 1))
                self.ws()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                    continue
                if self.text.startswith("]", self.pos):
                    self.pos += 1
                    break
                raise self.fail("expected ',' or ']'")
        node.span = self.index.span(self.path, start, self.pos)
        return node

    def skip_rest(self, start: int) -> bool:
        """Past MAX_SEQUENCE_ITEMS items: the C scanner reads the whole array (True: self.pos is past it),
        or False when only this parser can say what is wrong with it."""
        try:
            _, end = _STRICT.raw_decode(self.text, start)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.msg, exc.pos) from None
        except (ValueError, RecursionError):
            return False
        self.pos = end
        return True


class _TooManyNodes(Exception):
    pass


def _reject_constant(word: str) -> object:
    raise json.JSONDecodeError(f"unexpected {word!r}", word, 0)


_STRICT = json.JSONDecoder(parse_constant=_reject_constant)


# Top-level keys of the JSON files batchlint reads (accelerate configs, DeepSpeed configs, trainer
# arguments). Any other JSON — package data, schemas, tsconfig — is only checked for syntax, by the
# C parser, and never turned into a positioned tree.
RELEVANT_KEYS = frozenset(
    {
        "distributed_type",
        "compute_environment",
        "num_processes",
        "train_batch_size",
        "train_micro_batch_size_per_gpu",
        "gradient_accumulation_steps",
        "zero_optimization",
        "per_device_train_batch_size",
        "micro_batch_size",
        "batch_size",
        "global_train_batch_size",
        "fp16",
        "bf16",
        "train",
        "data",
        "solver",
        "datasets",
    }
)


def _worth_positions(text: str) -> bool:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return True  # let the strict parser say where and why
    return isinstance(data, dict) and not RELEVANT_KEYS.isdisjoint(data)


def _valid_by_c_parser(text: str) -> bool:
    try:
        _STRICT.decode(text)  # NaN / Infinity refused: the strict parser says where
    except (ValueError, RecursionError):
        return False
    return True


def load_json(path: str, text: str, syntax_only: bool = False) -> Document:
    """The positioned tree; with `syntax_only` (a file the prefilter found nothing in) only the
    syntax, by the C parser (the strict parser runs only to say where a broken file breaks)."""
    if syntax_only and _valid_by_c_parser(text.lstrip("\ufeff")):
        return Document.syntax_checked(path, text, "json")
    if len(text) > 65536 and not _worth_positions(text.lstrip("\ufeff")):
        return Document.syntax_checked(path, text, "json")
    start = 1 if text.startswith("\ufeff") else 0
    parser = _Parser(path, text, start)
    parser.ws()
    if parser.pos >= len(text):
        return Document(path, text, "json", None, [], [])
    try:
        root = parser.value("", 0)
    except _TooManyNodes:
        return _checked_only(path, text, start)
    parser.ws()
    if parser.pos < len(text):
        raise parser.fail("extra data after the top-level value")
    return Document(path, text, "json", root, [], parser.duplicates)


def _checked_only(path: str, text: str, start: int) -> Document:
    """A file with more values than MAX_NODES: the C scanner checks it, nothing is kept."""
    parser = _Parser(path, text, start)
    try:
        _, end = _STRICT.raw_decode(text, start + len(text[start:]) - len(text[start:].lstrip(" \t\r\n")))
    except json.JSONDecodeError as exc:
        raise parser.fail(exc.msg, exc.pos) from None
    except (ValueError, RecursionError) as exc:
        raise parser.fail(str(exc).split(";")[0], start) from None
    parser.pos = end
    parser.ws()
    if parser.pos < len(text):
        raise parser.fail("extra data after the top-level value")
    return Document.syntax_checked(path, text, "json")

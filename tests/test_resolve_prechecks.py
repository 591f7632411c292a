"""The interpolation grammar answers without compiling a pattern for the common shapes (a key path without
brackets, a reference without a colon, a word as a resolver argument, a string with neither a dot nor an
exponent): each answer is the pattern's, on generated text and on the shapes that are close calls."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint import resolve
from batchlint.resolve import Call, GrammarError, NodeRef

# Characters the patterns treat specially, digits and spaces of other scripts among them (`\d`, `\s`).
TRICKY = st.text(alphabet="abeEINFnaf_.-+0123456789:,'\" \t\n[]\u0661\u00a0\u2003İ", max_size=12)
TEXT = st.one_of(TRICKY, st.text(max_size=12))


def _key_path_by_pattern(text: str) -> tuple[str | int, ...]:
    return tuple(int(idx) if idx else name for name, idx in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text))


def _primitive_by_pattern(text: str) -> object:
    t = text.strip()
    low = t.lower()
    if low == "null":
        return None
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"[-+]?\d[\d_]*", t):
        return int(t.replace("_", ""))
    if re.fullmatch(r"[-+]?(\d[\d_]*)?\.?\d[\d_]*([eE][-+]?\d+)?|[-+]?(inf|nan)", low):
        try:
            return float(t.replace("_", ""))
        except ValueError:
            return t
    return t


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and (a == b or (a != a and b != b))  # (nan is nan's)


CLOSE_CALLS = [
    "a.b.c",
    ".a..b.",
    "",
    ".",
    "a[0].b",
    "a]b",
    "x_1",
    "_1",
    "inf",
    "INF",
    "Nan",
    "nan1",
    "1e5",
    "1_000",
    "+1",
    "-.5",
    "١٢",
    "İnf",
    "a b",
    "a\u00a0b",
]
CLOSE_CALLS += [
    ".nan",
    ".NaN",
    ".NAN",
    "-.inf",
    ".Inf",
    "./data/",
    "1:30.5",
    "1.",
    "1.e",
    "1.e+",
    "1.e5",
    "+1.5e-3",
    "1e",
    "1e+",
    "1.5\n",
    "1E5",
    "1e5E3",
    "1_0.5",
    "1.5.",
    "1e1.5",
    "\u0661.5",
    "-1e-5",
    "1.\u0665",
]


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_a_key_path_is_split_as_the_pattern_splits_it(text: str) -> None:
    assert resolve.parse_key_path.__wrapped__(text) == _key_path_by_pattern(text)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_a_resolver_argument_is_typed_as_the_patterns_type_it(text: str) -> None:
    assert _same(resolve.primitive(text), _primitive_by_pattern(text)), text


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_an_omegaconf_float_is_recognised_as_the_pattern_recognises_it(text: str) -> None:
    by_pattern = bool(text) and text[0] in "-+.0123456789" and re.match(resolve._OMEGACONF_FLOAT_PATTERN, text, re.X) is not None
    assert resolve._is_omegaconf_float(text) == by_pattern


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(alphabet="aZ_.:,'\" \t\u00a0\u2003İ1\u0661", max_size=10), st.text(max_size=10).filter(lambda t: not set(t) & set("${}"))))
def test_a_reference_is_read_as_the_patterns_read_it(inner: str) -> None:
    """A resolver call when the call pattern matches; otherwise a key, refused when the key pattern finds a
    space, colon, comma or quote in it (no `${` nor braces here: nested interpolations are parsed apart)."""
    call = re.match(r"\s*([A-Za-z_][\w.]*)\s*:", inner)
    stripped = inner.strip()
    key = stripped[len(stripped) - len(stripped.lstrip(".")) :]
    try:
        parsed = resolve._parse_inner(inner)
    except GrammarError as exc:
        assert call is None
        assert not stripped or (re.search(r"[\s:,'\"]", key) is not None and "invalid key" in str(exc))
    else:
        assert (call is not None) == (not isinstance(parsed, NodeRef))
        assert call is None or (isinstance(parsed, Call) and parsed.name == call.group(1))
        assert call is not None or re.search(r"[\s:,'\"]", key) is None


@pytest.mark.parametrize("text", CLOSE_CALLS)
def test_close_calls(text: str) -> None:
    assert resolve.parse_key_path.__wrapped__(text) == _key_path_by_pattern(text)
    assert _same(resolve.primitive(text), _primitive_by_pattern(text))
    by_pattern = bool(text) and text[0] in "-+.0123456789" and re.match(resolve._OMEGACONF_FLOAT_PATTERN, text, re.X) is not None
    assert resolve._is_omegaconf_float(text) == by_pattern

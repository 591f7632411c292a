"""The implicit tag PyYAML's safe resolver gives a plain scalar, for the common shapes without its patterns.

`yaml.resolver.Resolver.resolve` tries, by the scalar's first character, the patterns of the YAML 1.1
types (bool, float, int, merge, null, timestamp, value); compiling them costs about 1 ms, which a
one-file run pays as soon as a value starts with a digit or with one of `yYnNtTfFoO~`. The shapes below
get the tag those patterns give without compiling them (tests/loading/test_scalar_tags.py compares
both on many values); any other scalar goes to the resolver.
"""

from __future__ import annotations

from batchlint.loading.nodes import SAFE_INT_CHARS

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_P = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = _P + "str", _P + "int", _P + "float", _P + "bool", _P + "null"
_BOOL_WORDS = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF".split())
_NULL_WORDS = frozenset(("~", "null", "Null", "NULL", ""))
_RESOLVED_FIRST = frozenset("!&*+-.0123456789<=yYnNtTfFoO~")  # the first characters the resolver has patterns for


# Every character a YAML 1.1 int, float or timestamp pattern can hold once it starts with a digit or a
# sign, but for the letters of a `0x`/`0b` integer (handled apart): a value with another one is a string.
_NUMBER_CHARS = frozenset("0123456789_.:+-eETtZz \t")


def implicit_tag(value: str) -> str | None:
    """The tag of a plain scalar (the resolver's), or None for a shape left to the resolver. The bool and
    null words are the whole of their patterns; a letter they do not start is a string, and so is a dot or a
    sign that no digit, dot, inf or nan follows, and a `<`, `=`, `!`, `&` or `*` that is not the whole of
    `<<`, `=` or the one character; an optional sign and ASCII digits (`_` among them after the first) are
    an int unless the digits start with 0 (octal or a string: left to the resolver); `[sign] digits . [digits] [e sign digits]` is a
    float; `digits e [sign] digits` a string (YAML 1.1 floats need a dot); and so is a number-like value
    holding a character no number or timestamp pattern has (`3.6B`, `88%`, `0,1,2,3`), or two dots
    among digits alone (`127.0.0.1`, `23.1.0`)."""
    if "\n" in value:
        return None  # (a pattern's `$` also matches before a final newline)
    if value in _BOOL_WORDS:
        return BOOL
    if value in _NULL_WORDS:
        return NULL
    first = value[0]
    if first not in _RESOLVED_FIRST or first in "yYnNtTfFoO~":
        return STR
    if first in "<=!&*":
        return STR if value not in ("<<", "=", "!", "&", "*") else None
    second = value[1:2]
    if not second and first in ".+-":
        return STR
    if first == "." and second not in "0123456789iInN" or first in "+-" and second not in "0123456789.":
        return STR  # (a path, a flag) no number starts so
    if not value.isascii():
        return None
    number = value[1:] if first in "+-" else value
    if not number[:1].isdigit():
        return None
    if number.isdigit():
        return INT if number[0] != "0" or number == "0" else None
    if number[0] != "0" and number.replace("_", "").isdigit():
        return INT  # (`1_000`: the int pattern's `[1-9][0-9_]*`)
    if number[:2] not in ("0x", "0b") and not _NUMBER_CHARS.issuperset(number):
        return STR
    head, dot, tail = number.partition(".")
    if dot and head.isdigit():
        fraction, e, exponent = tail.partition("e") if "e" in tail else tail.partition("E")
        if (fraction == "" or fraction.isdigit()) and (not e or exponent[:1] in ("+", "-") and exponent[1:].isdigit()):
            return FLOAT
        if tail.count(".") >= 1 and tail.replace(".", "").isdigit():
            return STR  # (digits and two dots or more: no number, and no timestamp without a `-`)
    if first not in "+-":
        mantissa, e, exponent = value.lower().partition("e")
        digits = exponent[1:] if exponent[:1] in ("+", "-") else exponent
        if e and mantissa.isdigit() and digits.isdigit():
            return STR
    return None


def with_fast_path(resolve: Callable[[Any, str, tuple[bool, bool]], str]) -> Callable[[Any, str, tuple[bool, bool]], str]:
    """`resolve` (a safe resolver's, for plain scalars: `implicit[0]` true) answering the shapes above itself."""

    def fast(kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        return implicit_tag(value) or resolve(kind, value, implicit)

    return fast


SLOW = object()  # fast_value's answer for a value left to SafeConstructor
BOOL_VALUES = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


def fast_value(tag: str, raw: str) -> object:
    """The value SafeConstructor builds of `raw` under one of the common tags, without its dispatch
    (the same results; tests/loading/test_scalar_tags.py compares them), or SLOW for the rest."""
    if tag == STR:
        return raw
    if tag == INT:
        # A decimal: SafeConstructor takes out `_`, then the sign, then int() of the digits.
        digits = (raw[1:] if raw[:1] in ("+", "-") else raw).replace("_", "")
        if digits.isdigit() and (digits == "0" or digits[0] != "0") and len(raw) < SAFE_INT_CHARS:
            return int(raw.replace("_", ""))
        return SLOW  # (octal, hexadecimal, binary, sexagesimal, or more digits than int() may take)
    if tag == BOOL:
        return BOOL_VALUES.get(raw.lower(), SLOW)
    if tag == NULL:
        return None
    if tag == FLOAT:
        # SafeConstructor ends in float() of the text too, after taking out what float() refuses
        # (`_`, `:` sexagesimals, `.inf`, `.nan`): whenever float() reads the text as written, it agrees.
        try:
            return float(raw)
        except ValueError:
            return SLOW
    return SLOW

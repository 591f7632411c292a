"""The implicit tags loading/scalar_tags.py gives without PyYAML's patterns are the resolver's, and the
values it builds without SafeConstructor are SafeConstructor's."""

from __future__ import annotations

import random

import pytest
import yaml

from batchlint.loading.scalar_tags import FLOAT, INT, SLOW, fast_value, implicit_tag

RESOLVE = yaml.resolver.Resolver().resolve

WRITTEN = [
    *("768 0 00 07 0123 089 0.9 1.0 10. 00.5 .5 1e-5 1E5 1e+5 0e5 1234e-5 12e 1e-5e3 1_000 1.0e+5 1.0e5 +1 -1 -1.5 +.5 .inf -.inf .nan".split()),
    *("0x1F 0b101 0o7 1:30 190:20:30 1:30.5 2001-12-14 2001-12-14t21:59:43.10-05:00 2001-1-1 1e1.5".split()),
    *("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF y n tRue nO oN".split()),
    *("~ null Null NULL nULL none None ~x".split()),
    "",
    *("fp16 bf16 constant LOCAL_MACHINE MULTI_GPU all main static temp_convs ./checkpoints/sd1.5 /abs <<  = ! & * < =x".split()),
    *("./checkpoints .x . - -x +a -.inf -.5 --flag .Inf .nan .5e+3 -0x1f +0b1 -é .é".split()),
    "1 2",
    *("1.0e-4 1.0e-05 1.e-5 6.0e-4 -1.5e-3 +2.5E+2 1.0e4 1.0E5 -0 +0 -01 +12 -12_3 3.6B 5tb 3.x 88% 0,1,2,3 8 GPU".split()),
    *("127.0.0.1 23.1.0 1.2.3e-4 1..2 1.2. 0x1G 0b12 0xZZ 1:2:3 1_000.5e-3 2001-12-14T21:59 1.5z <x <<< == !x &x *x".split()),
    "true\n",
    "12\n",
    "١٢",
    "٣.٥",
    "1٢",
    "tést",
    "ñ",
    "𝟙𝟚",
]


def _tag(value: str) -> str:
    return str(RESOLVE(yaml.ScalarNode, value, (True, False)))


@pytest.mark.parametrize("value", WRITTEN)
def test_the_fast_tag_is_the_resolver_s(value: str) -> None:
    tag = implicit_tag(value)
    assert tag is None or tag == _tag(value)


def test_the_fast_tag_agrees_on_random_scalars() -> None:
    rng = random.Random(20261201)
    alphabet = "0123456789.eE+-_:xbo tTfFnNlLuUsSyY~a\n٣BZz%,<=!&*/"
    for _ in range(30_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        tag = implicit_tag(value)
        assert tag is None or tag == _tag(value), value


def test_the_fast_tag_agrees_on_random_numbers() -> None:
    """Values shaped like numbers, versions and addresses, where the patterns' details decide."""
    rng = random.Random(20261202)
    for _ in range(30_000):
        value = rng.choice(["", "-", "+"]) + "".join(rng.choice("0123456789.eE-+_xb:BZ%") for _ in range(rng.randint(1, 9)))
        tag = implicit_tag(value)
        assert tag is None or tag == _tag(value), value


def test_the_common_values_need_no_pattern() -> None:
    common = ["768", "0", "0.9", "7.5", "1e-5", "1e-2", "True", "false", "null", "", "fp16", "constant", "MULTI_GPU", "./checkpoints"]
    assert [v for v in common if implicit_tag(v) is None] == []


def _fast_ones(tag: str, samples: list[str]) -> int:
    """How many of `samples` fast_value builds under `tag`; each must be what SafeConstructor builds of it."""
    constructor = yaml.constructor.SafeConstructor()
    construct = constructor.construct_yaml_int if tag == INT else constructor.construct_yaml_float
    fast_ones = 0
    for raw in samples:
        fast = fast_value(tag, raw)
        if fast is SLOW:
            continue
        fast_ones += 1
        slow = construct(yaml.ScalarNode(tag, raw))
        assert type(fast) is type(slow) and repr(fast) == repr(slow), raw  # repr: -0.0 and nan compare as written
    return fast_ones


def test_fast_integers_are_safe_constructor_s() -> None:
    """fast_value's integers (signs, `_`) are the ones SafeConstructor builds of the same text."""
    rng = random.Random(20261203)
    samples = ["0", "-0", "+0", "7", "-12", "+12", "1_000", "-1_0", "1_", "_1", "+_1", "1__0", "007", "0x1f", "0b1", "1:30", "-", "+", "_", "9" * 599]
    samples += [rng.choice(["", "-", "+"]) + "".join(rng.choice("0123456789_") for _ in range(rng.randint(1, 8))) for _ in range(5000)]
    assert _fast_ones(INT, samples) > 2000


def test_fast_floats_are_safe_constructor_s() -> None:
    rng = random.Random(18)
    samples = ["0.9", "-0.0", "+1.5", "1.", "1.e+5", "._5", "1_000.5", "1:30.5", ".inf", "-.inf", ".nan", "inf", " 1.5", "１.５"]
    samples += ["".join(rng.choice("0123456789._-+eE:") for _ in range(rng.randint(1, 7))) for _ in range(5000)]
    assert _fast_ones(FLOAT, samples) > 500

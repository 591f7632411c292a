"""batchlint.strenum.StrEnum behaves as the standard library's `enum.StrEnum`: every enum of the model
is compared, behaviour by behaviour, with a standard twin built from the same names and values."""

from __future__ import annotations

import copy
import enum
import json
import multiprocessing
import pickle
import sys
import warnings
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import batchlint.model
from batchlint.strenum import StrEnum

OURS: list[type[StrEnum]] = [v for v in vars(batchlint.model).values() if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum]


def _standard(ours: type[StrEnum]) -> type[enum.StrEnum]:
    twin = enum.StrEnum(ours.__name__, [(m.name, m.value) for m in ours])  # type: ignore[misc]
    return twin


PAIRS = [(ours, _standard(ours)) for ours in OURS]
IDS = [ours.__name__ for ours in OURS]


def _outcome(call: Callable[[], object]) -> tuple[str, object]:
    """What a call gives: ("ok", a comparable result) or ("raises", the exception's type and message)."""
    try:
        result = call()
    except Exception as exc:  # noqa: BLE001 - the exception is the outcome compared
        return "raises", (type(exc), str(exc))
    if isinstance(result, enum.Enum | StrEnum):
        return "member", (type(result).__name__, result.name, result.value)
    return "ok", result


def test_the_model_has_its_enums() -> None:
    assert {c.__name__ for c in OURS} >= {"FactName", "Origin", "Severity", "Applicability", "ProblemKind", "TargetSource"}
    assert sum(len(c) for c in OURS) > 100


@pytest.mark.parametrize("ours,std", PAIRS, ids=IDS)
def test_iteration_order_names_values_and_lookups(ours: type[StrEnum], std: type[enum.StrEnum]) -> None:
    assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in std]
    assert [m.name for m in reversed(ours)] == [m.name for m in reversed(std)]  # type: ignore[call-overload]
    assert len(ours) == len(std)
    assert list(ours.__members__) == list(std.__members__)
    assert repr(ours) == repr(std) and bool(ours) is bool(std) is True
    for a, b in zip(ours, std, strict=True):
        assert ours(b.value) is a and ours(a) is a and ours[a.name] is a and getattr(ours, a.name) is a
        assert ours.__members__[a.name] is a
        assert type(a.value) is type(b.value) is str and type(a.name) is str
        assert (str(a), repr(a), f"{a}", "%s" % a, a + "!", a.upper()) == (str(b), repr(b), f"{b}", "%s" % b, b + "!", b.upper())  # noqa: UP031
        assert type(str(a)) is str and type(a + "!") is str
        assert isinstance(a, str) and isinstance(a, ours) and type(a) is ours
        assert a in ours and (b in std)
        assert bool(a) is bool(b)


@pytest.mark.parametrize("ours,std", PAIRS, ids=IDS)
def test_hashing_equality_and_order_are_the_values(ours: type[StrEnum], std: type[enum.StrEnum]) -> None:
    members = list(zip(ours, std, strict=True))
    for a, b in members:
        assert hash(a) == hash(b) == hash(a.value)
        assert a == a.value and a.value == a and not (a != a.value)
        assert {a.value: 1}[a] == 1 and {a: 1}[a.value] == 1 and a.value in {a} and a in {a.value}
        for c, d in members:
            assert (a == c, a < c, a <= c, a > c) == (b == d, b < d, b <= d, b > d)
            assert (a == d) == (a.value == d.value)  # equal to the standard member of the same value, as strings are
    assert [m.name for m in sorted(ours)] == [m.name for m in sorted(std)]


@given(st.data())
def test_format_specs_give_what_the_standard_gives(data: st.DataObject) -> None:
    ours, std = data.draw(st.sampled_from(PAIRS))
    i = data.draw(st.integers(0, len(ours) - 1))
    a, b = list(ours)[i], list(std)[i]
    spec = data.draw(st.from_regex(r"\A(.?[<>^=])?[+\- ]?#?0?\d{0,2},?(\.\d)?[sdxf%]?\Z") | st.text(max_size=6))
    assert _outcome(lambda: format(a, spec)) == _outcome(lambda: format(b, spec))
    assert _outcome(lambda: f"{a!r:{spec}}") == _outcome(lambda: f"{b!r:{spec}}".replace(type(b).__name__, type(a).__name__))


@given(st.data())
def test_lookup_by_any_value_gives_what_the_standard_gives(data: st.DataObject) -> None:
    ours, std = data.draw(st.sampled_from(PAIRS))
    values = [m.value for m in ours]
    value = data.draw(
        st.sampled_from(values)
        | st.sampled_from(values).map(str.upper)
        | st.sampled_from([m.name for m in ours])
        | st.text(max_size=12)
        | st.integers()
        | st.none()
        | st.lists(st.text(max_size=2), max_size=2)
        | st.sampled_from([b"file", 1.5, ("file",)])
    )
    assert _outcome(lambda: ours(value)) == _outcome(lambda: std(value))
    if isinstance(value, str):
        assert _outcome(lambda: ours[value]) == _outcome(lambda: std[value])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert _outcome(lambda: value in ours) == _outcome(lambda: value in std)


@pytest.mark.parametrize("ours,std", PAIRS, ids=IDS)
def test_json_is_the_value(ours: type[StrEnum], std: type[enum.StrEnum]) -> None:
    a, b = list(ours), list(std)
    for kwargs in ({}, {"ensure_ascii": False}, {"indent": 2, "sort_keys": True}):
        assert json.dumps(a, **kwargs) == json.dumps(b, **kwargs) == json.dumps([m.value for m in a], **kwargs)  # type: ignore[arg-type]
        assert json.dumps({m: m for m in a}, **kwargs) == json.dumps({m: m for m in b}, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("ours", OURS, ids=IDS)
def test_pickling_and_copying_give_the_member_itself(ours: type[StrEnum]) -> None:
    for member in ours:
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            assert pickle.loads(pickle.dumps(member, protocol)) is member
        assert copy.copy(member) is member and copy.deepcopy(member) is member
        nested = copy.deepcopy({"k": [member, (member,)]})
        assert nested["k"][0] is member and nested["k"][1][0] is member
    assert pickle.loads(pickle.dumps(ours)) is ours


def _members_of(name: str) -> list[StrEnum]:
    return list(getattr(batchlint.model, name))


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_members_sent_back_from_a_forked_worker_are_the_parents() -> None:
    with multiprocessing.get_context("fork").Pool(1) as pool:
        back = pool.map(_members_of, IDS)
    for ours, members in zip(OURS, back, strict=True):
        assert all(a is b for a, b in zip(members, ours, strict=True)) and len(members) == len(ours)


@pytest.mark.parametrize("ours,std", PAIRS, ids=IDS)
def test_members_and_their_names_cannot_be_changed(ours: type[StrEnum], std: type[enum.StrEnum]) -> None:
    a, b = next(iter(ours)), next(iter(std))
    for attr in ("name", "value"):
        assert _outcome(lambda: setattr(a, attr, "x"))[0] == _outcome(lambda: setattr(b, attr, "x"))[0] == "raises"  # noqa: B023 - called at once
        assert a.name == b.name and a.value == b.value
    assert _outcome(lambda: setattr(ours, a.name, "x")) == _outcome(lambda: setattr(std, b.name, "x"))
    assert _outcome(lambda: delattr(ours, a.name)) == _outcome(lambda: delattr(std, b.name))
    assert ours[a.name] is a
    for base in (std, ours):
        with pytest.raises(TypeError):

            class Sub(base):  # type: ignore[valid-type,misc]
                MORE = "more"


def _demo(base: type) -> type:
    class Demo(base):  # type: ignore[valid-type,misc]
        """A test enum."""

        FIRST = "first"
        SECOND = "second"
        ALSO_FIRST = "first"  # an alias
        _Demo__hidden = "not a member"  # a private name

        @property
        def shout(self) -> str:
            return str(self.value).upper()

        def pair(self, other: object) -> str:
            return f"{self}+{other}"

        @classmethod
        def kind(cls) -> str:
            return cls.__name__

        @staticmethod
        def helper() -> int:
            return 1

    return Demo


def test_aliases_private_names_properties_and_methods_as_the_standard() -> None:
    ours, std = _demo(StrEnum), _demo(enum.StrEnum)
    assert [m.name for m in ours] == [m.name for m in std] == ["FIRST", "SECOND"]
    assert list(ours.__members__) == list(std.__members__) == ["FIRST", "SECOND", "ALSO_FIRST"]
    assert ours.ALSO_FIRST is ours.FIRST and ours("first") is ours.FIRST and ours["ALSO_FIRST"] is ours.FIRST
    assert (repr(ours.ALSO_FIRST), ours._Demo__hidden) == (repr(std.ALSO_FIRST).replace("Demo", "Demo"), std._Demo__hidden)
    assert (ours.FIRST.shout, ours.FIRST.pair(ours.SECOND), ours.kind(), ours.helper()) == (
        std.FIRST.shout,
        std.FIRST.pair(std.SECOND),
        std.kind(),
        std.helper(),
    )
    assert ours.__doc__ == std.__doc__ == ours.FIRST.__doc__ == std.FIRST.__doc__
    assert _outcome(lambda: ours("nope")) == _outcome(lambda: std("nope"))


@pytest.mark.parametrize(
    "body,says",
    [
        ({"A": 1}, "1 is not a string"),
        ({"A": "a", "_missing_": classmethod(lambda cls, value: None)}, "'_missing_' is not supported"),
        ({"_ignore_": ["x"]}, "'_ignore_' is not supported"),
        ({"name": "n"}, "a member named 'name'"),
        ({"A": enum.auto()}, "is not a string"),
    ],
)
def test_what_it_does_not_support_is_refused_when_the_class_is_built(body: dict[str, object], says: str) -> None:
    with pytest.raises(TypeError, match=says):
        type(StrEnum)("Bad", (StrEnum,), body)

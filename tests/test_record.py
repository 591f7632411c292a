"""batchlint.record builds the core's records as the standard dataclasses would: every record of the
package is built both ways and compared, and the behaviours the code relies on are checked on both."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import pickle
import sys
import types
import typing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchlint import record
from tests.conftest import REPO

PACKAGE = REPO / "batchlint"


def _builds_records(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return path.name != "record.py" and "from batchlint.record import" in text and "\n@dataclass" in text


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _builds_records(p))


def _twin(path: Path) -> types.ModuleType:
    """The module at `path` loaded again with the standard dataclasses behind its record names."""
    standard = types.ModuleType("batchlint.record")
    for name in ("dataclass", "field", "replace", "fields", "asdict"):
        setattr(standard, name, getattr(dataclasses, name))
    standard.Generic, standard.T = typing.Generic, typing.TypeVar("T", covariant=True)  # type: ignore[attr-defined]
    spec = importlib.util.spec_from_file_location(f"twin_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = sys.modules["batchlint.record"]
    sys.modules["batchlint.record"] = standard
    sys.modules[module.__name__] = module  # dataclasses reads the module's globals
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules["batchlint.record"] = saved
        del sys.modules[module.__name__]
    return module


def _records(module: types.ModuleType) -> dict[str, type]:
    return {name: value for name, value in vars(module).items() if isinstance(value, type) and value.__module__ == module.__name__}


def _parameters(cls: type) -> list[tuple[str, str, str]]:
    return [(p.name, str(p.kind), repr(p.default)) for p in inspect.signature(cls.__init__).parameters.values()]


def test_the_core_builds_its_records_here() -> None:
    assert {p.stem for p in MODULES} >= {"model", "options", "pair", "report", "settings", "sharding", "fixes", "engine"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_record_has_the_dataclass_signature_and_traits(path: Path) -> None:
    module = importlib.import_module("batchlint." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
    twin = _twin(path)
    built = {name: cls for name, cls in _records(module).items() if "__record_fields__" in vars(cls)}
    assert built, path
    for name, cls in built.items():
        standard = _records(twin)[name]
        assert dataclasses.is_dataclass(standard)
        assert _parameters(cls) == _parameters(standard), name
        assert [f.name for f in record.fields(cls)] == [f.name for f in dataclasses.fields(standard)]
        assert cls.__match_args__ == standard.__match_args__  # type: ignore[attr-defined]
        assert ("__slots__" in vars(cls)) == ("__slots__" in vars(standard)), name
        assert (cls.__hash__ is None) == (standard.__hash__ is None), name
        assert (cls.__setattr__ is object.__setattr__) == (standard.__setattr__ is object.__setattr__), name


def _pair(frozen: bool, slots: bool) -> list[type]:
    classes = []
    for dataclass, field in ((record.dataclass, record.field), (dataclasses.dataclass, dataclasses.field)):

        @dataclass(frozen=frozen, slots=slots)  # type: ignore[misc, operator]
        class Point:
            x: int
            y: int = 2
            tags: list[str] = field(default_factory=list)  # type: ignore[operator]

        classes.append(Point)
    return classes


@pytest.mark.parametrize(("frozen", "slots"), [(False, False), (True, False), (True, True), (False, True)])
def test_behaviour_matches_dataclasses(frozen: bool, slots: bool) -> None:
    ours, standard = _pair(frozen, slots)
    for cls in (ours, standard):
        a, b = cls(1), cls(1, 2)
        assert a == b and a != cls(1, 3) and (a == (1, 2, [])) is False
        assert a.tags is not b.tags  # a new list per instance
        assert repr(a).split("(", 1)[1] == "x=1, y=2, tags=[])"
        if frozen:
            assert hash(cls(1, 2, ("t",))) == hash(cls(1, 2, ("t",)))
            with pytest.raises(AttributeError):
                a.x = 5
            with pytest.raises(AttributeError):
                del a.x
        else:
            a.x = 5
            assert a.x == 5
            with pytest.raises(TypeError):
                hash(a)
        with pytest.raises(TypeError):
            cls()
        assert hasattr(a, "__dict__") is not slots
    assert [p.name for p in inspect.signature(ours).parameters.values()] == ["x", "y", "tags"]


@pytest.mark.parametrize(("frozen", "slots"), [(False, False), (True, False), (True, True)])
def test_replace_asdict_and_pickle(frozen: bool, slots: bool) -> None:
    ours, _ = _pair(frozen, slots)
    globals()["Point"] = ours  # pickle finds the class by name
    ours.__qualname__ = "Point"
    try:
        a = ours(1, tags=["t"])
        b = record.replace(a, y=7)
        assert (b.x, b.y, b.tags) == (1, 7, ["t"]) and b.tags is a.tags
        assert record.asdict(a) == {"x": 1, "y": 2, "tags": ["t"]} and record.asdict(a)["tags"] is not a.tags
        assert pickle.loads(pickle.dumps(a)) == a
        with pytest.raises(TypeError):
            record.replace(a, z=1)
    finally:
        del globals()["Point"]


def test_post_init_and_inheritance() -> None:
    seen: list[int] = []

    @record.dataclass(frozen=True)
    class Base:
        a: int

        def __post_init__(self) -> None:
            seen.append(self.a)

    @record.dataclass(frozen=True)
    class Child(Base):
        b: str = "x"

    child = Child(3)
    assert (child.a, child.b, seen) == (3, "x", [3])
    assert [f.name for f in record.fields(Child)] == ["a", "b"]
    with pytest.raises(TypeError):
        record.dataclass(type("Bad", (), {"__annotations__": {"a": "int", "b": "int"}, "a": 1}))
    with pytest.raises(ValueError):
        record.dataclass(type("Mutable", (), {"__annotations__": {"a": "list[int]"}, "a": []}))


def _shape_class(dataclass: object, field: object, fields: list[tuple[str, str]], post_init: list[int] | None) -> type:
    """A class of `fields` ((name, "required" | "default" | "factory")) decorated by `dataclass`."""
    namespace: dict[str, object] = {"__annotations__": {name: "int" for name, _ in fields}, "__qualname__": "Shape", "__module__": __name__}
    for i, (name, kind) in enumerate(fields):
        if kind == "default":
            namespace[name] = i * 10
        elif kind == "factory":
            namespace[name] = field(default_factory=list)  # type: ignore[operator]
    if post_init is not None:
        namespace["__post_init__"] = lambda self: post_init.append(1)
    return dataclass(type("Shape", (), namespace))  # type: ignore[operator, no-any-return]


def _called(cls: type, args: tuple[object, ...], kwargs: dict[str, object]) -> tuple[str, object]:
    try:
        made = cls(*args, **kwargs)
    except TypeError as exc:
        return "TypeError", str(exc)
    return "made", tuple(getattr(made, name) for name in cls.__match_args__)  # type: ignore[attr-defined]


def _compile_init(cls: type, *args: object) -> None:
    """One instance made with COMPILE_AFTER at 1: from then on the class has its compiled `__init__`."""
    saved = record.COMPILE_AFTER
    record.COMPILE_AFTER = 1
    try:
        cls(*args)
    finally:
        record.COMPILE_AFTER = saved
    assert cls.__init__.__code__.co_filename.startswith("<record")  # type: ignore[misc]


@given(
    kinds=st.lists(st.sampled_from(["required", "default", "factory"]), max_size=8).map(lambda ks: sorted(ks, key=lambda k: k != "required")),
    frozen=st.booleans(),
    slots=st.booleans(),
    with_post_init=st.booleans(),
    positional=st.integers(0, 9),
    keywords=st.lists(st.integers(0, 9), max_size=4),
)
def test_the_first_and_the_compiled_init_behave_as_the_dataclass_one(
    kinds: list[str], frozen: bool, slots: bool, with_post_init: bool, positional: int, keywords: list[int]
) -> None:
    """Any shape of record, called with any arguments: the `__init__` built without compiling and the compiled
    one a class gets after COMPILE_AFTER instances give the same record (or the same TypeError, message and
    all), and what the standard dataclass gives."""
    fields = [(f"f{i}", kind) for i, kind in enumerate(kinds)]
    args = tuple(range(100, 100 + positional))
    kwargs = {f"f{i}" if i < len(fields) + 1 else "unknown": -i for i in keywords}
    seen: dict[str, list[int]] = {"first": [], "compiled": [], "standard": []}
    first = _shape_class(record.dataclass(frozen=frozen, slots=slots), record.field, fields, seen["first"] if with_post_init else None)
    compiled = _shape_class(record.dataclass(frozen=frozen, slots=slots), record.field, fields, seen["compiled"] if with_post_init else None)
    standard = _shape_class(dataclasses.dataclass(frozen=frozen, slots=slots), dataclasses.field, fields, seen["standard"] if with_post_init else None)
    _compile_init(compiled, *range(len(fields)))
    assert not first.__init__.__code__.co_filename.startswith("<record")  # type: ignore[misc]
    seen["compiled"].clear()
    assert _parameters(first) == _parameters(compiled) == _parameters(standard)
    outcome = _called(first, args, kwargs)
    assert outcome == _called(compiled, args, kwargs)
    expected = _called(standard, args, kwargs)
    assert outcome[0] == expected[0] and (outcome[0] == "TypeError" or outcome == expected), (outcome, expected)
    assert seen["first"] == seen["compiled"] == seen["standard"]
    given_names = {name for name, _ in fields[:positional]} | set(kwargs)
    for cls in (first, compiled):
        if outcome[0] == "made":
            one, two = cls(*args, **kwargs), cls(*args, **kwargs)
            for name, kind in fields:
                if kind == "factory" and name not in given_names:
                    assert getattr(one, name) == [] and getattr(one, name) is not getattr(two, name)  # a new list per instance


def test_a_class_made_often_gets_a_compiled_init_that_keeps_its_instances() -> None:
    @record.dataclass(frozen=True, slots=True)
    class Often:
        a: int
        b: list[int] = record.field(default_factory=list)  # type: ignore[assignment]

    first = Often.__init__
    made = [Often(i) for i in range(record.COMPILE_AFTER + 3)]
    assert Often.__init__ is not first and Often.__init__.__code__.co_filename.startswith("<record")  # type: ignore[misc]
    assert [m.a for m in made] == list(range(record.COMPILE_AFTER + 3)) and len({id(m.b) for m in made}) == len(made)
    assert made[0] == Often(0) and made[1] != Often(2)
    with pytest.raises(AttributeError):
        made[-1].a = 5  # type: ignore[misc]


def test_a_mutable_record_assigns_through_its_class_as_a_dataclass_does() -> None:
    for dataclass in (record.dataclass, dataclasses.dataclass):
        for compiled in (False, True):
            log: list[str] = []

            @dataclass  # type: ignore[operator]
            class Watched:
                a: int
                b: int = 2

                def __setattr__(self, name: str, value: object) -> None:
                    log.append(name)  # noqa: B023 - the class is used in this iteration only
                    object.__setattr__(self, name, value)

            if compiled and dataclass is record.dataclass:
                _compile_init(Watched, 0)
                log.clear()
            Watched(1)
            assert log == ["a", "b"], (dataclass, compiled)


def test_a_field_named_self_as_a_dataclass() -> None:
    for compiled in (False, True):
        made = []
        for dataclass in (record.dataclass, dataclasses.dataclass):

            @dataclass(frozen=True)  # type: ignore[operator]
            class Odd:
                self: int
                other: int = 2

            if compiled and dataclass is record.dataclass:
                _compile_init(Odd, 0)
            made.append((Odd(1).self, Odd(self=3, other=4).other, _parameters(Odd)))
        assert made[0] == made[1], made


@pytest.mark.parametrize("slots", [True, False])
def test_a_frozen_compiled_init_leaves_the_instance_of_its_own_class(slots: bool) -> None:
    """The compiled `__init__` of a frozen record stores fields through a twin class: the instance is of the
    record's class again before `__post_init__` sees it and after, still frozen; a subclass's instance that
    runs the record's `__init__` keeps its own class; a class with `__init_subclass__` gets no twin."""
    seen: list[type] = []

    @record.dataclass(frozen=True, slots=slots)
    class Point:
        x: int
        y: list[int] = record.field(default_factory=list)  # type: ignore[assignment]

        def __post_init__(self) -> None:
            seen.append(type(self))

    class Labelled(Point):  # (not a record: it runs Point's __init__)
        __slots__ = ()

    _compile_init(Point, 0)
    one, two = Point(1), Labelled(2, [3])
    assert type(one) is Point and type(two) is Labelled and seen[-2:] == [Point, Labelled]
    assert (one.x, one.y, two.x, two.y) == (1, [], 2, [3]) and one == Point(1) and one != two
    with pytest.raises(AttributeError):
        one.x = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        two.y = []  # type: ignore[misc]
    assert record.replace(Point(4, [5]), x=6) == Point(6, [5])

    subclassed: list[str] = []

    class Hooked:
        def __init_subclass__(cls) -> None:
            subclassed.append(cls.__qualname__)

    @record.dataclass(frozen=True, slots=slots)
    class Quiet(Hooked):
        x: int

    before = len(subclassed)
    _compile_init(Quiet, 0)
    assert Quiet(7).x == 7 and type(Quiet(7)) is Quiet and len(subclassed) == before  # (no twin made)

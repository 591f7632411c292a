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

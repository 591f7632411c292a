"""`dataclass`, `field`, `replace`, `fields` and `asdict` for the typed core, without `dataclasses`.

A pre-commit hook runs `batchlint check` on one file per commit. The standard `dataclasses` module
imports `inspect` (and with it `ast`, `dis`, `tokenize`), and builds each class with half a dozen
`exec` calls and, for `slots=True`, a second class: together about a sixth of the start-up. The
modules of the core import these names as

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        from dataclasses import dataclass, field
    else:
        from batchlint.record import dataclass, field

so that mypy checks them as the standard dataclasses they behave as, and the interpreter builds
them here: one `exec` per class, for `__init__`; `__repr__`, `__eq__` and `__hash__` are shared
functions. What is supported is what the core uses: `frozen`, `slots`, `eq` (default), defaults,
`field(default=..., default_factory=...)`, `__post_init__`, inheritance from another record, and
pickling (a frozen slotted record restores itself without its frozen `__setattr__`).
tests/test_record.py builds every record of the package both ways and compares them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class Generic:
    """`typing.Generic` at run time, without importing `typing`: `Fact[int]` is `Fact`."""

    __slots__ = ()

    def __class_getitem__(cls, item: object) -> type:
        return cls


T = None  # the type variable of `Generic[T]`, which this `Generic` ignores


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record (as `dataclasses.FrozenInstanceError`)."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: object = _Missing()


class _Factory:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


FACTORY: object = _Factory()  # the default of a parameter whose field has a default_factory


class Field:
    __slots__ = ("name", "default", "default_factory")

    def __init__(self, default: object = MISSING, default_factory: object = MISSING) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"


def field(*, default: object = MISSING, default_factory: object = MISSING) -> object:
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory)


def fields(record: object) -> tuple[Field, ...]:
    """The fields of a record class or instance, in order."""
    try:
        found: tuple[Field, ...] = record.__record_fields__  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError("must be called with a record type or instance") from None
    return found


def replace(record: object, /, **changes: object) -> object:
    """A copy of the record with `changes`, built by its `__init__` (as `dataclasses.replace`)."""
    for one in fields(record):
        if one.name not in changes:
            changes[one.name] = getattr(record, one.name)
    return type(record)(**changes)


def asdict(record: object) -> dict[str, object]:
    """The record's fields as a dict, nested records, lists, tuples and dicts copied (as `dataclasses.asdict`)."""
    return {one.name: _copied(getattr(record, one.name)) for one in fields(record)}


def _copied(value: object) -> object:
    if hasattr(type(value), "__record_fields__"):
        return asdict(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_copied(v) for v in value])  # type: ignore[arg-type]
    if isinstance(value, list | tuple):
        return type(value)(_copied(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_copied(k), _copied(v)) for k, v in value.items())
    import copy

    return copy.deepcopy(value)


def _is_classvar(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__qualname__", "")
    return isinstance(text, str) and (text.startswith(("ClassVar", "typing.ClassVar")) or text == "ClassVar")


def _repr(self: object) -> str:
    inner = ", ".join(f"{one.name}={getattr(self, one.name)!r}" for one in self.__record_fields__)  # type: ignore[attr-defined]
    return f"{type(self).__qualname__}({inner})"


def _values(self: object) -> tuple[object, ...]:
    return tuple(getattr(self, one.name) for one in self.__record_fields__)  # type: ignore[attr-defined]


def _eq(self: object, other: object) -> bool:
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented  # type: ignore[no-any-return]


def _hash(self: object) -> int:
    return hash(_values(self))


def _frozen(cls: type, names: frozenset[str]) -> tuple[Callable[[object, str, object], None], Callable[[object, str], None]]:
    """`__setattr__` and `__delattr__` of a frozen record (as dataclasses: any name on the class itself, fields on a subclass)."""

    def __setattr__(self: object, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self: object, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)

    return __setattr__, __delattr__


def _getstate(self: object) -> list[object]:
    return [getattr(self, one.name) for one in self.__record_fields__]  # type: ignore[attr-defined]


def _setstate(self: object, state: list[object]) -> None:
    for one, value in zip(self.__record_fields__, state, strict=True):  # type: ignore[attr-defined]
        object.__setattr__(self, one.name, value)


def _init(cls: type, every: list[Field], frozen: bool) -> Callable[..., None]:
    """The one generated function: `__init__` with the fields as parameters, in order."""
    scope: dict[str, object] = {"FACTORY": FACTORY, "__object_setattr": object.__setattr__}
    params: list[str] = []
    body: list[str] = []
    defaulted = False
    for i, one in enumerate(every):
        value = one.name
        if one.default_factory is not MISSING:
            scope[f"__factory{i}"] = one.default_factory
            params.append(f"{one.name}=FACTORY")
            value = f"__factory{i}() if {one.name} is FACTORY else {one.name}"
        elif one.default is not MISSING:
            scope[f"__default{i}"] = one.default
            params.append(f"{one.name}=__default{i}")
        elif defaulted:
            raise TypeError(f"non-default argument {one.name!r} follows default argument")
        else:
            params.append(one.name)
        defaulted = defaulted or one.default_factory is not MISSING or one.default is not MISSING
        body.append(f"    __object_setattr(self, {one.name!r}, {value})" if frozen else f"    self.{one.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), scope)  # noqa: S102 - names from the class's own annotations
    init: Callable[..., None] = scope["__init__"]  # type: ignore[assignment]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _build(cls: type, frozen: bool, slots: bool, eq: bool) -> type:
    every: list[Field] = []
    for base in reversed(cls.__mro__[1:]):
        for one in base.__dict__.get("__record_fields__", ()):
            every = [f for f in every if f.name != one.name] + [one]
    own: list[Field] = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        default = cls.__dict__.get(name, MISSING)
        one = default if isinstance(default, Field) else Field(default)
        if one.default is not MISSING and type(one.default).__hash__ is None:
            raise ValueError(f"mutable default {type(one.default)} for field {name} is not allowed: use default_factory")
        one.name = name
        own.append(one)
    every = [f for f in every if f.name not in {o.name for o in own}] + own
    added: dict[str, object] = {
        "__record_fields__": tuple(every),
        "__match_args__": tuple(f.name for f in every),
    }
    if "__repr__" not in cls.__dict__:
        added["__repr__"] = _repr
    if eq and "__eq__" not in cls.__dict__:
        added["__eq__"] = _eq
        if cls.__dict__.get("__hash__") is None:
            added["__hash__"] = _hash if frozen else None
    if frozen and slots:
        added["__getstate__"] = _getstate
        added["__setstate__"] = _setstate
    if slots:
        namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__") and k not in {o.name for o in own}}
        namespace.update(added, __slots__=tuple(o.name for o in own))  # a slot and a class attribute of one name cannot coexist
        built: type = type(cls)(cls.__name__, cls.__bases__, namespace)
        built.__qualname__ = cls.__qualname__
    else:
        built = cls
        for one in own:
            if isinstance(cls.__dict__.get(one.name), Field):
                if one.default is MISSING:
                    delattr(cls, one.name)
                else:
                    setattr(cls, one.name, one.default)
        for key, value in added.items():
            setattr(cls, key, value)
    if frozen:
        built.__setattr__, built.__delattr__ = _frozen(built, frozenset(f.name for f in every))  # type: ignore[assignment]
    built.__init__ = _init(built, every, frozen)  # type: ignore[misc]
    return built


def dataclass(cls: type | None = None, /, *, frozen: bool = False, slots: bool = False, eq: bool = True) -> object:
    """`@dataclass`, `@dataclass(frozen=True, slots=True)`: see the module's docstring."""

    def wrap(one: type) -> type:
        return _build(one, frozen, slots, eq)

    return wrap if cls is None else wrap(cls)

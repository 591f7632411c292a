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
them here, compiling nothing: `__init__` is one code object of this module with its parameters
renamed to the fields (a class made COMPILE_AFTER times gets a compiled one, faster per instance);
`__repr__`, `__eq__` and `__hash__` are shared functions. What is supported is what the core uses:
`frozen`, `slots`, `eq` (default), defaults, `field(default=..., default_factory=...)`,
`__post_init__`, inheritance from another record, and pickling (a frozen slotted record restores
itself without its frozen `__setattr__`). tests/test_record.py builds every record of the package
both ways and compares them, and both `__init__`s with the standard one for any shape of record.
"""

from __future__ import annotations

import builtins
import sys
from types import FunctionType

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


# A record's `__init__` is built without compiling anything (the first `compile` of a process alone costs
# ~0.8 ms, each record's another ~0.1 ms: a sixth of a one-file check's records and enums together); a class
# made this many instances of in one process gets a compiled one, a third faster per instance.
COMPILE_AFTER = 256


# The code of every record's first `__init__` (no docstring: it would be theirs): `_init` renames its
# parameters to the fields, and the arguments given are stored by the class's `__store`.
def _template(self: object) -> None:
    __store(self, locals())  # type: ignore[name-defined]  # noqa: F821 - in the globals `_init` gives it


def _init(cls: type, every: list[Field], frozen: bool) -> Callable[..., None]:
    """`__init__` with the fields as parameters, in order, their defaults as defaults (a factory's: FACTORY)."""
    names = tuple(one.name for one in every)
    defaults: list[object] = []
    factories: dict[str, object] = {}
    for one in every:
        if one.default_factory is not MISSING:
            factories[one.name] = one.default_factory
            defaults.append(FACTORY)
        elif one.default is not MISSING:
            defaults.append(one.default)
        elif defaults:
            raise TypeError(f"non-default argument {one.name!r} follows default argument")
    assign = object.__setattr__ if frozen else setattr  # (a frozen record's own `__setattr__` refuses)
    post_init = hasattr(cls, "__post_init__")
    made = 0

    def __store(self: object, given: dict[str, object]) -> None:
        nonlocal made
        for name in names:
            value = given[name]
            if value is FACTORY and name in factories:
                value = factories[name]()  # type: ignore[operator]
            assign(self, name, value)
        if post_init:
            self.__post_init__()  # type: ignore[attr-defined]
        made += 1
        if made == COMPILE_AFTER:
            type.__setattr__(cls, "__init__", _compiled(cls, names, tuple(defaults), factories, frozen, post_init))

    qualname = f"{cls.__qualname__}.__init__"
    varnames = (_self_name(names), *names)
    changes: dict[str, object] = {"co_varnames": varnames, "co_argcount": len(varnames), "co_nlocals": len(varnames), "co_name": "__init__"}
    if sys.version_info >= (3, 11):
        changes["co_qualname"] = qualname
    code = _template.__code__.replace(**changes)  # type: ignore[arg-type]
    init = FunctionType(code, {"__builtins__": builtins, "__name__": cls.__module__, "__store": __store}, "__init__", tuple(defaults) or None)
    init.__qualname__ = qualname
    return init


def _self_name(names: tuple[str, ...]) -> str:
    """The name of `__init__`'s first parameter: `self`, unless a field has that name (as dataclasses)."""
    return "__dataclass_self__" if "self" in names else "self"


def _compiled(
    cls: type, names: tuple[str, ...], defaults: tuple[object, ...], factories: dict[str, object], frozen: bool, post_init: bool
) -> Callable[..., None]:
    """The same `__init__`, compiled: the fields stored by one statement each.

    A frozen record's instance of the class itself is, while its fields are stored, of `_twin(cls)`: the
    same layout without the frozen `__setattr__`, so that each field is a plain attribute store (an
    `object.__setattr__` call per field costs three times as much); its class is the record's again
    before `__post_init__` or anything else sees it. An instance of a subclass keeps the calls."""
    scope: dict[str, object] = {"FACTORY": FACTORY, "__object_setattr": object.__setattr__, "__type": type, "__cls": cls}
    body: list[str] = []
    me = _self_name(names)
    values: list[tuple[str, str]] = []
    for i, name in enumerate(names):
        value = name
        if name in factories:
            scope[f"__factory{i}"] = factories[name]
            value = f"__factory{i}() if {name} is FACTORY else {name}"
        values.append((name, value))
    twin = _twin(cls) if frozen and names else None
    if twin is not None:
        scope["__twin"] = twin
        body.append(f"    if __type({me}) is __cls:")
        body.append(f"        __object_setattr({me}, '__class__', __twin)")
        body.extend(f"        {me}.{name} = {value}" for name, value in values)
        body.append(f"        {me}.__class__ = __cls")
        body.append("    else:")
        body.extend(f"        __object_setattr({me}, {name!r}, {value})" for name, value in values)
    else:
        body.extend(f"    __object_setattr({me}, {name!r}, {value})" if frozen else f"    {me}.{name} = {value}" for name, value in values)
    if post_init:
        body.append(f"    {me}.__post_init__()")
    source = f"def __init__({', '.join((me, *names))}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), scope)  # noqa: S102 - names from the class's own annotations
    init: Callable[..., None] = scope["__init__"]  # type: ignore[assignment]
    init.__defaults__ = defaults or None
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _twin(cls: type) -> type | None:
    """A subclass of a frozen record with its layout (no slot, no `__dict__` of its own) and the plain
    `__setattr__`, for `__init__` to store fields through; None for a class whose subclassing could run
    code of its own (a metaclass, `__init_subclass__`)."""
    if type(cls) is not type or any("__init_subclass__" in base.__dict__ for base in cls.__mro__[:-1]):
        return None
    namespace = {"__slots__": (), "__setattr__": object.__setattr__, "__delattr__": object.__delattr__, "__module__": cls.__module__}
    twin = type(cls.__name__, (cls,), namespace)
    twin.__qualname__ = cls.__qualname__
    return twin


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

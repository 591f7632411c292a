"""`StrEnum` for the typed core, built without `enum`'s class machinery.

A pre-commit hook runs `batchlint check` on one file per commit. `enum.EnumType` builds each class
through a custom namespace, a descriptor per member and several passes over the members: the model's
enums (about 120 members) cost about 2 ms of every start-up that way. The modules import the name as

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        from enum import StrEnum
    else:
        from batchlint.strenum import StrEnum

so that mypy checks them as the standard `enum.StrEnum` they behave as, and the interpreter builds
them here, in one pass. What a member does is what a standard `StrEnum` member does: it is a `str`
(equal to, hashing as, ordering as, formatting and printing as, and serialised to JSON as its
value); `repr` is `<Class.NAME: 'value'>`; `Class(value)` gives the member itself (`is`), a member
too, and a `ValueError` naming the class for anything else; `Class[name]`, iteration in definition
order (aliases left out, as the standard one does), `len`, `__members__`; `name` and `value` are
read-only; members cannot be reassigned or deleted; a class with members cannot be subclassed;
pickling and `copy`/`deepcopy` give the member itself; `x in Class` is the running Python's (a
non-member is a TypeError before 3.12, then in the class when it is a member's value; an unhashable
one is not in it, as 3.13 says). What is not supported is refused when the
class is built: `_sunder_` names (`_missing_`, `_ignore_`, ...), `auto()` (a value that is not a
`str`), a member called `name` or `value`. tests/test_strenum.py compares every behaviour with the
standard `StrEnum`'s.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


def _is_descriptor(value: object) -> bool:
    kind = type(value)
    return hasattr(kind, "__get__") or hasattr(kind, "__set__") or hasattr(kind, "__delete__")


class EnumType(type):
    """The metaclass (named as the standard one, which errors name): members are made once, when the class is built."""

    _member_map_: dict[str, StrEnum]
    _member_names_: list[str]
    _value2member_map_: dict[str, StrEnum]

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> EnumType:
        members: list[tuple[str, str]] = []
        body: dict[str, object] = {}
        private = f"_{name.lstrip('_')}__"
        for key, value in namespace.items():
            if key[:2] == "__" and key[-2:] == "__":
                body[key] = value
            elif key[:1] == "_" and key[-1:] == "_":
                raise TypeError(f"{name}: {key!r} is not supported by batchlint.strenum")
            elif key.startswith(private) or _is_descriptor(value):
                body[key] = value
            elif not isinstance(value, str):
                raise TypeError(f"{value!r} is not a string")
            elif key in ("name", "value"):
                raise TypeError(f"{name}: a member named {key!r} is not supported by batchlint.strenum")
            else:
                members.append((key, value))
        for base in bases:
            if getattr(base, "_member_names_", None):
                raise TypeError(f"{name} cannot extend {base!r}")
        cls = super().__new__(mcls, name, bases, body)
        member_map: dict[str, StrEnum] = {}
        names: list[str] = []
        by_value: dict[str, StrEnum] = {}
        new = str.__new__
        for key, value in members:
            member = by_value.get(value)
            if member is None:  # (a second name for a value is an alias of the first member)
                member = new(cls, value)  # type: ignore[arg-type]
                member.__dict__.update(_value_=str(value), _name_=key, __objclass__=cls, _sort_order_=len(names))
                by_value[value] = member
                names.append(key)
            member_map[key] = member
            type.__setattr__(cls, key, member)
        type.__setattr__(cls, "_member_map_", member_map)
        type.__setattr__(cls, "_member_names_", names)
        type.__setattr__(cls, "_value2member_map_", by_value)
        return cls

    def __call__(cls, value: object) -> StrEnum:
        try:
            return cls._value2member_map_[value]  # type: ignore[index]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: none is a member's
            pass
        if not cls._member_map_:
            raise TypeError(f"{cls!r} has no members defined")
        raise ValueError(f"{value!r} is not a valid {cls.__qualname__}")

    def __bool__(cls) -> bool:
        return True

    def __contains__(cls, member: object) -> bool:
        if isinstance(member, StrEnum):
            return isinstance(member, cls) and member._name_ in cls._member_map_
        if sys.version_info >= (3, 12):  # a member's value is in the class too
            try:
                return member in cls._value2member_map_
            except TypeError:
                return False
        import warnings

        warnings.warn(
            "in 3.12 __contains__ will no longer raise TypeError, but will return True or\n"
            "False depending on whether the value is a member or the value of a member",
            DeprecationWarning,
            stacklevel=2,
        )
        raise TypeError(f"unsupported operand type(s) for 'in': '{type(member).__qualname__}' and '{type(cls).__qualname__}'")

    def __getitem__(cls, name: str) -> StrEnum:
        return cls._member_map_[name]

    def __iter__(cls) -> Iterator[StrEnum]:
        return (cls._member_map_[name] for name in cls._member_names_)

    def __reversed__(cls) -> Iterator[StrEnum]:
        return (cls._member_map_[name] for name in reversed(cls._member_names_))

    def __len__(cls) -> int:
        return len(cls._member_names_)

    @property
    def __members__(cls) -> Mapping[str, StrEnum]:
        from types import MappingProxyType

        return MappingProxyType(cls._member_map_)

    def __repr__(cls) -> str:
        return f"<enum {cls.__name__!r}>"

    def __setattr__(cls, name: str, value: object) -> None:
        if name in cls.__dict__.get("_member_map_", {}):
            raise AttributeError(f"cannot reassign member {name!r}")
        super().__setattr__(name, value)

    def __delattr__(cls, name: str) -> None:
        if name in cls.__dict__.get("_member_map_", {}):
            raise AttributeError(f"{cls.__name__!r} cannot delete member {name!r}.")
        super().__delattr__(name)


class StrEnum(str, metaclass=EnumType):
    """Members are strings: see the module's docstring."""

    _name_: str
    _value_: str

    @property
    def name(self) -> str:
        return self._name_

    @property
    def value(self) -> str:
        return self._value_

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"

    __str__ = str.__str__
    __format__ = str.__format__
    __hash__ = str.__hash__

    def __reduce_ex__(self, protocol: object) -> tuple[type, tuple[str]]:
        return type(self), (self._value_,)

    def __copy__(self) -> StrEnum:
        return self

    def __deepcopy__(self, memo: object) -> StrEnum:
        return self

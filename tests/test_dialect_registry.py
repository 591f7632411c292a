"""The registry's tables (registry.ORDER, LINKED, PREFILTER_WORDS) say what the dialect modules declare:
they stand in for those modules, which are imported only when detection reaches them."""

from __future__ import annotations

import importlib
import pkgutil

import batchlint.dialects
from batchlint import prefilter
from batchlint.dialects import registry
from batchlint.dialects.base import Dialect

NOT_DIALECTS = {"base", "registry", "evidence", "generic", "shell_cli"}  # no declaration, or read by the engine itself


def _declared() -> set[tuple[str, str, str]]:
    found = set()
    for info in pkgutil.iter_modules(batchlint.dialects.__path__):
        if info.name in NOT_DIALECTS:
            continue
        module = importlib.import_module(f"batchlint.dialects.{info.name}")
        for attribute, value in vars(module).items():
            if isinstance(value, Dialect) and attribute.isupper():
                found.add((value.name, info.name, attribute))
    return found


def test_order_lists_every_declared_dialect_once() -> None:
    assert len(set(registry.ORDER)) == len(registry.ORDER)
    assert set(registry.ORDER) == _declared(), "update registry.ORDER: (name, module, attribute) of every built-in dialect"


def test_built_in_follows_order_and_by_name_finds_the_first() -> None:
    dialects = list(registry.built_in())
    assert [d.name for d in dialects] == [name for name, _, _ in registry.ORDER]
    assert registry.by_name("mcli") is dialects[[n for n, _, _ in registry.ORDER].index("mcli")]
    assert registry.by_name("no-such-dialect") is None
    assert list(registry.candidates())[-1] is dialects[-1]


def test_linked_and_prefilter_words_are_those_the_declarations_give() -> None:
    assert registry.LINKED == {link.dialect for d in registry.built_in() for link in d.links}
    assert registry.PREFILTER_WORDS == prefilter.built_in_words(), f"update registry.PREFILTER_WORDS to {prefilter.built_in_words()}"

"""Extract: a resolved config and its dialect's key map -> the facts of the file, with provenance."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, FactDict
from batchlint.loading.nodes import to_python
from batchlint.model import Caveat, Fact, FactName, Origin, ProblemKind, Semantics
from batchlint.resolve import ConfigTree, format_path, parse_key_path, reading_difference

_YAML11_BOOLEANS_WRITTEN_AS_SUCH = ("true", "false", "True", "False")


def extract_facts(tree: ConfigTree, dialect: Dialect) -> FactDict:
    """For each fact of the dialect, the first of its key paths present in the file (or its default)."""
    facts: FactDict = {}
    omegaconf = dialect.semantics == Semantics.OMEGACONF
    yaml11 = dialect.semantics == Semantics.YAML11
    readers = tree.readers
    for name, paths in dialect.keys_for(tree.doc.root).items():
        for dotted in paths:
            res = tree.get(dotted)
            if res is None:
                continue
            if res.problem is not None:
                facts[name] = Fact(name, None, Origin.FILE, dotted, res.problem.span, problem=res.problem.kind, unresolved=res.problem.message)
            elif res.container is not None:  # a list or mapping where a value belongs: its value, for the rules to judge (BL105)
                node = res.container
                facts[name] = Fact(name, to_python(node, 20), Origin.FILE, dotted, node.span, problem=ProblemKind.CONTAINER)
            else:
                assert res.origin is not None
                key = dotted if res.composite or res.origin_path is None else format_path(res.origin_path)
                note: str | None = None
                caveat: Caveat | None = None
                if omegaconf:
                    note = reading_difference(res.origin)
                    caveat = Caveat.OMEGACONF_READING if note else None
                if (
                    note is None
                    and yaml11
                    and res.origin.style == ""
                    and isinstance(res.value, bool)
                    and res.origin.raw not in _YAML11_BOOLEANS_WRITTEN_AS_SUCH
                ):
                    note = f"unquoted `{res.origin.raw}` is the boolean {res.value} to PyYAML (YAML 1.1), not a string"
                    caveat = Caveat.YAML11_BOOL
                # (other_readers finds none for a literal no interpolation reads: most of them)
                shared = tuple(tree.other_readers(res.origin, parse_key_path(dotted))) if id(res.origin) in readers else ()
                facts[name] = Fact(
                    name, res.value, Origin.FILE, key, res.origin.span, res.origin, tuple(res.hops), note, caveat=caveat, read_as=dotted, shared_with=shared
                )
            break
        else:
            if name in dialect.defaults:
                facts[name] = _default(dialect, name, tuple(paths))
    for name in dialect.defaults:
        if name not in facts and name not in dialect.keys:
            facts[name] = _default(dialect, name, None)
    return facts


# id(dialect) -> (the dialect, (fact, key paths or None) -> its default fact). A default fact is the same
# for every file of a dialect (facts are frozen), so it is built once, not once per file.
_DEFAULTS: dict[int, tuple[Dialect, dict[tuple[FactName, tuple[str, ...] | None], Fact[object]]]] = {}


def _default(dialect: Dialect, name: FactName, paths: tuple[str, ...] | None) -> Fact[object]:
    """The trainer's default for `name`: `paths` are its keys, none present (None: the trainer has no key for it)."""
    known = _DEFAULTS.get(id(dialect))
    if known is None or known[0] is not dialect:
        known = _DEFAULTS[id(dialect)] = (dialect, {})
    fact = known[1].get((name, paths))
    if fact is None:
        value = dialect.defaults[name]
        if paths is None:
            fact = Fact(name, value, Origin.DEFAULT, None, note=f"the trainer has no key for it: {value}")
        else:
            fact = Fact(name, value, Origin.DEFAULT, None, note=f"no {' / '.join(paths)} key: the training script's default {value} applies")
        known[1][(name, paths)] = fact
    return fact

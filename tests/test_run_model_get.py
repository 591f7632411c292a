"""RunModel.get (one dict lookup for the typed facts) against the tuple test and attribute read it replaced."""

from __future__ import annotations

from batchlint.model import DialectKind, Fact, FactName, Origin, RunModel, Semantics


def _old_get(run: RunModel, name: FactName) -> Fact[object] | None:
    if name in RunModel._FIELDS:
        return getattr(run, str(name))  # type: ignore[no-any-return]
    return run.extras.get(name)


def test_get_reads_every_fact_name_as_before() -> None:
    names = list(FactName)
    facts = {name: Fact(name, i, Origin.FILE, f"k{i}") for i, name in enumerate(names) if i % 3 != 1}  # some of each kind absent
    run = RunModel.build("c.yaml", "d", DialectKind.TRAINING, Semantics.YAML11, facts)
    assert any(name in RunModel._FIELDS for name in facts) and any(name not in RunModel._FIELDS for name in facts)
    for name in names:
        assert run.get(name) is _old_get(run, name) is facts.get(name), name
        assert run.get(FactName(str(name))) is facts.get(name)
    assert run.get("not_a_fact") is None  # type: ignore[arg-type]

"""BL005's look for an OmegaConf-read fact (before it walks the run's facts in order) sees every fact
`RunModel.facts` yields: a typed one, whichever it is, or an extra; the learning rate alone is no reason."""

from __future__ import annotations

import pytest

from batchlint.model import Caveat, DialectKind, Fact, FactName, Origin, RunModel, Semantics
from batchlint.rules.files import _omegaconf_caveat


def _run(name: FactName) -> RunModel:
    fact = Fact(name, 1.0e-5, Origin.FILE, "train.x", caveat=Caveat.OMEGACONF_READING, note="read as a float")
    other = Fact(FactName.WIDTH, 512, Origin.FILE, "width")  # a fact without the caveat
    return RunModel.build("c.yaml", "musev", DialectKind.TRAINING, Semantics.OMEGACONF, {name: fact, FactName.WIDTH: other})


@pytest.mark.parametrize("name", [*RunModel._FIELDS, FactName.GPU_IDS, FactName.MAX_TRAIN_STEPS])
def test_a_fact_read_differently_is_seen_wherever_the_run_keeps_it(name: FactName) -> None:
    run = _run(name)
    assert any(fact.caveat == Caveat.OMEGACONF_READING for fact in run.facts())
    assert _omegaconf_caveat(run)


def test_the_learning_rate_alone_is_no_reason() -> None:
    assert not _omegaconf_caveat(_run(FactName.LEARNING_RATE))

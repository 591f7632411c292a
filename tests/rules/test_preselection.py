"""The rules a file's runs select (`rules.checks`, from the registry's table and `needs_met`) report
what calling every selected rule on every file reports: a rule left out could not have reported."""

from __future__ import annotations

import pytest

from batchlint import rules
from batchlint.rules.base import DocumentRule, RunRule
from tests.test_cases import _cases, render


def _uncached(case: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The case's output with every file checked (none served from the cache a run before wrote)."""
    monkeypatch.setenv("BATCHLINT_NO_CACHE", "1")
    return render(case)


def _every_check(codes: tuple[str, ...], runs: object) -> tuple[tuple[object, object], ...]:
    """Every rule of `codes`, whatever the runs: its document check and its run check."""
    every = [rules.rule(code) for code in codes]
    return tuple((rule.check_document if isinstance(rule, DocumentRule) else None, rule.check_run if isinstance(rule, RunRule) else None) for rule in every)


@pytest.mark.parametrize("case", _cases())
def test_every_rule_called_reports_what_the_selected_ones_report(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    selected = _uncached(case, monkeypatch)
    monkeypatch.setattr("batchlint.engine.checks", _every_check)
    assert _uncached(case, monkeypatch) == selected

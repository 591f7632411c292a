"""The rule registry: every rule, by code. Codes are stable and never reused."""

from __future__ import annotations

from batchlint.rules.base import Diagnostic, FileContext, Rule
from batchlint.rules.batch import (
    IntentMismatch,
    InvalidBatchValue,
    ProcessCountUnknown,
    TargetNotReachable,
    TotalBelowTarget,
)
from batchlint.rules.files import (
    DuplicateKey,
    EmptyFile,
    IncludeError,
    InterpolationError,
    InvalidFile,
    ReadingDiffers,
)
from batchlint.rules.memory import AccumulationCouldShrink, BatchDoesNotFit, MainCardRisk, NoMemoryProfile

RULES: list[Rule] = [
    InvalidFile(), DuplicateKey(), IncludeError(), InterpolationError(), ReadingDiffers(), EmptyFile(),
    TotalBelowTarget(), IntentMismatch(), ProcessCountUnknown(), TargetNotReachable(), InvalidBatchValue(),
    AccumulationCouldShrink(), BatchDoesNotFit(), MainCardRisk(), NoMemoryProfile(),
]
BY_CODE = {rule.code: rule for rule in RULES}
BY_NAME = {rule.name: rule for rule in RULES}

__all__ = ["RULES", "BY_CODE", "BY_NAME", "Diagnostic", "FileContext", "Rule", "select_rules"]


def _matches(rule: Rule, pattern: str) -> bool:
    pattern = pattern.strip()
    return rule.code.startswith(pattern.upper()) or rule.name == pattern or pattern.upper() == "ALL"


def select_rules(select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """Like ruff: `select` by code, prefix or name (default all), then drop `ignore`."""
    chosen = [r for r in RULES if not select or any(_matches(r, p) for p in select)]
    return [r for r in chosen if not ignore or not any(_matches(r, p) for p in ignore)]


def unknown_selectors(patterns: list[str]) -> list[str]:
    return [p for p in patterns if not any(_matches(r, p) for r in RULES)]

"""The rule registry: every rule, by code. Codes are stable and never reused."""

from __future__ import annotations

from batchlint.rules.accelerate import ACCELERATE_RULES
from batchlint.rules.base import Diagnostic, DocumentRule, Rule, RunRule
from batchlint.rules.batch import (
    IntentMismatch,
    InvalidBatchValue,
    ProcessCountUnknown,
    TargetNotReachable,
    TotalBelowTarget,
)
from batchlint.rules.cross import CROSS_RULES
from batchlint.rules.deepspeed import DEEPSPEED_RULES
from batchlint.rules.drift import LearningRateNotScaled, TotalChanged
from batchlint.rules.files import (
    DuplicateKey,
    EmptyFile,
    IncludeError,
    InterpolationError,
    InvalidFile,
    ReadingDiffers,
    UnusedSuppression,
)
from batchlint.rules.fsdp import FSDP_RULES
from batchlint.rules.memory import AccumulationCouldShrink, BatchDoesNotFit, MainCardRisk, NoMemoryProfile
from batchlint.rules.schema import SchemaViolation

RULES: list[Rule] = [
    InvalidFile(), DuplicateKey(), IncludeError(), InterpolationError(), ReadingDiffers(), EmptyFile(), SchemaViolation(),
    UnusedSuppression(),
    TotalBelowTarget(), IntentMismatch(), ProcessCountUnknown(), TargetNotReachable(), InvalidBatchValue(),
    TotalChanged(), LearningRateNotScaled(),
    AccumulationCouldShrink(), BatchDoesNotFit(), MainCardRisk(), NoMemoryProfile(),
    *sorted([*ACCELERATE_RULES, *FSDP_RULES], key=lambda rule: rule.code), *DEEPSPEED_RULES, *CROSS_RULES,
]
BY_CODE = {rule.code: rule for rule in RULES}
BY_CODE.update({alias: rule for rule in RULES for alias in rule.aliases})
BY_NAME = {rule.name: rule for rule in RULES}

__all__ = ["RULES", "BY_CODE", "BY_NAME", "Diagnostic", "DocumentRule", "Rule", "RunRule", "select_rules"]


def _matches(rule: Rule, pattern: str) -> bool:
    pattern = pattern.strip()
    upper = pattern.upper()
    return (rule.code.startswith(upper) or rule.name == pattern or upper == "ALL"
            or any(alias.startswith(upper) for alias in rule.aliases))


def select_rules(select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """Like ruff: `select` by code, prefix or name (default all), then drop `ignore`."""
    chosen = [r for r in RULES if not select or any(_matches(r, p) for p in select)]
    return [r for r in chosen if not ignore or not any(_matches(r, p) for p in ignore)]


def unknown_selectors(patterns: list[str]) -> list[str]:
    return [p for p in patterns if not any(_matches(r, p) for r in RULES)]

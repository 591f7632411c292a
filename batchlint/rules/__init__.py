"""The rule registry: every rule, by code. Codes are stable and never reused."""

from __future__ import annotations

from batchlint.rules.accelerate import ACCELERATE_RULES
from batchlint.rules.accelerate_more import MORE_ACCELERATE_RULES
from batchlint.rules.base import Diagnostic, DocumentRule, Rule, RunRule
from batchlint.rules.batch import (
    IntentMismatch,
    InvalidBatchValue,
    LearningRateScaledByTotal,
    ProcessCountUnknown,
    TargetNotReachable,
    TotalAboveTarget,
    TotalBelowTarget,
)
from batchlint.rules.cross import CROSS_RULES
from batchlint.rules.cross_more import MORE_CROSS_RULES
from batchlint.rules.deepspeed import DEEPSPEED_RULES
from batchlint.rules.deepspeed_more import MORE_DEEPSPEED_RULES
from batchlint.rules.drift import LearningRateNotScaled, TotalChanged
from batchlint.rules.files import (
    DuplicateKey,
    EmptyFile,
    IncludeError,
    InterpolationError,
    InvalidFile,
    OutsideProject,
    ReadingDiffers,
    UnusedSuppression,
)
from batchlint.rules.fsdp import FSDP_RULES
from batchlint.rules.global_batch import GlobalBatchNotDivisible, LaunchConfigMissing, ParallelLayoutInvalid
from batchlint.rules.memory import AccumulationCouldShrink, BatchDoesNotFit, MainCardRisk, NoMemoryProfile
from batchlint.rules.schema import SchemaViolation

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.settings import Settings

RULES: list[Rule] = [
    InvalidFile(),
    DuplicateKey(),
    IncludeError(),
    InterpolationError(),
    ReadingDiffers(),
    EmptyFile(),
    SchemaViolation(),
    UnusedSuppression(),
    OutsideProject(),
    TotalBelowTarget(),
    IntentMismatch(),
    ProcessCountUnknown(),
    TargetNotReachable(),
    InvalidBatchValue(),
    TotalAboveTarget(),
    TotalChanged(),
    LearningRateNotScaled(),
    LearningRateScaledByTotal(),
    GlobalBatchNotDivisible(),
    ParallelLayoutInvalid(),
    LaunchConfigMissing(),
    AccumulationCouldShrink(),
    BatchDoesNotFit(),
    MainCardRisk(),
    NoMemoryProfile(),
    *sorted([*ACCELERATE_RULES, *FSDP_RULES, *MORE_ACCELERATE_RULES], key=lambda rule: rule.code),
    *sorted([*DEEPSPEED_RULES, *MORE_DEEPSPEED_RULES], key=lambda rule: rule.code),
    *sorted([*CROSS_RULES, *MORE_CROSS_RULES], key=lambda rule: rule.code),
]
BY_CODE = {rule.code: rule for rule in RULES}
BY_CODE.update({alias: rule for rule in RULES for alias in rule.aliases})
BY_NAME = {rule.name: rule for rule in RULES}

__all__ = [
    "RULES",
    "BY_CODE",
    "BY_NAME",
    "Diagnostic",
    "DocumentRule",
    "Rule",
    "RunRule",
    "check_selectors",
    "select_rules",
    "suggest_rule",
    "unknown_selectors",
]


def _matches(rule: Rule, pattern: str) -> bool:
    pattern = pattern.strip()
    upper = pattern.upper()
    return rule.code.startswith(upper) or rule.name == pattern or upper == "ALL" or any(alias.startswith(upper) for alias in rule.aliases)


def select_rules(select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """Like ruff: `select` by code, prefix or name (default all), then drop `ignore`."""
    chosen = [r for r in RULES if not select or any(_matches(r, p) for p in select)]
    return [r for r in chosen if not ignore or not any(_matches(r, p) for p in ignore)]


def unknown_selectors(patterns: list[str]) -> list[str]:
    return [p for p in patterns if not any(_matches(r, p) for r in RULES)]


def suggest_rule(pattern: str) -> str:
    """` (did you mean `BL204`?)` for a selector that names no rule, when a code or name is close; else ""."""
    from batchlint.rules.base import close_matches

    close = close_matches(pattern.strip().upper(), sorted(BY_CODE)) or close_matches(pattern.strip(), sorted(BY_NAME))
    return f" (did you mean `{close[0]}`?)" if close else ""


def check_selectors(settings: Settings) -> None:
    """Every rule code, prefix or name in a settings file's select / ignore / extend-select /
    per-file-ignores names a rule; otherwise a one-line SettingsError naming the file and the key."""
    from batchlint.settings import SettingsError

    if settings.selectors_checked:
        return
    for where, key, codes in settings.selectors:
        for bad in unknown_selectors(codes):
            raise SettingsError(f"{where}: {key}: unknown rule `{bad}`{suggest_rule(bad)} (see `batchlint rule --all`)")
    settings.selectors_checked = True

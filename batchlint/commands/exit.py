"""The one exit-code policy of every command that reports findings.

0: nothing at warning level or above (or --exit-zero); 1: findings at warning or error level, or a
fixed file with --exit-non-zero-on-fix; 2: usage, settings or internal error.
"""

from __future__ import annotations

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.report import Report

OK, FINDINGS, ERROR = 0, 1, 2


def exit_code(report: Report, *, exit_zero: bool, exit_non_zero_on_fix: bool = False, changed: bool = False) -> int:
    if report.internal_errors:
        return ERROR
    if exit_non_zero_on_fix and changed:
        return FINDINGS
    return FINDINGS if report.failing and not exit_zero else OK

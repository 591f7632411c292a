"""Rule documentation, from the rule classes' docstrings."""

from __future__ import annotations

import inspect

from batchlint.rules import Rule


def rule_text(rule: Rule) -> str:
    doc = inspect.cleandoc(type(rule).__doc__ or "")
    fix = "available" if rule.fixable else "none yet"
    return (f"# {rule.code} ({rule.name})\n\n"
            f"Severity: {rule.severity}. Fix: {fix}.\n\n{doc}")


def rule_json(rule: Rule) -> dict[str, object]:
    return {"code": rule.code, "name": rule.name, "summary": rule.summary, "severity": rule.severity,
            "fixable": rule.fixable, "explanation": inspect.cleandoc(type(rule).__doc__ or "")}

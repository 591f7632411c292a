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


def rules_markdown() -> str:
    """docs/rules.md: every rule's documentation, from the same docstrings `batchlint rule` prints."""
    from batchlint.rules import RULES

    lines = ["# batchlint rules", "",
             "Generated from the rules' docstrings by `python -m batchlint.output.rules > docs/rules.md`; "
             "a test fails when this file is stale. `batchlint rule CODE` prints the same text.", "",
             "| code | name | severity | fix | summary |", "|---|---|---|---|---|"]
    for rule in RULES:
        alias = f" (also {', '.join(rule.aliases)})" if rule.aliases else ""
        lines.append(f"| [{rule.code}](#{rule.code.lower()}){alias} | {rule.name} | {rule.severity} | "
                     f"{'yes' if rule.fixable else '—'} | {rule.summary} |")
    for rule in RULES:
        doc = inspect.cleandoc(type(rule).__doc__ or "")
        lines += ["", f"## {rule.code}", "", f"`{rule.name}` · {rule.severity} · fix: {'available' if rule.fixable else 'none'}"
                  + (f" · selected also by {', '.join(rule.aliases)}" if rule.aliases else ""), "", doc]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(rules_markdown())

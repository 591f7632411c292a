"""Rule documentation, from the rule classes' docstrings."""

from __future__ import annotations

import inspect

from batchlint.rules import Rule

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def rule_text(rule: Rule) -> str:
    doc = inspect.cleandoc(type(rule).__doc__ or "")
    fix = "available" if rule.fixable else "none yet"
    return f"# {rule.code} ({rule.name})\n\nSeverity: {rule.severity}. Fix: {fix}.\n\n{doc}"


def rule_json(rule: Rule) -> dict[str, object]:
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "severity": rule.severity,
        "fixable": rule.fixable,
        "explanation": inspect.cleandoc(type(rule).__doc__ or ""),
    }


def write_rules(rules: list[Rule], fmt: str, out: TextIO) -> None:
    """`batchlint rule`: the rules' documentation as text (`fmt` "text") or a JSON list."""
    if fmt == "json":
        import json

        json.dump([rule_json(r) for r in rules], out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write("\n\n".join(rule_text(r) for r in rules) + "\n")


def rules_markdown() -> str:
    """docs/rules.md: every rule's documentation, from the same docstrings `batchlint rule` prints."""
    from batchlint.rules import RULES

    lines = [
        "# batchlint rules",
        "",
        "Generated from the rules' docstrings by `python -m batchlint.output.rules > docs/rules.md`; "
        "a test fails when this file is stale. `batchlint rule CODE` prints the same text.",
        "",
        "| code | name | severity | fix | summary |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES:
        alias = f" (also {', '.join(rule.aliases)})" if rule.aliases else ""
        lines.append(f"| [{rule.code}](#{rule.code.lower()}){alias} | {rule.name} | {rule.severity} | {'yes' if rule.fixable else '—'} | {rule.summary} |")
    for rule in RULES:
        doc = inspect.cleandoc(type(rule).__doc__ or "")
        lines += [
            "",
            f"## {rule.code}",
            "",
            f"`{rule.name}` · {rule.severity} · fix: {'available' if rule.fixable else 'none'}"
            + (f" · selected also by {', '.join(rule.aliases)}" if rule.aliases else ""),
            "",
            doc,
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(rules_markdown())

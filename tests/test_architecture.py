"""The design the README claims, checked from the code: one-way imports, two kinds of rule that never
read raw text, facts looked up by name, settings typed from the field table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "batchlint"


def _module(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):  # function-level (lazy) imports count too
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target != "batchlint":
                    graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_lazy_imports_included() -> None:
    assert _cycle(_import_graph()) is None


def test_the_cycle_check_sees_a_lazy_import() -> None:
    graph = {"a": {"b"}, "b": {"a"}}
    assert _cycle(graph) == ["a", "b", "a"]


def test_every_rule_is_a_document_rule_or_a_run_rule() -> None:
    from batchlint.rules import RULES
    from batchlint.rules.base import DocumentRule, RunRule

    engine_level = {"BL008"}  # reported by suppression.py after every other rule ran
    for rule in RULES:
        if rule.code in engine_level:
            continue
        assert isinstance(rule, DocumentRule | RunRule), rule.code
        if isinstance(rule, DocumentRule):
            assert type(rule).check_document is not DocumentRule.check_document, rule.code
        if isinstance(rule, RunRule):
            assert type(rule).check_run is not RunRule.check_run, rule.code


RAW_TEXT_NAMES = {"text", "read_text", "find_comments", "LineIndex", "decode", "open"}


@pytest.mark.parametrize("path", sorted((PACKAGE / "rules").glob("*.py")), ids=lambda p: p.name)
def test_rules_never_read_raw_text(path: Path) -> None:
    """Rules get nodes, facts and views; text is the loaders' and the views' business."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "text":
            # The only `.text` a rule may touch is a Comment's or a shell Word's own text.
            base = node.value
            assert isinstance(base, ast.Name) and base.id in ("c", "comment", "word", "w"), f"{path.name}:{node.lineno} reads .text"
        if isinstance(node, ast.Name) and node.id in ("open", "read_text", "LineIndex", "find_comments"):
            pytest.fail(f"{path.name}:{node.lineno} uses {node.id}")
        if isinstance(node, ast.ImportFrom) and node.module in ("batchlint.loading.text", "batchlint.loading.yaml", "batchlint.loading.json"):
            pytest.fail(f"{path.name}:{node.lineno} imports a loader")


@pytest.mark.parametrize("path", sorted((PACKAGE / "rules").glob("*.py")), ids=lambda p: p.name)
def test_rules_look_facts_up_by_name_not_by_string(path: Path) -> None:
    from batchlint.model import FactName

    names = {f.value for f in FactName}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "int_fact", "value", "span"):
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and arg.value in names:
                    pytest.fail(f"{path.name}:{node.lineno}: {node.func.attr}({arg.value!r}) — use FactName")


def test_file_settings_has_one_typed_attribute_per_settings_field() -> None:
    from batchlint.record import fields
    from batchlint.settings import FIELDS, FileSettings

    attributes = {f.name for f in fields(FileSettings)} - {"path"}
    assert attributes == {name.replace("-", "_") for name in FIELDS}


def test_no_module_level_mutable_caches() -> None:
    """A Session carries what one invocation caches; module globals holding dicts/lists that code
    mutates would make check() non-reentrant. Constant tables are fine; caches are not."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        globals_mutated: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                globals_mutated.update(node.names)
        if globals_mutated:
            offenders.append(f"{path.relative_to(PACKAGE)}: global {', '.join(sorted(globals_mutated))}")
    assert offenders == []

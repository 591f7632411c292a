"""The command layer: one exit-code policy on every path, a CLI that only parses, public names only."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from batchlint.commands.exit import exit_code
from batchlint.loading.nodes import Span
from batchlint.model import Severity
from batchlint.report import Report
from batchlint.rules import Diagnostic
from tests.conftest import REPO
from tests.helpers import run_cli

PACKAGE = REPO / "batchlint"
TRAIN = "output_dir:\n  exp_dir: ./exp\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 1\n  gradient_accumulation_steps: 2\n"
LAUNCH = ("--num-processes", "8", "--target-total", "64")


def _report(*severities: str, internal: bool = False) -> Report:
    report = Report()
    span = Span("t.yaml", 1, 1, 1, 2, 0, 1)
    report.diagnostics = [Diagnostic("BL101", "total-below-target", Severity(s), "m", span) for s in severities]
    report.internal_errors = ["t.yaml: internal error RuntimeError: boom"] if internal else []
    return report


def test_exit_code_policy() -> None:
    assert exit_code(_report(), exit_zero=False) == 0
    assert exit_code(_report("info"), exit_zero=False) == 0
    assert exit_code(_report("info", "warning"), exit_zero=False) == 1
    assert exit_code(_report("error"), exit_zero=False) == 1
    assert exit_code(_report("error"), exit_zero=True) == 0
    # a fixed file counts only with --exit-non-zero-on-fix, and then even with --exit-zero
    assert exit_code(_report(), exit_zero=False, changed=True) == 0
    assert exit_code(_report(), exit_zero=True, exit_non_zero_on_fix=True, changed=True) == 1
    assert exit_code(_report(), exit_zero=False, exit_non_zero_on_fix=True, changed=False) == 0
    # an internal error wins over everything
    assert exit_code(_report("error", internal=True), exit_zero=True, exit_non_zero_on_fix=True, changed=True) == 2


@pytest.mark.parametrize(
    "args",
    [
        ("check", "t.yaml"),
        ("check", "--fix", "t.yaml"),
        ("check", "--diff", "t.yaml"),
        ("check", "--add-ignore", "t.yaml"),
        ("check", "--fix", "-", "--stdin-filename", "t.yaml"),
        ("inspect", "t.yaml"),
    ],
)
def test_an_internal_error_exits_2_with_one_line_on_every_path(args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from batchlint import engine

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    (tmp_path / "t.yaml").write_text(TRAIN, encoding="utf-8")
    monkeypatch.setattr(engine, "analyse", broken)
    monkeypatch.setattr("sys.stdin", io.StringIO(TRAIN))
    code, _, err = run_cli(*args, *LAUNCH, *(("--no-cache",) if args[0] == "check" else ()), cwd=tmp_path)
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("batchlint: error:")]
    assert errors == ["batchlint: error: t.yaml: internal error RuntimeError: boom"], err
    assert (tmp_path / "t.yaml").read_text(encoding="utf-8") == TRAIN  # nothing was written


def test_plan_reads_a_memory_profile_file(tmp_path: Path) -> None:
    (tmp_path / "profile.yaml").write_text("static_gib: 20\nper_sample_gib: 5\n", encoding="utf-8")
    code, out, err = run_cli(
        "plan", "--num-processes", "8", "--target-total", "64", "--gpu", "A100-80GB", "--memory-profile", "profile.yaml", "--format", "json", cwd=tmp_path
    )
    assert code == 0, err
    plan = json.loads(out)
    assert plan["memory"]["profile"]["name"] == "profile.yaml" and plan["memory"]["static_gib"] == 20.0
    assert plan["recommended"] is not None
    code, out, err = run_cli("plan", "--num-processes", "8", "--target-total", "64", "--gpu", "A100-80GB", "--memory-profile", "missing.yaml", cwd=tmp_path)
    assert (code, out) == (2, "") and err == "batchlint: error: memory profile missing.yaml:1:1: file not found\n"


def test_add_ignore_puts_the_comment_before_a_crlf(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_bytes(TRAIN.replace("\n", "\r\n").encode())
    code, out, err = run_cli("check", "--add-ignore", "t.yaml", *LAUNCH, "--ignore", "BL204", cwd=tmp_path)
    assert (code, out) == (0, "Added 1 suppression comment to 1 file.\n"), err
    fixed = (tmp_path / "t.yaml").read_bytes().decode()
    assert "  train_batch_size: 1  # batchlint: ignore[BL101]\r\n  gradient_accumulation_steps: 2\r\n" in fixed
    assert run_cli("check", "t.yaml", *LAUNCH, "--ignore", "BL204", "--format", "concise", cwd=tmp_path)[0] == 0


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """Every import in a module, function-level ones included: (module, names)."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_the_cli_only_parses_and_dispatches() -> None:
    allowed = {
        "__future__",
        "argparse",
        "gettext",  # whether argparse's strings have a catalogue to look up (cli._untranslated)
        "atexit",  # whether anything waits for the interpreter's exit (cli.console)
        "typing",  # NoReturn, for mypy only
        "os",
        "sys",
        "collections.abc",
        "batchlint",
        "batchlint.options",
        "batchlint.output.console",
        "batchlint.arguments",  # argparse's parser and formatter, imported when argparse parses
        "types",  # SimpleNamespace: the arguments of a plain check, read without argparse
    }  # the console set-up: ASCII where the encoding needs it
    modules = {module for module, _ in _imports(PACKAGE / "cli.py")}
    assert modules - allowed == {f"batchlint.commands.{c}" for c in ("check", "inspect", "plan", "settings", "rule", "clean", "server")}


KNOWN_PRIVATE: set[tuple[str, str]] = set()


def test_no_module_imports_another_modules_private_name() -> None:
    private: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for module, names in _imports(path):
            if module.startswith("batchlint"):
                private.update((path.relative_to(PACKAGE).as_posix(), n) for n in names if n.startswith("_") and not n.startswith("__"))
    assert private == KNOWN_PRIVATE


@pytest.mark.parametrize(
    "argv",
    [
        ("check", "t.yaml", "--fix", "--select", "BL1", "--extend-select", "AC", "--num-processes", "8"),
        ("inspect", "t.yaml", "--format", "json"),
        ("plan", "--list-gpus"),
        ("settings", "--show", "t.yaml"),
        ("rule", "--all"),
    ],
)
def test_each_command_gets_its_arguments_typed_and_read_only(argv: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from batchlint.cli import main

    module = importlib.import_module(f"batchlint.commands.{argv[0]}")
    got: list[Any] = []
    monkeypatch.setattr(module, "run", lambda args: got.append(args) or 0)
    assert main(list(argv)) == 0
    (args,) = got
    assert type(args).__name__ == argv[0].capitalize() + "Args"
    assert all(hasattr(args, name) for name in type(args).__slots__)  # every attribute set by __init__
    for name in type(args).__slots__:
        with pytest.raises(AttributeError, match="read-only"):
            setattr(args, name, None)
    if argv[0] == "check":
        assert args.fix is True and args.paths == ("t.yaml",) and args.select == ["BL1"]
        assert args.options.select == ["BL1", "AC"] and args.options.launch.num_processes == 8

"""`batchlint check ...` read without argparse (cli.quick_check_arguments): whenever the quick read gives
arguments, they are exactly the ones argparse parses from the same words; anything else is argparse's."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint import cli
from tests.helpers import REPO


def _declared() -> cli._Declared:
    declared = cli._Declared()
    cli._check_arguments(declared)
    return declared


OPTIONS = sorted(flag for flags, _ in _declared().arguments for flag in flags if flag.startswith("-"))
VALUES = ["concise", "json", "full", "nope", "auto", "never", "4", "0", "-1", "1.5", "nan", "", "BL101", "BL101,BL2", " , ", "a.yaml", "x=y", "-x", "--fix"]
WORDS = ["a.yaml", "b.sh", "-", "--", "-h", "--help", "-x", "a b", "check", "--form", "--no", "--num", "--exit", "--gpu-mem", "--version", "-5", ""]


def _argparse(argv: list[str]) -> str | None:
    """What argparse parses from `argv`, spelt out (nan is nan), or None: it exits (an error, the help)."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return _spelt(cli.build_parser("check").parse_args(argv))
        except SystemExit:
            return None


def _spelt(arguments: object) -> str:
    return repr(sorted((name, type(value).__name__, value) for name, value in vars(arguments).items()))


SPECS = {flags[0]: kwargs for flags, kwargs in _declared().arguments if flags[0].startswith("-")}


def _value(draw: st.DrawFn, option: str) -> str:
    """A value for `option`: mostly one it accepts, sometimes one it refuses."""
    spec = SPECS.get(option, {})
    if spec.get("choices"):
        good = list(spec["choices"])
    elif spec.get("type") is float:
        good = ["80", "1e3", " 24 ", "nan"]
    elif spec.get("type") is not None and spec["type"].__name__ == "_positive":
        good = ["4", "16", "007"]
    elif spec.get("type") is not None:
        good = ["BL101,BL2", "BL1", "all"]
    else:
        good = ["a.yaml", "HEAD", "x=y", "A100-80GB"]
    return draw(st.sampled_from(good) | st.sampled_from(VALUES))


@st.composite
def _argvs(draw: st.DrawFn) -> list[str]:
    """`check` words: options (exact, abbreviated, or a top-level one), their values in either form, runs of paths."""
    tokens: list[str] = []
    for _ in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["option", "option", "option", "paths", "paths", "noise"]))
        if kind == "paths":
            tokens += draw(st.lists(st.sampled_from(["a.yaml", "b.sh", "dir", "check", "x y.yaml", "ü.yaml"]), min_size=1, max_size=3))
            continue
        if kind == "noise":
            tokens.append(draw(st.sampled_from(WORDS) | st.text(alphabet="ab-=./", max_size=5)))
            continue
        option = draw(st.sampled_from(OPTIONS))
        if draw(st.integers(0, 9)) == 0:
            option = option[: max(3, len(option) - 2)]  # an abbreviation (or a shorter option's exact name)
        if SPECS.get(option, {}).get("action") == "store_true" and draw(st.integers(0, 9)):
            tokens.append(option)
        elif draw(st.booleans()):
            tokens.append(f"{option}={_value(draw, option)}")
        else:
            tokens += [option, _value(draw, option)]
    return ["check", *tokens]


@settings(max_examples=600, deadline=None)
@given(_argvs())
def test_the_quick_read_gives_what_argparse_gives_or_leaves_it_to_argparse(argv: list[str]) -> None:
    quick = cli.quick_check_arguments(argv)
    if quick is not None:
        assert _spelt(quick) == _argparse(argv), argv


def test_the_hooks_and_the_action_commands_are_read_quickly_and_alike() -> None:
    """The words a pre-commit hook, the GitHub Action and the bench give are read without argparse."""
    for argv in (
        ["check", "--force-exclude", "--bound-configs", "configs/train.yaml", "launch/run.sh"],
        ["check", "--fix", "--force-exclude", "--bound-configs", "a.yaml"],
        ["check", "--force-exclude", "--bound-configs", "--baseline", "HEAD", "--select", "BL107,BL108", "a.yaml"],
        ["check", "--format", "sarif", "--output-file", "out.sarif", "--exit-zero", "."],
        ["check", "--format", "concise", "--exit-zero", "--no-cache", "exp000/train_00000.yaml"],
        ["check", "--num-processes=8", "--gpu-memory", "80", "--target-total", "256", "--color=never", "x.yaml", "y.yaml"],
    ):
        quick = cli.quick_check_arguments(argv)
        assert quick is not None, argv
        assert _spelt(quick) == _argparse(argv), argv


def test_what_only_argparse_reads_is_left_to_it() -> None:
    for argv in (
        ["check"],  # no path: argparse's error
        ["check", "--form", "concise", "a"],  # an abbreviation
        ["check", "a", "--fix", "b"],  # two runs of paths: argparse's error
        ["check", "--format", "nope", "a"],  # not a choice
        ["check", "--num-processes", "0", "a"],  # refused by its type
        ["check", "--fix=yes", "a"],  # a flag given a value
        ["check", "--select", "-x", "a"],  # a value that looks like an option
        ["check", "-", "--stdin-filename", "t.yaml"],  # standard input
        ["check", "--", "-weird.yaml"],
        ["check", "--help"],
        ["inspect", "a.yaml"],
    ):
        assert cli.quick_check_arguments(argv) is None, argv


def test_an_unknown_kind_of_declaration_turns_the_quick_read_off() -> None:
    def declare(check: cli.Declares) -> None:
        check.add_argument("paths", nargs="+")
        check.add_argument("--tag", action="append")

    assert cli._quick_table(declare) is None
    assert cli._quick_table(cli._check_arguments) is not None


def test_a_plain_check_never_imports_argparse(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text("train:\n  train_batch_size: 4\n", encoding="utf-8")
    code = (
        "import json, sys\nfrom batchlint.cli import main\ncode = main(sys.argv[1:])\nsys.stdout.flush()\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_", "PYTEST"))}
    env["PYTHONPATH"] = str(REPO)
    run = [sys.executable, "-c", code, "check", "--no-cache", "--format", "concise", "train.yaml"]
    proc = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    modules = set(json.loads(proc.stderr.splitlines()[-1]))
    assert "train.yaml" in proc.stdout or "All checks passed" in proc.stdout, proc.stdout
    assert not {"argparse", "gettext", "batchlint.arguments"} & modules
    proc = subprocess.run([*run[:4], "check", "--no-cach", "train.yaml"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert "argparse" in json.loads(proc.stderr.splitlines()[-1])  # an abbreviation: argparse reads it

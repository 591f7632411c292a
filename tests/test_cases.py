"""One folder per case under tests/cases: the input files, `args` (the command line after
`batchlint check --format concise`, run from the folder) and `expected.txt` (exit code and output).

Each expected output was read and checked by hand when the case was written; run
`python -m tests.test_cases --update` only after reading the difference.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli

CASES = Path(__file__).parent / "cases"


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "args").is_file())


def render(case: str) -> str:
    folder = CASES / case
    args = shlex.split((folder / "args").read_text(encoding="utf-8"))
    code, out, err = run_cli("check", "--format", "concise", *args, cwd=folder)
    assert err == ""
    return f"# exit: {code}\n{out}"


@pytest.mark.parametrize("case", _cases())
def test_case(case: str) -> None:
    expected = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    assert render(case) == expected


def test_every_rule_has_a_failing_case() -> None:
    from batchlint.rules import RULES

    outputs = "".join((CASES / c / "expected.txt").read_text(encoding="utf-8") for c in _cases())
    for rule in RULES:
        assert f" {rule.code} " in outputs, f"no case shows {rule.code}"


if __name__ == "__main__" and "--update" in sys.argv:
    for case in _cases():
        (CASES / case / "expected.txt").write_text(render(case), encoding="utf-8")

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


# Rules whose passing input is every other case: a file that parses (BL001), includes that exist
# (BL003), values read alike (BL005), a non-empty file (BL006), schema-valid values (BL007), used
# suppressions (BL008), and a declared process count / GPU (BL103, BL204).
NO_DEDICATED_PASSING_CASE = {"BL001", "BL003", "BL005", "BL006", "BL007", "BL008", "BL103", "BL204"}


def test_every_rule_has_a_passing_case() -> None:
    from batchlint.rules import RULES

    names = _cases()
    missing = [r.code for r in RULES if r.code not in NO_DEDICATED_PASSING_CASE
               and not any(c.startswith(f"{r.code}_ok_") for c in names)]
    assert missing == [], f"no `CODE_ok_*` case for {missing}"


@pytest.mark.parametrize("case", [c for c in _cases() if "_ok_" in c])
def test_passing_case_is_clean(case: str) -> None:
    """A near miss of a rule: the failing input, corrected. Nothing at warning level or above,
    and never the rule itself."""
    expected = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    code = case.split("_", 1)[0]
    assert expected.startswith("# exit: 0\n") and f" {code} " not in expected


if __name__ == "__main__" and "--update" in sys.argv:
    for case in _cases():
        (CASES / case / "expected.txt").write_text(render(case), encoding="utf-8")

"""One folder per case under tests/cases: the input files, `args` (the command line after
`batchlint check --format concise`, run from the folder) and `expected.txt` (exit code and output).

A case with a `HEAD/` folder (for `--baseline HEAD`) runs in a temporary git repository: its one commit
holds the case's files with `HEAD/`'s versions over them, and the working tree the case's own files.

Each expected output was read and checked by hand when the case was written; run
`python -m tests.test_cases --update` only after reading the difference.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import run_cli

CASES = Path(__file__).parent / "cases"


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "args").is_file())


def _committed(folder: Path, work: Path) -> Path:
    """The case as a git repository under `work`: HEAD holds its files with `HEAD/`'s over them, the working tree its own."""
    own = shutil.ignore_patterns("HEAD", "args", "expected.txt")
    repo = work / folder.name
    shutil.copytree(folder, repo, ignore=own)
    shutil.copytree(folder / "HEAD", repo, dirs_exist_ok=True)
    for git in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "case"]):
        subprocess.run(["git", *git], cwd=repo, check=True, capture_output=True)
    shutil.copytree(folder, repo, ignore=own, dirs_exist_ok=True)
    return repo


def render(case: str) -> str:
    folder = CASES / case
    args = shlex.split((folder / "args").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as work:
        cwd = _committed(folder, Path(work)) if (folder / "HEAD").is_dir() else folder
        code, out, err = run_cli("check", "--format", "concise", *args, cwd=cwd)
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
    missing = [r.code for r in RULES if r.code not in NO_DEDICATED_PASSING_CASE and not any(c.startswith(f"{r.code}_ok_") for c in names)]
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

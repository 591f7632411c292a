"""Fix goldens: one folder per case under tests/fix_cases — the input files, `args`, and
`expected.txt` (exit code + output of `check --fix --show-fixes --format concise`).
`fixed/` holds each file the fix must change, byte for byte; every other file must stay identical.
A second `--fix` changes nothing, and no temporary file is left behind.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli

CASES = Path(__file__).parent / "fix_cases"


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "args").is_file())


def _inputs(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("args", "expected.txt") and "fixed" not in p.relative_to(folder).parts
    }


def run_case(case: str, work: Path) -> tuple[str, dict[str, bytes]]:
    folder = CASES / case
    for rel, data in _inputs(folder).items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_bytes(data)
    args = shlex.split((folder / "args").read_text(encoding="utf-8"))
    code, out, err = run_cli("check", "--fix", "--show-fixes", "--format", "concise", *args, cwd=work)
    return f"# exit: {code}\n{out}{err}", {rel: (work / rel).read_bytes() for rel in _inputs(folder)}


@pytest.mark.parametrize("case", _cases())
def test_fix_case(case: str, tmp_path: Path) -> None:
    folder = CASES / case
    output, files = run_case(case, tmp_path)
    assert output == (folder / "expected.txt").read_text(encoding="utf-8")
    fixed = folder / "fixed"
    for rel, data in files.items():
        golden = fixed / rel
        expected = golden.read_bytes() if golden.is_file() else (folder / rel).read_bytes()
        assert data == expected, f"{rel} differs from {'fixed/' + rel if golden.is_file() else 'its input'}"
    # Idempotent: nothing left to fix, nothing changes.
    args = shlex.split((folder / "args").read_text(encoding="utf-8"))
    run_cli("check", "--fix", "--format", "concise", *args, cwd=tmp_path)
    assert {rel: (tmp_path / rel).read_bytes() for rel in files} == files
    assert not list(tmp_path.rglob("*.batchlint-tmp"))


if __name__ == "__main__" and "--update" in sys.argv:
    import tempfile

    for case in _cases():
        with tempfile.TemporaryDirectory() as tmp:
            output, files = run_case(case, Path(tmp))
            (CASES / case / "expected.txt").write_text(output, encoding="utf-8")
            fixed = CASES / case / "fixed"
            shutil.rmtree(fixed, ignore_errors=True)
            for rel, data in files.items():
                if data != (CASES / case / rel).read_bytes():
                    (fixed / rel).parent.mkdir(parents=True, exist_ok=True)
                    (fixed / rel).write_bytes(data)

"""`engine.check` called again in the same process (an editor server, a test runner) answers as a
fresh process would, whatever it checked before: other folders, other settings, other files."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TRAIN = "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 2\n"
PATHS = ("train.yaml",)


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def in_process(project: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """`check` in this process, with nothing reset in between, rendered as `check --format json`."""
    from batchlint.engine import check
    from batchlint.options import Options
    from batchlint.output import reporter

    monkeypatch.chdir(project)
    out = io.StringIO()
    reporter("json")(check(list(PATHS), Options()), out)
    return json.loads(out.getvalue())["diagnostics"]  # type: ignore[no-any-return]


def fresh_process(project: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "batchlint", "check", "--format", "json", "--no-cache", *PATHS], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode in (0, 1) and done.stderr == "", done.stderr
    return json.loads(done.stdout)["diagnostics"]  # type: ignore[no-any-return]


def _totals(diags: list[dict[str, Any]]) -> list[str]:
    return [d["message"].split(" is below")[0] + " < " + d["message"].split("the target ")[1].split(" ")[0] for d in diags if d["code"] == "BL101"]


def test_two_projects_with_different_settings_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Different settings (target and process count) and different files (a launch script in one).
    small = _write(tmp_path / "small", {"train.yaml": TRAIN, "batchlint.toml": "target-total = 64\nnum-processes = 8\n"})
    large = _write(
        tmp_path / "large",
        {"train.yaml": TRAIN, "batchlint.toml": "target-total = 128\n", "run.sh": "accelerate launch --num_processes 4 train.py --config train.yaml\n"},
    )
    expected = {p: fresh_process(p) for p in (small, large)}
    assert _totals(expected[small]) == ["total batch 32 (2 per device × 8 processes × 2 accumulation) < 64"]
    assert _totals(expected[large]) == ["total batch 16 (2 per device × 4 processes × 2 accumulation) < 128"]
    for project in (small, large, small, large):
        assert in_process(project, monkeypatch) == expected[project], project.name


def test_edited_settings_are_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Once broken by a module-level settings cache (directory -> settings) that outlived the call.
    project = _write(tmp_path / "p", {"train.yaml": TRAIN, "batchlint.toml": "target-total = 64\nnum-processes = 8\n"})
    assert in_process(project, monkeypatch) == fresh_process(project)
    (project / "batchlint.toml").write_text("target-total = 128\nnum-processes = 8\n", encoding="utf-8")
    expected = fresh_process(project)
    assert _totals(expected) == ["total batch 32 (2 per device × 8 processes × 2 accumulation) < 128"]
    assert in_process(project, monkeypatch) == expected


def test_a_new_launch_script_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Once broken by a module-level list of each project's launch scripts that outlived the call.
    project = _write(tmp_path / "p", {"train.yaml": TRAIN, "batchlint.toml": "target-total = 64\n"})
    assert in_process(project, monkeypatch) == fresh_process(project)  # BL103: the process count is unknown
    (project / "run.sh").write_text("accelerate launch --num_processes 8 train.py --config train.yaml\n", encoding="utf-8")
    expected = fresh_process(project)
    assert _totals(expected) == ["total batch 32 (2 per device × 8 processes × 2 accumulation) < 64"]
    assert in_process(project, monkeypatch) == expected


def test_a_diff_leaves_nothing_behind_for_the_next_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `--diff` fixes the launch line in memory and writes nothing; the next check reads the disk.
    from contextlib import redirect_stdout

    from batchlint.cli import main

    # (Memory first: 3 per device does not divide the 8 per GPU that 64 needs, so the override falls to 2.)
    script = "accelerate launch --num_processes 8 train.py --config train.yaml train.train_batch_size=3\n"
    project = _write(tmp_path / "p", {"train.yaml": TRAIN, "batchlint.toml": "target-total = 64\n", "run.sh": script})
    monkeypatch.chdir(project)
    diff = io.StringIO()
    with redirect_stdout(diff):
        assert main(["check", "--diff", *PATHS]) == 1
    assert "+accelerate launch --num_processes 8 train.py --config train.yaml train.train_batch_size=2" in diff.getvalue()
    assert (project / "run.sh").read_text(encoding="utf-8") == script
    expected = fresh_process(project)
    assert "BL101" in {d["code"] for d in expected}
    assert in_process(project, monkeypatch) == expected

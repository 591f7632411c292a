"""The real `pre-commit try-repo` against a temporary git repository holding a MuseV-style config:
the check hook fails with the finding, the fix hook rewrites the file and fails once, then passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TRAIN = (
    "# 总batch_size = train_batch_size * gpu_num * gradient_accumulation_steps\n"
    "output_dir:\n  exp_dir: ./exp\ntrain:\n  train_batch_size: 1 # 单机\n  gradient_accumulation_steps: 4\n"
    "validation_data:\n  do_validation: True\n"
)
SETTINGS = "[tool.batchlint]\ntarget-total = 224\nnum-processes = 16\n"


def _pre_commit() -> list[str]:
    exe = Path(sys.executable).parent / "pre-commit"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pre-commit")
    if found is None:
        pytest.skip("pre-commit is not installed")
    return [found]


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit store for the module: the hook environment of this checkout is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.skipif(not (REPO / ".git").exists(), reason="pre-commit try-repo needs a git checkout of batchlint, not an sdist")
def test_try_repo_check_then_fix(tmp_path: Path, pre_commit_home: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "configs").mkdir()
    (project / "configs" / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (project / "pyproject.toml").write_text(SETTINGS, encoding="utf-8")
    (project / "ci.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")  # not a training config
    # pre-commit types these as json / yaml, but batchlint refuses to be named files of another type (exit 2)
    (project / "notebook.ipynb").write_text('{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}\n', encoding="utf-8")
    (project / ".clang-format").write_text("BasedOnStyle: LLVM\n", encoding="utf-8")
    _git(project, "init", "-q")
    _git(project, "add", ".")
    env = dict(
        os.environ,
        PRE_COMMIT_HOME=str(pre_commit_home),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@t",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@t",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    base = [*_pre_commit(), "try-repo", str(REPO)]

    def run(hook: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, hook, "--all-files"], cwd=project, env=env, capture_output=True, text=True, timeout=600)

    check = run("batchlint")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "BL101" in check.stdout and "total batch 64" in check.stdout
    assert (project / "configs" / "train.yaml").read_text(encoding="utf-8") == TRAIN

    first = run("batchlint-fix")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    fixed = (project / "configs" / "train.yaml").read_text(encoding="utf-8")
    # No GPU declared: memory first, the accumulation makes up the target.
    assert "train_batch_size: 1 # 单机" in fixed and "gradient_accumulation_steps: 14" in fixed

    second = run("batchlint-fix")
    assert second.returncode == 0, second.stdout + second.stderr
    assert run("batchlint").returncode == 0


FIXTURE = Path(__file__).parent / "fixtures" / "drift"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.skipif(not (REPO / ".git").exists(), reason="pre-commit try-repo needs a git checkout of batchlint, not an sdist")
def test_hooks_check_the_configs_bound_to_a_changed_launch_file_and_drift_fails_until_the_target_follows(tmp_path: Path, pre_commit_home: Path) -> None:
    """Commits as a user makes them (the staged files): MuseV's template at 7 × 2, an accelerate file with 16
    processes and a launch script pairing them, committed first."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project)
    env = dict(
        os.environ,
        PRE_COMMIT_HOME=str(pre_commit_home),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@t",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@t",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)

    def hook(name: str, code: int, *shown: str) -> str:
        """Run a hook on the staged files: its exit code, and what its output must show."""
        done = subprocess.run([*_pre_commit(), "try-repo", str(REPO), name], cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == code, done.stdout + done.stderr
        assert all(text in done.stdout for text in shown), done.stdout
        return done.stdout

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "the run on 16 GPUs")

    # A commit that changes only the accelerate file: the training config it launches is checked.
    _edit(project / "accelerate.yaml", "num_processes: 16", "num_processes: 8")
    git("add", "accelerate.yaml")
    hook("batchlint", 1, "musev_train.yaml:16:21: BL101", "total batch 112")
    drift = hook("batchlint-drift", 1, "accelerate.yaml:5:16: BL107", "total 224 → 112: num_processes 16 → 8 (accelerate.yaml:5)")
    assert "BL101" not in drift  # the drift hook reports drift only

    # The comment's stated total changed with the processes: the change is declared.
    _edit(project / "musev_train.yaml", "16卡*2accumulation*7单卡batch_size = 224", "8卡*2accumulation*7单卡batch_size = 112")
    git("add", "musev_train.yaml")
    hook("batchlint-drift", 0)
    hook("batchlint", 0)
    git("commit", "-qm", "8 GPUs, and the total says so")

    # A commit touching only train.sh is checked: the run it launches.
    _edit(project / "train.sh", "--config_file accelerate.yaml", "--config_file accelerate.yaml --num_processes 4")
    git("add", "train.sh")
    hook("batchlint", 1, "musev_train.yaml:16:21: BL101", "total batch 56")
    hook("batchlint-drift", 1, "train.sh:3:", "total 112 → 56")

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
TRAIN = ("# 总batch_size = train_batch_size * gpu_num * gradient_accumulation_steps\n"
         "output_dir:\n  exp_dir: ./exp\ntrain:\n  train_batch_size: 1 # 单机\n  gradient_accumulation_steps: 4\n"
         "validation_data:\n  do_validation: True\n")
SETTINGS = '[tool.batchlint]\ntarget-total = 224\nnum-processes = 16\n'


def _pre_commit() -> list[str]:
    exe = Path(sys.executable).parent / "pre-commit"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pre-commit")
    if found is None:
        pytest.skip("pre-commit is not installed")
    return [found]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.skipif(not (REPO / ".git").exists(), reason="pre-commit try-repo needs a git checkout of batchlint, not an sdist")
def test_try_repo_check_then_fix(tmp_path: Path) -> None:
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
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t", PIP_DISABLE_PIP_VERSION_CHECK="1")
    base = [*_pre_commit(), "try-repo", str(REPO)]

    def run(hook: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, hook, "--all-files"], cwd=project, env=env, capture_output=True, text=True,
                              timeout=600)

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

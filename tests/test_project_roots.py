"""Session.project_root, memoised by directory, against paths.project_root asked afresh for each file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchlint.paths import project_root
from batchlint.session import Session


def test_the_memo_answers_as_project_root_for_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # cwd/ (no marker) holding a/ with a .git, a/b/ below it, a/c/ with its own pyproject.toml; outside/ beside cwd
    cwd = tmp_path / "cwd"
    for d in ("a/b", "a/c/d", "plain/e"):
        (cwd / d).mkdir(parents=True)
    (tmp_path / "outside" / "f").mkdir(parents=True)
    (cwd / "a" / ".git").mkdir()
    (cwd / "a" / "c" / "pyproject.toml").write_text("[project]\nname = 'c'\n", encoding="utf-8")
    monkeypatch.chdir(cwd)
    files = [
        "a/x.yaml",
        "a/b/x.yaml",
        "a/b/y.yaml",
        "./a/b/../b/z.yaml",
        "a/c/x.yaml",
        "a/c/d/x.yaml",
        "plain/x.yaml",
        "plain/e/x.yaml",
        "top.yaml",
        str(cwd / "a" / "c" / "y.yaml"),
        str(tmp_path / "outside" / "f" / "x.yaml"),
        str(tmp_path / "outside" / "x.yaml"),
    ]
    session = Session()
    for order in (files, files[::-1]):
        for path in order:
            assert session.project_root(path) == project_root(path), path
    assert session.project_root("a/b/x.yaml") == str(cwd / "a") and session.project_root("a/c/d/x.yaml") == str(cwd / "a" / "c")
    assert session.project_root("plain/e/x.yaml") == str(cwd) and session.project_root(files[-1]) == os.path.dirname(files[-1])

"""Hostile settings files: always a one-line settings error naming the file, exit 2, with the cache
on or off; never a traceback, an AttributeError/TypeError/UnicodeDecodeError, or "internal error"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import run_cli

MUSEV = (
    "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: true\nmodel:\n  a: 1\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4\n"
)

# name: (settings file, content, what the message says)
CASES: dict[str, tuple[str, bytes, str]] = {
    "tool is a string": ("pyproject.toml", b'tool = "batchlint"\n', "`tool` must be a table"),
    "tool.batchlint is an integer": ("pyproject.toml", b"[tool]\nbatchlint = 3\n", "`tool.batchlint` must be a table"),
    "tool.batchlint is an array": ("pyproject.toml", b"[tool]\nbatchlint = [1]\n", "`tool.batchlint` must be a table"),
    "array of tables": ("pyproject.toml", b"[[tool.batchlint]]\nx = 1\n", "`tool.batchlint` must be a table"),
    "0xff byte": ("pyproject.toml", b'[tool.batchlint]\nignore = ["BL1\xff"]\n', ":2: not valid UTF-8 (byte 0xff)"),
    "batchlint.toml tool": ("batchlint.toml", b"tool = 3\n", "`tool` must be a table"),
    "batchlint.toml 0xff": ("batchlint.toml", b"\xff", ":1: not valid UTF-8"),
    "invalid toml": ("batchlint.toml", b"a = \n", "invalid TOML"),
    "memory not a table": ("batchlint.toml", b"memory = 3\n", "`memory` must be a table"),
    "runs not tables": ("batchlint.toml", b"runs = [1]\n", "`runs` must be an array of tables"),
    "per-file-ignores codes not strings": ("batchlint.toml", b"[per-file-ignores]\na = [1]\n", "`per-file-ignores` must be a table"),
    "headroom nan": ("batchlint.toml", b"headroom = nan\n", "`headroom` must be a fraction"),
    "gpu memory inf": ("batchlint.toml", b"gpu-memory-gib = inf\n", "`gpu-memory-gib` must be a positive number"),
    "huge integer number": ("batchlint.toml", b"gpu-memory-gib = " + b"9" * 400 + b"\n", "`gpu-memory-gib` must be a positive number"),
    "path with NUL": ("batchlint.toml", b'accelerate-config = "a\\u0000b"\n', "`accelerate-config` must be a path"),
    "extend an integer": ("batchlint.toml", b"extend = 3\n", "`extend` must be a path"),
    "extend /dev/zero": ("batchlint.toml", b'extend = "/dev/zero"\n', "not a regular file"),
    "extend a directory": ("batchlint.toml", b'extend = "."\n', "which is a directory"),
    "extend a FIFO": ("batchlint.toml", b'extend = "fifo.toml"\n', "not a regular file"),
    "extend a bad pyproject": ("batchlint.toml", b'extend = "sub/pyproject.toml"\n', "`tool` must be a table"),
    "nested too deep": ("batchlint.toml", b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n", "batchlint.toml"),
    "integer over the digit limit": ("batchlint.toml", b"target-total = " + b"9" * 5000 + b"\n", "batchlint.toml"),
    "dialect detect not strings": ("batchlint.toml", b'[[dialects]]\nname = "x"\ndetect = [1]\nper-device-batch = "a"\n', "`detect`"),
    "memory profile points wrong": ("batchlint.toml", b'gpu = "A100-80GB"\nnum-processes = 8\n[memory]\npoints = 3\n', "points"),
}


def _project(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "t.yaml").write_text(MUSEV, encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('tool = "x"\n', encoding="utf-8")


@pytest.mark.parametrize("cache", ["--no-cache", "--cache"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_settings_are_one_line_exit_2(tmp_path: Path, case: str, cache: str) -> None:
    name, content, says = CASES[case]
    _project(tmp_path, name, content)
    args = ["check", "--format", "concise", "t.yaml"] + ([cache] if cache == "--no-cache" else [])
    code, out, err = run_cli(*args, cwd=tmp_path)
    assert code == 2, (out, err)
    assert err.startswith("batchlint: error: settings: ") and err.count("\n") == 1, err
    assert says in err, err
    assert ".toml" in err, err  # names the settings file (the extended one when it is the culprit)
    for bad in ("internal error", "Traceback", "AttributeError", "TypeError", "UnicodeDecodeError", "RecursionError"):
        assert bad not in err, err
    assert "All checks passed" not in out


@pytest.mark.parametrize(
    "command", [["settings", "--show", "t.yaml"], ["inspect", "t.yaml"], ["check", "--fix", "t.yaml"], ["check", "--fix", "--no-cache", "t.yaml"]]
)
def test_other_commands_report_settings_errors(tmp_path: Path, command: list[str]) -> None:
    _project(tmp_path, "pyproject.toml", b"[tool]\nbatchlint = 3\n")
    code, out, err = run_cli(*command, cwd=tmp_path)
    assert code == 2 and "`tool.batchlint` must be a table" in err and "internal error" not in err, (out, err)


def test_a_bad_memory_profile_file_is_a_settings_error_without_the_cache(tmp_path: Path) -> None:
    _project(tmp_path, "batchlint.toml", b'gpu = "A100-80GB"\nnum-processes = 8\nmemory-profile = "prof.yaml"\n')
    (tmp_path / "prof.yaml").write_text("points: 3\n", encoding="utf-8")
    for extra in ([], ["--no-cache"]):
        code, out, err = run_cli("check", "--format", "concise", "t.yaml", *extra, cwd=tmp_path)
        assert code == 2 and err.startswith("batchlint: error: settings: ") and "internal error" not in err, (out, err)

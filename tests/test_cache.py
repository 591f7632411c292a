"""The result cache: same answers warm as cold, invalidated by any file the result depended on,
by settings and options, and safe when processes run at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import run_cli

TRAIN = (
    "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\ntrain:\n"
    "  train_batch_size: ${dataset.dataset.bs}\n  gradient_accumulation_steps: 2\n"
    "dataset:\n  dataset: ${include:part.yaml}\n"
)


def _check(cwd: Path, *args: str) -> tuple[int, str]:
    code, out, _ = run_cli("check", "--format", "concise", "train.yaml", "--num-processes", "8", "--target-total", "64", *args, cwd=cwd)
    return code, out


def test_warm_equals_cold_and_dependencies_invalidate(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "part.yaml").write_text("bs: 2\n", encoding="utf-8")
    cold = _check(tmp_path)
    entries = list(Path(os.environ["BATCHLINT_CACHE_DIR"]).rglob("*.json"))
    assert entries, "the first run writes the cache"
    assert _check(tmp_path) == cold  # warm: the same report
    assert "total batch 32" in cold[1]
    (tmp_path / "part.yaml").write_text("bs: 4\n", encoding="utf-8")  # an included file changes
    assert "BL101" not in _check(tmp_path)[1]
    assert "BL101" in _check(tmp_path, "--target-total", "128")[1]  # other options: another key
    assert _check(tmp_path, "--no-cache") == _check(tmp_path)


def test_concurrent_processes_share_the_cache(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "part.yaml").write_text("bs: 2\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "batchlint", "check", "--format", "concise", "train.yaml", "--num-processes", "8", "--target-total", "64"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert len({out for out, _ in outputs}) == 1 and all(err == "" for _, err in outputs)
    assert "total batch 32" in outputs[0][0]


def test_a_served_entry_shows_the_lines_of_the_file_in_every_format(tmp_path: Path) -> None:
    """The report's source lines (full), snippets (json) and fingerprints (sarif) of a warm run come
    from the file's bytes as the cache verified them: the same as a cold run's."""
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "part.yaml").write_text("bs: 2\n", encoding="utf-8")
    for fmt in ("full", "json", "sarif"):
        args = ("check", "--format", fmt, "train.yaml", "--num-processes", "8", "--target-total", "64")
        cold = run_cli(*args, "--no-cache", cwd=tmp_path)
        run_cli(*args, cwd=tmp_path)  # writes the entry
        assert run_cli(*args, cwd=tmp_path) == cold, fmt  # served from it
    assert "gradient_accumulation_steps" in cold[1]

"""Regressions found in published trainings, each pinned by the smallest input that showed it: a launch-line
fix that crashed, a summary that hid an internal error, a comment total read as its first number."""

from __future__ import annotations

from pathlib import Path

from batchlint.intent import parse_comment
from batchlint.loading.nodes import Comment, Span
from tests.helpers import run_cli

SCRIPT = """#!/bin/bash
accelerate launch --num_processes 8 train.py \\
  --train_batch_size 1 \\
  --learning_rate 1e-5
"""


def test_fix_of_a_launch_line_without_an_accumulation_flag(tmp_path: Path) -> None:
    """The fix for a launch line with no accumulation flag raised `KeyError` (the shell-cli dialect has no
    key paths), stdout said "All checks passed!" and the exit code was 2. Now the flag is added after the
    batch flag's value, as an unsafe fix (it assumes the script takes --gradient_accumulation_steps)."""
    (tmp_path / "train.sh").write_text(SCRIPT, encoding="utf-8")
    args = ("train.sh", "--target-total", "128", "--gpu", "A100-80GB", "--memory-preset", "musev_referencenet")
    code, out, err = run_cli("check", "--fix", "--format", "concise", *args, cwd=tmp_path)
    assert err == "" and code == 1 and "BL101" in out and "KeyError" not in out + err
    assert (tmp_path / "train.sh").read_text(encoding="utf-8") == SCRIPT  # unsafe: --fix alone leaves it
    code, out, err = run_cli("check", "--fix", "--unsafe-fixes", "--show-fixes", "--format", "concise", *args, cwd=tmp_path)
    assert err == "" and code == 0, err
    assert "--train_batch_size 8 --gradient_accumulation_steps 2 \\\n" in (tmp_path / "train.sh").read_text(encoding="utf-8")
    assert "unsafe: it assumes the training script takes --gradient_accumulation_steps" in out


def test_an_internal_error_never_reads_all_checks_passed(tmp_path: Path, monkeypatch: object) -> None:
    """With a file that failed internally and no findings, the summary says so and the exit code is 2."""
    import pytest

    from batchlint.rules import batch

    def boom(*args: object, **kwargs: object) -> object:
        raise KeyError("per_device_batch")

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(batch, "run_plan", boom)
    (tmp_path / "train.sh").write_text(SCRIPT, encoding="utf-8")
    for extra in ((), ("--fix",)):
        code, out, err = run_cli("check", *extra, "train.sh", "--target-total", "128", "--ignore", "BL204", cwd=tmp_path)
        assert code == 2 and "All checks passed" not in out, out
        assert "could not be checked" in out and "internal error KeyError" in err


def _intent(text: str) -> dict[str, object]:
    (intent,) = parse_comment(Comment(1, 1, text, Span("x.yaml", 1, 1, 1, len(text) + 1, 0, len(text))))
    return {k: v for k, v in intent.as_json().items() if k in ("gpus", "per_device_batch", "grad_accum", "total")}


def test_intent_total_is_the_last_number_after_the_product() -> None:
    """`# total batch = 4 * 8 GPUs * 2 = 64` read as a total of 4 (the first `= N`); the total is 64."""
    assert _intent("# total batch = 4 * 8 GPUs * 2 = 64")["total"] == 64
    assert _intent("# total batch = 4 * 8 GPUs * 2 = 64")["gpus"] == 8
    # The shapes that already worked still do.
    assert _intent("# 16卡*2accumulation*7单卡batch_size = 224") == {"gpus": 16, "per_device_batch": 7, "grad_accum": 2, "total": 224}
    assert _intent("# total batch = 64")["total"] == 64

"""Stated intent in comments: what counts as a statement about the run, and what does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchlint.intent import parse_comment
from batchlint.loading.nodes import Comment, Span
from tests.helpers import check_json


def _parse(text: str) -> list[tuple[int | None, int | None, int | None]]:
    """(total, gpus, nodes) of each statement in one comment."""
    return [(i.total, i.gpus, i.nodes) for i in parse_comment(Comment(1, 1, text, Span("f", 1, 1, 1, 1, 0, 0)))]


@pytest.mark.parametrize(
    "text",
    [
        "# per_device_train_batch_size: 8",  # a config line commented out
        "# train_bs: 4 # 8",
        "# --train_batch_size 8",
        "# bs=8",
        "# - gradient_accumulation_steps: 4",
        "# global_batch_size: 256",  # would state a total (a target) if read as prose
        "# num_gpus: 8",
        "# batch size 8",  # restates one value
    ],
)
def test_commented_out_config_is_not_intent(text: str) -> None:
    assert _parse(text) == []


@pytest.mark.parametrize(
    "text, statements",
    [
        ("# total batch = 4 * 8 GPUs * 2 = 64", [(64, 8, None)]),  # the total after the product, not its first factor
        ("# so batch size 128", [(128, None, None)]),
        ("# effective batch size 128 with 1 node", [(128, None, 1)]),
        ("# 1 node of 8 x H100s", [(None, 8, 1)]),
        ("# 2 nodes x 8 × A100 = 16 GPUs", [(16, 8, 2)]),
        ("# Config for 8 nodes with GBS 128", [(128, None, 8)]),
        ("16卡*2accumulation*7单卡batch_size = 224", [(224, 16, None)]),
        ("# 16 per device * 64 GPUs * 1 = 1,024", [(1024, 64, None)]),  # digit groups after `=`: one number
        ("# 12 batch size * 1024 block size * 5 gradaccum * 8 GPUs = 491,520", [(None, 8, None)]),  # tokens, not a batch
        ("# this script assumes 4 40GB A100 GPUs", [(None, 4, None)]),  # the model's number is no count
    ],
)
def test_statements_of_intent(text: str, statements: list[tuple[int | None, int | None, int | None]]) -> None:
    assert _parse(text) == statements


def test_a_product_comment_that_agrees_is_no_mismatch(tmp_path: Path) -> None:
    """Regression: `# total batch = 4 * 8 GPUs * 2 = 64` used to state a total of 4 (a false BL102/BL104)."""
    (tmp_path / "train.yaml").write_text(
        "output_dir:\n  exp_dir: ./exp\nmodel:\n  name: unet\ntrain:\n"
        "  # total batch = 4 * 8 GPUs * 2 = 64\n  train_batch_size: 4\n  gradient_accumulation_steps: 2\n",
        encoding="utf-8",
    )
    code, diags = check_json("train.yaml", "--num-processes", "8", cwd=tmp_path)
    assert [d["code"] for d in diags if d["code"] in ("BL101", "BL102", "BL104")] == []
    code, diags = check_json("train.yaml", "--num-processes", "4", cwd=tmp_path)
    assert [d["code"] for d in diags if d["code"] == "BL101"] == ["BL101"]  # 4 × 4 × 2 = 32 < the stated 64

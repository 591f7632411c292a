"""Inline suppressions: each form silences exactly what it names; unused ones are reported; --add-ignore."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import check_json, run_cli

HEAD = "output_dir:\n  exp_dir: ./exp\nvalidation_data:\n  do_validation: false\ntrain:\n"
ARGS = ("--num-processes", "8", "--target-total", "64", "--ignore", "BL204")


def _codes(tmp: Path, body: str) -> list[tuple[str, int]]:
    (tmp / "t.yaml").write_text(HEAD + body, encoding="utf-8")
    _, diags = check_json("t.yaml", *ARGS, cwd=tmp)
    return [(d["code"], d["line"]) for d in diags]


def test_each_form_silences_exactly_what_it_names(tmp_path: Path) -> None:
    plain = "  train_batch_size: 1\n  gradient_accumulation_steps: 0\n"
    assert _codes(tmp_path, plain) == [("BL105", 7)]  # accumulation 0: BL105 (and no total, so no BL101)
    assert _codes(tmp_path, "  train_batch_size: 1\n  gradient_accumulation_steps: 0  # batchlint: ignore[BL105]\n") == []
    # a code that does not match leaves the finding, and the comment is unused
    assert _codes(tmp_path, "  train_batch_size: 1\n  gradient_accumulation_steps: 0  # batchlint: ignore[BL101]\n") == [("BL105", 7), ("BL008", 7)]
    # the line before, when the comment is alone on it
    assert _codes(tmp_path, "  train_batch_size: 1\n  # batchlint: ignore[invalid-batch-value]\n  gradient_accumulation_steps: 0\n") == []
    # a range, and its end
    assert _codes(tmp_path, "  # batchlint: disable[BL105]\n  train_batch_size: 0\n  # batchlint: enable[BL105]\n  gradient_accumulation_steps: 0\n") == [
        ("BL105", 9)
    ]
    # the whole file; no brackets means every rule
    assert _codes(tmp_path, "# batchlint: file-ignore[BL1]\n  train_batch_size: 0\n  gradient_accumulation_steps: 0\n") == []
    assert _codes(tmp_path, "  train_batch_size: 0  # batchlint: ignore\n  gradient_accumulation_steps: 1\n") == []


def test_a_directive_is_read_in_any_case(tmp_path: Path) -> None:
    """`# BatchLint: ignore[...]` is a directive as `# batchlint: ignore[...]` is, in a file with no
    lower-case spelling (which once skipped the file's comments altogether), and is reported when unused."""
    body = "  train_batch_size: 1\n  gradient_accumulation_steps: 0  # BatchLint: IGNORE[BL105]\n"
    assert _codes(tmp_path, body) == []
    assert _codes(tmp_path, "# BATCHLINT: file-ignore[BL1]\n  train_batch_size: 0\n  gradient_accumulation_steps: 0\n") == []
    assert _codes(tmp_path, "  train_batch_size: 8\n  gradient_accumulation_steps: 1  # BatchLint: ignore[BL105]\n") == [("BL008", 7)]  # 8 × 8 × 1 = 64


def test_add_ignore_adopts_a_repository(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(HEAD + "  train_batch_size: 1 # 单卡\n  gradient_accumulation_steps: 2\n", encoding="utf-8")
    _, before = check_json("t.yaml", *ARGS, cwd=tmp_path)
    assert [d["code"] for d in before] == ["BL101"]
    code, out, _ = run_cli("check", "--add-ignore", "t.yaml", *ARGS, cwd=tmp_path)
    assert code == 0 and out.startswith("Added 1 suppression comment to 1 file.")
    assert "train_batch_size: 1 # 单卡  # batchlint: ignore[BL101]\n" in (tmp_path / "t.yaml").read_text(encoding="utf-8")
    assert check_json("t.yaml", *ARGS, cwd=tmp_path) == (0, [])

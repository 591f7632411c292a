"""The generic reader: key roles from names and context for configs no dialect claims, only for files
that show they train, never a guess, and never a finding above info."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import check_json, inspect_json

TRAIN = """\
experiment: my_video_model
optimizer:
  lr: 1.0e-4
  weight_decay: 0.01
training:
  max_steps: 20000
  batch_size: 4
  grad_accum_steps: 2
  mixed_precision: bf16
  gradient_checkpointing: true
validation:
  batch_size: 16
sample:
  batch_size: 1
"""


def _write(tmp: Path, name: str, text: str) -> str:
    (tmp / name).write_text(text, encoding="utf-8")
    return name


def test_roles_from_names_and_context(tmp_path: Path) -> None:
    run = inspect_json(_write(tmp_path, "train.yaml", TRAIN), "--num-processes", "8", cwd=tmp_path)["runs"][0]
    facts = run["facts"]
    assert (run["dialect"], run["confidence"]) == ("generic", "low")  # a bare `batch_size`: low
    assert run["why"].startswith("generic: training.batch_size, training.grad_accum_steps")
    assert run["why"].endswith("training evidence: optimizer, optimizer.lr, training.max_steps")
    assert (facts["per_device_batch"]["key"], facts["per_device_batch"]["line"]) == ("training.batch_size", 7)  # not validation/sample
    assert facts["grad_accum"]["value"] == 2 and facts["mixed_precision"]["value"] == "bf16"
    assert run["total_batch"] == 64


def test_evaluation_sections_never_play_a_role(tmp_path: Path) -> None:
    text = "lr: 1e-4\nepochs: 3\ndata:\n  train:\n    batch_size: 8\n  val:\n    batch_size: 16\n"
    run = inspect_json(_write(tmp_path, "d.yaml", text), cwd=tmp_path)["runs"][0]
    assert (run["facts"]["per_device_batch"]["key"], run["facts"]["per_device_batch"]["value"]) == ("data.train.batch_size", 8)


def test_a_specific_name_with_evidence_is_medium(tmp_path: Path) -> None:
    text = "learning_rate: 1e-4\nnum_train_epochs: 3\nwarmup_steps: 100\ntrain_batch_size: 8\neval_batch_size: 32\n"
    run = inspect_json(_write(tmp_path, "c.yaml", text), cwd=tmp_path)["runs"][0]
    assert run["confidence"] == "medium" and run["facts"]["per_device_batch"]["key"] == "train_batch_size"


def test_no_training_evidence_no_reading(tmp_path: Path) -> None:
    """An inference config with train_batch_size and validation_data but no optimizer, learning rate or steps."""
    text = "pretrained: ./ckpt\ntrain_batch_size: 4\nvalidation_data:\n  prompts: [a]\n  num_inference_steps: 25\n"
    assert inspect_json(_write(tmp_path, "infer.yaml", text), cwd=tmp_path)["runs"] == []
    evaluation = "train_batch_size: 4\nvalidation:\n  lr: 1e-4\n  num_steps: 50\n"  # optimizer and steps of an evaluation section
    assert inspect_json(_write(tmp_path, "evaluation.yaml", evaluation), cwd=tmp_path)["runs"] == []
    mode = "mode: inference\nlr: 1e-4\nmax_steps: 10\ntrain_batch_size: 4\n"
    assert inspect_json(_write(tmp_path, "mode.yaml", mode), cwd=tmp_path)["runs"] == []


def test_two_keys_for_one_role_give_no_fact(tmp_path: Path) -> None:
    text = "lr: 1e-4\nepochs: 3\ndata:\n  batch_size: 4\ntrain:\n  batch_size: 8\n"
    assert inspect_json(_write(tmp_path, "two.yaml", text), cwd=tmp_path)["runs"] == []
    same = "lr: 1e-4\nepochs: 3\ngradient_accumulation_steps: 4\ntrainer:\n  gradient_accumulation_steps: ${gradient_accumulation_steps}\ntrain_batch_size: 2\n"
    run = inspect_json(_write(tmp_path, "same.yaml", same), cwd=tmp_path)["runs"][0]
    assert run["facts"]["grad_accum"]["value"] == 4 and run["facts"]["grad_accum"]["line"] == 3  # one value, read where the trainer reads it


def test_findings_of_a_generic_reading_are_information_without_fixes(tmp_path: Path) -> None:
    _write(tmp_path, "train.yaml", TRAIN)
    code, diags = check_json("train.yaml", "--num-processes", "8", "--target-total", "128", cwd=tmp_path)
    assert code == 0 and diags
    assert {d["severity"] for d in diags} == {"info"} and all(d["fix"] is None for d in diags)
    assert [d["code"] for d in diags] == ["BL101"] and "generic reading" in diags[0]["message"]
    code, diags = check_json("train.yaml", cwd=tmp_path)
    assert (code, diags) == (0, [])  # no process-count or memory reminders for a guess


def test_an_accumulation_it_cannot_read_is_no_default(tmp_path: Path) -> None:
    """fairseq's `update_freq: [4]` is an accumulation batchlint does not read: no `1` stands in for it."""
    text = "dataset:\n  batch_size: 8\noptimization:\n  lr: [0.0005]\n  max_update: 300000\n  update_freq: [4]\n"
    run = inspect_json(_write(tmp_path, "fairseq.yaml", text), "--num-processes", "8", cwd=tmp_path)["runs"][0]
    assert run["facts"]["per_device_batch"]["value"] == 8 and "grad_accum" not in run["facts"] and run["total_batch"] is None
    ultralytics = "epochs: 100\noptimizer: auto\nlr0: 0.01\nbatch: 16\n"  # `batch` is the total over all GPUs there
    assert inspect_json(_write(tmp_path, "args.yaml", ultralytics), cwd=tmp_path)["runs"] == []

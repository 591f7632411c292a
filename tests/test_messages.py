"""Messages that said something untrue: a finding twice at one place, a fix that contradicts its
"did you mean", a help that asks for what is declared, a file count, a diff marker in the wrong hunk."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

ACC_NO_COUNT = "compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nmixed_precision: bf16\n"
POSE = "data:\n  train_bs: 2\nsolver:\n  gradient_accumulation_steps: 1\n  mixed_precision: bf16\n"
MUSEV = "output_dir:\n  exp_dir: ./exp\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 1\n  gradient_accumulation_steps: 4\n"


def test_a_launch_config_checked_alone_and_as_a_launch_reports_ac006_once_as_the_error(tmp_path: Path) -> None:
    # Checked on its own acc.yaml gets the warning ("unless the launch line passes it"); as the known launch of
    # train.yaml (settings name it) the error. Same code, same place: only the error stays.
    (tmp_path / "acc.yaml").write_text(ACC_NO_COUNT, encoding="utf-8")
    (tmp_path / "train.yaml").write_text(POSE, encoding="utf-8")
    (tmp_path / "batchlint.toml").write_text('accelerate-config = "acc.yaml"\n', encoding="utf-8")
    for order in (["."], ["acc.yaml", "train.yaml"], ["train.yaml", "acc.yaml"]):
        _, diags = check_json(*order, cwd=tmp_path)
        ac006 = [d for d in diags if d["code"] == "AC006"]
        assert [(d["severity"], d["line"]) for d in ac006] == [("error", 2)], (order, ac006)


def test_same_code_and_place_with_other_messages_at_one_severity_all_stay() -> None:
    from batchlint.loading.nodes import Span
    from batchlint.model import Severity
    from batchlint.report import unique
    from batchlint.rules import Diagnostic

    span = Span("ds.json", 2, 3, 2, 5, 0, 1)
    a = Diagnostic("DS001", "n", Severity.ERROR, "on 8 processes", span)
    b = Diagnostic("DS001", "n", Severity.ERROR, "on 16 processes", span)
    weak = Diagnostic("DS001", "n", Severity.WARNING, "maybe", span)
    again = Diagnostic("DS001", "n", Severity.ERROR, "on 8 processes", span)
    assert unique([weak, a, b, again]) == [a, b]


def test_ac002_renames_a_misspelling_and_deletes_a_key_next_to_the_real_one(tmp_path: Path) -> None:
    base = "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\n"
    (tmp_path / "acc.yaml").write_text(base + "num_proceses: 16\n", encoding="utf-8")
    _, diags = check_json("acc.yaml", cwd=tmp_path)
    (ac002,) = [d for d in diags if d["code"] == "AC002"]
    assert "did you mean `num_processes`" in ac002["message"]
    assert ac002["fix"]["message"] == "rename `num_proceses` to `num_processes`" and ac002["fix"]["applicability"] == "unsafe"
    (tmp_path / "acc.yaml").write_text(base + "num_processes: 8\nnum_proceses: 16\n", encoding="utf-8")
    _, diags = check_json("acc.yaml", cwd=tmp_path)
    (ac002,) = [d for d in diags if d["code"] == "AC002"]
    assert ac002["fix"]["message"] == "delete `num_proceses`"  # renaming would make a duplicate key


@pytest.mark.parametrize(
    ("settings", "says", "never"),
    [
        ('gpu = "A100-80GB"\n', "memory profile", "gpu"),
        ('memory-preset = "musev"\n', "`gpu`", "memory profile"),
        ("", "`gpu` (or `gpu-memory-gib`) and a memory profile", None),
    ],
)
def test_bl204_help_asks_for_what_is_missing(settings: str, says: str, never: str | None, tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(POSE, encoding="utf-8")
    (tmp_path / "batchlint.toml").write_text("num-processes = 8\n" + settings, encoding="utf-8")
    _, diags = check_json("train.yaml", cwd=tmp_path)
    (bl204,) = [d for d in diags if d["code"] == "BL204"]
    assert says in bl204["help"], bl204
    assert never is None or never not in bl204["help"], bl204


def test_bl204_help_for_an_unknown_process_count(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(POSE, encoding="utf-8")
    _, diags = check_json("train.yaml", "--gpu", "A100-80GB", "--memory-preset", "musev", cwd=tmp_path)
    (bl204,) = [d for d in diags if d["code"] == "BL204"]
    assert "process count is unknown" in bl204["message"] and "--num-processes" in bl204["help"] and "gpu" not in bl204["help"]


def test_the_summary_counts_files_with_findings_and_files_checked(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(MUSEV, encoding="utf-8")
    for clean in ("a.yaml", "b.yaml", "c.json"):
        (tmp_path / clean).write_text('{"name": "not a training config"}\n', encoding="utf-8")
    args = ("--format", "concise", "--num-processes", "8", "--target-total", "64", "--ignore", "BL204")
    code, out, _ = run_cli("check", ".", *args, cwd=tmp_path)
    assert code == 1 and "\nFound 1 finding (1 warning) in 1 file (4 checked).\n" in out, out
    code, out, _ = run_cli("check", "train.yaml", *args, cwd=tmp_path)
    assert "\nFound 1 finding (1 warning) in 1 file.\n" in out, out


HEAD = "output_dir:\n  exp_dir: ./exp\nvalidation_data:\n  do_validation: false\n"
FILLER = "".join(f"extra_{i}: {i}\n" for i in range(12))  # more than a hunk's context
TRAIN = "train:\n  train_batch_size: 1\n  gradient_accumulation_steps: 4\n"  # the fix (memory first): accumulation 4 -> 8 (1 x 8 x 8 = 64)


def _diff(tmp_path: Path, text: str, name: str = "train.yaml") -> str:
    (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    code, out, err = run_cli("check", "--diff", name, "--num-processes", "8", "--target-total", "64", cwd=tmp_path)
    assert code == 1, err
    return out


def test_diff_marks_no_final_newline_only_in_the_hunk_that_reaches_the_end(tmp_path: Path) -> None:
    out = _diff(tmp_path, HEAD + TRAIN + FILLER + "last_key: 1")  # the fixed line mid-file
    assert out.count("@@ ") == 1 and "No newline" not in out, out
    out = _diff(tmp_path, HEAD + FILLER + TRAIN.removesuffix("\n"))  # the fixed line is the last, without a line break
    lines = out.splitlines()
    marks = [i for i, line in enumerate(lines) if line == "\\ No newline at end of file"]
    assert [lines[i - 1] for i in marks] == ["-  gradient_accumulation_steps: 4", "+  gradient_accumulation_steps: 8"], out


# A JSON string may hold a raw U+2028, which str.splitlines() takes for a line break.
HF_JSON = '{\n  "output_dir": "runs/a\u2028b",\n  "gradient_accumulation_steps": 4,\n  "per_device_train_batch_size": 1\n}'


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs patch(1)")
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("train.yaml", HEAD + TRAIN + FILLER + "last_key: 1"),
        ("train.yaml", HEAD + FILLER + TRAIN.removesuffix("\n")),
        ("train.yaml", HEAD + TRAIN + FILLER),
        ("sft.json", HF_JSON),
        ("sft.json", HF_JSON + "\n"),
    ],
    ids=["mid-file", "last-line", "final-newline", "json-line-separator", "json-final-newline"],
)
def test_the_diff_applies_with_patch_and_gives_what_fix_writes(name: str, text: str, tmp_path: Path) -> None:
    out = _diff(tmp_path, text, name)
    subprocess.run(["patch", "-s", "-p1"], input=out[: out.rindex("Would fix")], text=True, cwd=tmp_path, check=True)
    patched = (tmp_path / name).read_bytes()
    (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    run_cli("check", "--fix", name, "--num-processes", "8", "--target-total", "64", cwd=tmp_path)
    fixed = (tmp_path / name).read_bytes()
    assert fixed != text.encode() and patched == fixed

"""The fix machinery: edits, atomic writes under faults, refusal when a file changed, read-back
reverts, and properties (minimal, idempotent) over generated configs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchlint.fixes import Edit, FixConflict, WriteError, apply_edits, insert_key_after, write_atomic
from batchlint.loading import load_text
from batchlint.options import LaunchOptions
from tests.helpers import run_cli

TRAIN = (
    "# 总batch_size = train_batch_size * gpu_num * gradient_accumulation_steps\n"
    "output_dir:\n  exp_dir: ./exp\ntrain:\n  train_batch_size: 1 # 单机\n  gradient_accumulation_steps: 4\n"
    "validation_data:\n  do_validation: True\n"
)
# Without memory information the per-device batch stays and the accumulation makes up 224 (memory first).
FIXED = TRAIN.replace("steps: 4", "steps: 14")
ARGS = ("--num-processes", "16", "--target-total", "224")


def _edit(start: int, end: int, text: str) -> Edit:
    return Edit("f", start, end, text)


def test_apply_edits_keeps_everything_else() -> None:
    assert apply_edits("a: 1 # x\nb: 2\n", [_edit(3, 4, "10"), _edit(12, 13, "3")]) == "a: 10 # x\nb: 3\n"
    assert apply_edits("a: 1\n", [_edit(3, 4, "2"), _edit(3, 4, "2")]) == "a: 2\n"  # the same edit twice is one edit
    with pytest.raises(FixConflict):
        apply_edits("a: 1\n", [_edit(3, 4, "2"), _edit(3, 4, "5")])


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "train:\n    train_batch_size: 2   # per card\n    lr: 1\n",
            "train:\n    train_batch_size: 2   # per card\n    gradient_accumulation_steps: 4\n    lr: 1\n",
        ),
        ("train:\r\n  train_batch_size: 2\r\n", "train:\r\n  train_batch_size: 2\r\n  gradient_accumulation_steps: 4\r\n"),
        ("train:\n  train_batch_size: 2", "train:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4"),
    ],
)
def test_insert_key_matches_indentation_and_newlines(text: str, expected: str) -> None:
    from batchlint.dialects import musev
    from batchlint.extract import extract_facts
    from batchlint.model import Semantics
    from batchlint.resolve import ConfigTree

    doc = load_text("t.yaml", text)
    facts = extract_facts(ConfigTree(doc, "t.yaml", Semantics.OMEGACONF, load_text), musev.DIALECT)
    edit = insert_key_after(facts["per_device_batch"], "gradient_accumulation_steps", 4, text)
    assert edit is not None
    assert apply_edits(text, [edit]) == expected
    assert yaml.safe_load(expected)["train"]["gradient_accumulation_steps"] == 4


def test_write_atomic_keeps_the_mode_and_refuses_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    path.chmod(0o640)
    write_atomic(str(path), "a: 2\n", "a: 1\n")
    assert path.read_text(encoding="utf-8") == "a: 2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(WriteError, match="changed on disk"):
        write_atomic(str(path), "a: 3\n", "a: 1\n")
    assert path.read_text(encoding="utf-8") == "a: 2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]


def test_fix_refuses_a_file_that_changed_after_it_was_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import batchlint.fixer as fixer
    from batchlint.report import Report

    path = tmp_path / "train.yaml"
    path.write_text(TRAIN, encoding="utf-8")
    real_check = fixer.check
    calls = []

    def check_then_edit(*args: object, **kwargs: object) -> Report:
        report = real_check(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(1)
        if len(calls) == 1:  # someone saves the file while batchlint works
            path.write_text(TRAIN.replace("seed", "x") + "# edited\n", encoding="utf-8")
        return report

    monkeypatch.setattr(fixer, "check", check_then_edit)
    code, out, err = run_cli("check", "--fix", "train.yaml", *ARGS, cwd=tmp_path)
    assert "changed on disk since batchlint read it" in err
    assert path.read_text(encoding="utf-8").endswith("# edited\n")
    assert code == 1


def test_fix_that_does_not_read_back_is_reverted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from batchlint.fixes import Expectation
    from batchlint.rules import batch

    real = batch.total_fix

    def wrong_expectation(*args: object, **kwargs: object) -> object:
        fix = real(*args, **kwargs)  # type: ignore[arg-type]
        assert fix is not None
        fix.expect.append(Expectation("train.yaml", "per_device_batch", 99))
        return fix

    monkeypatch.setattr(batch, "total_fix", wrong_expectation)
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    code, out, err = run_cli("check", "--fix", "train.yaml", *ARGS, "--ignore", "BL204", cwd=tmp_path)
    assert "fix reverted: per_device_batch reads back as 1, not 99" in err
    assert (tmp_path / "train.yaml").read_text(encoding="utf-8") == TRAIN
    assert out.rstrip().endswith("0 fixed, 1 remaining.")


@pytest.mark.parametrize("stage", ["after-temp-write", "before-replace", "after-replace"])
def test_killed_mid_write_leaves_old_or_new_file_whole(tmp_path: Path, stage: str) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(TRAIN, encoding="utf-8")
    env = dict(os.environ, BATCHLINT_FAULT=stage)
    proc = subprocess.run([sys.executable, "-m", "batchlint", "check", "--fix", "train.yaml", *ARGS], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 137  # killed at the injected point
    assert path.read_text(encoding="utf-8") in (TRAIN, FIXED)
    assert path.read_text(encoding="utf-8") == (FIXED if stage == "after-replace" else TRAIN)


def test_diff_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    code, out, _ = run_cli("check", "--diff", "train.yaml", *ARGS, cwd=tmp_path)
    assert code == 1
    assert "\n-  gradient_accumulation_steps: 4\n" in out and "\n+  gradient_accumulation_steps: 14\n" in out
    assert out.rstrip().endswith("Would fix 1 finding; 1 remaining.")  # BL204: no GPU declared
    assert (tmp_path / "train.yaml").read_text(encoding="utf-8") == TRAIN
    assert run_cli("check", "--diff", "train.yaml", "--num-processes", "16", "--target-total", "64", cwd=tmp_path)[0] == 0


def test_value_from_the_command_line_is_not_edited(tmp_path: Path) -> None:
    # The per-device batch comes from a file; the process count from the command line: only the file is edited.
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    code, out, _ = run_cli("check", "--fix", "--show-fixes", "--format", "concise", "train.yaml", *ARGS, cwd=tmp_path)
    assert code == 0 and "--num-processes" not in (tmp_path / "train.yaml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- properties


def _config(batch: int, accum: int, quote: str, comment: str, crlf: bool, bom: bool, indent: int, extra_ref: bool) -> str:
    pad = " " * indent
    value = f"{quote}{batch}{quote}" if quote else str(batch)
    lines = [
        "# 总batch_size = train_batch_size * gpu_num * gradient_accumulation_steps",
        "output_dir:",
        f"{pad}exp_dir: ./exp",
        "cluster:",
        f"{pad}per_card: {value}  {comment}",
        "train:",
        f"{pad}train_batch_size: ${{cluster.per_card}}",
        f"{pad}gradient_accumulation_steps: {accum} {comment}",
        f"{pad}learning_rate: 1e-5",
        "validation_data:",
        f"{pad}do_validation: True",
    ]
    if extra_ref:
        lines.append(f"{pad}n_video_batch: ${{cluster.per_card}}")
    text = ("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n")
    return ("\ufeff" if bom else "") + text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batch=st.integers(1, 6),
    accum=st.integers(1, 8),
    quote=st.sampled_from(["", "'", '"']),
    comment=st.sampled_from(["", "# 单卡", "# per card: keep"]),
    crlf=st.booleans(),
    bom=st.booleans(),
    indent=st.sampled_from([1, 2, 4]),
    extra_ref=st.booleans(),
    procs=st.sampled_from([1, 2, 3, 8, 16]),
    target=st.sampled_from([32, 64, 224, 256]),
)
def test_fix_properties(
    tmp_path_factory: pytest.TempPathFactory,
    batch: int,
    accum: int,
    quote: str,
    comment: str,
    crlf: bool,
    bom: bool,
    indent: int,
    extra_ref: bool,
    procs: int,
    target: int,
) -> None:
    from batchlint.engine import check
    from batchlint.fixer import fix
    from batchlint.options import Options

    tmp = tmp_path_factory.mktemp("p")
    text = _config(batch, accum, quote, comment, crlf, bom, indent, extra_ref)
    path = tmp / "train.yaml"
    path.write_bytes(text.encode("utf-8"))
    old_cwd = os.getcwd()
    os.chdir(tmp)
    try:
        options = Options(LaunchOptions(num_processes=procs, target_total=target))
        result = fix(["train.yaml"], options, unsafe=True)
        new = path.read_bytes().decode("utf-8")
        # 1. Only the edited spans differ: every changed line is a value line, and its comment stays.
        old_lines, new_lines = text.splitlines(keepends=True), new.splitlines(keepends=True)
        assert len(old_lines) == len(new_lines)
        for a, b in zip(old_lines, new_lines, strict=True):
            if a != b:
                assert a.split(":")[0] == b.split(":")[0] and a.endswith("\r\n" if crlf else "\n")
                assert (comment in b) if comment in a else True
        assert new.startswith("\ufeff") == bom
        # 2. Idempotent: a second --fix changes nothing.
        second = fix(["train.yaml"], options, unsafe=True)
        assert second.changed == {} and path.read_bytes().decode("utf-8") == new
        # 3. Nothing fixable is left, and the total is the target (exactly, when the processes can reach
        # it) or a total next to it: nothing about the target remains.
        report = check(["train.yaml"], options)
        assert not any(d.fix is not None and d.fix.applies(True) for d in report.diagnostics)
        run = report.runs[0]
        if result.changed:
            assert run.total_batch is not None
            assert run.total_batch == target if target % procs == 0 else abs(run.total_batch - target) < target
            assert not any(d.code in ("BL101", "BL104", "BL106") for d in report.diagnostics)
        # 4. Read back, every other key keeps its value.
        before = yaml.safe_load(text.lstrip("\ufeff"))
        after = yaml.safe_load(new.lstrip("\ufeff"))
        for section in before:
            for key, value in (before[section] or {}).items():
                if (section, key) not in (("cluster", "per_card"), ("train", "gradient_accumulation_steps")):
                    assert after[section][key] == value
    finally:
        os.chdir(old_cwd)

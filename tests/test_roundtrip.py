"""The independent round-trip check of a fix (ruamel.yaml): only what the edits touch may change, every
comment stays unless an edit removes it, and a fix that fails the check is dropped with a one-line error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from batchlint.fixes import Edit, apply_edits
from batchlint.roundtrip import RoundTripError, check_round_trip
from tests.helpers import run_cli

OLD = """# 总batch_size = train_batch_size * gpu_num * gradient_accumulation_steps
train:
  train_batch_size: 1 # 单卡
  gradient_accumulation_steps: 4
  # batchlint: ignore[BL999]
  lr: 1.0e-5
fsdp_config:
  fsdp_reshard_after_forward: true
  fsdp_offload_params: false
ds:
  bfloat16:
    enabled: true
list: [1, 2]
"""


def _at(text: str, needle: str) -> int:
    assert text.count(needle) == 1, needle
    return text.index(needle)


def _edit(old: str, needle: str, content: str) -> Edit:
    start = _at(old, needle)
    return Edit("train.yaml", start, start + len(needle), content)


def _ok(*edits: Edit) -> str:
    new = apply_edits(OLD, list(edits))
    check_round_trip("train.yaml", OLD, new, edits)
    return new


def test_what_real_fixes_do_passes() -> None:
    _ok(_edit(OLD, "size: 1", "size: 7"), _edit(OLD, "steps: 4", "steps: 2"))  # values (BL101)
    _ok(_edit(OLD, "  # batchlint: ignore[BL999]\n", ""))  # a whole comment line (BL008)
    _ok(_edit(OLD, "fsdp_reshard_after_forward", "fsdp_sharding_strategy"))  # a renamed key (AC017, AC002)
    _ok(_edit(OLD, "  fsdp_offload_params: false\n", ""))  # a deleted entry (AC002, X001)
    _ok(_edit(OLD, "  lr: 1.0e-5\n", "  lr: 1.0e-5\n  max_grad_norm: 1.0\n"))  # an inserted key (X001)
    _ok(_edit(OLD, "bfloat16:", "bf16:"))  # a renamed section: its children move with it (DS016)
    _ok(_edit(OLD, "[1, 2]", "[1, 3]"))
    check_round_trip("ds.json", '{"a": 1}', '{"b": 2}', [])  # JSON is not this check's


@pytest.mark.parametrize(
    ("new", "edits", "says"),
    [
        # the comment on the edited line went too
        (OLD.replace("size: 1 # 单卡", "size: 7"), [("size: 1", "size: 7")], "the comment '# 单卡' is gone"),
        # a value changed where no edit is
        (
            OLD.replace("size: 1", "size: 7").replace("steps: 4", "steps: 3"),
            [("size: 1", "size: 7")],
            "`train.gradient_accumulation_steps` (line 4) changed from 4 to 3, but no fix edits its line",
        ),
        # a key lost elsewhere
        (
            OLD.replace("size: 1", "size: 7").replace("  fsdp_offload_params: false\n", ""),
            [("size: 1", "size: 7")],
            "`fsdp_config.fsdp_offload_params` (line 9) is gone, but no fix edits its line",
        ),
        # a key appeared where no edit wrote
        (OLD.replace("size: 1", "size: 7") + "extra: 1\n", [("size: 1", "size: 7")], "`extra` (line 14) is new, but no fix wrote its line"),
        # a value's type changed
        (OLD.replace("size: 1", "size: 7").replace("lr: 1.0e-5", "lr: 1"), [("size: 1", "size: 7")], "`train.lr` (line 6) changed"),
        # the fixed text is no YAML ruamel reads
        (OLD.replace("size: 1", "size: [7"), [("size: 1", "size: [7")], "ruamel.yaml cannot read the fixed text"),
    ],
)
def test_a_change_no_edit_explains_is_refused(new: str, edits: list[tuple[str, str]], says: str) -> None:
    with pytest.raises(RoundTripError) as raised:
        check_round_trip("train.yaml", OLD, new, [_edit(OLD, a, b) for a, b in edits])
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_every_document_of_a_stream_is_compared() -> None:
    old = "a: 1\n---\nb: 2 # two\n"
    check_round_trip("x.yaml", old, "a: 5\n---\nb: 2 # two\n", [Edit("x.yaml", 3, 4, "5")])
    with pytest.raises(RoundTripError, match="comment '# two' is gone"):
        check_round_trip("x.yaml", old, "a: 5\n---\nb: 2\n", [Edit("x.yaml", 3, 4, "5")])


TRAIN = (
    "output_dir:\n  exp_dir: ./exp # keep me\nvalidation_data:\n  do_validation: false\n"
    "train:\n  train_batch_size: 1 # 单卡\n  gradient_accumulation_steps: 4\n"
)


def test_the_fixer_drops_a_fix_that_fails_the_check_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from batchlint import fixer

    def sloppy(text: str, edits: list[Edit]) -> str:  # a buggy edit applier: the right values, and a comment lost
        return apply_edits(text, edits).replace(" # keep me", "")

    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    args = ("check", "--fix", "--format", "concise", "train.yaml", "--num-processes", "8", "--target-total", "64", "--ignore", "BL204")
    monkeypatch.setattr(fixer, "apply_edits", sloppy)
    code, out, err = run_cli(*args, cwd=tmp_path)
    assert err == "batchlint: train.yaml: fix not applied: the comment '# keep me' is gone, but no fix removes it\n"
    assert code == 1 and out.endswith("0 fixed, 1 remaining.\n"), out
    assert (tmp_path / "train.yaml").read_text(encoding="utf-8") == TRAIN
    monkeypatch.setattr(fixer, "apply_edits", apply_edits)
    code, out, err = run_cli(*args, cwd=tmp_path)
    # Memory first (no GPU declared): the accumulation makes up the target, 1 × 8 × 8 = 64.
    assert (code, err) == (0, "") and "gradient_accumulation_steps: 8" in (tmp_path / "train.yaml").read_text(encoding="utf-8")


def _modules_after(args: list[str], cwd: Path) -> set[str]:
    code = "import sys\nfrom batchlint.cli import main\nmain(sys.argv[1:])\nprint(' '.join(sorted(sys.modules)), file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    return set(done.stderr.strip().splitlines()[-1].split())


def test_ruamel_is_imported_only_to_fix_yaml(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    launch = ["--num-processes", "8", "--target-total", "64", "--no-cache"]
    assert not any(m.startswith("ruamel") for m in _modules_after(["check", "train.yaml", *launch], tmp_path))
    assert "ruamel.yaml" in _modules_after(["check", "--fix", "train.yaml", *launch], tmp_path)

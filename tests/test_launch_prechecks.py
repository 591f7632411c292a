"""The cheap checks the launch-line reader makes before it runs (and first compiles) a pattern never
skip what the pattern reads: a CUDA_VISIBLE_DEVICES assignment, a program named for what it does after
training (in any case, and a non-ASCII name the case-insensitive search folds), and a total the script
fixes by arithmetic."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from batchlint.launch import _assignments, _int, _is_override, launches, not_training, script_arg_facts, visible_devices
from batchlint.loading.shell import Word
from batchlint.model import FactName as F


def test_visible_devices_exported_above_the_line() -> None:
    found = visible_devices(launches("s.sh", "export CUDA_VISIBLE_DEVICES=0,1\ntorchrun --nproc_per_node 2 t.py\n")[-1])
    assert found is not None and found[0] == "0,1"


@pytest.mark.parametrize(
    ("program", "after_training"),
    [
        ("infer.py", True),
        ("Inference.py", True),
        ("sample_video.py", True),
        ("run_eval.py", True),
        ("test.py", True),
        ("predict.py", True),
        ("extract_feature.py", True),
        ("generate.py", True),
        ("demo.py", True),
        ("export_model.py", True),
        ("serve.py", True),
        ("ſample.py", True),  # the long s: re.I folds it to "s"
        ("KEval.py", False),
        ("train.py", False),
        ("infer.py --lr 1e-4", False),  # a learning rate: it trains
    ],
)
def test_a_program_named_for_what_follows_training(program: str, after_training: bool) -> None:
    assert not_training(launches("s.sh", f"torchrun {program} --batch_size 4\n")[-1]) is after_training


@pytest.mark.parametrize(("per_device", "accumulation"), [("${PER_DEVICE_BATCH_SIZE}", "${GRADIENT_ACC}"), ("$PER_DEVICE_BATCH_SIZE", '"$GRADIENT_ACC"')])
def test_a_total_fixed_by_the_script_s_arithmetic(per_device: str, accumulation: str) -> None:
    text = (
        "BATCH_SIZE=128\nPER_DEVICE_BATCH_SIZE=4\nGPUS=8\nGRADIENT_ACC=$((BATCH_SIZE / PER_DEVICE_BATCH_SIZE / GPUS))\n"
        f"torchrun --nproc_per_node $GPUS train.py --per_device_train_batch_size {per_device} --gradient_accumulation_steps {accumulation}\n"
    )
    facts = script_arg_facts(launches("s.sh", text)[-1], "s.sh")
    assert facts[F.GLOBAL_BATCH].value == 128


# Characters that decide a Hydra override and a leading count: key characters, marks, "=", "+", blanks
# and letters, digits and spaces of other scripts (`\w`, `\d` and `\s` take them; `[A-Za-z_]` does not).
_WORD_CHARS = st.sampled_from(["a", "Z", "_", "0", "7", "=", "+", "+", ".", "@", "/", "-", " ", "\t", "\n", "\xa0", "é", "٣", "²", "ｆ", "$", ":"])
_words = st.lists(_WORD_CHARS, max_size=10).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_words)
@example("++a=1")
@example("+a=1")
@example("_=")
@example("a.b@c/d-e=1")
@example("aé=1")
@example("é=1")
def test_a_hydra_override_is_what_its_old_pattern_reads(text: str) -> None:
    assert _is_override(text) is (re.match(r"^\+?[A-Za-z_][\w.@/-]*=", text) is not None)


@settings(max_examples=3000, deadline=None)
@given(_words)
def test_a_leading_count_is_what_its_old_pattern_reads(text: str) -> None:
    old = re.match(r"^\s*(\d+)", text)
    assert _int(Word(text, 0, len(text))) == (int(old.group(1)) if old else None)


OLD_CVD = r"(?<![^\s;&|])(?:export[ \t]+)?CUDA_VISIBLE_DEVICES=(\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|#]*)"
_SCRIPT_PIECES = st.sampled_from(
    ["CUDA_VISIBLE_DEVICES=", "CUDA_VISIBLE_DEVICES=", "export", "export ", " ", "\t", "\n", "\xa0", '"', "'", "0,1", "$A", ";", "&", "|", "#", "x", "=", "C"]
)


@settings(max_examples=4000, deadline=None)
@given(st.lists(_SCRIPT_PIECES, max_size=14).map("".join), st.integers(0, 60), st.integers(0, 80))
@example('export  CUDA_VISIBLE_DEVICES="0,1" x', 0, 80)
@example("xexport CUDA_VISIBLE_DEVICES=1;CUDA_VISIBLE_DEVICES='2\n'", 0, 80)
@example("export CUDA_VISIBLE_DEVICES=1", 3, 80)
@example('CUDA_VISIBLE_DEVICES="export CUDA_VISIBLE_DEVICES=1" CUDA_VISIBLE_DEVICES=2', 0, 50)
def test_cuda_visible_devices_assignments_are_what_the_old_pattern_finds(text: str, pos: int, endpos: int) -> None:
    old = [(m.start(), m.start(1), m.end(), m.group(0).startswith("export")) for m in re.compile(OLD_CVD, re.M).finditer(text, pos, endpos)]
    assert _assignments(text, pos, min(endpos, len(text))) == old

"""The one planner behind plan, help and every batch fix; the learning-rate note; BL104/BL106/BL112.

Properties: no fix, help or plan recommendation ever proposes a per-device batch whose conservative
estimate does not fit, and without memory information no safe fix raises the per-device batch.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchlint.advice import lr_note
from batchlint.model import Fact, FactName, Origin
from batchlint.plan import plan
from tests.helpers import check_json

TRAIN = (
    "output_dir:\n  exp_dir: ./exp\ntrain:\n  train_batch_size: {b}\n  gradient_accumulation_steps: {k}\n"
    "  learning_rate: 1.0e-5\n  mixed_precision: fp16\nvalidation_data:\n  do_validation: {v}\n"
)


def test_without_memory_the_per_device_batch_stays() -> None:
    """Memory first: keep b and raise k; a b that does not divide the per-GPU total falls to its largest divisor."""
    p = plan(16, 224, None, (1, 4))
    assert p.recommended is not None and (p.recommended.b, p.recommended.k) == (1, 14) and p.safe
    p = plan(16, 224, None, (4, 1))  # 14 per GPU: 4 does not divide it, 2 is the largest that does
    assert p.recommended is not None and (p.recommended.b, p.recommended.k) == (2, 7) and p.safe
    assert "2 is the largest per-device batch below 4 that does" in p.reason
    assert plan(16, 224, None, None).recommended is None  # nothing to keep, nothing known: no recommendation


def test_a_stated_pair_without_memory_is_never_safe() -> None:
    p = plan(8, 256, None, (4, 2), stated=(16, 2, "the comment at line 2"))
    assert p.recommended is not None and (p.recommended.b, p.recommended.k) == (16, 2) and not p.safe


def test_unreachable_targets_take_the_nearer_side_within_five_percent() -> None:
    p = plan(12, 224, None, (1, 4))  # 1 per device: 216 (−3.6 %) or 228 (+1.8 %)
    assert p.recommended is not None and (p.recommended.total, p.recommended.k) == (228, 19)
    assert {216, 228} <= set(p.totals) and p.quiet_totals() >= {216, 228, 224}


@pytest.mark.parametrize(
    "old, new, scale, expected",
    [
        (
            64,
            224,
            False,
            "the total goes from 64 to 224 (× 3.5): train.learning_rate = 1e-05 was set for 64; rescaled it is 3.5e-05 (linear) or 1.87e-05 (square root)",
        ),
        (
            448,
            224,
            False,
            "the total goes from 448 to 224 (× 0.5): train.learning_rate = 1e-05 was set for 448; rescaled it is 5e-06 (linear) or 7.07e-06 (square root)",
        ),
        (
            64,
            224,
            True,
            "the total goes from 64 to 224 (× 3.5); scale_lr is on: the script multiplies train.learning_rate = 1e-05 by "
            "the total, so it trains at 0.00224 instead of 0.00064",
        ),
    ],
)
def test_lr_note_states_key_value_and_both_rescalings(old: int, new: int, scale: bool, expected: str) -> None:
    lr = Fact(FactName.LEARNING_RATE, 1e-5, Origin.FILE, "train.learning_rate")
    assert lr_note(old, new, lr, scale_lr=scale) == expected
    assert lr_note(64, 64, lr) == ""
    assert lr_note(64, 128, None) == "the total goes from 64 to 128 (× 2): retune the learning rate (linear scaling × 2, square-root scaling × 1.41)"


def _check(tmp: Path, b: int, k: int, *args: str, validation: bool = True) -> list[dict[str, object]]:
    (tmp / "train.yaml").write_text(TRAIN.format(b=b, k=k, v=validation), encoding="utf-8")
    return check_json("train.yaml", *args, "--ignore", "BL204", cwd=tmp)[1]


def test_bl106_total_above_target_and_its_learning_rate(tmp_path: Path) -> None:
    """1 × 8 × 56 = 448 against 224: BL106, fixed by accumulation (memory first), the LR note in the help."""
    diags = _check(tmp_path, 1, 56, "--num-processes", "8", "--target-total", "224")
    assert [d["code"] for d in diags] == ["BL106"]
    assert diags[0]["fix"]["applicability"] == "safe" and "gradient_accumulation_steps 56 → 28" in diags[0]["fix"]["message"]
    assert "train.learning_rate = 1e-05 was set for 448; rescaled it is 5e-06 (linear) or 7.07e-06 (square root)" in diags[0]["help"]


def test_bl104_and_bl101_quiet_on_a_total_next_to_an_unreachable_target(tmp_path: Path) -> None:
    assert _check(tmp_path, 2, 37, "--num-processes", "3", "--target-total", "224") == []  # 222: the nearest below
    assert _check(tmp_path, 1, 19, "--num-processes", "12", "--target-total", "224") == []  # 228: the nearest above
    codes = [d["code"] for d in _check(tmp_path, 2, 4, "--num-processes", "12", "--target-total", "224")]
    assert codes == ["BL101", "BL104"]


def test_bl107_states_the_rate_it_trains_at(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN.format(b=7, k=2, v=True).replace("  mixed", "  scale_lr: true\n  mixed"), encoding="utf-8")
    diags = check_json("train.yaml", "--num-processes", "16", "--ignore", "BL204", cwd=tmp_path)[1]
    assert [(d["code"], d["severity"]) for d in diags] == [("BL112", "warning")]
    assert "it trains at 0.00224" in diags[0]["message"] and diags[0]["fix"]["applicability"] == "unsafe"
    diags = check_json("train.yaml", "--ignore", "BL204,BL103", cwd=tmp_path)[1]  # no process count: information only
    assert [(d["code"], d["severity"]) for d in diags] == [("BL112", "info")]


# --------------------------------------------------------------------------- properties

_PAIR = re.compile(r"(\d+) per device × (\d+) accumulation")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    b=st.integers(1, 12),
    k=st.integers(1, 6),
    dp=st.sampled_from([1, 2, 3, 8, 12, 16]),
    target=st.integers(8, 400),
    static=st.floats(5, 70),
    per_sample=st.floats(0.2, 12),
    validation=st.one_of(st.none(), st.floats(1, 15)),
    params=st.booleans(),
    gpu=st.sampled_from(["A100-80GB", "RTX-4090", "H100-80GB", None]),
    on=st.booleans(),
)
def test_no_fix_help_or_plan_proposes_what_does_not_fit(
    tmp_path_factory: pytest.TempPathFactory,
    b: int,
    k: int,
    dp: int,
    target: int,
    static: float,
    per_sample: float,
    validation: float | None,
    params: bool,
    gpu: str | None,
    on: bool,
) -> None:
    from batchlint.engine import check
    from batchlint.options import LaunchOptions, Options

    tmp = tmp_path_factory.mktemp("prop")
    (tmp / "train.yaml").write_text(TRAIN.format(b=b, k=k, v=on), encoding="utf-8")
    profile = f"trainable_params: {static * 2**30 / 18:.6g}\n" if params else f"static_gib: {static:.6g}\n"
    profile += f"per_sample_gib: {per_sample:.6g}\n" + (f"validation_gib: {validation:.6g}\n" if validation else "")
    (tmp / "profile.yaml").write_text(profile, encoding="utf-8")
    launch = LaunchOptions(num_processes=dp, target_total=target, gpu=gpu, memory_profile=str(tmp / "profile.yaml") if gpu else None)
    import os

    old = os.getcwd()
    os.chdir(tmp)
    try:
        report = check(["train.yaml"], Options(launch))
    finally:
        os.chdir(old)
    (run,) = report.runs
    memory = run.memory
    assert (memory is None) == (gpu is None)
    for d in report.diagnostics:
        fix = d.fix
        proposed = [int(e.value) for e in (fix.expect if fix else []) if e.fact == "per_device_batch" and isinstance(e.value, int)]
        if fix is not None and not proposed and fix.expect:
            proposed = [b]  # the fix keeps the per-device batch
        for b2 in proposed:
            if memory is not None:
                assert memory.fits(b2), (d.code, fix.message if fix else None)
            elif fix is not None and str(fix.applicability) == "safe":
                assert b2 <= b, (d.code, fix.message)
        if memory is not None and d.help and "with validation off" not in d.help:
            for m in _PAIR.finditer(d.help):
                assert memory.fits(int(m.group(1))), (d.code, d.help)
    if memory is not None:
        p = plan(dp, target, memory, (b, k))
        if p.recommended is not None and p.recommended.verdict == "fits":
            assert memory.fits(p.recommended.b)
        elif p.recommended is not None:
            assert p.recommended.verdict == "fits with validation off" and memory.fits(p.recommended.b, validation=False)

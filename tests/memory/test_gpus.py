"""GPU names as people and nvidia-smi write them; sizes refused rather than guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchlint.memory.gpus import GPUS, GpuNameError, lookup
from tests.helpers import run_cli


@pytest.mark.parametrize(
    "name, card",
    [
        ("NVIDIA A100-SXM4-80GB", "A100-80GB"),
        ("NVIDIA A100 80GB PCIe", "A100-80GB"),
        ("NVIDIA A100-PCIE-40GB", "A100-40GB"),
        ("NVIDIA H100 80GB HBM3", "H100-80GB"),
        ("NVIDIA H100 PCIe", "H100-80GB"),
        ("NVIDIA H100 NVL", "H100-NVL"),
        ("Tesla T4", "T4"),
        ("Tesla V100-SXM2-32GB", "V100-32GB"),
        ("NVIDIA GeForce RTX 4090", "RTX-4090"),
        ("4090", "RTX-4090"),
        ("NVIDIA GeForce RTX 5090", "RTX-5090"),
        ("NVIDIA RTX A6000", "RTX-A6000"),
        ("A6000", "RTX-A6000"),
        ("NVIDIA L4", "L4"),
        ("NVIDIA L40S", "L40S"),
        ("NVIDIA H20", "H20"),
        ("NVIDIA B200", "B200"),
        ("NVIDIA RTX 6000 Ada Generation", "RTX-6000-Ada"),
        ("a100_80g", "A100-80GB"),
        ("a100sxm480gb", "A100-80GB"),
        ("RTX-3090", "RTX-3090"),
    ],
)
def test_nvidia_smi_and_short_names(name: str, card: str) -> None:
    assert lookup(name).name == card


@pytest.mark.parametrize("name, choices", [("A100", "A100-40GB, A100-80GB"), ("V100", "V100-16GB, V100-32GB"), ("A800", "A800-40GB, A800-80GB")])
def test_a_family_of_several_sizes_is_refused_with_the_choices(name: str, choices: str) -> None:
    with pytest.raises(GpuNameError, match=f"ambiguous GPU '{name}': say which, one of {choices}"):
        lookup(name)


def test_a_typo_is_not_read_as_a_card() -> None:
    with pytest.raises(GpuNameError, match="unknown GPU 'A10O' \\(did you mean A10, A10G, A40\\?\\)"):
        lookup("A10O")


def test_every_card_has_a_source_and_the_current_ones_are_there() -> None:
    names = {g.name for g in GPUS}
    assert {"B200", "H20", "L4", "L40S", "RTX-A6000", "T4", "RTX-3090", "RTX-4090", "RTX-5090"} <= names
    assert all(g.note and 1 < g.capacity_gib < 200 for g in GPUS)


def test_an_unknown_gpu_is_a_one_line_usage_error(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(
        "train:\n  train_batch_size: 1\n  gradient_accumulation_steps: 1\nvalidation_data:\n  do_validation: true\noutput_dir:\n  exp_dir: x\n",
        encoding="utf-8",
    )
    for command in (
        ("check", "train.yaml"),
        ("check", "--fix", "train.yaml"),
        ("inspect", "train.yaml"),
        ("plan", "--num-processes", "8", "--target-total", "64", "--memory-preset", "musev"),
    ):
        code, out, err = run_cli(*command, "--gpu", "A1000", cwd=tmp_path)
        assert code == 2 and "All checks passed" not in out, (command, out)
        assert err.count("\n") == 1 and "unknown GPU 'A1000' (did you mean A10, A100-80GB, A100-40GB?)" in err, err
        code, out, err = run_cli(*command, "--gpu", "A100", cwd=tmp_path)
        assert code == 2 and "ambiguous GPU 'A100'" in err and err.count("\n") == 1

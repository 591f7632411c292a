"""What a launch line says about the GPUs it sees, its paradigm and its config (dialects/shell.py)."""

from __future__ import annotations

import pytest

from batchlint.launch import launch_facts, launches, visible_devices
from batchlint.model import FactName as F


def _last(text: str):  # type: ignore[no-untyped-def]
    return launches("s.sh", text)[-1]


@pytest.mark.parametrize(
    "text, value",
    [
        ("CUDA_VISIBLE_DEVICES=2,3 torchrun --nproc_per_node 2 t.py\n", "2,3"),
        ("export CUDA_VISIBLE_DEVICES='0,1,2'\ntorchrun --nproc_per_node 2 t.py\n", "0,1,2"),
        ("export CUDA_VISIBLE_DEVICES=0\nexport CUDA_VISIBLE_DEVICES=4,5\ntorchrun t.py\n", "4,5"),  # the last one above
        ("G=6,7\nexport CUDA_VISIBLE_DEVICES=$G\ntorchrun t.py\n", "6,7"),  # expanded by the reader
        ("CUDA_VISIBLE_DEVICES=0,1 \\\n  accelerate launch --num_processes 2 t.py\n", "0,1"),  # prefix before a continuation
        ("CUDA_VISIBLE_DEVICES=0,1\nexport CUDA_VISIBLE_DEVICES\ntorchrun t.py\n", "0,1"),  # exported afterwards
        ("export CUDA_VISIBLE_DEVICES=0,1 && torchrun t.py\n", "0,1"),
    ],
)
def test_visible_devices_seen_by_the_line(text: str, value: str) -> None:
    found = visible_devices(_last(text))
    assert found is not None and found[0] == value
    assert text[found[1] : found[2]].strip("'\"") in (value, "$G")


@pytest.mark.parametrize(
    "text",
    [
        "# export CUDA_VISIBLE_DEVICES=0\ntorchrun t.py\n",  # a comment
        "CUDA_VISIBLE_DEVICES=0 python a.py\ntorchrun t.py\n",  # another command's prefix
        "CUDA_VISIBLE_DEVICES=0,1\ntorchrun t.py\n",  # never exported: not in the launcher's environment
        "torchrun t.py\nexport CUDA_VISIBLE_DEVICES=0\n",  # set after the line
        "CUDA_VISIBLE_DEVICES=$1 torchrun t.py\n",  # unknown
        "CUDA_VISIBLE_DEVICES=0,1 accelerate launch --gpu_ids 2,3 t.py\n",  # --gpu_ids replaces it
    ],
)
def test_visible_devices_not_seen(text: str) -> None:
    assert visible_devices(_last(text)) is None


def test_facts_of_a_bare_accelerate_line() -> None:
    facts = launch_facts(_last("export CUDA_VISIBLE_DEVICES=0,1,2\naccelerate launch train.py --lr 1\n"), "s.sh")
    assert facts[F.ACCELERATE_DEFAULT_CONFIG].span.line == 2  # type: ignore[union-attr]
    assert facts[F.VISIBLE_DEVICES].value == 3 and facts[F.VISIBLE_DEVICES].node is None
    assert facts[F.TRAINING_PROGRAM].value == "train.py"
    assert F.LAUNCH_PARADIGM not in facts


@pytest.mark.parametrize(
    "line",
    [
        "accelerate launch --config_file a.yaml t.py",
        "accelerate launch --num_processes 2 t.py",
        "accelerate launch --cpu t.py",
        "accelerate launch --use-deepspeed t.py",
    ],
)
def test_not_bare(line: str) -> None:
    assert F.ACCELERATE_DEFAULT_CONFIG not in launch_facts(_last(line + "\n"), "s.sh")


def test_paradigm_flag_and_fp8_backend() -> None:
    facts = launch_facts(_last("accelerate launch --config_file a.yaml --use-fsdp --fp8_backend te t.py\n"), "s.sh")
    assert facts[F.LAUNCH_PARADIGM].value == "FSDP" and facts[F.LAUNCH_PARADIGM].key == "--use_fsdp"
    assert facts[F.LAUNCH_FP8_BACKEND].value == "te"


def test_deepspeed_runner_ignores_visible_devices_when_the_line_picks_gpus() -> None:
    picked = launch_facts(_last("export CUDA_VISIBLE_DEVICES=4,5\ndeepspeed --num_gpus 2 t.py\n"), "s.sh")
    assert picked["deepspeed_ignores_visible"].value == "--num_gpus"
    used = launch_facts(_last("export CUDA_VISIBLE_DEVICES=4,5\ndeepspeed t.py\n"), "s.sh")
    assert F.DEEPSPEED_IGNORES_VISIBLE not in used and used[F.NUM_PROCESSES].value == 2

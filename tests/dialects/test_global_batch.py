"""Trainers that fix the global batch: global = per-device × data-parallel × accumulation, each
shape deriving what it leaves out, and the total known even when the GPU count is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, inspect_json

GLOBAL = Path(__file__).resolve().parent.parent / "fixtures" / "dialects" / "global"
MORE = Path(__file__).resolve().parent.parent / "fixtures" / "dialects" / "more"


def _run(path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    return inspect_json(str(path), *args)["runs"][0]  # type: ignore[no-any-return]


def test_micro_shape_derives_the_accumulation() -> None:
    """NeMo: 16 processes / (TP 2 × PP 2) = DP 4; accumulation = 64 / (2 × 4) = 8. The global batch
    and the micro batch are read through `${.data.train_ds.*}` at their literals."""
    run = _run(GLOBAL / "nemo_sft.yaml")
    facts = run["facts"]
    assert (facts["global_batch"]["value"], facts["global_batch"]["key"], facts["global_batch"]["line"]) == (64, "model.data.train_ds.global_batch_size", 14)
    assert (facts["per_device_batch"]["value"], facts["per_device_batch"]["line"]) == (2, 15)
    assert facts["num_processes"]["value"] == 16 and "8 per node × 2 nodes" in facts["num_processes"]["note"]
    assert facts["data_parallel_size"]["value"] == 4
    assert (facts["grad_accum"]["value"], facts["grad_accum"]["source"]) == (8, "derived")
    assert run["total_batch"] == 64


def test_without_the_model_parallel_sizes_the_total_is_still_the_global_batch() -> None:
    """NeMo DPO: TP and PP come from the restored checkpoint, so DP is unknown; the total is not, and a
    key the checkpoint provides is no interpolation error."""
    run = _run(GLOBAL / "nemo_dpo.yaml")
    assert "data_parallel_size" not in run["facts"] and "grad_accum" not in run["facts"]
    assert run["total_batch"] == 32
    assert check_json(str(GLOBAL / "nemo_dpo.yaml")) == (0, [d for d in check_json(str(GLOBAL / "nemo_dpo.yaml"))[1] if d["severity"] == "info"])


def test_accum_shape_derives_the_per_device_batch() -> None:
    """StableCascade: batch_size is global; per GPU = 64 // (world × 2)."""
    assert _run(GLOBAL / "stablecascade.yaml")["total_batch"] == 64  # whatever the GPU count
    run = _run(GLOBAL / "stablecascade.yaml", "--num-processes", "8")
    assert (run["facts"]["per_device_batch"]["value"], run["facts"]["per_device_batch"]["source"]) == (4, "derived")
    assert run["total_batch"] == 64
    floor = _run(GLOBAL / "stablecascade.yaml", "--num-processes", "6")  # 64 // 12 = 5: the run trains on 60
    assert floor["facts"]["per_device_batch"]["value"] == 5 and floor["total_batch"] == 60
    code, diags = check_json(str(GLOBAL / "stablecascade.yaml"), "--num-processes", "6")
    bl109 = [d for d in diags if d["code"] == "BL109"]
    assert len(bl109) == 1 and "64 is not divisible by data-parallel 6 × accumulation 2 = 12" in bl109[0]["message"]


def test_chunk_shape_splits_the_device_batch_into_forward_passes() -> None:
    """OLMo / Composer: per device = 512 // 32 = 16; the device microbatch 4 makes 4 forward passes, the total stays 512."""
    run = _run(GLOBAL / "olmo.yaml", "--num-processes", "32")
    facts = run["facts"]
    assert facts["per_device_batch"]["value"] == 16 and facts["grad_accum"]["value"] == 1
    assert facts["microbatches"]["value"] == 4 and run["total_batch"] == 512
    assert _run(GLOBAL / "olmo.yaml")["total_batch"] == 512
    assert "device_eval_batch_size" not in {f["key"] for f in facts.values()}


def test_declared_degrees_give_the_processes_and_the_data_parallel_size() -> None:
    """nanotron: dp 2 × tp 2 × pp 2 = 8 processes, DP 2: 3 × 2 × 4 = 24."""
    run = _run(GLOBAL / "nanotron.yaml")
    assert run["facts"]["num_processes"]["value"] == 8 and run["facts"]["data_parallel_size"]["value"] == 2
    assert run["total_batch"] == 24
    code, diags = check_json(str(GLOBAL / "nanotron.yaml"), "--num-processes", "16")
    assert any(d["code"] == "BL110" and "= 8 ranks, but the launch starts 16" in d["message"] for d in diags)


def test_torchtitan_toml_takes_the_remaining_gpus_for_data_parallel() -> None:
    run = _run(GLOBAL / "torchtitan.toml", "--num-processes", "32")
    facts = run["facts"]
    assert (facts["per_device_batch"]["value"], facts["per_device_batch"]["key"], facts["per_device_batch"]["line"]) == (4, "training.local_batch_size", 6)
    assert facts["global_batch"]["value"] == -1 and facts["global_batch"]["source"] == "default"
    assert facts["data_parallel_size"]["value"] == 8  # -1: 32 / TP 4
    assert run["total_batch"] == 32
    assert facts["gradient_checkpointing"]["value"] == "selective"


def test_verl_sequences_per_step() -> None:
    """ppo_mini_batch_size 128 prompts × rollout.n 4 = 512 sequences per optimizer step; the prompts per
    iteration and the rollout micro batches are decoys."""
    run = _run(GLOBAL / "verl.yaml")
    facts = run["facts"]
    assert facts["global_batch"]["value"] == 512 and facts["num_processes"]["value"] == 16
    assert facts["grad_accum"]["value"] == 8 and run["total_batch"] == 512  # 512 / (4 × 16)
    keys = {f["key"] for f in facts.values()}
    assert "data.train_batch_size" not in keys and "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu" not in keys


def test_litgpt_global_and_micro() -> None:
    run = _run(MORE / "litgpt.yaml")
    assert run["facts"]["grad_accum"]["value"] == 8 and run["total_batch"] == 64  # 64 / (2 × 4 devices)


@pytest.mark.parametrize("name, args", [("nemo_sft.yaml", ()), ("verl.yaml", ()), ("olmo.yaml", ("--num-processes", "32"))])
def test_divisible_layouts_get_no_bl109(name: str, args: tuple[str, ...]) -> None:
    _, diags = check_json(str(GLOBAL / name), *args)
    assert not [d for d in diags if d["code"] in ("BL109", "BL110")]


def test_detectron2_images_per_batch_are_over_all_gpus(tmp_path: Path) -> None:
    (tmp_path / "rcnn.yaml").write_text(
        '_BASE_: "../Base-RCNN-FPN.yaml"\nSOLVER:\n  IMS_PER_BATCH: 16\n  BASE_LR: 0.02\n  MAX_ITER: 90000\nTEST:\n  IMS_PER_BATCH: 8\n', encoding="utf-8"
    )
    run = inspect_json("rcnn.yaml", "--num-processes", "8", cwd=tmp_path)["runs"][0]
    assert run["dialect"] == "detectron2" and run["facts"]["per_device_batch"]["value"] == 2 and run["total_batch"] == 16
    assert inspect_json("rcnn.yaml", cwd=tmp_path)["runs"][0]["total_batch"] == 16

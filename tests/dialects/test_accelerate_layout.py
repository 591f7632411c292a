"""Data-parallel size and effective accumulation as `accelerate launch` decides them
(specs accelerate-deepspeed.md §2.2, §2.4, §3.3, §7), through `inspect`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import inspect_json

TRAIN = "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4\n"


def _run(tmp: Path, accelerate: str, *extra: str, files: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    (tmp / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp / "acc.yaml").write_text(accelerate, encoding="utf-8")
    for name, text in (files or {}).items():
        (tmp / name).write_text(text, encoding="utf-8")
    return inspect_json("train.yaml", "--accelerate-config", "acc.yaml", *extra, cwd=tmp)["runs"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "accelerate, dp, why",
    [
        ("distributed_type: MULTI_GPU\nnum_processes: 8\n", 8, "plain DDP"),
        ("distributed_type: NO\nnum_processes: 4\n", 1, "NO starts one process"),
        ("distributed_type: NO\nnum_processes: 4\nmixed_precision: fp16\n", 1, "unquoted NO is false: still one process"),
        ("distributed_type: MULTI_GPU\nnum_machines: 4\nnum_processes: 10\n", 8, "ranks per machine are floored"),
        (
            "distributed_type: FSDP\nnum_processes: 8\nparallelism_config:\n  parallelism_config_dp_replicate_size: 2\n"
            "  parallelism_config_dp_shard_size: 2\n  parallelism_config_tp_size: 2\n",
            4,
            "tp groups share batches",
        ),
        ("distributed_type: FSDP\nnum_processes: 8\nparallelism_config:\n  parallelism_config_cp_size: 8\n", 1, "all context parallel"),
        ("distributed_type: FSDP\nnum_processes: 8\nparallelism_config:\n  parallelism_config_tp_size: 1\n", 8, "product 1: DP = processes"),
        (
            "distributed_type: MEGATRON_LM\nnum_processes: 16\nmegatron_lm_config:\n  megatron_lm_tp_degree: 2\n  megatron_lm_pp_degree: 2\n",
            4,
            "Megatron divides by tp × pp",
        ),
    ],
)
def test_data_parallel_size(tmp_path: Path, accelerate: str, dp: int, why: str) -> None:
    run = _run(tmp_path, accelerate)
    assert run["facts"]["data_parallel_size"]["value"] == dp, why
    assert run["total_batch"] == 2 * dp * (4 if "MEGATRON" not in accelerate else 4)


def test_multi_cpu_without_hostfile_leaves_the_world_unknown(tmp_path: Path) -> None:
    run = _run(tmp_path, "distributed_type: MULTI_CPU\nnum_processes: 16\nnum_machines: 4\n")
    assert "data_parallel_size" not in run["facts"] and run["total_batch"] is None


def test_cli_process_count_wins_over_the_file(tmp_path: Path) -> None:
    run = _run(tmp_path, "distributed_type: MULTI_GPU\nnum_processes: 8\n", "--num-processes", "4")
    assert run["facts"]["num_processes"]["source"] == "cli" and run["total_batch"] == 2 * 4 * 4


def test_deepspeed_hostfile_decides_the_world(tmp_path: Path) -> None:
    acc = (
        "distributed_type: DEEPSPEED\nnum_machines: 2\nnum_processes: 16\nmain_process_ip: 10.0.0.1\n"
        "deepspeed_config:\n  deepspeed_hostfile: hosts.txt\n  zero_stage: 2\n"
    )
    run = _run(tmp_path, acc, files={"hosts.txt": "# three nodes, not two\nnode-a slots=8\nnode-b slots=8\nnode-c slots=8\n"})
    assert run["facts"]["data_parallel_size"]["value"] == 24
    standard = _run(tmp_path, acc.replace("zero_stage: 2", "zero_stage: 2\n  deepspeed_multinode_launcher: standard"))
    assert standard["facts"]["data_parallel_size"]["value"] == 16


@pytest.mark.parametrize(
    "ds_json, launcher_ga, effective",
    [
        ('{"gradient_accumulation_steps": 2, "zero_optimization": {"stage": 2}}', None, 2),
        ('{"zero_optimization": {"stage": 2}}', None, 1),
        ('{"gradient_accumulation_steps": "auto", "zero_optimization": {"stage": 2}}', None, 4),
        ('{"gradient_accumulation_steps": "auto", "zero_optimization": {"stage": 2}}', 8, 8),
        (None, 3, 3),
        (None, None, 4),
    ],
)
def test_effective_accumulation_under_deepspeed(tmp_path: Path, ds_json: str | None, launcher_ga: int | None, effective: int) -> None:
    acc = "distributed_type: DEEPSPEED\nnum_processes: 2\ndeepspeed_config:\n  zero_stage: 2\n"
    files = {}
    if ds_json is not None:
        acc += "  deepspeed_config_file: ds.json\n"
        files["ds.json"] = ds_json
    if launcher_ga is not None:
        acc += f"  gradient_accumulation_steps: {launcher_ga}\n"
    run = _run(tmp_path, acc, files=files)
    assert run["total_batch"] == 2 * 2 * effective
    assert run["facts"]["grad_accum"]["value"] == 4
    if effective != 4:
        assert run["facts"]["effective_grad_accum"]["value"] == effective


def test_default_accelerate_config_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "hf"
    (home / "accelerate").mkdir(parents=True)
    (home / "accelerate" / "default_config.yaml").write_text("distributed_type: MULTI_GPU\nnum_processes: 4\n", encoding="utf-8")
    monkeypatch.setenv("HF_HOME", str(home))
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    plain = inspect_json("train.yaml", cwd=tmp_path)["runs"][0]
    assert plain["launch"] is None and plain["total_batch"] is None  # the machine's config is not read by default
    asked = inspect_json("train.yaml", "--use-default-accelerate-config", cwd=tmp_path)["runs"][0]
    assert asked["facts"]["num_processes"]["value"] == 4 and asked["total_batch"] == 2 * 4 * 4

"""Files checked on their own whose run is found from the other side (the launch line naming them),
and the other shapes of the corpora's former gaps, read from the `gap_*` cases' own files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import inspect_json, run_cli

CASES = Path(__file__).parent / "cases"


def _run(case: str, *args: str) -> dict[str, Any]:
    runs = inspect_json(*args, cwd=CASES / case)["runs"]
    assert len(runs) == 1, runs
    return runs[0]  # type: ignore[no-any-return]


def _at(fact: dict[str, Any]) -> tuple[object, str | None, int | None, str | None]:
    return fact["value"], fact["file"], fact["line"], fact["key"]


def test_megatron_deepspeed_json_takes_its_layout_from_the_script_naming_it() -> None:
    """train_batch_size 80, micro 4: on 2 nodes × 4 GPUs with tensor parallel 2, DP 4 and DeepSpeed's accumulation 5."""
    run = _run("gap_megatron_deepspeed_json_named_by_script", "ds_config.json")
    facts = run["facts"]
    assert run["kind"] == "deepspeed" and run["launch_script"] == "pretrain.slurm"
    assert _at(facts["num_processes"]) == (8, "pretrain.slurm", 6, "--nproc_per_node")
    assert facts["data_parallel_size"]["value"] == 4
    assert _at(facts["effective_grad_accum"])[0] == 5 and "grad_accum" not in facts  # DeepSpeed derives it; the file has none
    assert _at(facts["global_batch"]) == (80, "ds_config.json", 2, "train_batch_size")
    assert run["total_batch"] == 80


def test_accelerate_config_total_is_that_of_its_only_script() -> None:
    run = _run("gap_accelerate_config_named_by_script", "multi_gpu.yaml")
    assert run["kind"] == "launch" and run["launch_script"] == "train_lora.sh"
    assert _at(run["facts"]["num_processes"]) == (4, "multi_gpu.yaml", 5, "num_processes")
    assert "per_device_batch" not in run["facts"]  # the file's own facts stay its own
    assert run["total_batch"] == 48  # --train_batch_size 6 × 4 processes × 2 accumulation


def test_a_file_two_scripts_name_has_no_run_of_its_own(tmp_path: Path) -> None:
    """Which run it belongs to is the user's choice: no layout, no total."""
    case = CASES / "gap_accelerate_config_named_by_script"
    for name in ("multi_gpu.yaml", "train_lora.sh", "pyproject.toml"):
        (tmp_path / name).write_text((case / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "other.sh").write_text("accelerate launch --config_file multi_gpu.yaml other.py --train_batch_size=2\n", encoding="utf-8")
    run = inspect_json("multi_gpu.yaml", cwd=tmp_path)["runs"][0]
    assert run["launch_script"] is None and run["total_batch"] is None


def test_deepspeed_json_of_auto_values_is_left_to_its_trainer(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "zero.json").write_text('{"train_micro_batch_size_per_gpu": "auto", "zero_optimization": {"stage": 2}}\n', encoding="utf-8")
    (tmp_path / "run.sh").write_text("torchrun --nproc_per_node 8 train.py --per_device_train_batch_size 2 --deepspeed zero.json\n", encoding="utf-8")
    run = inspect_json("zero.json", cwd=tmp_path)["runs"][0]
    assert "num_processes" not in run["facts"] and run["total_batch"] is None


def test_dataset_toml_takes_processes_and_accumulation_from_the_gui_config_naming_it() -> None:
    run = _run("gap_dataset_toml_named_by_gui_config", "datasets/portraits.toml")
    facts = run["facts"]
    assert _at(facts["per_device_batch"]) == (5, "datasets/portraits.toml", 6, "datasets[0].batch_size")
    assert _at(facts["num_processes"]) == (2, "lora_gui.json", 15, "num_processes")
    assert _at(facts["grad_accum"]) == (3, "lora_gui.json", 11, "gradient_accumulation_steps")
    assert run["total_batch"] == 30


def test_a_script_run_by_a_job_wrapper_with_arguments_is_read_with_them() -> None:
    """`sky exec ... -- bash -c "node_launch.sh $HEAD ${NODES}"`: $1, `shift`, then $1 is the node count."""
    run = _run("gap_job_wrapper_runs_launch_script", "jobs/submit.sh")
    assert run["config"] == "configs/sft.yaml" and run["launch_script"] == "node_launch.sh"
    assert _at(run["facts"]["num_machines"]) == (4, "node_launch.sh", 6, "--nnodes")
    assert run["facts"]["num_processes"]["value"] == 32
    assert run["total_batch"] == 256
    alone = _run("gap_job_wrapper_runs_launch_script", "node_launch.sh")  # read on its own, $1 is not known
    assert alone["total_batch"] is None


def test_a_config_merged_under_another_is_read_as_that_ones_dialect() -> None:
    """`--base backbone.yaml stage1.yaml`: the model half takes the launch's layout and keeps its own keys; its batch is the other file's."""
    run = _run("gap_config_merged_with_another", "configs/backbone.yaml")
    facts = run["facts"]
    assert run["dialect"] == "sat" and "configs/stage1.yaml" in run["why"]
    assert _at(facts["num_processes"]) == (4, "finetune.sh", 2, "--nproc_per_node")
    key = "model.network_config.params.transformer_args.checkpoint_activations"
    assert _at(facts["gradient_checkpointing"]) == (True, "configs/backbone.yaml", 8, key)
    assert "per_device_batch" not in facts and run["total_batch"] is None


def test_a_hostfile_named_alone_gives_its_hosts_and_slots(tmp_path: Path) -> None:
    run = _run("gap_hostfile_named_alone", "hostfile")
    assert run["dialect"] == "deepspeed-hostfile" and run["kind"] == "launch"
    assert run["facts"]["num_processes"]["value"] == 16 and run["facts"]["num_machines"]["value"] == 4
    (tmp_path / "notes").write_text("node-a slots=4\nremember to drain node-b\n", encoding="utf-8")
    code, _, err = run_cli("inspect", "notes", cwd=tmp_path)  # a file that is not all `host slots=N` lines stays refused
    assert code == 2 and "not a file batchlint reads" in err


def test_a_hydra_defaults_fragment_is_read_through_the_config_composing_it() -> None:
    run = _run("gap_hydra_defaults_fragment", "conf/schedule.yaml", "--num-processes", "2")
    assert run["config"] == "conf/finetune.yaml" and run["dialect"] == "hf-trainer"
    assert _at(run["facts"]["grad_accum"]) == (4, "conf/schedule.yaml", 2, "gradient_accumulation_steps")
    assert run["total_batch"] == 64


def test_fragments_naming_each_other_do_not_loop(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "a.yaml").write_text("defaults:\n  - b\n  - _self_\ngradient_accumulation_steps: 2\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("defaults:\n  - a\n  - _self_\nwarmup_batches: 3\n", encoding="utf-8")
    for name in ("a.yaml", "b.yaml"):
        code, _, err = run_cli("inspect", name, cwd=tmp_path)
        assert code in (0, 1) and "internal error" not in err


def test_a_missing_config_path_shows_its_one_namesake_unresolved() -> None:
    """`sat/conf/stage2.yaml` does not exist; `conf/stage2.yaml` does: its batch is shown, never used for a total."""
    run = _run("gap_missing_config_path_one_namesake", "stage2.sh")
    facts = run["facts"]
    assert _at(facts["per_device_batch"]) == (3, "conf/stage2.yaml", 5, "deepspeed.train_micro_batch_size_per_gpu")
    assert "does not exist" in facts["per_device_batch"]["unresolved"] and facts["grad_accum"]["value"] == 2
    assert run["total_batch"] is None and facts["training_config"]["value"] == "sat/conf/stage2.yaml"
    assert "deepspeed." not in run["why"]  # the launch line's own flags only


def test_batch_flags_left_out_take_the_training_scripts_argparse_defaults() -> None:
    run = _run("gap_training_script_defaults", "train.sh")
    facts = run["facts"]
    assert _at(facts["per_device_batch"]) == (6, "train_depth.py", 8, "--train_batch_size")
    assert facts["per_device_batch"]["source"] == "default" and facts["per_device_batch"]["column"] == 65
    assert _at(facts["grad_accum"]) == (2, "train_depth.py", 9, "--gradient_accumulation_steps")
    assert run["total_batch"] == 24  # 6 × 2 processes × 2; --eval_batch_size 16 is not the training batch


def test_a_config_a_python_script_writes_first_is_read_from_that_scripts_literals() -> None:
    """`python make_small_config.py` rewrites the YAML before torchrun: micro 3 × dp 2 × 4, not the committed 8 × 4 × 1."""
    run = _run("gap_config_written_by_python_script", "examples/train_small.sh")
    facts = run["facts"]
    assert _at(facts["per_device_batch"]) == (3, "examples/make_small_config.py", 6, "tokens.micro_batch_size")
    assert facts["per_device_batch"]["column"] == 76
    assert facts["grad_accum"]["value"] == 4 and facts["data_parallel_size"]["value"] == 2
    assert run["total_batch"] == 24


def test_a_launch_config_named_through_a_callers_arguments_gets_the_callers_run(tmp_path: Path) -> None:
    """`bash run.sh acc.yaml 2`, and run.sh launches `--config_file $1 --num_processes $2 ... --config cfg.yaml`."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "acc.yaml").write_text("compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_processes: 8\n", encoding="utf-8")
    (tmp_path / "cfg.yaml").write_text("output_dir: out\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 2\n", encoding="utf-8")
    (tmp_path / "run.sh").write_text("accelerate launch --config_file $1 --num_processes $2 train.py --config cfg.yaml\n", encoding="utf-8")
    (tmp_path / "submit.sh").write_text("bash run.sh acc.yaml 2\n", encoding="utf-8")
    run = inspect_json("acc.yaml", cwd=tmp_path)["runs"][0]
    assert run["kind"] == "launch" and run["total_batch"] == 16  # 4 × 2 processes (the caller's) × 2

"""Launch lines as real scripts write them: modules, wrappers, trainer CLIs, strings run with eval,
here-documents, Megatron and RLHF flags, and the files a launch line names."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchlint.launch import launch_facts, launches, script_arg_facts
from batchlint.loading.shell import read_script
from tests.helpers import check_json, inspect_json


def _one(text: str):  # type: ignore[no-untyped-def]
    found = launches("s.sh", text)
    assert len(found) == 1, found
    return found[0]


def _values(facts: dict) -> dict:  # type: ignore[type-arg]
    return {str(k): v.value for k, v in facts.items()}


def test_module_launches_keep_the_launcher_flags_before_the_module() -> None:
    launch = _one("accelerate launch --config_file acc.yaml --num_processes 4 -m pkg.train --train_bs 2\n")
    assert launch.program.text == "pkg.train" and launch.launcher_args["--config_file"].text == "acc.yaml"  # type: ignore[union-attr]
    assert _values(launch_facts(launch, "s.sh"))["num_processes"] == 4
    assert _values(script_arg_facts(launch, "s.sh"))["per_device_batch"] == 2
    torch = _one("torchrun --nproc_per_node 8 -m apps.main.train config=apps/main/configs/debug.yaml data.batch_size=4\n")
    assert torch.program.text == "apps.main.train" and torch.overrides["data.batch_size"].text == "4"  # type: ignore[union-attr]
    assert torch.training_config().text == "apps/main/configs/debug.yaml"  # type: ignore[union-attr]
    ds = _one("deepspeed --num_gpus 2 --module my.train --deepspeed ds.json\n")
    assert ds.program.text == "my.train" and _values(launch_facts(ds, "s.sh"))["num_processes"] == 2  # type: ignore[union-attr]
    py = _one("python -u -m torch.distributed.run --nproc_per_node 8 --nnodes 1 run_train.py --config-file c.yaml\n")
    assert py.launcher == "torchrun" and {k: v for k, v in _values(launch_facts(py, "s.sh")).items() if k in ("num_machines", "num_processes")} == {
        "num_machines": 1,
        "num_processes": 8,
    }


@pytest.mark.parametrize(
    "text, processes",
    [
        ("srun --nodes=2 --ntasks-per-node=4 python train.py --per_gpu_batch_size 2\n", 8),
        ("#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=8\nsrun python3 train.py cfg.yaml --batch_size_per_gpu 2\n", 16),
        ("mpirun -np 4 --allow-run-as-root -x NCCL_DEBUG=INFO python train.py --per_gpu_batch_size 2\n", 4),
        ("uv run --with wandb torchrun --nproc_per_node 2 train.py --train_bs 2\n", 2),
        ("poetry run accelerate launch --num_processes 3 train.py --train_bs 2\n", 3),
        ("conda run -n train torchrun --nproc_per_node 4 train.py --train_bs 2\n", 4),
        ("NPROC_PER_NODE=8 NNODES=2 swift sft --per_device_train_batch_size 1\n", 16),
        ("FORCE_TORCHRUN=1 NPROC_PER_NODE=4 llamafactory-cli train --per_device_train_batch_size 2\n", 4),
        ("python launcher.py --nodes 2 -- accelerate launch --num_processes 16 train.py --train_bs 2\n", 16),
        ('CMD="torchrun --nproc_per_node=8 train.py --train_bs 2"\neval "$CMD"\n', 8),
        ('bash -x -c "cd /w; export X=1; torchrun --nproc_per_node 2 train.py --train_bs 2" 2>&1\n', 2),
        ("GPUS=$(expr 2 \\* 4)\ntorchrun --nproc_per_node $GPUS train.py --train_bs 2\n", 8),
        (": ${GPUS_PER_NODE:=4}\ntorchrun --nproc_per_node=$GPUS_PER_NODE train.py --train_bs 2\n", 4),
        ("export CUDA_VISIBLE_DEVICES=0,1,2\ntorchrun --nproc_per_node=gpu train.py --train_bs 2\n", 3),  # one per visible GPU
    ],
)
def test_wrappers_and_the_processes_they_start(text: str, processes: int) -> None:
    found = [launch for launch in launches("s.sh", text) if launch_facts(launch, "s.sh")]
    assert found, text
    assert _values(launch_facts(found[-1], "s.sh"))["num_processes"] == processes


def test_visible_gpus_are_no_count_for_accelerate_without_a_config() -> None:
    """With no --num_processes and no --config_file the user's default accelerate config decides."""
    launch = _one("CUDA_VISIBLE_DEVICES=0,1,2,3 accelerate launch train.py --train_batch_size 6\n")
    assert "num_processes" not in _values(launch_facts(launch, "s.sh"))


def test_scheduler_variables_are_not_taken_from_a_default() -> None:
    """`${SLURM_NNODES:-1}`: SLURM sets it when the job runs; the 1 is a fallback, not the node count."""
    launch = _one("NNODES=${SLURM_NNODES:-1}\ntorchrun --nproc_per_node 8 --nnodes $NNODES pretrain_gpt.py --micro-batch-size 1\n")
    facts = launch_facts(launch, "s.sh")
    assert "num_processes" not in _values(facts) and facts["num_machines"].value == "$NNODES"  # type: ignore[index]


def test_branches_whose_test_is_known() -> None:
    text = (
        'MODE=""\nif [ -n "$MODE" ]; then\n  python -m pkg.train --comm.mode=$MODE\nelse\n'
        "  torchrun --nproc_per_node=8 -m pkg.train --job.config_file c.toml\nfi\n"
    )
    assert [launch.launcher for launch in launches("s.sh", text)] == ["torchrun"]


def test_here_documents_script_or_data() -> None:
    text = (
        'cat > ds.json <<EOF\n{"train_batch_size": 8}\ntorchrun not_a_launch.py\nEOF\n'
        "sbatch <<EOF\n#!/bin/bash\nsrun python pretrain.py --micro-batch-size 4 --global-batch-size 64\nEOF\n"
    )
    found = launches("s.sh", text)
    assert [launch.program.text for launch in found] == ["pretrain.py"]  # type: ignore[union-attr]
    assert _values(script_arg_facts(found[0], "s.sh")) == {"per_device_batch": 4, "global_batch": 64}


def test_nested_defaults_functions_and_positions() -> None:
    text = 'DATA=${DATA:-"${ROOT}/d.jsonl"}\nGBS=${GBS:-4}\nrun() {\ntorchrun --nproc-per-node 2 t.py ++model.global_batch_size=${GBS}\n}\nrun "$@"\n'
    launch = _one(text)
    assert launch.overrides["model.global_batch_size"].text == "4"
    fact = launch_facts(launch, "s.sh")["num_processes"]  # type: ignore[index]
    assert fact.key == "--nproc-per-node" and fact.span is not None and fact.span.line == 4  # the flag as written
    assert read_script(text).variables["DATA"] == "${ROOT}/d.jsonl"


def test_megatron_and_rlhf_batch_flags() -> None:
    mega = _one(
        "torchrun --nproc_per_node 8 pretrain_gpt.py --micro-batch-size 2 --global-batch-size 128 "
        "--tensor-model-parallel-size 2 --pipeline-model-parallel-size 2 --context-parallel-size 1 --bf16\n"
    )
    assert _values(script_arg_facts(mega, "s.sh")) == {
        "per_device_batch": 2,
        "global_batch": 128,
        "tp_size": 2,
        "pp_size": 2,
        "cp_size": 1,
        "mixed_precision": True,
    }
    rlhf = _one("deepspeed --num_gpus 8 --module openrlhf.cli.train_sft --train_batch_size 256 --micro_train_batch_size 4\n")
    assert _values(script_arg_facts(rlhf, "s.sh")) == {"per_device_batch": 4, "global_batch": 256}  # --train_batch_size is global here


def test_a_megatron_run_derives_its_accumulation(tmp_path: Path) -> None:
    (tmp_path / "train.sh").write_text(
        "torchrun --nproc_per_node 8 pretrain_gpt.py --micro-batch-size 2 --global-batch-size 128 --tensor-model-parallel-size 2\n", encoding="utf-8"
    )
    run = inspect_json("train.sh", cwd=tmp_path)["runs"][0]
    assert run["facts"]["data_parallel_size"]["value"] == 4 and run["facts"]["grad_accum"]["value"] == 16
    assert run["total_batch"] == 128


def test_the_deepspeed_json_a_launch_line_names_is_linked(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "ds.json").write_text(
        '{\n  "train_micro_batch_size_per_gpu": "auto",\n  "gradient_accumulation_steps": "auto",\n  "zero_optimization": {"stage": 2}\n}\n', encoding="utf-8"
    )
    (tmp_path / "train.sh").write_text("deepspeed --num_gpus 4 train.py --deepspeed configs/ds.json --per_device_train_batch_size 2\n", encoding="utf-8")
    assert check_json("train.sh", cwd=tmp_path)[0] == 0
    (tmp_path / "gone.sh").write_text("deepspeed --num_gpus 4 train.py --deepspeed configs/gone.json --per_device_train_batch_size 2\n", encoding="utf-8")
    code, diags = check_json("gone.sh", cwd=tmp_path)
    assert code == 1 and [(d["code"], d["line"]) for d in diags if d["code"] == "X002"] == [("X002", 1)]
    # A path with a part set at run time is linked when one file matches it, and never reported.
    (tmp_path / "pwd.sh").write_text("deepspeed --num_gpus 4 train.py --deepspeed_config ${PWD}/configs/ds.json --micro-batch-size 2\n", encoding="utf-8")
    assert [d["code"] for d in check_json("pwd.sh", cwd=tmp_path)[1] if d["code"] == "X002"] == []


def test_a_kubernetes_training_job_is_read_from_its_containers_command(tmp_path: Path) -> None:
    (tmp_path / "job.yaml").write_text(
        'apiVersion: "kubeflow.org/v1"\nkind: PyTorchJob\nspec:\n  pytorchReplicaSpecs:\n    Worker:\n      replicas: 4\n'
        "      template:\n        spec:\n          containers:\n            - name: trainer\n              command:\n"
        "                - torchrun\n                - --nproc_per_node=8\n                - train.py\n"
        "                - --per_device_train_batch_size=2\n                - --bf16\n",
        encoding="utf-8",
    )
    run = inspect_json("job.yaml", cwd=tmp_path)["runs"][0]
    facts = run["facts"]
    assert (facts["per_device_batch"]["value"], facts["per_device_batch"]["line"]) == (2, 15)
    assert facts["num_processes"]["value"] == 32 and run["total_batch"] == 64  # 4 pods × 8, the operator's --nnodes
    (tmp_path / "bench.yaml").write_text(
        "kind: MPIJob\nspec:\n  mpiReplicaSpecs:\n    Launcher:\n      template:\n        spec:\n"
        "          containers:\n            - command: [mpirun, -np, '16', all_reduce_perf, -b, '8']\n",
        encoding="utf-8",
    )
    assert inspect_json("bench.yaml", cwd=tmp_path)["runs"] == [] and check_json("bench.yaml", cwd=tmp_path) == (0, [])


def test_a_command_string_in_a_yaml_list_keeps_each_word_in_place(tmp_path: Path) -> None:
    line = '                - "torchrun --nproc_per_node=8 --nnodes=2 train.py --batch_size_training=3 --pure_bf16"\n'
    (tmp_path / "job.yaml").write_text(
        "kind: PyTorchJob\nspec:\n  pytorchReplicaSpecs:\n    Worker:\n      replicas: 2\n"
        "      template:\n        spec:\n          containers:\n            - command:\n"
        "                - bash\n                - -c\n" + line,
        encoding="utf-8",
    )
    facts = inspect_json("job.yaml", cwd=tmp_path)["runs"][0]["facts"]
    pd = facts["per_device_batch"]
    assert (pd["value"], pd["line"], pd["column"]) == (3, 12, line.index("--batch_size_training=3") + len("--batch_size_training=") + 1)
    assert facts["mixed_precision"]["value"] is True and facts["num_processes"]["value"] == 16

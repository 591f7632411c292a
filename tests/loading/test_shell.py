"""The shell reader and launch lines: the traps real scripts have (corpus README, "Shell-syntax traps")."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.launch import launch_facts, launches, script_arg_facts
from batchlint.loading.shell import read_script


def _one(text: str):  # type: ignore[no-untyped-def]
    found = launches("s.sh", text)
    assert len(found) == 1, found
    return found[0]


def test_accelerate_flags_before_the_script_and_script_flags_after() -> None:
    launch = _one("accelerate launch --mixed_precision bf16 --num_processes=8 train.py --mixed_precision fp16 --config c.yaml\n")
    assert launch.launcher == "accelerate" and launch.program is not None and launch.program.text == "train.py"
    assert launch.launcher_args["--mixed_precision"].text == "bf16"  # type: ignore[union-attr]
    assert launch.script_args["--mixed_precision"].text == "fp16"  # type: ignore[union-attr]
    facts = launch_facts(launch, "s.sh")
    assert facts["num_processes"].value == 8 and facts["launch_mixed_precision"].value == "bf16"
    assert script_arg_facts(launch, "s.sh")["mixed_precision"].value == "fp16"
    assert launch.training_config().text == "c.yaml"  # type: ignore[union-attr]


def test_continuations_tabs_blank_and_commented_lines() -> None:
    text = "torchrun \\\n\t--nproc_per_node=4 \\\n\t--nnodes 2 \\\n    train.py \\\n    # --batch_size 64 \\\n    --batch_size 8 \\\n"
    launch = _one(text)
    # bash: the comment ends the command; `--batch_size 8` on the next line is a command of its own.
    assert launch_facts(launch, "s.sh")["num_processes"].value == 8
    assert "--batch_size" not in launch.script_args
    launch = _one("python train.py --train_batch_size 4 \\\n\n--gradient_accumulation_steps 2\n")
    assert "--gradient_accumulation_steps" not in launch.script_args  # a blank line ends it too
    launch = _one("python train.py --train_batch_size 4 \\")  # a trailing backslash at the end of the file
    assert script_arg_facts(launch, "s.sh")["per_device_batch"].value == 4


def test_variables_arithmetic_and_sbatch() -> None:
    text = (
        "#!/bin/bash\n#SBATCH --nodes=4\n#SBATCH --gres=gpu:8\nGPUS_PER_NODE=8\n"
        "export WORLD=$((SLURM_NNODES * GPUS_PER_NODE))\n"
        "accelerate launch --num_processes $WORLD --num_machines ${SLURM_NNODES} train.py\n"
    )
    facts = launch_facts(_one(text), "s.sh")
    assert facts["num_processes"].value == 32 and facts["num_machines"].value == 4
    assert facts["num_processes"].span is not None and facts["num_processes"].span.line == 6


def test_command_assembled_in_a_string() -> None:
    text = (
        'export LAUNCHER="accelerate launch \\\n  --num_processes 16 \\\n  "\nexport ARGS=" --train_batch_size 7 "\n'
        'export CMD="$LAUNCHER train.py $ARGS"\nsrun $CMD\n'
    )
    launch = _one(text)
    assert launch_facts(launch, "s.sh")["num_processes"].value == 16
    fact = script_arg_facts(launch, "s.sh")["per_device_batch"]
    assert fact.value == 7 and fact.span is not None and fact.span.line == 4  # where the value is written


def test_env_prefix_hydra_overrides_and_bare_flags() -> None:
    launch = _one("CUDA_VISIBLE_DEVICES=0,1 deepspeed train.py --deepspeed ds.json --bf16 trainer.batch_size=8 +x=1\n")
    assert launch.command.env == {"CUDA_VISIBLE_DEVICES": "0,1"}
    assert launch_facts(launch, "s.sh")["num_processes"].value == 2
    assert launch.overrides["trainer.batch_size"].text == "8"
    assert script_arg_facts(launch, "s.sh")["mixed_precision"].value is True


def test_flag_values_with_equals_and_quotes_keep_positions() -> None:
    text = "python train.py --train_batch_size=\"16\" --gradient_accumulation_steps='4'\n"
    facts = script_arg_facts(_one(text), "s.sh")
    assert facts["per_device_batch"].value == 16 and facts["grad_accum"].value == 4
    span = facts["per_device_batch"].span
    assert span is not None and text[span.start : span.end] == '"16"'


def test_unknown_and_unrunnable_expansions_are_marked() -> None:
    launch = _one("python train.py --config $(ls configs | head -1) --train_batch_size $BS\n")
    assert launch.script_args["--config"].unresolved  # type: ignore[union-attr]
    assert "per_device_batch" in script_arg_facts(launch, "s.sh")
    assert script_arg_facts(launch, "s.sh")["per_device_batch"].value == "$BS"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(list("ab =-$(){}'\"\\\n\t;&|#0123456789*+/.:,") + ["accelerate launch ", "torchrun ", "--num_processes ", "$((", "${", "\\\n", "X=1 "]),
        max_size=120,
    ).map("".join)
)
def test_reader_never_fails(text: str) -> None:
    script = read_script(text)
    for command in script.commands:
        for word in command.words:
            assert 0 <= word.start <= len(text)
    launches("fuzz.sh", text)


def test_deepspeed_hostfile_and_positional_parameters(tmp_path: object) -> None:
    from pathlib import Path

    from batchlint.launch import launches as read

    root = Path(str(tmp_path))
    (root / "hostfile").write_text("node-1 slots=8\nnode-2 slots=8\n# spare\n", encoding="utf-8")
    (root / "run.sh").write_text("deepspeed --hostfile hostfile train.py --deepspeed ds.json\n", encoding="utf-8")
    launch = read(str(root / "run.sh"), (root / "run.sh").read_text(encoding="utf-8"))[0]
    fact = launch_facts(launch, "run.sh")["num_processes"]
    assert fact.value == 16 and fact.key == "--hostfile"
    staged = _one("STAGE=$1\npython train.py --config configs/$STAGE.yaml\n")
    assert staged.training_config().unresolved  # type: ignore[union-attr]


# CogVideoX's finetune scripts keep the training flags in bash arrays, "Please keep consistent with
# deepspeed config file", and launch with "${TRAIN_ARGS[@]}".
ARRAY_SCRIPT = """\
MODEL_ARGS=(
    --model_path "THUDM/CogVideoX1.5-5B"
)
TRAIN_ARGS=(
    --seed 42 # random seed

    #########   Please keep consistent with deepspeed config file ##########
    --batch_size 1
    --gradient_accumulation_steps 4
)
TRAIN_ARGS+=(--mixed_precision "bf16")
SHORT=(--a 1 --b 2)
accelerate launch --config_file acc.yaml train.py \\
    "${MODEL_ARGS[@]}" \\
    "${TRAIN_ARGS[@]}" ${SHORT[@]}
"""


def test_bash_arrays_expand_to_their_words_in_place() -> None:
    launch = _one(ARRAY_SCRIPT)
    args = launch.script_args
    assert {k: w.text for k, w in args.items() if w is not None} == {
        "--model_path": "THUDM/CogVideoX1.5-5B",
        "--seed": "42",
        "--batch_size": "1",
        "--gradient_accumulation_steps": "4",
        "--mixed_precision": "bf16",
        "--a": "1",
        "--b": "2",
    }
    accum = args["--gradient_accumulation_steps"]
    assert accum is not None and ARRAY_SCRIPT[accum.start : accum.end] == "4"
    assert ARRAY_SCRIPT.count("\n", 0, accum.start) + 1 == 9  # the line inside the array literal
    facts = script_arg_facts(launch, "s.sh")
    assert facts["grad_accum"].value == 4 and facts["per_device_batch"].value == 1


def test_unknown_array_stays_unresolved() -> None:
    script = read_script('python train.py "${NOT_SET[@]}"\n')
    assert [w.unresolved for w in script.commands[0].words] == [False, False, True]


def test_dotlist_overrides_replace_the_keys_a_run_reads() -> None:
    from batchlint.launch import override_facts
    from batchlint.model import Fact, FactName, Origin

    text = (
        "torchrun --nproc_per_node=8 main.py --base c.yaml data.params.batch_size=6 "
        "++lightning.trainer.accumulate_grad_batches=3 model.lr=$LR other.batch_size=$BS\n"
    )
    launch = _one(text)
    keys = {
        "per_device_batch": ("data.params.batch_size",),
        "grad_accum": ("lightning.trainer.accumulate_grad_batches",),
        "num_processes": ("other.batch_size",),
    }
    file_fact = Fact(FactName.PER_DEVICE_BATCH, 4, Origin.FILE, "data.params.batch_size")
    facts = override_facts(launch, "s.sh", keys, {"per_device_batch": file_fact})
    assert {name: f.value for name, f in facts.items()} == {"per_device_batch": 6, "grad_accum": 3}  # $BS is unknown
    word = facts["grad_accum"]
    assert word.span is not None and text[word.span.start : word.span.end] == "3" and word.source == "script"

"""The cheap checks the script reader makes before it runs (and first compiles) a pattern never skip
what the pattern reads: `#SBATCH` directives however they are spaced, arrays expanded quoted or
not, and `NAME=value` words."""

from __future__ import annotations

from batchlint.loading.shell import read_script


def test_sbatch_directives_are_read_whatever_their_spacing() -> None:
    script = read_script("#!/bin/bash\n#SBATCH -N 2\n#SBATCH\t-n 16\n#SBATCH\t--gres=gpu:a100:8\nsrun python train.py\n")
    found = {k: script.variables.get(k) for k in ("SLURM_NNODES", "SLURM_NTASKS", "SLURM_GPUS_PER_NODE")}
    assert found == {"SLURM_NNODES": "2", "SLURM_NTASKS": "16", "SLURM_GPUS_PER_NODE": "8"}


def test_a_script_without_directives_sets_no_scheduler_variable() -> None:
    script = read_script("# no #SBATCH-like line here: SBATCH --nodes=2\npython train.py\n")
    assert "SLURM_NNODES" not in script.variables


def test_an_array_is_expanded_quoted_and_unquoted() -> None:
    script = read_script('ARGS=(--name "a b")\npython train.py ${ARGS[@]} "${ARGS[*]}"\n')
    assert [w.text for w in script.commands[0].words] == ["python", "train.py", "--name", "a b", "--name", "a b"]  # each element one word


def test_environment_prefixes_and_assignments() -> None:
    script = read_script("NODES=2\nA=1 B=x=y python train.py --nodes $NODES\n")
    (command,) = script.commands
    assert command.env == {"A": "1", "B": "x=y"}
    assert [w.text for w in command.words] == ["python", "train.py", "--nodes", "2"]

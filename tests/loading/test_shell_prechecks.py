"""The cheap checks the script reader makes before it runs (and first compiles) a pattern never skip
what the pattern reads: `#SBATCH` directives however they are spaced, arrays expanded quoted or
not, and `NAME=value` words."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.loading.shell import _assignment, read_script


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


# Characters that decide an assignment: name characters, "=", and others of other scripts (a letter, a
# digit, a space) that `[A-Za-z0-9_]` does not take.
_ASSIGN_CHARS = st.sampled_from(["a", "Z", "_", "0", "9", "=", "=", "-", ".", " ", "\n", "é", "ß", "٣", "ｆ", "$", "(", "+"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_ASSIGN_CHARS, max_size=10).map("".join))
def test_an_assignment_is_what_its_old_pattern_reads(text: str) -> None:
    old = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.S) if "=" in text else None
    assert _assignment(text) == (None if old is None else (old.group(1), old.group(2)))


def test_functions_and_arrays_are_read_up_to_the_last_parenthesis() -> None:
    """Their patterns are tried only before the text's last "(" / "=(": here each is the last one."""
    script = read_script('f() { echo; }\nfunction g {\n  :\n}\nARGS=(--a 1)\nB+=(x)\npython t.py "${ARGS[@]}" ${B[@]}\nA=1 python u.py\n')
    assert [[w.text for w in c.words] for c in script.commands] == [["echo"], [":"], ["python", "t.py", "--a", "1", "x"], ["python", "u.py"]]
    assert [[w.text for w in c.words] for c in read_script("echo a\nf () { :; }\n").commands] == [["echo", "a"], [":"]]
    assert [[w.text for w in c.words] for c in read_script("echo\nA=(x y)\npython t.py ${A[@]}\n").commands] == [["echo"], ["python", "t.py", "x", "y"]]
    assert read_script("function h\necho ok\n").commands[0].words[0].text == "echo"  # `function` with no "(" after it

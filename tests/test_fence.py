"""The project fence: a file batchlint follows from a checked file's contents (an include, a launch config,
a DeepSpeed JSON, a hostfile, a launch script, a memory profile) is read only when it resolves, symlinks
followed, inside the project (or a directory `allow-outside` names). A fenced-off file is not read and
not printed; the run gets BL009 where the file is named. Files named on the command line are trusted.

Every outside file below holds the number 4242: when it is read, `inspect` shows it (a process count,
an accumulation, a batch); when it is fenced off, it appears nowhere in what batchlint prints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import check_json, inspect_json, run_cli

MUSEV = (
    "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\nmodel:\n  a: 1\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4\n"
)
HF = "per_device_train_batch_size: 4\ngradient_accumulation_steps: 1\noutput_dir: out\nlearning_rate: 1.0e-5\nnum_train_epochs: 1\n"
DS_ACC = (
    "compute_environment: LOCAL_MACHINE\ndistributed_type: DEEPSPEED\ndeepspeed_config:\n  deepspeed_config_file: {json}\n"
    "  zero3_init_flag: false\nmachine_rank: 0\nnum_machines: 1\nnum_processes: 4\n"
)
HOST_ACC = (
    "compute_environment: LOCAL_MACHINE\ndistributed_type: DEEPSPEED\ndeepspeed_config:\n  deepspeed_multinode_launcher: pdsh\n"
    "  deepspeed_hostfile: {hostfile}\n  zero_stage: 2\nmachine_rank: 0\nmain_process_ip: 10.0.0.1\nmain_process_port: 29500\n"
    "num_machines: 2\nnum_processes: 16\n"
)
PLAIN_ACC = "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmachine_rank: 0\nnum_machines: 1\nnum_processes: {n}\n"
DS_JSON = (
    '{\n  "train_micro_batch_size_per_gpu": "auto",\n  "gradient_accumulation_steps": 4242,\n'
    '  "gradient_clipping": 1.0,\n  "zero_optimization": {"stage": 2}\n}\n'
)
SECRET = "4242"

# name -> (project files, outside files, the command line, where BL009 is reported: (file, line) or None for no finding)
CASES: dict[str, tuple[dict[str, str], dict[str, str], list[str], tuple[str, int] | None]] = {
    "include through a symlinked directory": (
        {"t.yaml": MUSEV.replace("accumulation_steps: 4", "accumulation_steps: ${include:shared/ga.yaml}"), "shared": "-> ../outside"},
        {"ga.yaml": f"{SECRET}\n"},
        ["t.yaml"],
        ("t.yaml", 9),
    ),
    "DeepSpeed JSON named by an accelerate config": (
        {"t.yaml": MUSEV, "acc.yaml": DS_ACC.format(json="../outside/ds.json")},
        {"ds.json": DS_JSON},
        ["t.yaml", "--accelerate-config", "acc.yaml"],
        ("acc.yaml", 4),
    ),
    "DeepSpeed JSON named by a training config": (
        {"t.yaml": HF + "deepspeed: ../outside/ds.json\n"},
        {"ds.json": DS_JSON},
        ["t.yaml", "--num-processes", "4"],
        ("t.yaml", 6),
    ),
    "accelerate config named in settings": (
        {"t.yaml": MUSEV, "batchlint.toml": 'target-total = 64\naccelerate-config = "../outside/acc.yaml"\n'},
        {"acc.yaml": PLAIN_ACC.format(n=SECRET)},
        ["t.yaml"],
        ("batchlint.toml", 2),
    ),
    "accelerate config named on a launch line": (
        {"t.yaml": MUSEV, "run.sh": "accelerate launch --config_file ../outside/acc.yaml train.py --config t.yaml\n"},
        {"acc.yaml": PLAIN_ACC.format(n=SECRET)},
        ["t.yaml"],
        ("run.sh", 1),
    ),
    "DeepSpeed JSON named on a launch line": (
        {"run.sh": "deepspeed --num_gpus 4 train.py --deepspeed ../outside/ds.json --per_device_train_batch_size 4\n"},
        {"ds.json": DS_JSON},
        ["run.sh"],
        ("run.sh", 1),
    ),
    "hostfile named by an accelerate config": (
        {"t.yaml": MUSEV, "acc.yaml": HOST_ACC.format(hostfile="../outside/hostfile")},
        {"hostfile": "".join(f"worker-{i} slots=1\n" for i in range(int(SECRET)))},  # AC025 counts 4242 hosts
        ["t.yaml", "--accelerate-config", "acc.yaml"],
        ("acc.yaml", 5),
    ),
    "hostfile named on a launch line": (
        {"run.sh": "deepspeed --hostfile ../outside/hostfile train.py --per_device_train_batch_size 4\n"},
        {"hostfile": f"worker-1 slots={SECRET}\n"},
        ["run.sh"],
        ("run.sh", 1),
    ),
    "walked symlink to a file outside": (
        {"configs/ds.json": "-> ../../outside/ds.json"},
        {"ds.json": DS_JSON},
        [".", "--num-processes", "4"],
        None,  # a directory walk skips it, as it skips excluded files: nothing names it
    ),
    "launch script symlinked in from outside": (
        {"t.yaml": MUSEV, "scripts/train.sh": "-> ../../outside/train.sh"},
        {"train.sh": f"accelerate launch --num_processes {SECRET} train.py --config t.yaml\n"},
        ["t.yaml"],
        None,  # the script index skips it: nothing names it, so there is no line to report at
    ),
}


def _tree(root: Path, project_files: dict[str, str], outside_files: dict[str, str], allow: bool = False) -> Path:
    project, outside = root / "project", root / "outside"
    (project / ".git").mkdir(parents=True)
    outside.mkdir()
    for name, text in outside_files.items():
        (outside / name).write_text(text, encoding="utf-8")
    for name, text in project_files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("-> "):
            path.symlink_to(text[3:])
        else:
            path.write_text(text, encoding="utf-8")
    if allow:
        settings = project / "batchlint.toml"
        before = settings.read_text(encoding="utf-8") if settings.exists() else ""
        settings.write_text(before + 'allow-outside = ["../outside"]\n', encoding="utf-8")
    return project


def _printed(project: Path, args: list[str]) -> str:
    """Everything batchlint prints about the run: the full report (snippets included) and inspect's JSON."""
    _, full, err = run_cli("check", "--no-cache", "--format", "full", *args, cwd=project)
    _, inspected, err2 = run_cli("inspect", "--format", "json", *args, cwd=project)
    assert "Traceback" not in err + err2 and "internal error" not in err + err2, err + err2
    return full + inspected


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_file_followed_to_outside_the_project_is_not_read(tmp_path: Path, case: str) -> None:
    project_files, outside_files, args, where = CASES[case]
    project = _tree(tmp_path, project_files, outside_files)
    assert SECRET not in _printed(project, args)
    _, diags = check_json("--no-cache", *args, cwd=project)
    found = [d for d in diags if d["code"] == "BL009"]
    if where is None:
        assert found == []
        return
    assert [(d["file"], d["line"]) for d in found] == [where], diags
    (message,) = {d["message"] for d in found}
    assert "outside the project" in message and "not read" in message, message
    assert all(d["help"] and "`allow-outside` in [tool.batchlint]" in d["help"] for d in found)
    named = next(word for word in (project / where[0]).read_text(encoding="utf-8").split() if "outside" in word or "shared/" in word)
    assert named.strip('"').split("/")[-1].rstrip("}") in message, (named, message)
    assert all(os.path.join("..", "outside") not in d["file"] for d in diags)  # nothing points into the outside files


@pytest.mark.parametrize("case", sorted(CASES))
def test_allow_outside_lets_batchlint_read_them(tmp_path: Path, case: str) -> None:
    project_files, outside_files, args, _ = CASES[case]
    project = _tree(tmp_path, project_files, outside_files, allow=True)
    assert SECRET in _printed(project, args)
    _, diags = check_json("--no-cache", *args, cwd=project)
    assert [d for d in diags if d["code"] == "BL009"] == []


def test_files_named_on_the_command_line_are_trusted(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"t.yaml": MUSEV}, {"acc.yaml": DS_ACC.format(json="ds.json"), "ds.json": DS_JSON, "profile.yaml": "preset: musev\n"})
    # The accelerate config the user names, and the DeepSpeed JSON beside it (its own directory is its project).
    run = inspect_json("t.yaml", "--accelerate-config", "../outside/acc.yaml", "--memory-profile", "../outside/profile.yaml", cwd=project)["runs"][0]
    assert run["facts"]["effective_grad_accum"]["value"] == 4242
    _, diags = check_json("--no-cache", "t.yaml", "--accelerate-config", "../outside/acc.yaml", cwd=project)
    assert [d for d in diags if d["code"] == "BL009"] == []


@pytest.mark.parametrize("marked", [True, False])
@pytest.mark.parametrize("named", ["ext/t.yaml", "ext", os.path.join("ext", "")])
def test_a_file_or_directory_named_through_a_symlink_reads_beside_its_real_place(tmp_path: Path, named: str, marked: bool) -> None:
    # The user names the path, so its includes are found where the file really is (its own project, or
    # with no marker there its own directory).
    included = MUSEV.replace("accumulation_steps: 4", "accumulation_steps: ${include:ga.yaml}")
    project = _tree(tmp_path, {"ext": "-> ../outside"}, {"t.yaml": included, "ga.yaml": f"{SECRET}\n"})
    if marked:
        (tmp_path / "outside" / "pyproject.toml").write_text('[project]\nname = "elsewhere"\n', encoding="utf-8")
    runs = inspect_json(named, "--num-processes", "2", cwd=project)["runs"]
    assert [r["facts"]["grad_accum"]["value"] for r in runs] == [4242], runs
    _, diags = check_json("--no-cache", named, "--num-processes", "2", cwd=project)
    assert [d for d in diags if d["code"] == "BL009"] == []


def test_a_memory_profile_named_in_settings_outside_the_project_is_a_settings_error(tmp_path: Path) -> None:
    project = _tree(
        tmp_path,
        {"t.yaml": MUSEV, "batchlint.toml": 'gpu = "A100-80GB"\nnum-processes = 8\nmemory-profile = "../outside/p.yaml"\n'},
        {"p.yaml": "preset: musev\n"},
    )
    code, out, err = run_cli("check", "--no-cache", "t.yaml", cwd=project)
    assert code == 2 and err.count("\n") == 1, err
    assert "batchlint.toml" in err and "memory-profile" in err and "outside the project" in err and "allow-outside" in err, err
    (project / "batchlint.toml").write_text((project / "batchlint.toml").read_text(encoding="utf-8") + 'allow-outside = ["../outside"]\n', encoding="utf-8")
    code, out, err = run_cli("check", "--no-cache", "t.yaml", cwd=project)
    assert code in (0, 1) and err == "", err


def _unmarked_tree(tmp_path: Path) -> Path:
    from batchlint.paths import marked_root

    if marked_root(str(tmp_path)) is not None:
        pytest.skip("the temporary directory lies inside a project")
    tree = tmp_path / "tree"
    (tree / "configs").mkdir(parents=True)
    (tree / "shared").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "secret.yaml").write_text(f"{SECRET}\n", encoding="utf-8")
    (tree / "shared" / "part.yaml").write_text(f"{SECRET}\n", encoding="utf-8")
    return tree


def _bl009_lines(named: str, cwd: Path) -> list[int]:
    _, diags = check_json("--no-cache", named, "--num-processes", "2", cwd=cwd)
    return [d["line"] for d in diags if d["code"] == "BL009"]


def test_without_a_marker_the_fence_is_the_working_directory_or_the_named_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _unmarked_tree(tmp_path)
    config = tree / "configs" / "t.yaml"
    config.write_text(MUSEV.replace("accumulation_steps: 4", "accumulation_steps: ${include:../shared/part.yaml}"), encoding="utf-8")
    # Run from the tree's root (as from a repository's): the tree is the project.
    assert _bl009_lines("configs/t.yaml", tree) == []
    assert inspect_json("configs/t.yaml", cwd=tree)["runs"][0]["facts"]["grad_accum"]["value"] == 4242
    # Run from elsewhere: the path named on the command line is the project — a named directory, or a named file's directory.
    assert _bl009_lines(str(config), tmp_path / "elsewhere") == [9]
    assert _bl009_lines(str(tree / "configs"), tmp_path / "elsewhere") == [9]
    assert _bl009_lines(str(tree), tmp_path / "elsewhere") == []
    # Above the working directory is outside.
    config.write_text(MUSEV.replace("accumulation_steps: 4", "accumulation_steps: ${include:../../secret.yaml}"), encoding="utf-8")
    assert _bl009_lines("configs/t.yaml", tree) == [9]
    assert SECRET not in _printed(tree, ["configs/t.yaml"])
    # The home directory (or /) as the working directory is no project: the named path is.
    config.write_text(MUSEV.replace("accumulation_steps: 4", "accumulation_steps: ${include:../shared/part.yaml}"), encoding="utf-8")
    monkeypatch.setenv("HOME", str(tree))
    assert _bl009_lines("configs/t.yaml", tree) == [9]


def test_allow_outside_is_validated_like_other_settings(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"t.yaml": MUSEV, "batchlint.toml": "allow-outside = 3\n"}, {})
    code, _, err = run_cli("check", "t.yaml", cwd=project)
    assert code == 2 and err.count("\n") == 1 and "`allow-outside` must be a list of directory paths" in err, err
    (project / "batchlint.toml").write_text('allow-outside = "../outside"\n', encoding="utf-8")
    shown = run_cli("settings", "--show", "t.yaml", cwd=project)[1]
    assert str(tmp_path / "outside") in shown  # a string is one directory, resolved against the settings file


def test_a_list_of_files_is_fenced_as_each_file_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fence.allowed (one realpath per directory) answers for every path as Fence.allows (one per file):
    plain files, a symlink to outside, a broken one, a file under a symlinked directory, relative paths."""
    from batchlint.paths import Fence

    project, outside = tmp_path / "project", tmp_path / "outside"
    (project / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "far.sh").write_text("x\n")
    (project / "a.sh").write_text("x\n")
    (project / "sub" / "b.sh").write_text("x\n")
    (project / "out.sh").symlink_to(outside / "far.sh")
    (project / "in.sh").symlink_to(project / "sub" / "b.sh")
    (project / "broken.sh").symlink_to(project / "missing.sh")
    (project / "linked").symlink_to(outside)  # a directory: its files are outside
    (project / "back").symlink_to(project / "sub")
    (tmp_path / "alias").symlink_to(project)  # the project named through a symlink
    names = ["a.sh", "sub/b.sh", "out.sh", "in.sh", "broken.sh", "linked/far.sh", "back/b.sh", "missing.sh", "sub/../a.sh", "sub/..", "sub/", "linked/.."]
    monkeypatch.chdir(tmp_path)
    for base in (str(project), str(tmp_path / "alias"), "project", "alias"):
        paths = [os.path.join(base, n) for n in names]
        expected = [p for p in paths if Fence(str(project)).allows(p)]
        assert Fence(str(project)).allowed(paths) == expected
        assert Fence(str(project), (str(outside),)).allowed(paths) == [p for p in paths if Fence(str(project), (str(outside),)).allows(p)]
    kept = Fence(str(project)).allowed([os.path.join(str(project), n) for n in names])
    assert [os.path.relpath(p, project) for p in kept] == ["a.sh", "sub/b.sh", "in.sh", "broken.sh", "back/b.sh", "missing.sh", "a.sh", ".", "sub"]

"""A named path that does not exist, or a file of a type batchlint does not read, is a one-line error
with exit 2 before anything is checked; and nothing says "All checks passed!" after an internal error."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.helpers import run_cli

TRAIN = "output_dir:\n  exp_dir: ./exp\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 1\n  gradient_accumulation_steps: 2\n"
LAUNCH = ("--num-processes", "8", "--target-total", "16")
READS = "(it reads .yaml, .yml, .json, .jsonc, .toml, .sh, .slurm, .bash, .sbatch files)"


@pytest.mark.parametrize(
    "command",
    [
        ("check",),
        ("check", "--fix"),
        ("check", "--diff"),
        ("check", "--add-ignore"),
        ("check", "--statistics"),
        ("check", "--format", "json"),
        ("inspect",),
        ("inspect", "--format", "json"),
        ("plan",),
        ("settings", "--show"),
    ],
)
def test_a_missing_path_is_one_line_and_exit_2(command: tuple[str, ...], tmp_path: Path) -> None:
    assert run_cli(*command, "nonexistent.yaml", cwd=tmp_path) == (2, "", "batchlint: error: nonexistent.yaml: no such file or directory\n")


def test_every_bad_path_is_named_and_nothing_is_checked(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "train.py").write_text("print(1)\n", encoding="utf-8")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "deleted.yaml")  # a dangling link does not exist either
    code, out, err = run_cli("check", "--fix", "train.yaml", "missing/", "train.py", "gone.yaml", *LAUNCH, cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "batchlint: error: missing/: no such file or directory",
        f"batchlint: error: train.py: not a file batchlint reads {READS}",
        "batchlint: error: gone.yaml: no such file or directory",
    ]
    assert (tmp_path / "train.yaml").read_text(encoding="utf-8") == TRAIN  # the good one was not fixed either


@pytest.mark.parametrize("name", ["train.py", "config.cfg", "notebook.ipynb", "README", "train.YAML"])
@pytest.mark.parametrize("command", ["check", "inspect", "plan"])
def test_a_file_batchlint_does_not_read_is_one_line_and_exit_2(name: str, command: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(TRAIN, encoding="utf-8")  # even a training config, under a name the loader does not take
    assert run_cli(command, name, *LAUNCH, cwd=tmp_path) == (2, "", f"batchlint: error: {name}: not a file batchlint reads {READS}\n")


@pytest.mark.parametrize("name", ["train.yaml", "train.yml", "ds.json", "launch.sh", "job.slurm", "run.bash"])
def test_the_types_it_reads_and_directories_are_checked(name: str, tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / name).write_text("{}\n" if name.endswith(".json") else "a: 1\n", encoding="utf-8")
    for target in (f"configs/{name}", "configs", "configs/"):
        code, out, err = run_cli("check", target, cwd=tmp_path)
        assert (code, err) == (0, ""), (target, out, err)


def test_settings_show_takes_any_existing_file(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print(1)\n", encoding="utf-8")
    assert run_cli("settings", "--show", "train.py", cwd=tmp_path)[0] == 0


def test_standard_input_is_named_by_stdin_filename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TRAIN))
    assert run_cli("check", "-", "--stdin-filename", "unsaved/train.yaml", *LAUNCH, cwd=tmp_path)[0] == 0  # need not exist
    monkeypatch.setattr("sys.stdin", io.StringIO(TRAIN))
    assert run_cli("check", "-", "--stdin-filename", "train.py", cwd=tmp_path) == (2, "", f"batchlint: error: train.py: not a file batchlint reads {READS}\n")


@pytest.mark.parametrize(
    "args",
    [
        ("check", "t.yaml"),
        ("check", "--format", "concise", "t.yaml"),
        ("check", "--statistics", "t.yaml"),
        ("check", "--fix", "t.yaml"),
        ("check", "--fix", "--show-fixes", "t.yaml"),
        ("check", "--diff", "t.yaml"),
        ("check", "--add-ignore", "t.yaml"),
        ("check", "--fix", "-", "--stdin-filename", "t.yaml"),
        ("check", "t.yaml", "ok.yaml"),
        ("inspect", "t.yaml"),
        ("plan", "t.yaml"),
    ],
)
def test_no_all_clear_after_an_internal_error(args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from batchlint import engine

    real = engine.analyse

    def broken(path: str, *rest: object) -> object:
        if path.endswith("t.yaml"):
            raise RuntimeError("boom")
        return real(path, *rest)  # type: ignore[arg-type]

    (tmp_path / "t.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "ok.yaml").write_text("name: not a training config\n", encoding="utf-8")
    monkeypatch.setattr(engine, "analyse", broken)
    monkeypatch.setattr("sys.stdin", io.StringIO(TRAIN))
    code, out, err = run_cli(*args, *LAUNCH, *(("--no-cache",) if args[0] == "check" else ()), cwd=tmp_path)
    assert code == 2, out + err
    assert "batchlint: error: t.yaml: internal error RuntimeError: boom" in err.splitlines(), err
    for said in ("All checks passed", "no training or launch config recognised", "not a training config"):
        assert said not in out + err, out + err
    if args[:2] in (("check", "t.yaml"), ("check", "--format")):
        total = "1 of 2 files" if "ok.yaml" in args else "1 of 1 file"
        assert out.splitlines()[-1] == f"No findings, but {total} could not be checked (reported on standard error).", out

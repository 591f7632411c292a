"""A file created after a result was cached, where the check searched for one, invalidates the entry:
a config matching a launch line's path with variables, a new launch script in the project, a Hydra
defaults file or primary config, a new file in a folder a search listed. (Includes, accelerate configs and DeepSpeed JSON that were missing:
tests/test_cache_integrity.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from batchlint import cache
from batchlint.loading import files
from tests.helpers import run_cli

MUSEV = "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: true\ntrain:\n  train_batch_size: {bs}\n  gradient_accumulation_steps: 4\n"


def _project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "configs").mkdir()
    return tmp_path


def _check(cwd: Path, path: str, *extra: str) -> tuple[int, str, str]:
    return run_cli("check", "--format", "concise", path, "--target-total", "128", *extra, cwd=cwd)


def _changes_and_stays_right(cwd: Path, path: str, before: tuple[int, str, str], *extra: str) -> tuple[int, str, str]:
    fresh = _check(cwd, path, *extra, "--no-cache")
    assert fresh != before, "the new file changes the answer"
    assert _check(cwd, path, *extra) == fresh, "the cached answer is stale"
    return fresh


def test_a_config_created_later_that_a_launch_line_pattern_matches(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    (cwd / "run.sh").write_text("STAGE=$1\naccelerate launch --num_processes 8 train.py --config configs/$STAGE.yaml\n", encoding="utf-8")
    before = _check(cwd, "run.sh")
    assert _check(cwd, "run.sh") == before  # cached: no config matches yet
    (cwd / "configs" / "a.yaml").write_text(MUSEV.format(bs=2), encoding="utf-8")  # the one file the glob matches
    one = _changes_and_stays_right(cwd, "run.sh", before)
    assert "total batch 64" in one[1]
    (cwd / "configs" / "b.yaml").write_text(MUSEV.format(bs=1), encoding="utf-8")  # now two: ambiguous, not paired
    _changes_and_stays_right(cwd, "run.sh", one)


def test_a_config_created_later_at_an_absolute_path_a_launch_line_names(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    config = cwd / "elsewhere" / "t.yaml"
    (cwd / "run.sh").write_text(f"accelerate launch --num_processes 8 train.py --config {config}\n", encoding="utf-8")
    before = _check(cwd, "run.sh")
    assert "not found" in before[1] and _check(cwd, "run.sh") == before
    config.parent.mkdir()
    config.write_text(MUSEV.format(bs=2), encoding="utf-8")
    fresh = _changes_and_stays_right(cwd, "run.sh", before)
    assert "total batch 64" in fresh[1]


@pytest.mark.parametrize(
    ("script", "line", "total"),
    [
        ("scripts/train.sh", "accelerate launch --num_processes 8 train.py --config configs/t.yaml", 64),
        ("run.sh", "accelerate launch --num_processes 4 train.py --config configs/${STAGE}.yaml", 32),  # a pattern (ScriptIndex.patterns)
    ],
)
def test_a_launch_script_created_later_pairs_the_config(tmp_path: Path, script: str, line: str, total: int) -> None:
    cwd = _project(tmp_path)
    (cwd / "configs" / "t.yaml").write_text(MUSEV.format(bs=2), encoding="utf-8")
    before = _check(cwd, "configs/t.yaml")
    assert "BL103" in before[1] and _check(cwd, "configs/t.yaml") == before  # no process count yet; cached
    (cwd / script).parent.mkdir(exist_ok=True)
    (cwd / script).write_text(line + "\n", encoding="utf-8")
    fresh = _changes_and_stays_right(cwd, "configs/t.yaml", before)
    assert f"total batch {total}" in fresh[1]


ADAM = "lr: 1.0e-4\nweight_decay: 0.01\nepochs: 3\n"
HYDRA = "defaults:\n  - _self_\n{extra}  - optim: adam\ntrain_dataloader:\n  batch_size: 6\ntrainer:\n  gradient_accumulation_steps: 2\n"


def test_a_hydra_defaults_file_created_later(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    (cwd / "conf" / "optim").mkdir(parents=True)
    (cwd / "conf" / "optim" / "adam.yaml").write_text(ADAM, encoding="utf-8")
    (cwd / "conf" / "train.yaml").write_text(HYDRA.format(extra="  - base\n"), encoding="utf-8")  # base.yaml not there yet
    before = _check(cwd, "conf/train.yaml", "--num-processes", "2")
    assert "total batch 24" in before[1] and _check(cwd, "conf/train.yaml", "--num-processes", "2") == before
    (cwd / "conf" / "base.yaml").write_text("trainer:\n  gradient_accumulation_steps: 4\n", encoding="utf-8")  # composed after _self_: wins
    fresh = _changes_and_stays_right(cwd, "conf/train.yaml", before, "--num-processes", "2")
    assert "total batch 48" in fresh[1]


def test_a_hydra_primary_config_created_later(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    (cwd / "conf" / "optim").mkdir(parents=True)
    (cwd / "conf" / "optim" / "adam.yaml").write_text(ADAM, encoding="utf-8")
    (cwd / "run.sh").write_text("torchrun --nproc_per_node 2 train.py train_dataloader.batch_size=8 trainer.gradient_accumulation_steps=2\n", encoding="utf-8")
    before = _check(cwd, "run.sh")
    assert _check(cwd, "run.sh") == before  # no config the overrides name: nothing to check yet
    (cwd / "conf" / "train.yaml").write_text(HYDRA.format(extra=""), encoding="utf-8")  # the app's primary config, found by listing conf/
    fresh = _changes_and_stays_right(cwd, "run.sh", before)
    assert "total batch 32" in fresh[1]


@pytest.mark.parametrize("search", ["dir", "glob"])
def test_a_search_is_a_dependency(tmp_path: Path, search: str) -> None:
    """The mechanism under the Hydra config-folder search (`list_dir`) and launch-line patterns (`glob_files`)."""
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "a.yaml").write_text("x: 1\n", encoding="utf-8")
    checked = tmp_path / "t.yaml"
    checked.write_text("y: 2\n", encoding="utf-8")

    def run_and_store() -> None:
        recording = cache.begin()
        try:
            assert cache.load(str(checked), "ctx") is None
            files.read_bytes(str(checked))
            found = files.list_dir(str(folder)) if search == "dir" else files.glob_files(str(folder / "*.yaml"))
            assert found
            cache.store(str(checked), "ctx", [str(checked)], [])
        finally:
            cache.end(recording)

    run_and_store()
    assert cache.load(str(checked), "ctx") == []  # a hit while the folder holds the same files
    (folder / "b.yaml").write_text("x: 2\n", encoding="utf-8")
    assert cache.load(str(checked), "ctx") is None
    run_and_store()
    assert cache.load(str(checked), "ctx") == []
    (folder / "a.yaml").unlink()  # a file the search found, removed
    assert cache.load(str(checked), "ctx") is None


def test_a_search_that_finds_different_files_within_one_run_is_not_stored(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    checked = tmp_path / "t.yaml"
    checked.write_text("y: 2\n", encoding="utf-8")
    recording = cache.begin()
    try:
        files.read_bytes(str(checked))
        files.list_dir(str(folder))
        (folder / "a.yaml").write_text("x: 1\n", encoding="utf-8")  # created while the run works
        files.list_dir(str(folder))
        cache.store(str(checked), "ctx", [str(checked)], [])
    finally:
        cache.end(recording)
    assert not Path(cache._entry_path(str(checked))).exists()


def test_a_project_marker_created_later_changes_the_context(tmp_path: Path) -> None:
    """The project root is the fence of what a check may read: a `.git` created nearer moves it."""
    from batchlint.options import Options
    from batchlint.session import Session

    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    config = tmp_path / "sub" / "t.yaml"
    config.write_text(MUSEV.format(bs=2), encoding="utf-8")
    before = Session().cache_context(str(config), Options())
    assert Session().cache_context(str(config), Options()) == before
    (tmp_path / "sub" / ".git").mkdir()
    assert Session().cache_context(str(config), Options()) != before

"""Writes that keep what the file was: symlinks written through, hard links and read-only files
refused, mode and owner kept, an editor's save never overwritten, a kill -9 anywhere leaves the file
whole and the next run removes the temporary file; reports that cannot be written are one line."""

from __future__ import annotations

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batchlint import atomic
from batchlint.atomic import TEMP_SUFFIX, WriteError, remove_stale, write_atomic
from tests.conftest import corpus_or_skip
from tests.helpers import run_cli, run_process

ROOT = Path(__file__).resolve().parent.parent
TRAIN = (
    "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\nmodel:\n  a: 1\n"
    "train:\n  train_batch_size: 1 # per GPU\n  gradient_accumulation_steps: 4\n"
)
FIXED = TRAIN.replace("steps: 4", "steps: 14")  # 1 × 16 × 14 = 224: without a memory profile the per-device batch stays
ARGS = ("--num-processes", "16", "--target-total", "224", "--ignore", "BL204")
STAGES = ["after-temp-write", "after-temp-fsync", "after-chown", "before-compare", "before-replace", "after-replace"]


def _temps(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(TEMP_SUFFIX)]


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "t.yaml"
    target.write_text("a: 1\n")
    link = tmp_path / "t.yaml"
    link.symlink_to(os.path.join("real", "t.yaml"))
    write_atomic(str(link), "a: 2\n", "a: 1\n")
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "t.yaml")
    assert target.read_text() == "a: 2\n"
    assert _temps(tmp_path) == [] and _temps(tmp_path / "real") == []


def test_a_hard_link_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n")
    os.link(path, tmp_path / "other.yaml")
    with pytest.raises(WriteError, match="has 2 hard links") as err:
        write_atomic(str(path), "a: 2\n", "a: 1\n")
    assert "\n" not in str(err.value)
    assert path.read_text() == "a: 1\n" and path.stat().st_nlink == 2
    assert os.path.samefile(path, tmp_path / "other.yaml") and _temps(tmp_path) == []


def test_a_read_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o444)
    with pytest.raises(WriteError, match=r"is read-only \(mode 0444\)"):
        write_atomic(str(path), "a: 2\n", "a: 1\n")
    assert path.read_text() == "a: 1\n" and stat.S_IMODE(path.stat().st_mode) == 0o444


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_owner_group_and_mode_are_kept_as_root(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n")
    os.chown(path, 4321, 8765)
    path.chmod(0o640)
    write_atomic(str(path), "a: 2\n", "a: 1\n")
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 8765, 0o640)
    assert path.read_text() == "a: 2\n"


@pytest.mark.parametrize("stage", ["after-temp-write", "after-temp-fsync", "after-chown", "before-compare"])
def test_an_editor_save_while_writing_is_never_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o640)

    def editor_saves(at: str) -> None:
        if at == stage:
            path.write_text("a: 1\n# saved in the editor\n")

    monkeypatch.setattr(atomic, "_fault", editor_saves)
    with pytest.raises(WriteError, match="changed on disk"):
        write_atomic(str(path), "a: 2\n", "a: 1\n")
    assert path.read_text() == "a: 1\n# saved in the editor\n"
    assert _temps(tmp_path) == []


def test_a_file_replaced_by_another_with_the_same_text_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n")

    def editor_renames(at: str) -> None:
        if at == "before-compare":  # an editor that saves by rename: a new inode, same text
            (tmp_path / "new").write_text("a: 1\n")
            os.replace(tmp_path / "new", path)

    monkeypatch.setattr(atomic, "_fault", editor_renames)
    with pytest.raises(WriteError, match="replaced or linked"):
        write_atomic(str(path), "a: 2\n", "a: 1\n")
    assert path.read_text() == "a: 1\n"


def test_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    names = {
        "dead": f".t.yaml.{dead.pid}.abcd{TEMP_SUFFIX}",
        "live": f".t.yaml.{os.getppid()}.abcd{TEMP_SUFFIX}",  # a process that runs: its write is under way
        "old": f".t.yaml.{os.getppid()}.ef01{TEMP_SUFFIX}",
        "other": ".t.yaml.swp",
    }
    for name in names.values():
        (tmp_path / name).write_text("x")
    old = time.time() - atomic.STALE_SECONDS - 5
    os.utime(tmp_path / names["old"], (old, old))
    removed = remove_stale(str(tmp_path))
    assert sorted(removed) == sorted([names["dead"], names["old"]])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names["live"], names["other"]])


def _layout(tmp_path: Path, kind: str) -> tuple[Path, Path]:
    """(the path batchlint is given, the file that holds the text)."""
    real = tmp_path / ("real.yaml" if kind == "symlink" else "train.yaml")
    real.write_text(TRAIN, encoding="utf-8")
    real.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(real, 4321, 8765)
    if kind == "symlink":
        (tmp_path / "train.yaml").symlink_to("real.yaml")
    if kind == "hardlink":
        os.link(real, tmp_path / "also.yaml")
    return tmp_path / "train.yaml", real


def _fix(cwd: Path, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BATCHLINT_FAULT=fault) if fault is not None else None
    proc = run_process("check", "--fix", "--no-cache", "train.yaml", *ARGS, cwd=cwd, env=env)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def _assert_whole(given: Path, real: Path, kind: str, allowed: tuple[str, ...]) -> None:
    assert real.read_text(encoding="utf-8") in allowed
    st = real.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 8765)
    if kind == "symlink":
        assert given.is_symlink() and os.readlink(given) == "real.yaml"
    if kind == "hardlink":
        assert st.st_nlink == 2 and os.path.samefile(real, real.with_name("also.yaml"))


@pytest.mark.parametrize("kind", ["plain", "symlink", "hardlink"])
@pytest.mark.parametrize("stage", STAGES)
def test_kill_at_each_fault_point_leaves_the_file_whole(tmp_path: Path, stage: str, kind: str) -> None:
    given, real = _layout(tmp_path, kind)
    proc = _fix(tmp_path, stage)
    if kind == "hardlink":  # refused before anything is written
        assert proc.returncode == 1 and "hard links" in proc.stderr, proc.stderr
    else:
        assert proc.returncode == 137, proc.stderr  # killed at the injected point
    _assert_whole(given, real, kind, (TRAIN,) if kind == "hardlink" else (FIXED,) if stage == "after-replace" else (TRAIN,))
    # a kill before the rename leaves the temporary file: only the next run can remove it
    assert bool(_temps(tmp_path)) == (kind != "hardlink" and stage != "after-replace")
    after = _fix(tmp_path)  # the next run fixes and cleans up
    assert "Traceback" not in after.stderr
    assert _temps(tmp_path) == []
    _assert_whole(given, real, kind, (TRAIN,) if kind == "hardlink" else (FIXED,))


def test_fix_refusals_are_one_line_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(TRAIN, encoding="utf-8")
    path.chmod(0o444)
    code, out, err = run_cli("check", "--fix", "train.yaml", *ARGS, cwd=tmp_path)
    assert err == "batchlint: train.yaml: is read-only (mode 0444): nothing written (make it writable to fix it)\n"
    assert code == 1 and out.rstrip().endswith("0 fixed, 1 remaining.")
    assert path.read_text(encoding="utf-8") == TRAIN


# ---------------------------------------------------------------------------------------------- reports


@pytest.mark.parametrize(
    "target,says", [("/dev/full", "No space left on device"), ("nope/r.txt", "the directory nope does not exist"), (".", "is a directory")]
)
def test_an_output_file_that_cannot_be_written_is_one_line(tmp_path: Path, target: str, says: str) -> None:
    if target == "/dev/full" and not os.path.exists(target):
        pytest.skip("no /dev/full")
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    code, out, err = run_cli("check", "train.yaml", *ARGS, "--output-file", target, cwd=tmp_path)
    assert code == 2 and err == f"batchlint: error: --output-file {target}: {says}\n", err


def test_stdout_on_a_full_disk_is_one_line(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "batchlint", "check", "train.yaml", *ARGS],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr == "batchlint: error: cannot write the report to standard output: No space left on device\n"


@pytest.mark.parametrize("named", ["train.yaml", "./train.yaml", "link.yaml", "walked"])
def test_an_output_file_naming_a_checked_file_is_refused_before_anything_is_written(tmp_path: Path, named: str) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(TRAIN, encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to("train.yaml")
    args = [".", "--output-file", "train.yaml"] if named == "walked" else ["train.yaml", "--output-file", named]
    code, out, err = run_cli("check", "--fix", *args, *ARGS, cwd=tmp_path)
    assert code == 2 and "which batchlint checks; the report would overwrite it" in err and err.count("\n") == 1, err
    assert path.read_text(encoding="utf-8") == TRAIN  # neither the fix nor the report was written


def test_an_output_file_is_written_whole(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    report = tmp_path / "out" / "report.txt"
    report.parent.mkdir()
    report.write_text("old report\n")
    os.link(report, tmp_path / "report-link.txt")
    code, out, err = run_cli("check", "train.yaml", *ARGS, "--output-file", str(report), cwd=tmp_path)
    assert code == 1 and out == "" and "BL101" in report.read_text() and _temps(report.parent) == []


# ---------------------------------------------------------------------------------------------- the shared corpora


def _fixable(corpus: Path, rng: random.Random, tmp: Path) -> tuple[Path, str, str] | None:
    """A corpus config whose fixes change it: (its copy, old text, fixed text)."""
    from batchlint.fixer import fix
    from batchlint.options import LaunchOptions, Options

    configs = sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for _ in range(40):
        source = rng.choice(configs)
        project = tmp / f"p{rng.randrange(10**9)}"
        project.mkdir()
        (project / ".git").mkdir()
        copy = project / source.name
        shutil.copyfile(source, copy)
        old = copy.read_text(encoding="utf-8", errors="replace")
        cwd = os.getcwd()
        os.chdir(project)
        try:
            result = fix([source.name], Options(LaunchOptions(num_processes=16, target_total=256)), unsafe=True, write=False)
        finally:
            os.chdir(cwd)
        new = next(iter(result.changed.values()), (old, old))[1]
        if new != old:
            return copy, old, new
        shutil.rmtree(project)
    return None


def test_kill_at_random_points_of_fix_over_the_corpus_leaves_files_whole(tmp_path: Path) -> None:
    corpus = corpus_or_skip()
    rng = random.Random(13)
    stages = [*STAGES, "random", "random"]  # every fault point once, in a random order, and two kills at random moments
    rng.shuffle(stages)
    for round_, stage in enumerate(stages):
        picked = _fixable(corpus, rng, tmp_path)
        if picked is None:
            pytest.skip("no fixable corpus file found")
        copy, old, new = picked
        copy.chmod(rng.choice([0o644, 0o600, 0o664]))
        mode = stat.S_IMODE(copy.stat().st_mode)
        names = {p.name for p in copy.parent.iterdir()}
        args = ("check", "--fix", "--unsafe-fixes", "--no-cache", copy.name, "--num-processes", "16", "--target-total", "256")
        if stage == "random":  # a kill -9 at a random moment, wherever the fixer is
            proc = subprocess.Popen(
                [sys.executable, "-m", "batchlint", *args],
                cwd=copy.parent,
                env=dict(os.environ, PYTHONPATH=str(ROOT)),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.05, 0.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        else:
            run_process(*args, cwd=copy.parent, env=dict(os.environ, BATCHLINT_FAULT=stage))
        text = copy.read_text(encoding="utf-8", errors="replace")
        assert text in (old, new), f"round {round_}: {copy.name} torn at {stage}"
        assert stat.S_IMODE(copy.stat().st_mode) == mode
        run_process(*args, cwd=copy.parent)  # the next run
        assert {p.name for p in copy.parent.iterdir()} == names, f"round {round_}: left {_temps(copy.parent)}"
        assert copy.read_text(encoding="utf-8", errors="replace") == new

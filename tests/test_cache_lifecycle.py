"""The result cache over time: one user's private directory, bounded by age, count and size with a
cheap prune, `batchlint clean`, and `BATCHLINT_NO_CACHE`."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from batchlint import __version__, cache
from tests.helpers import run_cli

MUSEV = "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: true\ntrain:\n  train_batch_size: {bs}\n  gradient_accumulation_steps: 4\n"
ARGS = ("--num-processes", "8", "--target-total", "128")
DAY = 86400


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache root of this test's own (not created yet), and a project of three configs."""
    (tmp_path / "p" / ".git").mkdir(parents=True)
    for i in range(3):
        (tmp_path / "p" / f"t{i}.yaml").write_text(MUSEV.format(bs=i + 1), encoding="utf-8")
    where = tmp_path / "home" / "cache" / "batchlint"
    monkeypatch.setenv("BATCHLINT_CACHE_DIR", str(where))
    return where


def _check(project: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli("check", "--format", "concise", ".", *ARGS, *extra, cwd=project)


def _entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------------------------------- per user


def test_the_cache_is_created_private(root: Path) -> None:
    project = root.parent.parent.parent / "p"
    _check(project)
    assert _mode(root) == 0o700 and _mode(root / __version__) == 0o700
    entries = _entries(root)
    assert len(entries) == 3 and all(_mode(e) == 0o600 for e in entries)
    assert (root / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert not list(root.rglob("*.tmp"))  # written atomically: no temporary file left behind


def _assert_not_used(root: Path, project: Path, why: str) -> None:
    truth = _check(project, "--no-cache")
    for _ in range(2):
        code, out, err = _check(project)
        assert (code, out) == truth[:2]
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("batchlint: warning: cache directory ") and why in lines[0], err
        assert "Traceback" not in err
    assert _entries(root) == []


def test_a_directory_of_another_user_is_not_used(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = root.parent.parent.parent / "p"
    root.mkdir(parents=True, mode=0o700)
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)  # the directory now belongs to someone else
    _assert_not_used(root, project, f"is owned by another user (uid {real})")


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_directory_writable_by_others_is_not_used(root: Path, mode: int) -> None:
    project = root.parent.parent.parent / "p"
    root.mkdir(parents=True)
    root.chmod(mode)
    _assert_not_used(root, project, "is writable by other users")


def test_a_version_folder_writable_by_others_is_not_used(root: Path) -> None:
    project = root.parent.parent.parent / "p"
    (root / __version__).mkdir(parents=True, mode=0o700)
    root.chmod(0o700)
    (root / __version__).chmod(0o777)
    _assert_not_used(root, project, "is writable by other users")


def test_a_file_where_the_directory_should_be_is_not_used(root: Path) -> None:
    project = root.parent.parent.parent / "p"
    root.parent.mkdir(parents=True)
    root.write_text("not a directory\n", encoding="utf-8")
    _assert_not_used(root, project, "is not a directory")


def test_batchlint_no_cache_turns_it_off(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = root.parent.parent.parent / "p"
    monkeypatch.setenv("BATCHLINT_NO_CACHE", "1")
    truth = _check(project)
    assert _entries(root) == []
    monkeypatch.setenv("BATCHLINT_NO_CACHE", "0")  # as ruff reads RUFF_NO_CACHE: 0 / false / empty mean on
    assert _check(project) == truth
    assert len(_entries(root)) == 3


# ---------------------------------------------------------------------------------------------- bounds


def _fake(folder: Path, n: int, size: int, age_days: float, now: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{n:017x}.json"
    path.write_bytes(b"x" * size)
    os.utime(path, (now - age_days * DAY, now - age_days * DAY))
    return path


def test_prune_keeps_the_most_recently_used_within_the_bounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 4)
    monkeypatch.setattr(cache, "MAX_BYTES", 9_500)
    now = time.time()
    here = tmp_path / __version__
    fresh = [_fake(here, i, 1000, i, now) for i in range(6)]  # used 0..5 days ago
    old = _fake(tmp_path / "0.0.1", 99, 10, 31, now)  # unused for 31 days, of an older version
    big = [_fake(here, 50 + i, 4000, 0.1 + i / 100, now) for i in range(2)]  # recent but large: the size bound
    leftover = here / ".entry-abc123.tmp"
    leftover.write_bytes(b"half an entry")
    os.utime(leftover, (now - 7200, now - 7200))  # a killed writer's
    writing = here / ".entry-def456.tmp"
    writing.write_bytes(b"being written")  # another process's, right now
    notes = here / "notes.txt"
    notes.write_text("not batchlint's\n", encoding="utf-8")
    removed, size = cache.prune(str(tmp_path), now)
    kept = {p for p in here.iterdir()}
    # newest first: fresh[0] (1000 B), big[0], big[1] (4000 B each: 9000 B); fresh[1] would pass 9,500 B, so it and all older go
    assert kept == {fresh[0], big[0], big[1], writing, notes}
    assert removed == 7 and size == 5 * 1000 + 10 + len(b"half an entry")
    assert not old.exists() and not (tmp_path / "0.0.1").exists()  # an emptied folder of another version goes


def test_prune_by_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    now = time.time()
    entries = [_fake(tmp_path / __version__, i, 10, i / 24, now) for i in range(8)]
    assert cache.prune(str(tmp_path), now) == (5, 50)
    assert sorted((tmp_path / __version__).iterdir()) == sorted(entries[:3])


def test_a_hit_marks_the_entry_used(root: Path) -> None:
    project = root.parent.parent.parent / "p"
    truth = _check(project)
    long_ago = time.time() - 20 * DAY
    for entry in _entries(root):
        os.utime(entry, (long_ago, long_ago))
    assert _check(project) == truth
    assert all(entry.stat().st_mtime > time.time() - 60 for entry in _entries(root))


def _count_prunes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = cache.prune

    def counting(where: str, now: float | None = None) -> tuple[int, int]:
        calls.append(where)
        return real(where, now)

    monkeypatch.setattr(cache, "prune", counting)
    return calls


def test_pruning_runs_once_a_day_not_on_every_run(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = root.parent.parent.parent / "p"
    calls = _count_prunes(monkeypatch)
    _check(project)  # the first run that stores: no stamp yet
    assert calls == [str(root)] and (root / ".pruned").is_file()
    for _ in range(3):
        _check(project)  # warm runs within the day: one stat of the stamp, no listing
    (project / "t0.yaml").write_text(MUSEV.format(bs=7), encoding="utf-8")
    _check(project)  # a miss that stores: still within the day
    assert len(calls) == 1
    day_ago = time.time() - DAY - 60
    os.utime(root / ".pruned", (day_ago, day_ago))
    _check(project)
    assert len(calls) == 2 and (root / ".pruned").stat().st_mtime > time.time() - 60


def test_pruning_runs_every_n_writes_and_keeps_the_bound(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = root.parent.parent.parent / "p"
    for i in range(3, 9):
        (project / f"t{i}.yaml").write_text(MUSEV.format(bs=i), encoding="utf-8")
    root.mkdir(parents=True, mode=0o700)
    (root / ".pruned").touch()  # pruned just now: only the write count can trigger it
    monkeypatch.setattr(cache, "PRUNE_EVERY", 4)
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    calls = _count_prunes(monkeypatch)
    _check(project)  # 9 files stored: prunes after the 4th and the 8th
    assert len(calls) == 2
    assert len(_entries(root)) <= 4  # at most MAX_ENTRIES after the last prune, plus the one stored since


# ---------------------------------------------------------------------------------------------- clean


def test_clean_removes_only_batchlints_files(root: Path) -> None:
    project = root.parent.parent.parent / "p"
    truth = _check(project)
    entries = _entries(root)
    size = sum(e.stat().st_size for e in entries) + sum((root / n).stat().st_size for n in ("CACHEDIR.TAG", ".pruned"))
    mine = root / "mine.txt"
    mine.write_text("the user's own file\n", encoding="utf-8")
    other = root / __version__ / "README"
    other.write_text("not an entry\n", encoding="utf-8")
    code, out, err = run_cli("clean")
    assert (code, err) == (0, "")
    assert out == f"Removed 3 cache entries ({size / 1024:.1f} KiB) from {root}\n"
    assert _entries(root) == [] and mine.is_file() and other.is_file() and not (root / "CACHEDIR.TAG").exists()
    other.unlink()
    code, out, _ = run_cli("clean", "--format", "json")
    assert code == 0 and json.loads(out) == {"directory": str(root), "removed": 0, "bytes": 0}
    assert not (root / __version__).exists() and mine.is_file()  # the emptied version folder goes, the user's file stays
    assert _check(project) == truth  # and the cache fills again


def test_clean_removes_the_whole_directory_when_it_holds_only_the_cache(root: Path) -> None:
    project = root.parent.parent.parent / "p"
    _check(project)
    leftover = root / __version__ / ".entry-x1y2z3.tmp"
    leftover.write_bytes(b"{")
    code, out, _ = run_cli("clean")
    assert code == 0 and out.startswith("Removed 4 cache entries (") and not root.exists()
    assert run_cli("clean") == (0, f"Removed 0 cache entries (0 B) from {root}\n", "")


def test_clean_never_follows_a_symbolic_link(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / __version__).mkdir(parents=True)
    precious = elsewhere / __version__ / f"{0:017x}.json"
    precious.write_text("{}", encoding="utf-8")
    root.mkdir(parents=True, mode=0o700)
    (root / __version__).symlink_to(elsewhere / __version__)
    (root / "0.0.9").mkdir()
    (root / "0.0.9" / f"{1:017x}.json").symlink_to(precious)
    code, out, _ = run_cli("clean")
    assert code == 0 and out.startswith("Removed 0 cache entries (") and precious.is_file()
    assert (root / __version__).is_symlink() and (root / "0.0.9" / f"{1:017x}.json").is_symlink()


def test_clean_refuses_another_users_directory(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = root.parent.parent.parent / "p"
    _check(project)
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)
    code, out, err = run_cli("clean")
    assert (code, out) == (2, "") and err == f"batchlint: error: cache directory {root} is owned by another user (uid {real}): nothing removed\n"
    assert len(_entries(root)) == 3


def test_the_readme_states_the_bounds_the_code_applies() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Cache\n", 1)[1].split("\n## ", 1)[0]
    stated = (
        f"at most {cache.MAX_ENTRIES:,} entries and {cache.MAX_BYTES // 2**20} MiB; entries unused for {cache.MAX_AGE // DAY} days",
        f"after\n  every {cache.PRUNE_EVERY} entries",
        "at most once a day" if cache.PRUNE_INTERVAL == DAY else "?",
    )
    assert all(s in section for s in stated), section
    for name in ("BATCHLINT_CACHE_DIR", "XDG_CACHE_HOME", "BATCHLINT_NO_CACHE", "--no-cache", "batchlint clean"):
        assert name in section

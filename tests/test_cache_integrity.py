"""The result cache cannot lie: damaged entries, wrong types, special files, entries of other files,
files created after the entry was stored, edits landing during the run and scripts edited in place
are all misses or fresh results, never a traceback or a wrong answer."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from batchlint import cache
from batchlint.loading import files
from tests.helpers import run_cli, run_process

ROOT = Path(__file__).resolve().parent.parent
MUSEV = (
    "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: true\nmodel:\n  a: ${include:part.yaml}\n"
    "train:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4\n"
)
ARGS = ("--num-processes", "8", "--target-total", "128")


def _project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "t.yaml").write_text(MUSEV, encoding="utf-8")
    (tmp_path / "part.yaml").write_text("b: 1\n", encoding="utf-8")
    return tmp_path


def _check(cwd: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli("check", "--format", "concise", "t.yaml", *ARGS, *extra, cwd=cwd)


def _entry(cwd: Path) -> Path:
    return Path(cache._entry_path(str(cwd / "t.yaml")))


def _seal(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return cache.seal(text)


def _leaves(obj: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [path] if path else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _leaves(v, (*path, i))
    return out


def _other_type(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return 3
    if isinstance(value, int):
        return "3"
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {"x": value}
    return [1]


def test_every_byte_flip_is_a_miss_not_a_wrong_answer(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    truth = _check(cwd, "--no-cache")
    assert _check(cwd) == truth
    good = _entry(cwd).read_bytes()
    step = max(1, len(good) // 150)
    for i in range(0, len(good), step):
        _entry(cwd).write_bytes(good[:i] + bytes([good[i] ^ 0x04]) + good[i + 1 :])
        assert _check(cwd) == truth, f"flip at byte {i}"
        _entry(cwd).write_bytes(good[:i])  # truncated
        assert _check(cwd) == truth, f"truncated at {i}"


def test_a_wrong_type_anywhere_is_a_miss_even_with_a_valid_checksum(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    (cwd / "t.yaml").write_text(MUSEV.replace("train_batch_size: 2", "train_batch_size: 2.0"), encoding="utf-8")  # a fix, related
    truth = _check(cwd, "--no-cache")
    _check(cwd)
    payload = json.loads(cache.unseal(_entry(cwd).read_bytes()) or "")
    assert any(d["fix"] for d in payload["diagnostics"])
    context = payload["context"]
    tried = 0
    for leaf in _leaves(payload):
        if "expect" in leaf and len(leaf) > leaf.index("expect") + 2 or leaf[0] == "context":
            continue  # an expected value may be any JSON value; a different context is simply another key
        damaged = json.loads(json.dumps(payload))
        holder = damaged
        for k in leaf[:-1]:
            holder = holder[k]
        holder[leaf[-1]] = _other_type(holder[leaf[-1]])
        _entry(cwd).write_text(_seal(damaged), encoding="utf-8")
        assert cache.load(str(cwd / "t.yaml"), context) is None, f"wrong type at {leaf} was served"
        tried += 1
    assert tried > 40
    _entry(cwd).write_text(_seal(payload), encoding="utf-8")
    assert cache.load(str(cwd / "t.yaml"), context) is not None  # the untouched payload is served
    assert _check(cwd) == truth


def test_a_damaged_key_with_a_valid_checksum_is_a_miss(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    truth = _check(cwd, "--no-cache")
    _check(cwd)
    payload = json.loads(cache.unseal(_entry(cwd).read_bytes()) or "")
    for leaf in _leaves(payload):
        if not isinstance(leaf[-1], str) or leaf[0] == "deps":
            continue
        damaged = json.loads(json.dumps(payload))
        holder = damaged
        for k in leaf[:-1]:
            holder = holder[k]
        holder[leaf[-1] + "x"] = holder.pop(leaf[-1])
        _entry(cwd).write_text(_seal(damaged), encoding="utf-8")
        assert _check(cwd) == truth, f"renamed key {leaf}"


def test_an_entry_of_another_file_is_a_miss(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    (cwd / "u.yaml").write_text(MUSEV.replace("train_batch_size: 2", "train_batch_size: 16"), encoding="utf-8")
    truth = _check(cwd, "--no-cache")
    run_cli("check", "--format", "concise", "u.yaml", *ARGS, cwd=cwd)
    os.replace(cache._entry_path(str(cwd / "u.yaml")), _entry(cwd))  # a sound entry in the wrong place
    assert _check(cwd) == truth


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "huge"])
def test_a_special_file_as_entry_is_a_miss_not_a_hang(tmp_path: Path, kind: str) -> None:
    cwd = _project(tmp_path)
    truth = _check(cwd, "--no-cache")
    _check(cwd)
    entry = _entry(cwd)
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "dev-zero":
        os.symlink("/dev/zero", entry)
    elif kind == "directory":
        entry.mkdir()
    else:
        with entry.open("wb") as fh:
            fh.truncate(64 * 2**20)
    start = time.monotonic()
    proc = run_process("check", "--format", "concise", "t.yaml", *ARGS, cwd=cwd, timeout=30, limit_memory=True)
    assert time.monotonic() - start < 20
    assert (proc.returncode, proc.stdout.decode()) == truth[:2] and b"Traceback" not in proc.stderr


@pytest.mark.parametrize("what", ["include", "accelerate config", "DeepSpeed JSON"])
def test_a_dependency_created_later_invalidates_the_entry(tmp_path: Path, what: str) -> None:
    cwd = _project(tmp_path)
    (cwd / "part.yaml").unlink()
    extra: tuple[str, ...] = ()
    if what == "accelerate config":
        extra = ("--accelerate-config", "acc.yaml")
    elif what == "DeepSpeed JSON":
        (cwd / "part.yaml").write_text("b: 1\n", encoding="utf-8")
        (cwd / "acc.yaml").write_text(
            "compute_environment: LOCAL_MACHINE\ndistributed_type: DEEPSPEED\nnum_processes: 8\ndeepspeed_config:\n  deepspeed_config_file: ds.json\n",
            encoding="utf-8",
        )
        extra = ("--accelerate-config", "acc.yaml")
    before = _check(cwd, *extra)
    if what == "include":
        (cwd / "part.yaml").write_text("b: 1\n", encoding="utf-8")
    elif what == "accelerate config":
        (cwd / "part.yaml").write_text("b: 1\n", encoding="utf-8")
        before = _check(cwd, *extra)  # only the accelerate config is missing now
        (cwd / "acc.yaml").write_text("compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_processes: 8\n", encoding="utf-8")
    else:
        (cwd / "ds.json").write_text(
            '{"train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 8, "zero_optimization": {"stage": 2}}', encoding="utf-8"
        )
    fresh = _check(cwd, *extra, "--no-cache")
    assert fresh != before  # the new file changes the answer
    assert _check(cwd, *extra) == fresh


def test_an_edit_during_the_run_is_not_stored_under_the_new_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = _project(tmp_path)
    real_store = cache.store

    def edit_then_store(*args: Any, **kwargs: Any) -> None:
        # the user saves while batchlint works: after the read, before the entry is written
        (cwd / "t.yaml").write_text(MUSEV.replace("train_batch_size: 2", "train_batch_size: 0"), encoding="utf-8")
        real_store(*args, **kwargs)

    monkeypatch.setattr(cache, "store", edit_then_store)
    _check(cwd)
    monkeypatch.setattr(cache, "store", real_store)
    truth = _check(cwd, "--no-cache")
    assert "BL105" in truth[1]
    assert _check(cwd) == truth


@pytest.mark.parametrize("before", ["--num_processes 8 train.py --config t.yaml", "--num_processes 4 train.py --config u.yaml"])
def test_a_script_edited_with_the_same_size_and_mtime_changes_the_key(tmp_path: Path, before: str) -> None:
    """The script launching the config is a dependency; any other script of the project is in the key
    by its content (a script that starts naming the config pairs it)."""
    cwd = _project(tmp_path)
    script = cwd / "run.sh"
    script.write_text(f"accelerate launch {before}\n", encoding="utf-8")
    args = ("check", "--format", "concise", "t.yaml", "--target-total", "128")

    def check(*extra: str) -> str:  # separate processes: each run lists the scripts afresh
        return run_process(*args, *extra, cwd=cwd).stdout.decode()

    first = check()
    assert ("total batch 64" if "t.yaml" in before else "BL103") in first, first
    st = script.stat()
    script.write_text("accelerate launch --num_processes 4 train.py --config t.yaml\n", encoding="utf-8")
    os.utime(script, ns=(st.st_atime_ns, st.st_mtime_ns))
    fresh = check("--no-cache")
    assert "total batch 32" in fresh, fresh
    assert check() == fresh


def test_a_check_that_stops_on_a_settings_error_stops_recording(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    (cwd / "batchlint.toml").write_text('gpu = "A100-80GB"\nnum-processes = 8\n[memory]\npoints = 3\n', encoding="utf-8")
    code, _, err = _check(cwd)  # the cache is on; the memory profile fails inside the file's analysis
    assert code == 2 and "points" in err
    assert files.current_reads() is None  # the next check in this process starts clean

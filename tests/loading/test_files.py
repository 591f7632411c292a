"""The one bounded reader: regular files only, never a blocking open, never more than the limit."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from batchlint.loading import LoadError, files, load_path
from batchlint.loading.files import MAX_FILE_BYTES, ReadError, read_bytes
from tests.helpers import check_json, run_process

MUSEV = (
    "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: true\nmodel:\n  a: 1\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4\n"
)
ROOT = Path(__file__).resolve().parents[2]


def _batchlint(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """A real process, so a blocking open shows as a timeout instead of hanging the suite."""
    return run_process(*args, cwd=cwd, stdin=stdin, timeout=20, limit_memory=True)


def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.yaml")
    start = time.monotonic()
    with pytest.raises(ReadError, match="named pipe"):
        read_bytes(str(tmp_path / "p.yaml"))  # an open for reading would block: no writer
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_devices_are_refused(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} missing")
    with pytest.raises(ReadError, match="character device"):
        read_bytes(device)


def test_socket_and_directory_and_loop_and_missing(tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "s.yaml"))
    try:
        with pytest.raises(ReadError, match="is a socket"):
            read_bytes(str(tmp_path / "s.yaml"))
    finally:
        sock.close()
    with pytest.raises(ReadError, match="is a directory"):
        read_bytes(str(tmp_path))
    os.symlink("b.yaml", tmp_path / "a.yaml")
    os.symlink("a.yaml", tmp_path / "b.yaml")
    with pytest.raises(ReadError, match="symlink loop"):
        read_bytes(str(tmp_path / "a.yaml"))
    with pytest.raises(ReadError, match="file not found"):
        read_bytes(str(tmp_path / "nope.yaml"))
    with pytest.raises(ReadError, match="NUL"):
        read_bytes(str(tmp_path / "a\0b"))


def test_a_file_swapped_for_a_fifo_after_the_stat_does_not_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n")
    real_stat = os.stat

    def stat_then_swap(p: object, *args: object, **kwargs: object) -> os.stat_result:
        result = real_stat(p, *args, **kwargs)  # type: ignore[arg-type]
        if str(p) == str(path):
            os.unlink(path)
            os.mkfifo(path)  # the race: a regular file at the stat, a FIFO at the open
        return result

    monkeypatch.setattr(os, "stat", stat_then_swap)
    outcome: list[BaseException | bytes] = []

    def read() -> None:
        try:
            outcome.append(read_bytes(str(path)))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)  # a blocking open would never return: do not hang the suite
    reader.start()
    reader.join(5)
    assert outcome, "the open blocked on a FIFO"
    assert isinstance(outcome[0], ReadError) and "named pipe" in outcome[0].message


def test_reads_at_most_the_limit_plus_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a" * 5000)
    # The size check from the stat refuses before reading anything.
    with pytest.raises(ReadError, match="reads at most"):
        read_bytes(str(path), limit=1000)
    # A file that grows after the stat: the read stops at limit + 1 bytes.
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: _small(p))
    read_sizes: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        read_sizes.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    with pytest.raises(ReadError, match="reads at most"):
        read_bytes(str(path), limit=1000)
    assert sum(read_sizes) == 1001
    assert read_bytes(str(path), limit=1000, truncate=True) == b"a" * 1000


def _small(path: object) -> os.stat_result:
    """A stat result that claims a tiny regular file (the file grows after the stat)."""
    fields = list(os.lstat(path))  # type: ignore[arg-type]
    fields[stat.ST_SIZE] = 10
    return os.stat_result(fields)


def test_oversized_regular_file_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: costs nothing on disk
    monkeypatch.setattr(os, "read", lambda fd, n: pytest.fail("read an oversized file"))
    with pytest.raises(LoadError, match="batchlint reads at most 10 MiB"):
        load_path(str(path))


def test_permission_denied_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "u.yaml"
    path.write_text(MUSEV)
    path.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(ReadError, match="permission denied"):
            read_bytes(str(path))
        return
    # root reads everything: check as an unprivileged user, in a real process
    tmp_path.chmod(0o755)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        probe = subprocess.run([*nobody, "-c", "import batchlint"], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
    except FileNotFoundError:
        pytest.skip("setpriv is not installed")
    if probe.returncode != 0:
        pytest.skip(f"an unprivileged user cannot run this interpreter here: {probe.stderr.strip()[:200]}")
    cmd = [*nobody, "-m", "batchlint", "check", "--format", "concise", "--no-cache", "u.yaml"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "u.yaml:1:1: BL001 permission denied" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_load_path_maps_read_errors_to_bl001(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.yaml")
    with pytest.raises(LoadError) as err:
        load_path(str(tmp_path / "p.yaml"), "p.yaml")
    assert (err.value.path, err.value.line, err.value.column) == ("p.yaml", 1, 1)
    assert "regular file" in err.value.message and "\n" not in err.value.message


def test_fifo_named_sh_anywhere_does_not_block_a_check(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "scripts").mkdir()
    os.mkfifo(tmp_path / "scripts" / "train.sh")  # find_launch reads every script of the project
    (tmp_path / "t.yaml").write_text(MUSEV)
    proc = _batchlint("check", "--format", "concise", "--no-cache", "t.yaml", cwd=tmp_path)
    assert proc.returncode == 0 and b"BL103" in proc.stdout, proc.stderr
    proc = _batchlint("check", "--format", "concise", "--no-cache", "scripts/train.sh", cwd=tmp_path)
    assert b"scripts/train.sh:1:1: BL001" in proc.stdout and b"named pipe" in proc.stdout


@pytest.mark.parametrize("how", ["hostfile", "config", "memory profile", "yaml symlink", "accelerate config", "memory-profile setting"])
def test_dev_zero_is_refused_quickly(tmp_path: Path, how: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "t.yaml").write_text(MUSEV)
    args = ["check", "--format", "concise", "--no-cache"]
    if how == "hostfile":
        (tmp_path / "run.sh").write_text("deepspeed --hostfile /dev/zero train.py --per_device_train_batch_size 4\n")
        args.append("run.sh")
    elif how == "config":
        os.symlink("/dev/zero", tmp_path / "named.yaml")  # named on the command line: the extension looks right
        args.append("named.yaml")
    elif how == "memory profile":
        args += ["t.yaml", "--gpu", "A100-80GB", "--num-processes", "8", "--memory-profile", "/dev/zero"]
    elif how == "yaml symlink":
        os.symlink("/dev/zero", tmp_path / "z.yaml")
        args.append(".")
    elif how == "accelerate config":
        args += ["t.yaml", "--accelerate-config", "/dev/zero"]
    else:  # (`extend = "/dev/zero"`: tests/test_settings_hostile.py)
        (tmp_path / "pyproject.toml").write_text('[tool.batchlint]\ngpu = "A100-80GB"\nnum-processes = 8\nmemory-profile = "/dev/zero"\n')
        args.append("t.yaml")
    start = time.monotonic()
    proc = _batchlint(*args, cwd=tmp_path)
    assert time.monotonic() - start < 15
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode in (0, 1, 2) and "Traceback" not in out, out
    if how == "memory-profile setting":  # named in a file, outside the project: the fence refuses it before any read
        assert "outside the project" in out, out
    elif how == "yaml symlink":  # a walked symlink to a file outside the project is skipped (the fence)
        assert "z.yaml" not in out and proc.returncode in (0, 1), out
    elif how != "hostfile":  # a hostfile that cannot be read is not counted (as before); the point is that it ends
        assert "character device" in out or "not a regular file" in out, out


def test_dev_stdin_from_a_pipe_is_read(tmp_path: Path) -> None:
    text = MUSEV.replace("train_batch_size: 2", "train_batch_size: 0")
    proc = _batchlint("check", "--format", "concise", "--no-cache", "/dev/stdin", cwd=tmp_path, stdin=text.encode())
    assert b"BL105" in proc.stdout, proc.stdout + proc.stderr
    assert b"BL006" not in proc.stdout  # not read as an empty file


def test_invalid_utf8_on_stdin_is_one_line(tmp_path: Path) -> None:
    proc = _batchlint("check", "-", "--stdin-filename", "t.yaml", cwd=tmp_path, stdin=MUSEV.encode() + b"x: caf\xe9\n")
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.strip().count("\n") == 0 and "t.yaml:10:7" in err and "UTF-8" in err, err
    assert "Traceback" not in err


def test_stdin_over_the_limit_is_one_line(tmp_path: Path) -> None:
    proc = _batchlint("check", "-", "--stdin-filename", "t.yaml", cwd=tmp_path, stdin=b"#" * (MAX_FILE_BYTES + 10))
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "reads at most 10 MiB" in err and err.strip().count("\n") == 0, err


def test_walked_fifo_and_fifo_launch_config_are_findings(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(MUSEV)
    os.mkfifo(tmp_path / "x.yaml")
    os.mkfifo(tmp_path / "acc.yaml")
    code, diags = check_json(str(tmp_path / "t.yaml"), "--accelerate-config", str(tmp_path / "acc.yaml"), "--no-cache")
    assert any(d["code"] == "AC033" or "named pipe" in d["message"] for d in diags), diags
    code, diags = check_json(str(tmp_path), "--no-cache")
    assert any(d["file"].endswith("x.yaml") and d["code"] == "BL001" and "named pipe" in d["message"] for d in diags), diags


def test_recording_notes_reads_and_absences(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n")
    token = files.start_recording()
    try:
        reads = files.current_reads()
        assert reads is not None
        read_bytes(str(tmp_path / "a.yaml"))
        assert not files.is_file(str(tmp_path / "later.yaml"))
        assert reads.seen[str(tmp_path / "a.yaml")] == files.digest(b"a: 1\n")
        assert reads.seen[str(tmp_path / "later.yaml")] is None
        (tmp_path / "a.yaml").write_text("a: 2\n")  # read again, differently, in the same run
        read_bytes(str(tmp_path / "a.yaml"))
        assert reads.seen[str(tmp_path / "a.yaml")] == files.CHANGED
        seen_in_thread: list[object] = []
        other = threading.Thread(target=lambda: seen_in_thread.append(files.current_reads()))
        other.start()
        other.join()
        assert seen_in_thread == [None]  # another thread's check does not see these reads
    finally:
        files.stop_recording(token)
    assert files.current_reads() is None


def test_a_recording_inside_another_gives_the_outer_one_back(tmp_path: Path) -> None:
    """One context variable for every recording (made by the first): ending an inner recording restores the
    outer one, and a recording started in another thread at the same time keeps its own reads."""
    (tmp_path / "a.yaml").write_text("a: 1\n")
    outer_token = files.start_recording()
    try:
        outer = files.current_reads()
        inner_token = files.start_recording()
        inner = files.current_reads()
        assert inner is not None and inner is not outer
        read_bytes(str(tmp_path / "a.yaml"))
        files.stop_recording(inner_token)
        assert files.current_reads() is outer
        assert outer is not None and str(tmp_path / "a.yaml") not in outer.seen
        assert str(tmp_path / "a.yaml") in inner.seen
        in_thread: list[object] = []

        def record_in_thread() -> None:
            token = files.start_recording()
            in_thread.append(files.current_reads())
            files.stop_recording(token)
            in_thread.append(files.current_reads())

        other = threading.Thread(target=record_in_thread)
        other.start()
        other.join()
        assert in_thread[0] is not None and in_thread[0] is not outer and in_thread[1] is None
        assert files.current_reads() is outer
    finally:
        files.stop_recording(outer_token)
    assert files.current_reads() is None

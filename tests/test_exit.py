"""The end of the `batchlint` process (`batchlint.cli.console`, also `python -m batchlint`): once the
report is flushed the process ends without the interpreter's teardown, unless something waits for
that teardown; the report and the exit code are those of `main()` in every case."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, run_cli, run_process
from tests.test_startup import ACCELERATE
from tests.test_startup import SCRIPT as STARTUP_SCRIPT
from tests.test_startup import TRAIN as STARTUP_TRAIN

# The one-file check of the start-up tests: a MuseV config paired with its launch script.
TRAIN = STARTUP_TRAIN.replace("mixed_precision: fp16", "mixed_precision: fp64")
SCRIPT = STARTUP_SCRIPT.format(n=4, config="train.yaml")
ARGS = ("--no-cache", "--color", "never")


def _env() -> dict[str, str]:
    """This checkout first on the path; no coverage hook of the test run (it waits for the exit itself); standard
    output buffered, as in a user's shell (what is still in the buffer at the end must be flushed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_", "PYTEST", "COVERAGE")) and k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    (tmp_path / "accelerate.yaml").write_text(ACCELERATE, encoding="utf-8")
    (tmp_path / "dataset.yaml").write_text("width: 512\nheight: 320\n", encoding="utf-8")
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "train.sh").write_text(SCRIPT, encoding="utf-8")
    return tmp_path


def test_the_console_entry_point_is_the_one_that_ends_the_process() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'batchlint = "batchlint.cli:console"' in text
    assert "console()" in (REPO / "batchlint" / "__main__.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("extra", [(), ("--exit-zero",), ("--format", "json"), ("--statistics",)])
def test_a_process_prints_what_main_prints_and_exits_with_its_code(project: Path, extra: tuple[str, ...]) -> None:
    code, out, err = run_cli("check", "train.yaml", *ARGS, *extra, cwd=project)
    proc = run_process("check", "train.yaml", *ARGS, *extra, cwd=project, env=_env())
    assert "BL101" in out
    assert (proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")) == (code, out, err)
    assert code == (0 if extra == ("--exit-zero",) else 1)


@pytest.mark.parametrize("args", [("check", "--no-such-option", "train.yaml"), ("--version",), ("check", "--help"), ()])
def test_usage_errors_and_help_from_a_process(project: Path, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # the help's width, alike in both
    code, out, err = run_cli(*args, cwd=project)
    proc = run_process(*args, cwd=project, env=_env())
    assert out or err
    assert (proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")) == (code, out, err)


def test_a_pipe_closed_early_ends_quietly_with_exit_code_1(project: Path) -> None:
    for i in range(60):  # a report far larger than a pipe's buffer: the writer is still writing when the reader leaves
        (project / f"train_{i:02}.yaml").write_text(TRAIN, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "batchlint", "check", ".", *ARGS],
        cwd=project,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(200)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert b"train_" in head
    assert err == b""  # no traceback, no "Exception ignored" from a second flush at exit


def test_a_full_disk_keeps_its_one_line_error(project: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "batchlint", "check", "train.yaml", *ARGS], cwd=project, stdout=full, stderr=subprocess.PIPE, env=_env(), timeout=60
        )
    assert proc.returncode == 2
    assert proc.stderr == b"batchlint: error: cannot write the report to standard output: No space left on device\n"


# A probe that runs the console entry point after setting something up that the interpreter's exit concerns.
PROBE = """
import os, sys
real_exit = os._exit
def _exit(code):
    os.write(2, b"[os._exit %d]" % code)
    real_exit(code)
os._exit = _exit
{setup}
sys.argv = ["batchlint", "check", "train.yaml", "--no-cache", "--color", "never", "--exit-zero"]
from batchlint.cli import console
console()
"""


def _probe(project: Path, setup: str) -> subprocess.CompletedProcess[str]:
    code = PROBE.format(setup=setup)
    return subprocess.run([sys.executable, "-c", code], cwd=project, env=_env(), capture_output=True, text=True, timeout=60)


def test_without_anything_waiting_the_teardown_is_skipped(project: Path) -> None:
    proc = _probe(project, "")
    assert proc.returncode == 0 and "BL101" in proc.stdout
    assert proc.stderr == "[os._exit 0]"


def test_an_atexit_function_still_runs(project: Path) -> None:
    proc = _probe(project, "import atexit\natexit.register(lambda: print('atexit ran', file=sys.stderr))")
    assert proc.returncode == 0 and "BL101" in proc.stdout
    assert proc.stderr == "atexit ran\n"  # (and no os._exit)


def test_a_thread_still_running_is_waited_for(project: Path) -> None:
    setup = "import threading, time\nthreading.Thread(target=lambda: (time.sleep(1.5), print('thread done', file=sys.stderr))).start()"
    proc = _probe(project, setup)
    assert proc.returncode == 0 and "BL101" in proc.stdout
    assert proc.stderr == "thread done\n"  # (and no os._exit)

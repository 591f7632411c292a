"""Run batchlint in-process, the way the CLI does, and capture what it prints (or as a real process,
for what only a process shows: a blocking open, a kill, the exit of the interpreter)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from batchlint.cli import main

REPO = Path(__file__).resolve().parent.parent


def _memory_limit() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # a device read whole fails in the child, not the machine


def run_process(
    *args: str, cwd: Path, stdin: bytes | None = None, timeout: float = 60, env: dict[str, str] | None = None, limit_memory: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """`python -m batchlint ARGS` in `cwd` with this checkout first on the path; standard input is `stdin`
    (or nothing); TimeoutExpired after `timeout` seconds, so a hang fails the test instead of the suite."""
    environment = dict(os.environ if env is None else env, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "batchlint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=environment,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        preexec_fn=_memory_limit if limit_memory else None,
    )


def run_cli(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def inspect_json(*args: str, cwd: Path | None = None) -> dict[str, Any]:
    code, out, err = run_cli("inspect", "--format", "json", *args, cwd=cwd)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def check_json(*args: str, cwd: Path | None = None) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = run_cli("check", "--format", "json", *args, cwd=cwd)
    assert code in (0, 1), err
    return code, json.loads(out)["diagnostics"]

"""Run batchlint in-process, the way the CLI does, and capture what it prints."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from batchlint.cli import main


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

"""A real editor: headless Neovim with its built-in LSP client attached to `batchlint server`
(ci/nvim_lsp_check.sh) receives the template's diagnostics and follows an unsaved edit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "ci" / "nvim_lsp_check.sh"


def test_neovim_receives_the_diagnostics() -> None:
    if shutil.which("nvim") is None:
        pytest.skip("nvim is not installed (apt-get install -y neovim)")
    pytest.importorskip("pygls", reason="the server needs the server extra")
    done = subprocess.run(["sh", str(SCRIPT), sys.executable], capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "diagnostics on open: BL101@132 BL102@134" in done.stdout, done.stdout
    assert "diagnostics after the edit:" in done.stdout and "server stopped" in done.stdout, done.stdout

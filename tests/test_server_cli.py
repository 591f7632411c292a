"""`batchlint server` as a command: the one-line error without the extra, and a CLI start-up that
imports nothing of the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "server" / "musev"


def test_without_the_extra_one_line_and_exit_2() -> None:
    blocked = "import sys; sys.modules['pygls'] = None; from batchlint.cli import main; sys.exit(main(['server']))"
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr == "batchlint server needs the server extra: pip install 'batchlint[server]'\n"
    assert done.stdout == ""


def test_the_cli_imports_nothing_of_the_server_unless_it_runs(tmp_path: Path) -> None:
    probe = (
        "import sys; from batchlint.cli import main; main(['check', '--no-cache', sys.argv[1]]); main(['--help']);"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol') or m.startswith('batchlint.server')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(FIXTURE / "train_template.yaml")], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr

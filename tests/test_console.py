"""A console that cannot encode `≈`, `×` or `→` gets ASCII for those characters, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from batchlint.output.console import to_ascii
from tests.conftest import REPO

COMMANDS = {
    "check": ["check", "examples/musev/train.yaml", "--accelerate-config", "examples/musev/accelerate_16gpu.yaml", "--no-cache"],
    "plan": ["plan", "--num-processes", "16", "--target-total", "224", "--gpu", "A100-80GB", "--memory-preset", "musev_referencenet"],
    "rule": ["rule", "--all"],
}


def _run(args: list[str], encoding: str) -> tuple[int, bytes, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS")}
    env["PYTHONIOENCODING"] = encoding
    result = subprocess.run([sys.executable, "-m", "batchlint", *args], cwd=REPO, env=env, capture_output=True, timeout=120)
    return result.returncode, result.stdout, result.stderr.decode(encoding, errors="replace")


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_a_narrow_console_gets_ascii_not_a_traceback(command: str, encoding: str) -> None:
    code_utf8, out_utf8, _ = _run(COMMANDS[command], "utf-8")
    code, out, err = _run(COMMANDS[command], encoding)
    assert "Traceback" not in err and "UnicodeEncodeError" not in err, err
    assert code == code_utf8
    text = out.decode(encoding)  # strict: every byte is of the console's encoding
    utf8 = out_utf8.decode("utf-8")
    assert "→" in utf8 or "≈" in utf8, "the command no longer prints what this test is about"
    assert "→" not in text and "≈" not in text
    assert len(text.splitlines()) == len(utf8.splitlines())
    if "→" in utf8:
        assert "->" in text
    if "≈" in utf8:
        assert "~" in text


def test_characters_the_encoding_has_are_kept_and_carets_stay_aligned() -> None:
    _, out, _ = _run(COMMANDS["check"], "cp1252")
    text = out.decode("cp1252")
    assert "2 per device × 16 processes" in text  # × is in cp1252
    assert "2 -> 7" in text and "(~ 73.4 of 75.2 GiB" in text
    lines = text.splitlines()
    # BL102 underlines the whole Chinese comment: the carets still end where the ASCII line ends
    source = next(i for i, line in enumerate(lines) if line.startswith(" 22 | "))
    carets = lines[source + 1]
    assert carets.rstrip().endswith("^") and len(carets.rstrip()) == len(lines[source].rstrip())
    _, out, _ = _run(COMMANDS["check"], "ascii")
    assert "2 per device x 16 processes" in out.decode("ascii")


@pytest.mark.parametrize(
    ("char", "ascii"),
    [
        ("≈", "~"),
        ("×", "x"),
        ("→", "->"),
        ("…", "..."),
        ("≥", ">="),
        ("é", "e"),
        ("Ψ", "?"),
        ("单", "??"),
        ("；", "; "),
        ("█", "#"),
    ],
)
def test_to_ascii(char: str, ascii: str) -> None:
    assert to_ascii(char) == ascii

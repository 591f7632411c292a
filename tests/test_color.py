"""Colour in the full and concise reports, as ruff colours them, and when it is on.

The snapshots in tests/snapshots/ render one hand-made report (an error with a safe fix, a warning
with notes and an unsafe fix, an info without a source line, carets under a CJK comment), so
they do not move when a rule's wording does; ESC is written as `\\e` there. After reading a
difference, `python -m tests.test_color --update` rewrites them.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from batchlint.fixes import Edit, Fix
from batchlint.loading.nodes import Span
from batchlint.model import Applicability, Severity
from batchlint.output import use_color
from batchlint.output.text import write_concise, write_full
from batchlint.report import Report
from batchlint.rules.base import Diagnostic, Related
from tests.conftest import REPO

SNAPSHOTS = Path(__file__).parent / "snapshots"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SOURCE = "train:\n  train_batch_size: 4.0  # 单卡\n  gradient_accumulation_steps: 4\n"


def _report() -> Report:
    report = Report()
    report.files = 2
    report.sources["train.yaml"] = SOURCE
    report.diagnostics = [
        Diagnostic(
            "BL105",
            "invalid-batch-value",
            Severity.ERROR,
            "per-device batch must be a positive integer, got the float 4.0",
            Span("train.yaml", 2, 21, 2, 24, 27, 30),
            "set a whole number >= 1",
            fix=Fix("write it as the integer 4", Applicability.SAFE, [Edit("train.yaml", 27, 30, "4")]),
        ),
        Diagnostic(
            "BL101",
            "total-below-target",
            Severity.WARNING,
            "total batch 128 is below the target 224",
            Span("train.yaml", 3, 32, 3, 33, 68, 69),
            "7 per device x 2 accumulation on 16 processes = 224",
            [Related(Span("train.yaml", 2, 21, 2, 24, 27, 30), "per-device batch 4.0"), Related(Span("accelerate.yaml", 3, 16, 3, 18, 0, 2), "16 processes")],
            Fix("set the batch to 7 and the accumulation to 2", Applicability.UNSAFE, [Edit("train.yaml", 68, 69, "2")]),
        ),
        Diagnostic("BL102", "stated-intent-mismatch", Severity.WARNING, "the comment states one card", Span("train.yaml", 2, 26, 2, 30, 32, 36)),
        Diagnostic(
            "BL103", "process-count-unknown", Severity.INFO, "process count unknown", Span("other.yaml", 1, 1, 1, 1, 0, 0), "declare it: --num-processes N"
        ),
    ]
    return report


def _render(writer: object, color: bool) -> str:
    out = io.StringIO()
    writer(_report(), out, color)  # type: ignore[operator]
    return out.getvalue()


CASES = {"full": write_full, "concise": write_concise}


@pytest.mark.parametrize("fmt", sorted(CASES))
@pytest.mark.parametrize("color", [True, False], ids=["color", "no-color"])
def test_snapshot(fmt: str, color: bool) -> None:
    expected = (SNAPSHOTS / f"{fmt}-{'color' if color else 'no-color'}.txt").read_text(encoding="utf-8")
    assert _render(CASES[fmt], color).replace("\x1b", "\\e") == expected


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_colour_changes_no_character_of_the_text(fmt: str) -> None:
    coloured = _render(CASES[fmt], True)
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == _render(CASES[fmt], False)
    assert "\x1b" not in _render(CASES[fmt], False)


def test_ruff_like_styles() -> None:
    full = _render(write_full, True)
    assert "\x1b[1;31mBL105\x1b[0m" in full  # codes in bold red
    assert "\x1b[1;91m[error]\x1b[0m" in full and "\x1b[1;93m[warning]\x1b[0m" in full and "\x1b[1;94m[info]\x1b[0m" in full
    assert "\x1b[1;91m^^^\x1b[0m" in full and "\x1b[1;93m^\x1b[0m" in full  # carets in the severity's colour
    assert "\x1b[1;96mhelp\x1b[0m: set a whole number" in full and "\x1b[1;92mnote\x1b[0m: line 2" in full
    assert "\x1b[1mtrain.yaml\x1b[0m\x1b[36m:\x1b[0m2\x1b[36m:\x1b[0m21\x1b[36m:\x1b[0m" in full  # bold path, cyan colons
    assert " [\x1b[36m*\x1b[0m] " in full  # the fixable mark, ruff's cyan star


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("choice", "tty", "env", "expected"),
    [
        ("auto", True, {}, True),
        ("auto", False, {}, False),
        ("auto", True, {"NO_COLOR": "1"}, False),
        ("auto", True, {"NO_COLOR": ""}, True),  # no-color.org: present and not empty
        ("auto", False, {"FORCE_COLOR": "1"}, True),
        ("auto", False, {"FORCE_COLOR": ""}, False),
        ("auto", True, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, True),  # the more explicit request wins
        ("auto", True, {"TERM": "dumb"}, False),
        ("always", False, {"NO_COLOR": "1"}, True),
        ("never", True, {"FORCE_COLOR": "1"}, False),
    ],
)
def test_when_colour_is_on(choice: str, tty: bool, env: dict[str, str], expected: bool) -> None:
    assert use_color(choice, _Stream(tty), env) is expected


CHECK = ["check", "examples/musev/train.yaml", "--accelerate-config", "examples/musev/accelerate_16gpu.yaml", "--no-cache"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS", "TERM")}
    env.update(PYTHONIOENCODING="utf-8", **extra)
    return env


def _cli(args: list[str], **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "batchlint", *args], cwd=REPO, env=_env(**env), capture_output=True, text=True, encoding="utf-8", timeout=120
    )
    assert result.returncode == 1, result.stderr
    return result.stdout


@pytest.mark.parametrize("fmt", ["full", "concise"])
def test_cli_colours_only_when_asked_or_on_a_terminal(fmt: str) -> None:
    plain = _cli([*CHECK, "--format", fmt])  # a pipe: no colour
    assert "\x1b" not in plain
    forced = _cli([*CHECK, "--format", fmt], FORCE_COLOR="1")
    assert "\x1b[1;31mBL101\x1b[0m" in forced and ANSI.sub("", forced) == plain
    assert _cli([*CHECK, "--format", fmt, "--color", "always"], NO_COLOR="1") == forced
    assert _cli([*CHECK, "--format", fmt, "--color", "never"], FORCE_COLOR="1") == plain
    assert "\x1b" not in _cli([*CHECK, "--format", "json", "--color", "always"])  # machine formats are never coloured


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_cli_on_a_terminal_and_with_no_color() -> None:
    import pty

    def on_tty(**env: str) -> str:
        leader, follower = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "batchlint", *CHECK],
            cwd=REPO,
            env=_env(TERM="xterm", **env),
            stdout=follower,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert proc.wait(timeout=120) == 1
        return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")

    coloured = on_tty()
    assert "\x1b[1;93m[warning]\x1b[0m" in coloured
    no_color = on_tty(NO_COLOR="1")
    assert "\x1b" not in no_color and no_color == ANSI.sub("", coloured)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    SNAPSHOTS.mkdir(exist_ok=True)
    for fmt, writer in CASES.items():
        for color in (True, False):
            path = SNAPSHOTS / f"{fmt}-{'color' if color else 'no-color'}.txt"
            path.write_text(_render(writer, color).replace("\x1b", "\\e"), encoding="utf-8")
            print(f"wrote {path.relative_to(REPO)}")

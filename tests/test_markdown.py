"""`check --format markdown`: a GitHub-flavoured table, one row per run, read back with a Markdown parser
(markdown-it-py with GFM tables) rather than matched as a string."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.helpers import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "drift"


def tables(text: str) -> list[list[list[tuple[str, list[Token]]]]]:
    """Each table of the document: its rows (the header first), each a list of (cell text, cell inline tokens)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    out: list[list[list[tuple[str, list[Token]]]]] = []
    row: list[tuple[str, list[Token]]] = []
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            out.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            inline = tokens[i + 1]
            row.append((inline.content, inline.children or []))
        elif token.type == "tr_close":
            out[-1].append(row)
    return out


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """The fixture committed at 16 processes, then lowered to 8 in the working tree."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "16 GPUs"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    accelerate = root / "accelerate.yaml"
    accelerate.write_text(accelerate.read_text(encoding="utf-8").replace("num_processes: 16", "num_processes: 8"), encoding="utf-8")
    return root


def test_one_row_per_run_with_the_baseline_and_its_findings(changed: Path) -> None:
    code, out, err = run_cli("check", "accelerate.yaml", "train.sh", "--baseline", "HEAD", "--format", "markdown", cwd=changed)
    assert code == 1 and err == ""
    (table,) = tables(out)
    header, *rows = table
    assert [text for text, _ in header] == ["config", "launch", "per device × processes × accumulation = total", "baseline `HEAD`", "Δ", "findings"]
    assert len(rows) == 1  # musev_train.yaml, reached through the accelerate file and the script, is one run
    cells = [text for text, _ in rows[0]]
    assert cells[:5] == ["`musev_train.yaml`", "`accelerate.yaml` via `train.sh`", "7 × 8 × 2 = 112", "224", "−112"]
    findings = rows[0][5][1]
    assert [t.content for t in findings if t.type == "html_inline"] == ["<br>"] * 4  # five findings, one per line
    codes = [findings[i + 1].content for i, t in enumerate(findings) if t.type == "strong_open"]
    assert codes == ["BL107", "BL101", "BL204", "BL102", "BL108"]
    assert "total 224 → 112: num_processes 16 → 8 (accelerate.yaml:5)" in cells[5]
    assert out.rstrip().endswith("Found 5 findings (3 warnings, 2 info) in 2 files (3 checked).")


def test_without_a_baseline_there_are_no_baseline_columns(changed: Path) -> None:
    _, out, _ = run_cli("check", "musev_train.yaml", "--format", "markdown", cwd=changed)
    (table,) = tables(out)
    assert [text for text, _ in table[0]] == ["config", "launch", "per device × processes × accumulation = total", "findings"]
    assert [text for text, _ in table[1]][:3] == ["`musev_train.yaml`", "`accelerate.yaml` via `train.sh`", "7 × 8 × 2 = 112"]


def test_cells_hold_any_message_and_other_findings_follow(changed: Path) -> None:
    import os

    from batchlint.engine import check
    from batchlint.loading.nodes import Span
    from batchlint.model import Severity
    from batchlint.options import Options
    from batchlint.output.markdown import write_markdown
    from batchlint.rules.base import Diagnostic

    old = os.getcwd()
    os.chdir(changed)
    try:
        report = check(["musev_train.yaml"], Options())
    finally:
        os.chdir(old)
    report.diagnostics = [
        Diagnostic("BL101", "total-below-target", Severity.WARNING, "a | b\nc <script> `x|y`", Span("musev_train.yaml", 1, 1, 1, 2, 0, 1)),
        Diagnostic("BL001", "invalid-file", Severity.ERROR, "broken", Span("ci.yaml", 3, 4, 3, 5, 0, 1)),
    ]
    out = io.StringIO()
    write_markdown(report, out)
    (table,) = tables(out.getvalue())
    assert all(len(row) == 4 for row in table)  # no pipe in a message opens a column
    assert table[1][3][0] == "**BL101** warning: a | b c &lt;script> `x|y`"  # the parser unescapes the pipes
    html = MarkdownIt("commonmark").enable("table").render(out.getvalue())
    assert "<script>" not in html and "a | b c" in html
    items = [t for t in MarkdownIt("commonmark").parse(out.getvalue()) if t.type == "inline" and "BL001" in t.content]
    assert [t.content for t in items] == ["`ci.yaml:3:4` **BL001** error: broken"]

"""Regression tests for two bugs of the first core: suppression directives read from the raw text, so
that text inside a block scalar silenced a file (and BL008's fix deleted a line of the string); and
BL008's fix edit stored a column beside its offset that drifted from it, so `check --format json`
reported column 25 where `--diff` deleted from column 22."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

HEAD = "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 1\n"
ARGS = ("--num-processes", "8", "--target-total", "64", "--ignore", "BL204")  # 2 × 8 × 1 = 16 < 64: BL101


def _codes(tmp: Path, text: str, *extra: str) -> list[str]:
    (tmp / "t.yaml").write_text(text, encoding="utf-8")
    _, diags = check_json("t.yaml", *ARGS, *extra, cwd=tmp)
    return [d["code"] for d in diags]


# --- suppression directives are comments, never text inside a value -------------------------------


def test_directive_in_a_real_comment_silences_the_file(tmp_path: Path) -> None:
    """The control for the tests below: the same directive as a comment does silence the file."""
    assert _codes(tmp_path, HEAD) == ["BL101"]
    assert _codes(tmp_path, HEAD + "prompt: |\n  a prompt\n# batchlint: file-ignore\n") == []


def test_directive_inside_a_quoted_string_is_text(tmp_path: Path) -> None:
    assert _codes(tmp_path, HEAD + 'prompt: "a prompt # batchlint: file-ignore"\n') == ["BL101"]
    assert _codes(tmp_path, HEAD + "prompt: 'a prompt # batchlint: file-ignore'\n") == ["BL101"]


def test_directive_inside_a_block_scalar_does_not_silence_the_file(tmp_path: Path) -> None:
    assert _codes(tmp_path, HEAD + "prompt: |\n  a prompt # batchlint: file-ignore\n") == ["BL101"]


def test_directive_inside_a_block_scalar_is_not_an_unused_suppression(tmp_path: Path) -> None:
    text = HEAD + "prompt: >-\n  a prompt\n  # batchlint: ignore[BL101]\n"
    assert _codes(tmp_path, text) == ["BL101"]
    run_cli("check", "--fix", "--select", "BL008", "t.yaml", *ARGS, cwd=tmp_path)
    assert (tmp_path / "t.yaml").read_text(encoding="utf-8") == text  # the string's content is never edited


# --- BL008: the reported spans are the text the fix removes ---------------------------------------

TRAILING = "  train_batch_size: 8   # batchlint: ignore[BL101]\n"  # 8 × 8 × 1 = 64: nothing for it to silence
OWN_LINE = "  # batchlint: ignore[BL101]\n  train_batch_size: 8\n"
COMMENT = "# batchlint: ignore[BL101]"


def _bl008(tmp: Path, body: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    text = HEAD.replace("  train_batch_size: 2\n", body)
    (tmp / "t.yaml").write_text(text, encoding="utf-8")
    _, diags = check_json("t.yaml", *ARGS, cwd=tmp)
    assert [d["code"] for d in diags] == ["BL008"], diags
    return text, diags[0]


def _offset(text: str, line: int, column: int) -> int:
    """The character offset of a 1-based (line, column), columns counted in characters."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts[line - 1] + column - 1


def _fixed(tmp: Path) -> str:
    code, out, err = run_cli("check", "--fix", "--format", "concise", "t.yaml", *ARGS, cwd=tmp)
    assert (code, err) == (0, ""), (out, err)
    return (tmp / "t.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("body, removed", [(TRAILING, "   " + COMMENT), (OWN_LINE, "  " + COMMENT + "\n")], ids=["trailing", "own-line"])
def test_unused_suppression_span_and_fix(tmp_path: Path, body: str, removed: str) -> None:
    text, diag = _bl008(tmp_path, body)
    # The finding points at the comment itself.
    start, end = _offset(text, diag["line"], diag["column"]), _offset(text, diag["end_line"], diag["end_column"])
    assert text[start:end] == COMMENT
    # --diff shows, and --fix makes, exactly one change: the comment and the blanks before it go.
    code, out, _ = run_cli("check", "--diff", "t.yaml", *ARGS, cwd=tmp_path)
    assert code == 1 and f"-{body.splitlines()[0]}\n" in out
    assert _fixed(tmp_path) == text.replace(removed, "", 1)


@pytest.mark.parametrize("body", [TRAILING, OWN_LINE], ids=["trailing", "own-line"])
def test_unused_suppression_json_edit_is_what_the_fix_removes(tmp_path: Path, body: str) -> None:
    text, diag = _bl008(tmp_path, body)
    # An editor applying the JSON edits by line and column gets the file --fix writes.
    by_json = text
    for edit in sorted(diag["fix"]["edits"], key=lambda e: (e["line"], e["column"]), reverse=True):
        start, end = _offset(by_json, edit["line"], edit["column"]), _offset(by_json, edit["end_line"], edit["end_column"])
        by_json = by_json[:start] + edit["content"] + by_json[end:]
    assert by_json == _fixed(tmp_path)

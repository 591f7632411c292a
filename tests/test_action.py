"""The composite GitHub Action: its shell steps run as written, here, without GitHub."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def _run_step(name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    step = next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)
    assert step["shell"] == "bash"
    script = step["run"]
    assert "${{" not in script, "inputs reach the script through env, never spliced into it"
    bindir = str(Path(sys.executable).parent)
    full_env = dict(os.environ, **env, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), GITHUB_ACTIONS="true")
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)


def test_action_declares_its_inputs_and_composite_steps() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"args", "version", "sarif", "summary"}
    uses = [s["uses"] for s in ACTION["runs"]["steps"] if "uses" in s]
    assert uses == ["github/codeql-action/upload-sarif@v3"]
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert set(re.findall(r"\$\{\{\s*inputs\.(\w+)", json.dumps(step.get("env", {})))) <= set(ACTION["inputs"])


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_check_step_annotates_and_fails_on_findings(tmp_path: Path) -> None:
    case = REPO / "tests" / "cases" / "BL105_float_batch"
    shutil.copy(case / "train.yaml", tmp_path / "train.yaml")
    result = _run_step("Check (annotations)", {"ARGS": "train.yaml --num-processes 8"}, tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("::error file=train.yaml,line=7,col=21,")
    sarif = _run_step("SARIF report", {"ARGS": "train.yaml --num-processes 8", "SARIF": "out.sarif"}, tmp_path)
    assert sarif.returncode == 0
    assert json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"][0]["ruleId"] == "BL105"


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("git") is None, reason="bash or git not installed")
def test_summary_step_appends_the_markdown_table_to_the_job_summary(tmp_path: Path) -> None:
    from tests.test_markdown import FIXTURE, tables

    shutil.copytree(FIXTURE, tmp_path / "repo")
    repo = tmp_path / "repo"
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "16 GPUs"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    (repo / "accelerate.yaml").write_text(
        (FIXTURE / "accelerate.yaml").read_text(encoding="utf-8").replace("num_processes: 16", "num_processes: 8"), encoding="utf-8"
    )
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    step = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Job summary")
    assert step["if"] == "${{ inputs.summary == 'true' }}"
    result = _run_step("Job summary", {"ARGS": "accelerate.yaml --baseline HEAD", "GITHUB_STEP_SUMMARY": str(summary)}, repo)
    assert result.returncode == 0 and result.stdout == "", result.stderr  # findings fail the annotations step, not this one
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### batchlint\n")
    (table,) = tables(text)
    assert [cell for cell, _ in table[1]][:5] == ["`musev_train.yaml`", "`accelerate.yaml` via `train.sh`", "7 × 8 × 2 = 112", "224", "−112"]

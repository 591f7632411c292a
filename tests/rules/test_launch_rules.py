"""Launch-config rules: the DeepSpeed triad against the spec's derivation (§4.2–4.3), and every
error-level finding over the accelerate and DeepSpeed files of ../shared/corpus, documented."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS
from tests.helpers import check_json

AUTO = "auto"


def deepspeed_accepts(t: object, m: object, g: object, w: int) -> bool:
    """The spec's §4.2 table and §4.3 assertions, written out independently of batchlint."""
    if AUTO in (t, m, g):
        return False  # raw DeepSpeed: TypeError in the assertion (or a silent default)
    if t is None and m is None:
        return False  # "Either train_batch_size or train_micro_batch_size_per_gpu needs to be provided"
    if t is not None and m is not None and g is not None:
        pass
    elif t is not None and m is not None:
        g = t // m // w if m else 0  # type: ignore[operator]
    elif t is not None and g is not None:
        m = t // w // g if g else 0  # type: ignore[operator]
    elif m is not None and g is not None:
        t = m * g * w  # type: ignore[operator]
    elif t is not None:
        g, m = 1, t // w  # type: ignore[operator]
    else:
        g = 1
        t = m * w  # type: ignore[operator]
    assert isinstance(t, int) and isinstance(m, int) and isinstance(g, int)
    return t > 0 and m > 0 and g > 0 and t == m * g * w


values = st.one_of(st.none(), st.just(AUTO), st.integers(-2, 130))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=values, m=values, g=values, w=st.integers(1, 16))
def test_triad_verdict_matches_the_spec(tmp_path_factory: pytest.TempPathFactory, t: object, m: object, g: object, w: int) -> None:
    tmp = tmp_path_factory.mktemp("ds")
    doc: dict[str, object] = {"zero_optimization": {"stage": 2}}
    for key, value in (("train_batch_size", t), ("train_micro_batch_size_per_gpu", m), ("gradient_accumulation_steps", g)):
        if value is not None:
            doc[key] = value
    (tmp / "ds.json").write_text(json.dumps(doc), encoding="utf-8")
    (tmp / "pyproject.toml").write_text('[tool.batchlint]\ndeepspeed-launch = "deepspeed"\n', encoding="utf-8")
    _, diags = check_json("ds.json", "--num-processes", str(w), cwd=tmp)
    flagged = {d["code"] for d in diags if d["severity"] == "error"}
    assert flagged <= {"DS001", "DS002", "DS003", "DS004", "DS005"}
    assert (not flagged) == deepspeed_accepts(t, m, g, w), (t, m, g, w, diags)


# Every error-level finding over the corpus's accelerate and DeepSpeed files, with why it is real.
EXPECTED_ERRORS = {
    (
        "huggingface/accelerate/tests/test_configs/0_30_0_sagemaker.yaml",
        "AC003",
    ): "unquoted `distributed_type: NO` is False to PyYAML (corpus README: YAML 1.1 trap)",
}
# Findings the corpus README names as conflicts seen in the wild, and must be found.
EXPECTED_CONFLICTS = [
    ("HiRookie9/PicoAudio2/src/configs/accelerate/nvidia/1gpu.yaml", None, "AC011"),  # MULTI_GPU with one process
    ("huggingface/accelerate/tests/test_configs/0_30_0_sagemaker.yaml", None, "AC003"),  # unquoted NO
    ("fudan-generative-vision/hallo/configs/train/stage1.yaml", "fudan-generative-vision/hallo/accelerate_config.yaml", "X005"),
    ("fudan-generative-vision/hallo/configs/train/stage2.yaml", "fudan-generative-vision/hallo/accelerate_config.yaml", "X005"),
]


def _launch_files() -> list[str]:
    manifest = CORPUS / "manifest.json"
    if not manifest.is_file():
        return []
    return [e["file"] for e in json.loads(manifest.read_text(encoding="utf-8")) if e["dialect"] in ("accelerate", "deepspeed-json")]


@pytest.mark.parametrize("rel", _launch_files())
def test_corpus_errors_are_true_problems(rel: str) -> None:
    # Checked from the project's root, where its launches run (relative DeepSpeed paths start there).
    root = CORPUS / "/".join(rel.split("/")[:2])
    _, diags = check_json(os.path.relpath(CORPUS / rel, root), cwd=root)
    errors = {(rel, d["code"]) for d in diags if d["severity"] == "error"}
    assert errors <= set(EXPECTED_ERRORS), [d for d in diags if d["severity"] == "error"]


def test_accelerate_templates_are_clean_of_errors(corpus: Path) -> None:
    templates = corpus / "huggingface/accelerate/examples/config_yaml_templates"
    _, diags = check_json(str(templates))
    assert [d for d in diags if d["severity"] == "error"] == []
    assert len(list(templates.iterdir())) >= 7


@pytest.mark.parametrize("config, launch, code", EXPECTED_CONFLICTS)
def test_corpus_conflicts_are_found(corpus: Path, config: str, launch: str | None, code: str) -> None:
    args = [str(corpus / config)] + (["--accelerate-config", str(corpus / launch)] if launch else [])
    _, diags = check_json(*args)
    assert code in {d["code"] for d in diags}
    if code == "X005":
        hit = next(d for d in diags if d["code"] == "X005")
        assert "'no'" in hit["message"] and "'fp16'" in hit["message"]


def test_open_sora_plan_pairing_reads_its_deepspeed_json(corpus: Path) -> None:
    root = corpus / "PKU-YuanGroup/Open-Sora-Plan"
    _, diags = check_json("scripts/accelerate_configs/deepspeed_zero2_config.yaml", "scripts/accelerate_configs/multi_node_example.yaml", cwd=root)
    assert [d for d in diags if d["severity"] == "error"] == []

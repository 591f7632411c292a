"""Acceptance: `inspect --format json` reproduces the manifest's hand-checked facts.

For every musev, animateanyone and accelerate file of ../shared/corpus: value, key path and
line of each fact. The expected line comes from ruamel.yaml (an independent parser), not from
batchlint's own loader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import CORPUS
from tests.helpers import inspect_json, run_cli

DIALECTS = {"musev-omegaconf": "musev", "animateanyone-omegaconf": "animateanyone", "accelerate": "accelerate",
            "hf-trainer-yaml": "hf-trainer", "axolotl": "axolotl", "animatediff": "animatediff", "deepspeed-json": "deepspeed",
            "other": None}  # "other": compared wherever batchlint recognises the file
FACTS = ("per_device_batch", "grad_accum", "num_processes", "num_machines", "gpu_ids", "distributed_type",
         "mixed_precision", "gradient_checkpointing", "global_batch")
NESTED = {("deepspeed", "zero_stage"): "zero_stage", ("deepspeed", "grad_accum"): "launcher_grad_accum",
          ("deepspeed", "deepspeed_config_file"): "deepspeed_config_file"}


def _entries() -> list[dict[str, Any]]:
    path = CORPUS / "manifest.json"
    if not path.is_file():
        return []
    return [e for e in json.loads(path.read_text(encoding="utf-8")) if e["dialect"] in DIALECTS]


def _id(entry: dict[str, Any]) -> str:
    return str(entry["file"])


def value_line(file: Path, dotted: str) -> int:
    """1-based line of the value at a dotted key path, per ruamel.yaml."""
    yaml = YAML()
    yaml.allow_duplicate_keys = True
    doc = yaml.load(file.read_text(encoding="utf-8"))
    parts: list[str | int] = [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", dotted)]
    node = doc
    for part in parts[:-1]:
        node = node[part]
    line, _col = node.lc.value(parts[-1]) if isinstance(parts[-1], str) else node.lc.item(parts[-1])
    return int(line) + 1


def expected_facts(entry: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    out: dict[str, dict[str, Any] | None] = {}
    facts = entry["facts"]
    for name in FACTS:
        if name in facts:
            out[name] = facts[name]
    for (group, key), name in NESTED.items():
        if isinstance(facts.get(group), dict) and key in facts[group]:
            out[name] = facts[group][key]
    return out


@pytest.mark.parametrize("entry", _entries(), ids=_id)
def test_inspect_reproduces_manifest_facts(entry: dict[str, Any]) -> None:
    file = CORPUS / entry["file"]
    if not file.name.endswith((".yaml", ".yml", ".json", ".sh", ".slurm", ".bash")):
        # A hostfile is read through the launch that names it; named on its own it is refused in one line.
        code, out, err = run_cli("inspect", "--format", "json", str(file))
        assert (code, out) == (2, "") and err.endswith(": not a file batchlint reads (it reads .yaml, .yml, .json, .sh, .slurm, .bash files)\n")
        assert all(v is None for v in expected_facts(entry).values())
        return
    result = inspect_json(str(file))
    runs = result["runs"]
    expected = expected_facts(entry)
    if not any(v is not None for v in expected.values()):
        # Included fragments (a dataset file, a test-case list) are not runs of their own.
        assert runs == [] or runs[0]["dialect"] in DIALECTS.values()
        return
    if DIALECTS[entry["dialect"]] is None and not runs:
        pytest.skip("a dialect batchlint does not cover yet")
    assert len(runs) == 1, f"{entry['file']} not recognised"
    run = runs[0]
    if DIALECTS[entry["dialect"]] is not None:
        assert run["dialect"] == DIALECTS[entry["dialect"]]
    checked = 0
    for name, fact in expected.items():
        got = run["facts"].get(name)
        if isinstance(fact, list) or (isinstance(fact, dict) and "file" in fact):
            continue  # several keys at once, or a value from another file (compared with pairing below)
        if fact is None:
            # Absent from the file: batchlint may still know the consumer's default or a derived value.
            assert got is None or got["value"] is None or got["source"] in ("default", "derived"), f"{name}: {got}"
            continue
        assert got is not None, f"{name} missing from inspect output"
        if fact["path"].startswith(("argv:", "env:")):
            continue  # shell facts
        if fact["path"].startswith("text:"):
            pattern = fact["path"][5:]
            text = file.read_text(encoding="utf-8")
            m = re.search(pattern, text, re.M)
            assert m is not None
            assert got["value"] in (fact["value"], fact.get("yaml_1_1_value"))
            assert got["line"] == text.count("\n", 0, m.start()) + 1
        else:
            assert got["value"] == fact["value"] and type(got["value"]) is type(fact["value"]), name
            assert got["key"] == fact["path"], name
            assert got["line"] == value_line(file, fact["path"]), name
        assert got["file"] is not None and Path(got["file"]).name == file.name
        checked += 1
    assert checked > 0


def _paired() -> list[dict[str, Any]]:
    return [e for e in _entries()
            if isinstance(e["facts"].get("gpu_count"), dict) and "file" in e["facts"]["gpu_count"]
            and not e["facts"]["gpu_count"]["path"].startswith("argv:")  # counts from launch scripts: issue 6's pairing
            and isinstance(e["facts"].get("total_batch"), dict)]


@pytest.mark.parametrize("entry", _paired(), ids=_id)
def test_total_with_the_linked_accelerate_config(entry: dict[str, Any]) -> None:
    facts = entry["facts"]
    launch = CORPUS / facts["gpu_count"]["file"]
    run = inspect_json(str(CORPUS / entry["file"]), "--accelerate-config", str(launch))["runs"][0]
    assert run["facts"]["num_processes"]["value"] == facts["gpu_count"]["value"]
    assert run["facts"]["num_processes"]["file"].endswith(launch.name)
    assert run["total_batch"] == facts["total_batch"]["value"]


def test_data_parallel_degree_of_parallelism_configs(corpus: Path) -> None:
    checked = 0
    for entry in _entries():
        degree = entry["facts"].get("data_parallel_degree")
        if isinstance(degree, dict):
            run = inspect_json(str(corpus / entry["file"]))["runs"][0]
            assert run["facts"]["data_parallel_size"]["value"] == degree["value"], entry["file"]
            checked += 1
    assert checked >= 2


def test_musev_template_intent_and_totals(corpus: Path) -> None:
    """Acceptance: BL102 names the comment and both values; with 16 processes, total 64 < 224."""
    from tests.helpers import check_json

    template = corpus / "TMElyralab/MuseV/configs/train/musev_referencenet_train_template.yaml"
    code, diags = check_json(str(template))
    bl102 = [d for d in diags if d["code"] == "BL102"]
    assert code == 1 and len(bl102) == 1
    assert bl102[0]["line"] == 134
    assert {r["line"] for r in bl102[0]["related"]} == {132, 135}
    assert "line 132" in bl102[0]["message"] and "line 135" in bl102[0]["message"]

    code, diags = check_json(str(template), "--num-processes", "16")
    bl101 = [d for d in diags if d["code"] == "BL101"]
    assert len(bl101) == 1
    assert "total batch 64" in bl101[0]["message"] and "target 224" in bl101[0]["message"]
    run = inspect_json(str(template), "--num-processes", "16")["runs"][0]
    assert run["total_batch"] == 64
    assert run["facts"]["num_processes"] == {"value": 16, "file": None, "line": None, "column": None,
                                             "key": "--num-processes", "source": "cli"}


def _scripts() -> list[dict[str, Any]]:
    path = CORPUS / "manifest.json"
    if not path.is_file():
        return []
    return [e for e in json.loads(path.read_text(encoding="utf-8")) if e["dialect"] == "shell-cli"]


@pytest.mark.parametrize("entry", _scripts(), ids=_id)
def test_launch_scripts_reproduce_manifest_facts(entry: dict[str, Any]) -> None:
    """Shell facts: the flag's value, the flag as the key, the line of the flag in the script."""
    script = CORPUS / entry["file"]
    root = CORPUS / "/".join(entry["file"].split("/")[:2])
    result = inspect_json(str(script.relative_to(root)), cwd=root)
    text = script.read_text(encoding="utf-8")
    facts = entry["facts"]
    runs = [r for r in result["runs"] if r["launch_script"] and Path(r["launch_script"]).name == script.name]
    checked = 0
    for name in ("per_device_batch", "grad_accum", "mixed_precision"):
        fact = facts.get(name)
        if not isinstance(fact, dict) or not fact["path"].startswith("argv:"):
            continue
        flag = fact["path"][5:]
        assert runs, f"{entry['file']}: no run from the launch line"
        got = runs[0]["facts"][name]
        assert got["value"] == fact["value"], name
        assert got["key"] == flag
        assert got["line"] == text.count("\n", 0, re.search(re.escape(flag) + r"(?=[= \s])", text).start()) + 1  # type: ignore[union-attr]
        checked += 1
    gpu = facts.get("gpu_count")
    if isinstance(gpu, dict) and gpu["path"].startswith("argv:"):
        assert runs and runs[0]["facts"]["num_processes"]["value"] == gpu["value"]
        checked += 1
    total = facts.get("total_batch")
    if isinstance(total, dict) and runs:
        assert runs[0]["total_batch"] == total["value"]
        checked += 1
    if facts.get("accelerate_config") and runs and runs[0]["launch"]:
        assert runs[0]["launch"].endswith(Path(facts["accelerate_config"]["value"]).name)
    if not checked:
        pytest.skip("no batch facts on this script's launch line")


@pytest.mark.parametrize("config, launch_script, total", [
    ("hiyouga/LLaMA-Factory/examples/extras/fsdp_qlora/llama3_lora_sft.yaml", "train.sh", 16),
    ("bytedance/LatentSync/configs/syncnet/syncnet_16_pixel_attn.yaml", "train_syncnet.sh", 256),
    ("bytedance/LatentSync/configs/unet/stage1_512.yaml", "train_unet.sh", 1),
    # train.sh launches `--config ./configs/training/$STAGE.yaml` (STAGE=$1): matched as a pattern.
    ("TMElyralab/MuseTalk/configs/training/stage1.yaml", "train.sh", 64),
    ("TMElyralab/MuseTalk/configs/training/stage2.yaml", "train.sh", 32),
])
def test_configs_pair_with_their_launch_script_without_settings(corpus: Path, config: str, launch_script: str, total: int) -> None:
    root = corpus / "/".join(config.split("/")[:2])
    run = inspect_json(str((corpus / config).relative_to(root)), cwd=root)["runs"][0]
    assert Path(run["launch_script"]).name == launch_script
    assert run["total_batch"] == total

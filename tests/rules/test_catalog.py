"""The launch-config catalog: every rule of accelerate-deepspeed.md §8 exists, codes with a letter
suffix select and suppress like the others, and version-dependent rules follow the settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from batchlint.rules import BY_CODE
from tests.conftest import REPO
from tests.helpers import check_json

SPEC = REPO.parent / "shared" / "specs" / "accelerate-deepspeed.md"
# The §8 ids, as the spec writes them (X008 is BL102's alias).
CATALOG = (
    *(f"AC{n:03d}" for n in range(1, 34)),
    "AC009b",
    "AC018b",
    *(f"DS{n:03d}" for n in range(1, 24)),
    *(f"X{n:03d}" for n in range(1, 12)),
)


def test_every_catalog_rule_is_registered() -> None:
    missing = [code for code in CATALOG if code.upper() not in BY_CODE]
    assert missing == []
    assert BY_CODE["X008"].code == "BL102"


def test_the_catalog_list_is_the_spec_s() -> None:
    if not SPEC.is_file():
        pytest.skip("specs not present")
    section = SPEC.read_text(encoding="utf-8").split("## 8.", 1)[1]
    ids = set(re.findall(r"^\| ((?:AC|DS|X)\d{3}b?) (?:error|warning|info)", section, re.M))
    assert ids == set(CATALOG)


def _write(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (folder / rel).write_text(text, encoding="utf-8")


IDLE = "distributed_type: MULTI_GPU\nnum_processes: 2\ngpu_ids: 0,1,2,3\n"


@pytest.mark.parametrize("selector", ["AC009b", "AC009B", "idle-gpu-ids"])
def test_suffixed_code_selects_in_any_case(tmp_path: Path, selector: str) -> None:
    _write(tmp_path, {"acc.yaml": IDLE})
    _, diags = check_json("acc.yaml", "--select", selector, cwd=tmp_path)
    assert [d["code"] for d in diags] == ["AC009B"]


def test_suffixed_code_is_suppressed_by_its_spec_spelling(tmp_path: Path) -> None:
    _write(tmp_path, {"acc.yaml": IDLE.replace("0,1,2,3", "0,1,2,3  # batchlint: ignore[AC009b]")})
    _, diags = check_json("acc.yaml", cwd=tmp_path)
    assert [d["code"] for d in diags] == []


def _codes(tmp_path: Path, files: dict[str, str], *args: str) -> dict[str, list[tuple[str, str]]]:
    _write(tmp_path, files)
    _, diags = check_json(*args, cwd=tmp_path)
    out: dict[str, list[tuple[str, str]]] = {}
    for d in diags:
        out.setdefault(d["code"], []).append((d["severity"], d["message"]))
    return out


LEGACY_FSDP = "distributed_type: FSDP\nnum_processes: 8\nfsdp_config:\n  fsdp_backward_prefetch_policy: BACKWARD_PRE\n"


@pytest.mark.parametrize("version, severity", [("1.2.0", "warning"), ("0.30.1", "info"), ("0.25.0", None)])
def test_legacy_prefetch_follows_the_accelerate_version(tmp_path: Path, version: str, severity: str | None) -> None:
    found = _codes(tmp_path, {"acc.yaml": LEGACY_FSDP, "pyproject.toml": f'[tool.batchlint]\naccelerate-version = "{version}"\n'}, "acc.yaml")
    assert [s for s, _ in found.get("AC020", [])] == ([severity] if severity else [])
    assert "AC015" not in found  # the legacy name is AC020's alone


@pytest.mark.parametrize("version, flagged", [("1.12.0", True), ("1.13.0", False)])
def test_ipex_dynamo_backend_until_accelerate_1_13(tmp_path: Path, version: str, flagged: bool) -> None:
    acc = "distributed_type: MULTI_GPU\nnum_processes: 2\ndynamo_config:\n  dynamo_backend: IPEX\n"
    found = _codes(tmp_path, {"acc.yaml": acc, "pyproject.toml": f'[tool.batchlint]\naccelerate-version = "{version}"\n'}, "acc.yaml")
    assert ("AC023" not in found) == flagged


def test_nossh_needs_deepspeed_0_14_5(tmp_path: Path) -> None:
    acc = (
        "distributed_type: DEEPSPEED\nnum_processes: 16\nnum_machines: 2\nmain_process_ip: 10.0.0.1\ndeepspeed_config:\n  deepspeed_multinode_launcher: nossh\n"
    )
    old = _codes(tmp_path, {"acc.yaml": acc, "pyproject.toml": '[tool.batchlint]\ndeepspeed-version = "0.14.4"\n'}, "acc.yaml")
    assert old["AC024"] == [("error", old["AC024"][0][1])] and "0.14.4" in old["AC024"][0][1]
    new = _codes(tmp_path, {"pyproject.toml": '[tool.batchlint]\ndeepspeed-version = "0.14.5"\n'}, "acc.yaml")
    assert "AC024" not in new


def test_megatron_context_parallel_default_from_accelerate_1_13(tmp_path: Path) -> None:
    acc = "distributed_type: MEGATRON_LM\nnum_processes: 9\nmegatron_lm_config:\n  megatron_lm_tp_degree: 3\n"
    new = _codes(tmp_path, {"acc.yaml": acc}, "acc.yaml")
    assert "AC031" in new and "AC032" in new  # 9 % (3 × 1 × 2) != 0 with the default cp 2
    old = _codes(tmp_path, {"pyproject.toml": '[tool.batchlint]\naccelerate-version = "1.12.0"\n'}, "acc.yaml")
    assert "AC031" not in old and "AC032" not in old  # cp 1: 9 % 3 == 0


def test_fp16_keys_of_older_deepspeed_are_warnings(tmp_path: Path) -> None:
    ds = '{"train_micro_batch_size_per_gpu": 2, "gradient_clipping": 1.0, "zero_optimization": {"stage": 2}, "fp16": {"enabled": true, "foo": 1}}'
    new = _codes(tmp_path, {"ds.json": ds}, "ds.json")
    assert [s for s, _ in new["DS011"]] == ["error"]
    old = _codes(tmp_path, {"pyproject.toml": '[tool.batchlint]\ndeepspeed-version = "0.14.0"\n'}, "ds.json")
    assert [s for s, _ in old["DS011"]] == ["warning"] and "0.14.0" in old["DS011"][0][1]


def test_unknown_sub_config_key_set_to_auto_is_dropped_not_refused(tmp_path: Path) -> None:
    ds = '{"train_micro_batch_size_per_gpu": 2, "gradient_clipping": 1.0, "zero_optimization": {"stage": 2, "stage3_foo": "auto"}}'
    assert "DS011" not in _codes(tmp_path, {"ds.json": ds}, "ds.json")


def test_scheduler_in_json_and_script(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "# own project\n",
        "cfg_ds022s.yaml": "data:\n  train_bs: 2\nsolver:\n  gradient_accumulation_steps: 1\n",
        "acc.yaml": "distributed_type: DEEPSPEED\nnum_processes: 8\ndeepspeed_config:\n  deepspeed_config_file: ds.json\n",
        "ds.json": '{"train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": "auto", "gradient_clipping": "auto", '
        '"zero_optimization": {"stage": 2}, "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": "auto"}}}',
        "train.py": "from accelerate.utils import DummyOptim\nsched = get_scheduler('cosine', optimizer)\nm = accelerator.prepare(m, sched)\n",
        "run.sh": "accelerate launch --config_file acc.yaml train.py --config cfg_ds022s.yaml\n",
    }
    found = _codes(tmp_path, files, "cfg_ds022s.yaml")
    assert len(found["DS022"]) == 1 and "`scheduler`" in found["DS022"][0][1] and "get_scheduler" in found["DS022"][0][1]
    (tmp_path / "train.py").write_text("from accelerate.utils import DummyScheduler\nsched = get_scheduler('x')\nprepare(sched)\n")
    assert "DS022" not in _codes(tmp_path, {}, "cfg_ds022s.yaml")


def test_x011_counts_visible_gpus_for_torchrun(tmp_path: Path) -> None:
    script = "export CUDA_VISIBLE_DEVICES=0,1\ntorchrun --nproc_per_node 4 --nnodes 2 train.py --train_batch_size 2\n"
    found = _codes(tmp_path, {"pyproject.toml": "# own\n", "run.sh": script}, "run.sh")
    assert len(found["X011"]) == 1 and found["X011"][0][1].startswith("4 processes per machine on 2 visible GPUs")


def test_x011_gpu_ids_replace_visible_devices(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "# own\n",
        "acc.yaml": "distributed_type: MULTI_GPU\nnum_processes: 4\ngpu_ids: 0,1,2,3\n",
        "cfg_x011g.yaml": "data:\n  train_bs: 2\nsolver:\n  gradient_accumulation_steps: 1\n",
        "run.sh": "CUDA_VISIBLE_DEVICES=0 accelerate launch --config_file acc.yaml train.py --config cfg_x011g.yaml\n",
    }
    assert "X011" not in _codes(tmp_path, files, "cfg_x011g.yaml")


def test_bare_launch_is_quiet_when_the_count_is_declared(tmp_path: Path) -> None:
    files = {"pyproject.toml": "# own\n", "run.sh": "accelerate launch train.py --train_batch_size 4\n"}
    assert "AC033" in _codes(tmp_path, files, "run.sh")
    assert "AC033" not in _codes(tmp_path, {}, "run.sh", "--num-processes", "8")


def test_yaml_shaped_like_a_deepspeed_config_gets_no_json_only_findings(tmp_path: Path) -> None:
    found = _codes(tmp_path, {"ds.yaml": "train_micro_batch_size_per_gpu: 2\nzero_optimization:\n  stage: 2\nextra: 1\n"}, "ds.yaml")
    assert "DS017" not in found and "DS012" not in found
    json_found = _codes(tmp_path, {"ds.json": '{"train_micro_batch_size_per_gpu": 2, "zero_optimization": {"stage": 2}, "extra": 1}'}, "ds.json")
    assert "DS017" in json_found and "DS012" in json_found


@pytest.mark.parametrize("key", ["comment", "Description", "notes", "#", "// ZeRO-2"])
def test_keys_written_as_comments_are_not_unknown_keys(tmp_path: Path, key: str) -> None:
    ds = f'{{"{key}": "x", "train_micro_batch_size_per_gpu": 2, "gradient_clipping": 1.0, "zero_optimization": {{"stage": 2}}}}'
    assert _codes(tmp_path, {"ds.json": ds}, "ds.json") == {}

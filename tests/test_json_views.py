"""`--statistics` and `--list-gpus` in JSON too; `settings --show` prints every field with the value that
applies and whether it is a default, and those defaults are the ones the consumers apply."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from pathlib import Path

from batchlint.settings import DEFAULTS, FIELDS
from tests.helpers import run_cli

TRAIN = "output_dir:\n  exp_dir: ./exp\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 1\n  gradient_accumulation_steps: 4\n"
ACC = "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_processes: 8\nnum_proceses: 8\nipex_config: {}\n"
ARGS = ("train.yaml", "acc.yaml", "--accelerate-config", "acc.yaml", "--target-total", "64")


def _project(tmp_path: Path) -> Path:
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "acc.yaml").write_text(ACC, encoding="utf-8")
    return tmp_path


def test_statistics_as_json_count_the_findings_per_rule(tmp_path: Path) -> None:
    _project(tmp_path)
    code, out, err = run_cli("check", "--statistics", "--format", "json", *ARGS, cwd=tmp_path)
    rows = json.loads(out)
    _, full, _ = run_cli("check", "--format", "json", *ARGS, cwd=tmp_path)
    diagnostics = json.loads(full)["diagnostics"]
    assert code == 1 and err == ""
    assert {r["code"]: r["count"] for r in rows} == Counter(d["code"] for d in diagnostics)
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)  # most frequent first
    by_code = {r["code"]: r for r in rows}
    assert by_code["AC002"]["count"] == 2 and by_code["AC002"]["name"] == "unknown-accelerate-key"
    assert by_code["BL101"]["fixable"] is True and by_code["AC002"]["fixable"] is False  # AC002's fixes are unsafe
    unsafe = {r["code"]: r for r in json.loads(run_cli("check", "--statistics", "--format", "json", "--unsafe-fixes", *ARGS, cwd=tmp_path)[1])}
    assert unsafe["AC002"]["fixable"] is True


def test_statistics_as_text_keep_ruffs_columns(tmp_path: Path) -> None:
    _project(tmp_path)
    _, out, _ = run_cli("check", "--statistics", *ARGS, cwd=tmp_path)
    assert "    2\tAC002\tunknown-accelerate-key\n" in out and "    1\tBL101\t[*] total-below-target\n" in out, out
    assert not out.lstrip().startswith("[")


def test_list_gpus_as_json_is_the_gpu_table(tmp_path: Path) -> None:
    from batchlint.memory.gpus import GPUS

    code, out, err = run_cli("plan", "--list-gpus", "--format", "json", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"gpus": [{"name": g.name, "capacity_gib": g.capacity_gib, "note": g.note} for g in GPUS]}
    text = run_cli("plan", "--list-gpus", cwd=tmp_path)[1]
    assert len(text.splitlines()) == len(GPUS) and text.startswith(GPUS[0].name)


def test_settings_show_lists_every_field_with_its_value_and_whether_it_is_a_default(tmp_path: Path) -> None:
    _project(tmp_path)
    (tmp_path / "batchlint.toml").write_text(
        'gpu = "A100-80GB"\nheadroom = 0.1\nignore = ["BL204"]\n[[runs]]\nconfigs = ["train.yaml"]\nnum-processes = 16\n', encoding="utf-8"
    )
    code, out, err = run_cli("settings", "--show", "train.yaml", cwd=tmp_path)
    assert (code, err) == (0, "")
    effective = json.loads(out)["effective"]
    assert list(effective) == list(FIELDS)
    assert effective["gpu"] == {"value": "A100-80GB", "default": False}
    assert effective["headroom"] == {"value": 0.1, "default": False}
    assert effective["num-processes"] == {"value": 16, "default": False}  # from the [[runs]] binding of this file
    assert effective["ignore"] == {"value": ["BL204"], "default": False}
    assert effective["gpus-per-node"] == {"value": 8, "default": True}
    assert effective["accelerate-version"] == {"value": "1.15.0", "default": True}
    assert effective["deepspeed-launch"] == {"value": "accelerate", "default": True}
    assert effective["select"] == {"value": ["ALL"], "default": True}
    assert effective["target-total"] == {"value": None, "default": True}  # unset: a comment or the preset decides
    shown_other = json.loads(run_cli("settings", "--show", "acc.yaml", cwd=tmp_path)[1])["effective"]
    assert shown_other["num-processes"] == {"value": None, "default": True}  # the binding is for train.yaml only


def test_the_defaults_shown_are_the_ones_applied(tmp_path: Path) -> None:
    from batchlint.memory import attach
    from batchlint.memory.model import build_model

    assert set(DEFAULTS) <= set(FIELDS)
    assert attach.DEFAULT_HEADROOM == DEFAULTS["headroom"]
    assert inspect.signature(build_model).parameters["gpus_per_node"].default == DEFAULTS["gpus-per-node"]
    # accelerate-version: the messages name the version assumed; unset, it is the default
    _project(tmp_path)
    major_minor = ".".join(DEFAULTS["accelerate-version"].split(".")[:2])
    _, out, _ = run_cli("check", "--format", "concise", "acc.yaml", cwd=tmp_path)
    assert f"accelerate {major_minor} raises" in out, out

    # and setting the defaults explicitly changes no finding (messages may spell the version as written)
    def found() -> list[tuple[str, str, int, str]]:
        out = run_cli("check", "--format", "json", *ARGS, cwd=tmp_path)[1]
        return [(d["code"], d["file"], d["line"], d["severity"]) for d in json.loads(out)["diagnostics"]]

    plain = found()
    (tmp_path / "batchlint.toml").write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in DEFAULTS.items()), encoding="utf-8")
    assert found() == plain and plain

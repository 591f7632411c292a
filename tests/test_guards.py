"""Guards: behaviours that once survived being switched off with a one-line change.

Each test asserts the observable result of one mechanism (the result cache read back, the
DeepSpeed JSON linked and its value used, clashing fixes refused, wide characters moving the
caret, a shared launch config's finding reported once, re-checks seeing the fixed text), through
the command line, so that it keeps guarding the behaviour whatever the code behind it looks like.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import check_json, inspect_json, run_cli

TRAIN = "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: {ga}\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


class ParseCounter:
    """Counts the YAML and JSON documents parsed, by path, while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import batchlint.loading.block_yaml as block_loader
        import batchlint.loading.json as json_loader
        import batchlint.loading.yaml as yaml_loader

        self.paths: list[str] = []
        for module, name in ((yaml_loader, "load_yaml"), (block_loader, "load_block_yaml"), (json_loader, "load_json")):
            monkeypatch.setattr(module, name, self._counting(getattr(module, name)))

    def _counting(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def counting(path: str, *args: Any, **kwargs: Any) -> Any:
            found = original(path, *args, **kwargs)
            if found is not None:  # (the block reader declines a file by answering None: libyaml's parse is counted then)
                self.paths.append(os.path.basename(path))
            return found

        return counting

    def take(self) -> list[str]:
        taken, self.paths = self.paths, []
        return taken


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("BATCHLINT_CACHE_DIR", str(cache))
    return cache


# --- the result cache is read back ---------------------------------------------------------------


def test_warm_run_reads_the_cache_instead_of_parsing(tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "p"
    _write(project, {"train.yaml": TRAIN.format(ga=1)})
    args = ("check", "--format", "json", "train.yaml", "--num-processes", "8", "--target-total", "64", "--ignore", "BL204")
    parses = ParseCounter(monkeypatch)
    cold = run_cli(*args, cwd=project)
    assert "train.yaml" in parses.take(), "the spy must see the cold run parse the file"
    assert [d["code"] for d in json.loads(cold[1])["diagnostics"]] == ["BL101"]
    warm = run_cli(*args, cwd=project)
    assert parses.take() == [], "an unchanged file is answered from the cache, without parsing it"
    assert warm == cold
    # A new modification time with the same bytes is still a hit (the key is the content).
    st = os.stat(project / "train.yaml")
    os.utime(project / "train.yaml", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert run_cli(*args, cwd=project) == cold and parses.take() == []
    # --no-cache parses again and answers the same.
    assert run_cli(*args, "--no-cache", cwd=project) == cold and "train.yaml" in parses.take()


# --- the DeepSpeed JSON is linked and its value is the accumulation ----------------------------------

DS_ACCELERATE = "distributed_type: DEEPSPEED\nnum_processes: 4\ndeepspeed_config:\n  deepspeed_config_file: ds.json\n"
DS_JSON = '{\n  "train_micro_batch_size_per_gpu": "auto",\n  "gradient_accumulation_steps": 3,\n  "zero_optimization": {"stage": 2}\n}\n'


def _assert_json_decides(run: dict, json_file: str) -> None:  # type: ignore[type-arg]
    eff = run["facts"]["effective_grad_accum"]
    assert (eff["value"], eff["file"], eff["line"], eff["column"], eff["key"]) == (3, json_file, 3, 34, "gradient_accumulation_steps")
    assert run["facts"]["grad_accum"]["value"] == 1  # the training config's own value is kept, and not used
    assert run["total_batch"] == 2 * 4 * 3


def test_deepspeed_json_in_the_launch_dir_decides_the_accumulation(tmp_path: Path) -> None:
    # The JSON sits where the launch runs (settings `launch-dir`), not next to the accelerate config.
    _write(
        tmp_path, {"train.yaml": TRAIN.format(ga=1), "configs/acc.yaml": DS_ACCELERATE, "launch/ds.json": DS_JSON, "batchlint.toml": 'launch-dir = "launch"\n'}
    )
    run = inspect_json("train.yaml", "--accelerate-config", "configs/acc.yaml", cwd=tmp_path)["runs"][0]
    _assert_json_decides(run, os.path.join("launch", "ds.json"))
    _, diags = check_json("train.yaml", "--accelerate-config", "configs/acc.yaml", "--target-total", "48", "--select", "BL101", cwd=tmp_path)
    assert [d["code"] for d in diags] == ["BL101"]
    assert "total batch 24 (2 per device × 4 processes × 3 accumulation" in diags[0]["message"]


def test_deepspeed_json_relative_to_where_batchlint_runs(tmp_path: Path) -> None:
    # The accelerate config lives outside the project; its JSON name is relative to the launch directory.
    project = tmp_path / "project"
    _write(tmp_path, {"shared/acc.yaml": DS_ACCELERATE})
    _write(project, {"train.yaml": TRAIN.format(ga=1), "ds.json": DS_JSON})
    run = inspect_json("train.yaml", "--accelerate-config", "../shared/acc.yaml", cwd=project)["runs"][0]
    _assert_json_decides(run, "ds.json")


def test_deepspeed_json_is_a_dependency_of_the_cached_result(tmp_path: Path, private_cache: Path) -> None:
    _write(tmp_path, {"train.yaml": TRAIN.format(ga=1), "acc.yaml": DS_ACCELERATE, "ds.json": DS_JSON})
    args = ("train.yaml", "--accelerate-config", "acc.yaml", "--target-total", "24", "--select", "BL101")
    assert check_json(*args, cwd=tmp_path) == (0, [])  # 2 × 4 × 3 = 24: the JSON's 3, not the config's 1
    assert check_json(*args, cwd=tmp_path) == (0, [])
    (tmp_path / "ds.json").write_text(DS_JSON.replace('"gradient_accumulation_steps": 3', '"gradient_accumulation_steps": 2'), encoding="utf-8")
    code, diags = check_json(*args, cwd=tmp_path)
    assert code == 1 and [d["code"] for d in diags] == ["BL101"] and "total batch 16" in diags[0]["message"]


# --- two fixes of the same value: one is applied, the next round re-checks ---------------------------

CLASH = (
    "output_dir:\n  exp_dir: ./x\nmodel:\n  referencenet_params:\n    is_train: true\nvalidation_data:\n"
    "  do_validation: false\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4\n"
    "  mixed_precision: fp16\n  gradient_checkpointing: true\n"
)


def test_clashing_fixes_are_not_both_applied(tmp_path: Path) -> None:
    _write(tmp_path, {"train.yaml": CLASH, "batchlint.toml": 'gpu = "A100-80GB"\nnum-processes = 16\ntarget-total = 224\n'})
    _, diags = check_json("train.yaml", cwd=tmp_path)
    fixes = {d["code"]: d["fix"] for d in diags if d["fix"] and d["fix"]["applicability"] == "safe"}
    # Precondition: BL101 (reach 224) and BL201 (keep 128, fewer accumulation steps) write different
    # values over the same literals.
    assert set(fixes) == {"BL101", "BL201"}
    spans = [{(e["line"], e["column"], e["end_column"]): e["content"] for e in fixes[c]["edits"]} for c in ("BL101", "BL201")]
    assert set(spans[0]) & set(spans[1]) and any(spans[0][k] != spans[1][k] for k in set(spans[0]) & set(spans[1]))

    code, out, err = run_cli("check", "--fix", "--format", "concise", "train.yaml", cwd=tmp_path)
    assert err == "" and code == 0, (out, err)  # no "overlapping edits", nothing left at warning level
    text = (tmp_path / "train.yaml").read_text(encoding="utf-8")
    assert text != CLASH
    run = inspect_json("train.yaml", cwd=tmp_path)["runs"][0]
    assert run["total_batch"] == 224  # the result is one coherent fix, re-checked: the target is met
    assert check_json("train.yaml", "--select", "BL101", cwd=tmp_path) == (0, [])


# --- East-Asian wide characters move the caret ---------------------------------------------------------


def test_caret_accounts_for_wide_characters(tmp_path: Path) -> None:
    # Six wide characters before the value (说明, 单卡训练), two in the bad value (四个).
    line = "train: {说明: 单卡训练, train_batch_size: 2, gradient_accumulation_steps: 四个}"
    _write(tmp_path, {"train.yaml": "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\n" + line + "\n"})
    code, out, err = run_cli("check", "--format", "full", "train.yaml", "--num-processes", "8", "--ignore", "BL204", cwd=tmp_path)
    assert err == ""
    block = out.split("\n\n")[0].splitlines()
    column = line.index("四个") + 1
    assert block[0].startswith(f"train.yaml:5:{column}: BL105")
    assert block[2] == " 5 | " + line
    # Each wide character takes two terminal cells: the caret starts 6 cells further right than the
    # character count, and covers the two wide characters of the value with four carets.
    assert block[3] == "   | " + " " * (column - 1 + 6) + "^^^^"


# --- a finding of a launch config shared by several training configs is reported once -------------


def test_shared_launch_config_finding_is_reported_once(tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        tmp_path, {"a.yaml": TRAIN.format(ga=1), "b.yaml": TRAIN.format(ga=1), "acc.yaml": "distributed_type: MULTI_GPU\nnum_processes: 8\nnum_procesess: 4\n"}
    )
    args = ("a.yaml", "b.yaml", "--accelerate-config", "acc.yaml", "--ignore", "BL204")
    parses = ParseCounter(monkeypatch)
    for run in ("cold", "warm"):
        _, diags = check_json(*args, cwd=tmp_path)
        assert [(d["code"], d["file"], d["line"]) for d in diags] == [("AC002", "acc.yaml", 3)], run
        seen = parses.take()
        assert ("acc.yaml" in seen) == (run == "cold"), seen  # the second run is answered from the cache
    _, diags = check_json(*args, "--no-cache", cwd=tmp_path)
    assert [(d["code"], d["file"], d["line"]) for d in diags] == [("AC002", "acc.yaml", 3)]


# --- re-checks during --fix see the text fixed so far ----------------------------------------------


def test_fix_of_a_launch_line_is_rechecked_on_the_fixed_text(tmp_path: Path) -> None:
    # The training config is paired with the launch line that names it, and the launch line
    # overrides its per-device batch: the fix edits the script, and the re-check must read the
    # script as fixed (in memory), not as it still is on disk. (Memory first: 3 × 8 × 4 = 96 is above 64, and
    # 3 per device does not divide the 8 per GPU that 64 needs: the override is lowered to 2, the accumulation
    # 4 already completes it.)
    script = "#!/bin/bash\naccelerate launch --num_processes 8 train.py --config train.yaml train.train_batch_size=3\n"
    _write(tmp_path, {"train.yaml": TRAIN.format(ga=4), "run.sh": script, "batchlint.toml": "target-total = 64\n"})
    _, diags = check_json("train.yaml", "--ignore", "BL204", cwd=tmp_path)
    assert [(d["code"], d["fix"]["edits"][0]["file"]) for d in diags] == [("BL106", "run.sh")]
    code, out, err = run_cli("check", "--fix", "--format", "concise", "train.yaml", "--ignore", "BL204", cwd=tmp_path)
    assert (code, err) == (0, ""), (out, err)  # no "fix reverted: per_device_batch reads back as 3"
    assert (tmp_path / "run.sh").read_text(encoding="utf-8") == script.replace("train_batch_size=3", "train_batch_size=2")
    assert (tmp_path / "train.yaml").read_text(encoding="utf-8") == TRAIN.format(ga=4)
    assert check_json("train.yaml", "--ignore", "BL204", cwd=tmp_path) == (0, [])

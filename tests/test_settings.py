"""Settings: closest wins, paths relative to the settings file, extend, per-file-ignores, exclude,
--force-exclude, extend-select, required-version, `settings --show`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import check_json, run_cli

TRAIN = "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 2\n"


def _repo(tmp: Path) -> Path:
    """repo/pyproject.toml (target 64, 8 GPUs), repo/sub/pyproject.toml (extends it: target 256),
    configs in both, and a shared base settings file."""
    (tmp / "repo" / "sub" / "configs").mkdir(parents=True)
    (tmp / "repo" / "configs").mkdir()
    (tmp / "repo" / "settings").mkdir()
    (tmp / "repo" / "settings" / "base.toml").write_text('num-processes = 8\nignore = ["BL204"]\naccelerate-version = "1.15.0"\n', encoding="utf-8")
    (tmp / "repo" / "pyproject.toml").write_text(
        '[tool.batchlint]\nextend = "settings/base.toml"\ntarget-total = 64\nexclude = ["generated"]\n'
        '[tool.batchlint.per-file-ignores]\n"configs/legacy_*.yaml" = ["BL101"]\n',
        encoding="utf-8",
    )
    (tmp / "repo" / "sub" / "pyproject.toml").write_text(
        '[tool.batchlint]\nextend = "../settings/base.toml"\ntarget-total = 256\n[[tool.batchlint.runs]]\nconfigs = ["configs/*.yaml"]\nnum-processes = 16\n',
        encoding="utf-8",
    )
    for rel in ("configs/a.yaml", "configs/legacy_b.yaml", "sub/configs/c.yaml", "generated/g.yaml"):
        (tmp / "repo" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "repo" / rel).write_text(TRAIN, encoding="utf-8")
    return tmp / "repo"


def test_closest_wins_extend_and_relative_paths(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _, diags = check_json(".", cwd=repo)
    found = sorted((d["file"], d["code"], d["message"].split(" (")[0]) for d in diags)
    assert found == [
        ("configs/a.yaml", "BL101", "total batch 32"),  # 2 × 8 × 2 < 64 from repo/pyproject.toml
        ("sub/configs/c.yaml", "BL101", "total batch 64"),  # 2 × 16 × 2 < 256: sub's own file and its run binding
    ]  # legacy_b.yaml: per-file-ignores; generated/: excluded; BL204: ignored by the extended base


def test_force_exclude_and_extend_select(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert [d["code"] for d in check_json("generated/g.yaml", cwd=repo)[1]] == ["BL101"]  # named: checked
    assert check_json("generated/g.yaml", "--force-exclude", cwd=repo)[1] == []
    codes = {d["code"] for d in check_json("configs/a.yaml", "--select", "BL105", "--extend-select", "BL101", cwd=repo)[1]}
    assert codes == {"BL101"}


def test_required_version(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.batchlint]\nrequired-version = ">=99"\n', encoding="utf-8")
    (tmp_path / "t.yaml").write_text(TRAIN, encoding="utf-8")
    code, _, err = run_cli("check", "t.yaml", cwd=tmp_path)
    assert code == 2 and "requires batchlint >=99" in err
    (tmp_path / "pyproject.toml").write_text('[tool.batchlint]\nrequired-version = ">=0.1,<1"\n', encoding="utf-8")
    assert run_cli("check", "t.yaml", cwd=tmp_path)[0] in (0, 1)


def test_settings_show(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, out, _ = run_cli("settings", "--show", "sub/configs/c.yaml", cwd=repo)
    shown = json.loads(out)
    assert code == 0 and shown["settings_file"].endswith("sub/pyproject.toml")
    assert shown["values"]["num-processes"] == 16 and shown["values"]["target-total"] == 256
    assert shown["ignore_here"] == ["BL204"]

"""Fixes over the real configs of ../shared/corpus: every training config that yields a fixable
finding is fixed in a temporary copy; the change stays inside the edited values, a second fix is
a no-op, nothing fixable is left, and every other key reads back unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CORPUS
from tests.helpers import check_json, run_cli

LAUNCH = ("--num-processes", "16", "--target-total", "1024", "--unsafe-fixes")


def _training_configs() -> list[str]:
    manifest = CORPUS / "manifest.json"
    if not manifest.is_file():
        return []
    return [
        e["file"]
        for e in json.loads(manifest.read_text(encoding="utf-8"))
        if e["dialect"] in ("musev-omegaconf", "animateanyone-omegaconf") and "per_device_batch" in e["facts"]
    ]


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: node}


@pytest.mark.parametrize("rel", _training_configs())
def test_fix_real_config(rel: str, tmp_path: Path) -> None:
    source = CORPUS / rel
    work = tmp_path / "repo"
    shutil.copytree(source.parent, work)  # includes live beside the config
    for p in work.rglob("*"):
        p.chmod(0o644 if p.is_file() else 0o755)
    target = work / source.name
    before = target.read_bytes()
    _, diags = check_json(source.name, *LAUNCH, cwd=work)
    fixable = [d for d in diags if d["fix"] and d["fix"]["edits"]]
    assert fixable, "every corpus training config is below 1024 on 16 GPUs"
    edited_lines = {e["line"] for d in fixable for e in d["fix"]["edits"] if e["file"] == source.name}

    code, out, err = run_cli("check", "--fix", source.name, *LAUNCH, cwd=work)
    assert err == "" and "1 fixed" in out.splitlines()[-1]
    after = target.read_bytes()
    old_lines, new_lines = before.split(b"\n"), after.split(b"\n")
    assert len(old_lines) == len(new_lines)
    changed = {i + 1 for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b}
    assert changed and changed <= edited_lines
    for i in changed:  # only the value changed: the key, and any comment after it, are kept
        a, b = old_lines[i - 1], new_lines[i - 1]
        assert a.split(b":")[0] == b.split(b":")[0]
        assert (b"#" in b) == (b"#" in a)

    run_cli("check", "--fix", source.name, *LAUNCH, cwd=work)
    assert target.read_bytes() == after  # idempotent
    _, diags = check_json(source.name, *LAUNCH, cwd=work)
    assert not [d for d in diags if d["fix"] and d["fix"]["edits"]]

    old = _flatten(yaml.safe_load(before.decode("utf-8")))
    new = _flatten(yaml.safe_load(after.decode("utf-8")))
    assert old.keys() == new.keys()
    differing = {k for k in old if old[k] != new[k]}
    assert len(differing) <= 2 and all(k.endswith(("train_batch_size", "train_bs", "gradient_accumulation_steps")) for k in differing)


@pytest.mark.parametrize("memory", [True, False], ids=["with-gpu", "memory-free"])
def test_musev_template_fix_gives_the_authors_7_by_2(corpus: Path, tmp_path: Path, memory: bool) -> None:
    """Acceptance: MuseV template, 16 processes, target 224 → 7 × 2. On 16 × A100-80GB the MuseV preset
    makes it a safe fix (the largest per-device batch that fits at the conservative end); without a GPU
    it is the pair the template's own comment states, an unsafe fix (a larger per-device batch without
    memory information is never safe)."""
    work = tmp_path / "train"
    shutil.copytree(corpus / "TMElyralab/MuseV/configs/train", work)
    for p in work.rglob("*"):
        p.chmod(0o644)
    name = "musev_referencenet_train_template.yaml"
    before = (work / name).read_text(encoding="utf-8")
    args = (name, "--num-processes", "16", "--target-total", "224")
    if memory:
        code, out, _ = run_cli("check", "--fix", "--show-fixes", *args, "--gpu", "A100-80GB", cwd=work)
        assert "7 × 16 × 2 = 224 (7 per device is the largest that divides 14 and fits cuda:0 at the conservative end" in out
    else:
        code, out, _ = run_cli("check", "--fix", "--show-fixes", *args, cwd=work)
        assert (work / name).read_text(encoding="utf-8") == before and "0 fixed" in out  # unsafe: not applied by --fix
        code, out, _ = run_cli("check", "--fix", "--unsafe-fixes", "--show-fixes", *args, cwd=work)
        assert "7 × 16 × 2 = 224 (the pair the comment at line 134 states" in out
    assert code == 0
    after = (work / name).read_text(encoding="utf-8")
    assert after == before.replace("  train_batch_size: 1 # 单机", "  train_batch_size: 7 # 单机").replace(
        "  gradient_accumulation_steps: 4\n", "  gradient_accumulation_steps: 2\n"
    )
    assert "实际使用了16卡*2accumulation*7单卡batch_size = 224" in after  # comments intact

"""Settings values are validated like names: a misspelt rule code, an unknown choice, a version that is
no version, a GPU batchlint does not know: a one-line error naming the settings file and the key, with
"did you mean". The JSON Schema, generated from the same FIELDS table, rejects and accepts the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from batchlint.settings import CHOICES, FIELDS
from tests.conftest import REPO
from tests.helpers import run_cli

TRAIN = "data:\n  train_bs: 2\nsolver:\n  gradient_accumulation_steps: 1\n"

BAD = [
    ('select = ["BL2O4"]', "`select`: unknown rule `BL2O4` (did you mean `BL204`?) (see `batchlint rule --all`)"),
    ('ignore = ["AC", "BL2O4"]', "`ignore`: unknown rule `BL2O4` (did you mean `BL204`?) (see `batchlint rule --all`)"),
    (
        'extend-select = ["total-below-targt"]',
        "`extend-select`: unknown rule `total-below-targt` (did you mean `total-below-target`?) (see `batchlint rule --all`)",
    ),
    (
        '[tool.batchlint.per-file-ignores]\n"configs/*.yaml" = ["X0111"]',
        '`per-file-ignores` "configs/*.yaml": unknown rule `X0111` (did you mean `X011`?) (see `batchlint rule --all`)',
    ),
    ('select = ["QQ9"]', "`select`: unknown rule `QQ9` (see `batchlint rule --all`)"),
    ('deepspeed-launch = "acelerate"', '`deepspeed-launch` = "acelerate" is not one of accelerate, hf-trainer, deepspeed (did you mean "accelerate"?)'),
    (
        'memory-preset = "musev-referencenet"',
        '`memory-preset` = "musev-referencenet" is not one of musev_referencenet, musev (did you mean "musev_referencenet"?)',
    ),
    ('accelerate-version = "latest"', '`accelerate-version` = "latest" is not a version: write the release, e.g. "1.15.0"'),
    ('accelerate-version = "v1.15.0"', '`accelerate-version` = "v1.15.0" is not a version (did you mean "1.15.0"?)'),
    ('deepspeed-version = "0.19.x"', '`deepspeed-version` = "0.19.x" is not a version: write the release, e.g. "0.19.6"'),
    ('gpu = "A10O"', '`gpu` = "A10O" is not a GPU batchlint knows (did you mean "A10"?); see `batchlint plan --list-gpus`, or give `gpu-memory-gib`'),
    ('gpu = "B300"', '`gpu` = "B300" is not a GPU batchlint knows; see `batchlint plan --list-gpus`, or give `gpu-memory-gib`'),
    ('gpu = "A100"', '`gpu` = "A100" is ambiguous: say which, one of A100-40GB, A100-80GB'),
]
GOOD = [
    'select = ["ALL"]',
    'select = ["BL1", "total-below-target"]',
    'ignore = ["AC0"]',
    'extend-select = ["DS"]',
    '[tool.batchlint.per-file-ignores]\n"*.yaml" = "BL204"',
    'deepspeed-launch = "hf-trainer"',
    'memory-preset = "musev"',
    'accelerate-version = "0.34.2"',
    'accelerate-version = "1.0.0rc1"',
    'deepspeed-version = "0.16"',
    'gpu = "A100-80GB"',
    'gpu = "h100"',
    'gpu = "NVIDIA RTX 4090"',
]


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "configs").mkdir(exist_ok=True)
    (tmp_path / "configs" / "train.yaml").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f"[tool.batchlint]\nnum-processes = 8\n{table}\n", encoding="utf-8")
    return tmp_path / "pyproject.toml"


@pytest.mark.parametrize("command", [("check",), ("inspect",), ("check", "--fix"), ("plan",), ("settings", "--show")])
@pytest.mark.parametrize(("table", "message"), BAD, ids=[t for t, _ in BAD])
def test_a_bad_value_is_one_line_naming_the_file_and_the_key(table: str, message: str, command: tuple[str, ...], tmp_path: Path) -> None:
    settings = _project(tmp_path, table)
    prefix = "" if command == ("plan",) else "settings: "  # plan's errors also come from --gpu and --memory-profile
    assert run_cli(*command, "configs/train.yaml", cwd=tmp_path) == (2, "", f"batchlint: error: {prefix}{settings}: {message}\n")


@pytest.mark.parametrize("table", GOOD)
def test_values_batchlint_knows_are_accepted(table: str, tmp_path: Path) -> None:
    _project(tmp_path, table)
    code, out, err = run_cli("check", "configs/train.yaml", cwd=tmp_path)
    assert code in (0, 1) and err == "", err


def test_a_run_binding_and_an_extended_file_are_named(tmp_path: Path) -> None:
    settings = _project(tmp_path, '[[tool.batchlint.runs]]\nconfigs = ["configs/*.yaml"]\ngpu = "A10O"')
    code, _, err = run_cli("check", "configs/train.yaml", cwd=tmp_path)
    assert (code, err) == (
        2,
        f'batchlint: error: settings: {settings}: runs[0]: `gpu` = "A10O" is not a GPU batchlint knows '
        '(did you mean "A10"?); see `batchlint plan --list-gpus`, or give `gpu-memory-gib`\n',
    )
    (tmp_path / "base.toml").write_text('ignore = ["BL1O1"]\n', encoding="utf-8")
    _project(tmp_path, 'extend = "base.toml"')
    code, _, err = run_cli("check", "configs/train.yaml", cwd=tmp_path)
    assert (code, err) == (
        2,
        f"batchlint: error: settings: {tmp_path / 'base.toml'}: `ignore`: unknown rule `BL1O1` (did you mean `BL101`?) (see `batchlint rule --all`)\n",
    )


def test_a_user_dialect_semantics_gets_did_you_mean(tmp_path: Path) -> None:
    settings = _project(tmp_path, '[[tool.batchlint.dialects]]\nname = "x"\ndetect = ["a"]\nper-device-batch = "a"\nsemantics = "omegaconff"')
    code, _, err = run_cli("check", "configs/train.yaml", cwd=tmp_path)
    assert (code, err) == (
        2,
        f'batchlint: error: settings: {settings}: dialects[0]: `semantics` = "omegaconff" is not one of yaml11, omegaconf, json (did you mean "omegaconf"?)\n',
    )


def test_the_command_line_selectors_get_did_you_mean_too(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text(TRAIN, encoding="utf-8")
    assert run_cli("check", "train.yaml", "--select", "BL2O4", cwd=tmp_path) == (
        2,
        "",
        "batchlint: error: --select: unknown rule BL2O4 (did you mean `BL204`?) (see `batchlint rule --all`)\n",
    )


def _schema() -> dict[str, Any]:
    return json.loads((REPO / "schemas" / "batchlint-settings.schema.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _toml(table: str) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(f"[tool.batchlint]\n{table}\n")["tool"]["batchlint"]  # type: ignore[no-any-return]


SCHEMA_CHECKS = [t for t, _ in BAD if not t.startswith(("select", "ignore", "extend-select", "[tool.batchlint.per-file", "gpu"))]


@pytest.mark.parametrize("table", SCHEMA_CHECKS)
def test_the_schema_rejects_the_bad_choices_and_versions(table: str) -> None:
    assert list(jsonschema.Draft7Validator(_schema()).iter_errors(_toml(table))), table


@pytest.mark.parametrize("table", GOOD)
def test_the_schema_accepts_what_batchlint_accepts(table: str) -> None:
    assert not list(jsonschema.Draft7Validator(_schema()).iter_errors(_toml(table))), table


def test_every_choice_field_has_its_values_and_the_schema_lists_them() -> None:
    from batchlint.memory.profile import PRESETS

    assert {n for n, (kind, _) in FIELDS.items() if kind == "choice"} == set(CHOICES)
    assert set(CHOICES["memory-preset"]) == set(PRESETS)
    props = _schema()["properties"]
    for name, values in CHOICES.items():
        assert props[name]["oneOf"] == [{"const": v, "description": d} for v, d in values.items()]
        assert props["runs"]["items"]["properties"].get(name, props[name]) == props[name]


def test_every_deepspeed_launch_choice_changes_what_the_rules_do(tmp_path: Path) -> None:
    # DS005 ("auto" under the raw launcher) only fires for `deepspeed`; an unknown value would silently act as the default.
    (tmp_path / "ds.json").write_text(
        '{"train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": 1, "train_batch_size": "auto", "zero_optimization": {"stage": 2}}\n',
        encoding="utf-8",
    )
    found = {}
    for choice in CHOICES["deepspeed-launch"]:
        (tmp_path / "pyproject.toml").write_text(f'[tool.batchlint]\nnum-processes = 8\ndeepspeed-launch = "{choice}"\n', encoding="utf-8")
        out = run_cli("check", "--format", "json", "ds.json", cwd=tmp_path)[1]
        found[choice] = sorted({d["code"] for d in json.loads(out)["diagnostics"]})
    assert "DS005" in found["deepspeed"] and "DS005" not in found["accelerate"], found

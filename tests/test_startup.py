"""Start-up cost, guarded without timing anything: what `batchlint check` imports and parses for one
training config (a pre-commit hook runs it on every commit, usually on one file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

TRAIN = """\
# 总batch_size = train_batch_size * gpu_num * gradient_accumulation_steps
output_dir:
  exp_dir: "./experiments/run"
model:
  pretrained_model_path: "./checkpoints/sd1.5"
train:
  train_batch_size: 7 # 单卡
  # 按8卡估计，实际使用了16卡*2accumulation*7单卡batch_size = 224 batch_size
  gradient_accumulation_steps: 1
  learning_rate: 1e-5
  mixed_precision: fp16
dataset:
  dataset: '${include:dataset.yaml}'
  n_sample_frames: 12
"""
ACCELERATE = "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmixed_precision: fp16\nnum_machines: 1\nnum_processes: 4\n"
SCRIPT = "#!/bin/bash\naccelerate launch --config_file accelerate.yaml --num_processes {n} train.py --config {config}\n"

# Modules a plain `check` of one config must not import: each costs start-up and none is needed.
NEVER = {
    "jsonschema",  # only to explain a schema failure (schema_check.py)
    "dataclasses",  # records are built by batchlint.record
    "inspect",
    "typing",
    "ruamel",  # round-trip editing, for fixes
    "shutil",
    "batchlint.fixer",
    "batchlint.roundtrip",
    "batchlint.output.json",
    "batchlint.output.machine",
    "batchlint.cache",  # under --no-cache
    "json",  # the shipped schemas are read by json's C scanner alone (schema_check._json_value)
    "contextvars",  # the context variable of recorded reads is made when a cached run starts recording
    "batchlint.digest",  # (nor digests computed)
    "batchlint.memory.model",  # estimates are built when a GPU is declared (memory.attach)
    "batchlint.memory.gpus",  # (nor a card looked up)
    "batchlint.loading.hostfile",  # read when a launch line or a run names a hostfile
    "batchlint.links",  # followed for a dialect whose configs name other configs
}

PROBE = """
import gc, sys
from batchlint.cli import main
collections = []
gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
code = main(sys.argv[1:])
sys.stdout.flush()
reader = sys.modules.get("yaml.reader")  # (not imported at all when every file read is block YAML)
pattern = reader.Reader.NON_PRINTABLE if reader is not None else None
compiled = pattern is not None and (type(pattern).__name__ != "LazyPattern" or bool(set(vars(pattern)) - {"_source"}))
modules, collected = sorted(sys.modules), list(collections)  # (before the probe's own import of json)
import json
print(json.dumps({"modules": modules, "compiled": compiled, "collections": collected}), file=sys.stderr)
raise SystemExit(code)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    (tmp_path / "accelerate.yaml").write_text(ACCELERATE, encoding="utf-8")
    (tmp_path / "dataset.yaml").write_text("width: 512\nheight: 320\n", encoding="utf-8")
    (tmp_path / "train_bad.yaml").write_text(TRAIN.replace("mixed_precision: fp16", "mixed_precision: fp64"), encoding="utf-8")
    (tmp_path / "train_bad.sh").write_text(SCRIPT.format(n=4, config="train_bad.yaml"), encoding="utf-8")
    for i in range(12):
        (tmp_path / f"train_{i}.yaml").write_text(TRAIN, encoding="utf-8")
        (tmp_path / f"train_{i}.sh").write_text(SCRIPT.format(n=4, config=f"train_{i}.yaml"), encoding="utf-8")
    return tmp_path


def _modules(project: Path, *args: str) -> tuple[set[str], str, bool, list[int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_", "PYTEST"))}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "check", "--no-cache", "--format", "concise", *args], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    probe = json.loads(proc.stderr.splitlines()[-1])
    return set(probe["modules"]), proc.stdout, probe["compiled"], probe["collections"]


@pytest.mark.parametrize("config", ["train_3.yaml", "train_bad.yaml"])
def test_checking_one_config_imports_nothing_it_does_not_need(project: Path, config: str) -> None:
    modules, out, compiled, collections = _modules(project, config)
    assert len(collections) <= 4, collections  # the collector is reined in before the check's imports (a dozen runs otherwise)
    assert not compiled  # PyYAML's pure-Python reader pattern (3 ms) is never compiled: libyaml parses
    assert "yaml" not in modules  # these configs are block YAML: PyYAML is not even imported (loading/block_yaml.py)
    # Dialect modules are imported as detection reaches them: MuseV is the first tried, accelerate the third.
    assert {m for m in modules if m.startswith("batchlint.dialects.")} <= {
        f"batchlint.dialects.{m}" for m in ("base", "registry", "musev", "animateanyone", "accelerate", "deepspeed")
    }
    if not os.path.isdir(os.path.join(sys.base_prefix, "share", "locale")):
        assert "locale" not in modules  # no catalogue can be found: argparse's messages are not looked up
    assert "BL101" in out and "--num_processes, line 2" in out  # paired with its script, through the launch line
    if config == "train_bad.yaml":
        assert "BL007" in out and "'fp64' is not one of" in out  # a schema failure is explained without jsonschema
    assert {m.split(".")[0] if not m.startswith("batchlint") else m for m in modules} & NEVER == set()


def test_checking_one_config_parses_only_the_script_that_launches_it(project: Path) -> None:
    """The index of launch scripts reads every script but parses only those that could name the config."""
    from batchlint.options import Options
    from batchlint.session import Session

    old = os.getcwd()
    os.chdir(project)
    try:
        from batchlint.engine import check

        session = Session()
        report = check(["train_3.yaml"], Options(), session=session)
    finally:
        os.chdir(old)
    assert [d.code for d in report.diagnostics if d.code == "BL101"] == ["BL101"]
    assert [os.path.basename(p) for p in session.parsed_scripts] == ["train_3.sh"]


def test_pyyaml_patterns_deferred_at_import_still_work() -> None:
    """The patterns PyYAML compiles at import are compiled at first use (lazyre.py) and behave as
    the compiled ones: the pure-Python reader still rejects a control character, the resolver still
    types scalars, and other modules' patterns are compiled as usual."""
    code = """
import re, sys
from batchlint.lazyre import import_deferring_patterns
import_deferring_patterns("yaml")
import yaml, yaml.reader
assert type(yaml.reader.Reader.NON_PRINTABLE).__name__ == "LazyPattern"
assert isinstance(re.compile("a+"), re.Pattern)
assert yaml.load("a: 1\\nb: 2.5\\nc: true\\nd: 2001-12-14\\ne: ~\\n", Loader=yaml.SafeLoader) == {
    "a": 1, "b": 2.5, "c": True, "d": __import__("datetime").date(2001, 12, 14), "e": None}
try:
    yaml.load("a: \\x07\\n", Loader=yaml.SafeLoader)
except yaml.reader.ReaderError as exc:
    assert "special characters are not allowed" in str(exc), exc
else:
    raise SystemExit("the pure-Python reader accepted a control character")
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_", "PYTEST"))}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr

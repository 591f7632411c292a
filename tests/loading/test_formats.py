"""File types beyond YAML and JSON: TOML with positions, JSON with comments, JSON by content under
another name, Python configs read as literals, Hydra defaults lists, and the documents of a YAML stream."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from batchlint.loading import LoadError, load_text
from batchlint.loading.keypath import node_at
from batchlint.loading.nodes import Document, Scalar, to_python
from tests.helpers import inspect_json

TOML = """\
# a job config
title = "x"   # inline
[training]
local_batch_size = 8
"quoted key" = 3
steps = 1_000
lr = 8e-4
dates = 1979-05-27 07:32:00
arr = [1,
  2, # two
  3]
inl = { a = 1, b = "s" }
multi = \"\"\"
a # not a comment
\"\"\"

[[datasets]]
batch_size = 4
  [[datasets.subsets]]
  image_dir = 'a'
  [[datasets.subsets]]
  image_dir = 'b'
[[datasets]]
batch_size = 2
  [[datasets.subsets]]
  image_dir = 'c'
[parallelism]
a.b.c = true
"""


def test_toml_values_are_tomllib_s_and_positions_are_the_keys() -> None:
    doc = load_text("job.toml", TOML)
    assert to_python(doc.root) == tomllib.loads(TOML)
    where = {
        path: (n.span.line, n.span.column)
        for path in (
            "title",
            "training.local_batch_size",
            "training.steps",
            "training.arr[2]",
            "training.inl.b",
            "datasets[0].batch_size",
            "datasets[1].batch_size",
            "datasets[0].subsets[1].image_dir",
            "datasets[1].subsets[0].image_dir",
            "parallelism.a.b.c",
        )
        if isinstance(n := node_at(doc.root, path), Scalar)
    }
    assert where == {
        "title": (2, 9),
        "training.local_batch_size": (4, 20),
        "training.steps": (6, 9),
        "training.arr[2]": (11, 3),
        "training.inl.b": (12, 20),
        "datasets[0].batch_size": (18, 14),
        "datasets[1].batch_size": (24, 14),
        "datasets[0].subsets[1].image_dir": (22, 15),
        "datasets[1].subsets[0].image_dir": (26, 15),
        "parallelism.a.b.c": (28, 9),
    }
    local = node_at(doc.root, "training.local_batch_size")
    assert isinstance(local, Scalar) and TOML[local.span.start : local.span.end] == "8"  # a fix edits exactly the literal
    assert [c.text for c in doc.comments] == ["# a job config", "# inline", "# two"]  # not the `#` inside the string


def test_toml_errors_name_the_line_and_an_empty_file_is_an_empty_table() -> None:
    with pytest.raises(LoadError) as err:
        load_text("bad.toml", "[training]\nlocal_batch_size = = 8\n")
    assert err.value.line == 2 and err.value.message.startswith("invalid TOML")
    empty = load_text("empty.toml", "")
    assert to_python(empty.root) == {}


def test_toml_batch_is_fixed_in_place(tmp_path: Path) -> None:
    """BL101's fix writes the TOML literal; every other byte stays."""
    text = (
        "[accelerate_launch]\nmulti_gpu = true\nnum_processes = 8 # GPUs\n[basic]\ntrain_batch_size = 2\n"
        "[advanced]\ngradient_accumulation_steps = 1   # steps\n"
    )
    (tmp_path / "t.toml").write_text(text, encoding="utf-8")
    from tests.helpers import run_cli

    run_cli("check", "--fix", "t.toml", "--target-total", "32", cwd=tmp_path)
    assert (tmp_path / "t.toml").read_text(encoding="utf-8") == text.replace("gradient_accumulation_steps = 1", "gradient_accumulation_steps = 2")


def test_jsonc_comments_and_trailing_commas_keep_positions() -> None:
    text = '// settings\n{\n  "a": 1, // one\n  /* block */ "b": [1, 2,],\n}\n'
    doc = load_text("x.jsonc", text)
    assert to_python(doc.root) == {"a": 1, "b": [1, 2]}
    b = node_at(doc.root, "b")
    assert b is not None and (b.span.line, b.span.column) == (4, 20)
    assert [c.text for c in doc.comments] == ["// settings", "// one", "/* block */"]


def test_deepspeed_json_under_another_name_is_json(tmp_path: Path) -> None:
    """`1e5` is a number to json.load (a string to YAML 1.1)."""
    (tmp_path / "ds.conf").write_text(
        '{\n  "train_micro_batch_size_per_gpu": 4,\n  "zero_optimization": {"stage": 2, "reduce_bucket_size": 1e5}\n}\n', encoding="utf-8"
    )
    doc = load_text(str(tmp_path / "ds.conf"), (tmp_path / "ds.conf").read_text(encoding="utf-8"))
    assert doc.format == "json" and node_at(doc.root, "zero_optimization.reduce_bucket_size").value == 1e5  # type: ignore[union-attr]


def test_python_configs_are_read_as_literals_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = (
        f"import os\nos.system('touch {marker}')\nx = os.getcwd()\n"
        "train_dataloader = dict(batch_size=4, dataset=dict(type='X'))\nlr = -1e-4\nmodes = ['a', ('b', 2)]\n"
    )
    doc = load_text("cfg.py", text)
    assert not marker.exists()
    assert to_python(doc.root) == {"train_dataloader": {"batch_size": 4, "dataset": {"type": "X"}}, "lr": -1e-4, "modes": ["a", ["b", 2]]}
    bs = node_at(doc.root, "train_dataloader.batch_size")
    assert bs is not None and (bs.span.line, bs.span.column) == (4, 36)
    unread = load_text("broken.py", "x = (\n")
    assert unread.root is None and unread.format == "python-unread"  # never "invalid YAML"


def _write(tmp: Path, name: str, text: str) -> Path:
    (tmp / name).write_text(text, encoding="utf-8")
    return tmp / name


def test_hydra_defaults_compose_the_config_the_app_gets(tmp_path: Path) -> None:
    (tmp_path / "conf" / "optim").mkdir(parents=True)
    _write(tmp_path / "conf", "base.yaml", "gradient_accumulation_steps: 4\nepochs: 10\n")
    _write(tmp_path / "conf" / "optim", "adam.yaml", "lr: 1.0e-4\nweight_decay: 0.01\n")
    _write(
        tmp_path / "conf",
        "train.yaml",
        "defaults:\n  - base\n  - optim: adam\n  - _self_\n"
        "train_dataloader:\n  batch_size: 6\ntrainer:\n  gradient_accumulation_steps: ${gradient_accumulation_steps}\n",
    )
    run = inspect_json("conf/train.yaml", "--num-processes", "2", cwd=tmp_path)["runs"][0]
    facts = run["facts"]
    assert run["dialect"] == "generic"
    assert (facts["grad_accum"]["value"], Path(facts["grad_accum"]["file"]).name, facts["grad_accum"]["line"]) == (4, "base.yaml", 1)
    assert facts["per_device_batch"]["value"] == 6 and run["total_batch"] == 48


def test_documents_of_a_yaml_stream_are_read_in_place() -> None:
    from batchlint.detect import detect_match
    from batchlint.loading.documents import split_documents
    from batchlint.loading.yaml import load_yaml

    text = (
        "apiVersion: v1\nkind: Namespace\n---\nkind: ConfigMap\n---\n# the run\ntrainer:\n  devices: 8\n  num_nodes: 1\n"
        "model:\n  micro_batch_size: 2\n  global_batch_size: 32\n"
    )
    # A loader that reads only the first document still hands over the whole text.
    doc = Document("k.yaml", text, "yaml", load_yaml("k.yaml", text.split("---")[0]).root, [], [])
    parts = split_documents(doc)
    assert [p.root.keys() for p in parts] == [["apiVersion", "kind"], ["kind"], ["trainer", "model"]]  # type: ignore[union-attr]
    mbs = node_at(parts[2].root, "model.micro_batch_size")
    assert mbs is not None and (mbs.span.line, mbs.span.column) == (11, 21) and text[mbs.span.start : mbs.span.end] == "2"
    hit = detect_match(parts[2])
    assert hit is not None and hit[0].name == "nemo"

"""Values PyYAML or json.load cannot build, nesting, huge numbers, long lists and several documents:
a one-line BL001 with a position or a correct reading, never a traceback, a hang or a gigabyte."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from batchlint.loading import LoadError, load_text
from batchlint.loading.nodes import MAX_DEPTH, MAX_SEQUENCE_ITEMS, Mapping, Sequence
from tests.helpers import check_json

MUSEV = (
    "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: true\nmodel:\n  a: 1\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4\n"
)
K8S = "apiVersion: v1\nkind: Service\nmetadata:\n  name: etcd\n"


def _diags(tmp_path: Path, name: str, text: str, *args: str) -> list[dict[str, object]]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    code, diags = check_json(str(tmp_path / name), "--no-cache", "--num-processes", "8", *args)
    return diags


@pytest.mark.parametrize(
    "value",
    ["!!bool maybe", "!!timestamp x", "!!int abc", "!!float x", "!!map [1]", "!!str [1]", "!!omap [1]", "!!set [1]", "!!seq {a: 1}", "!!timestamp 2001-13-45"],
)
@pytest.mark.parametrize("where", ["training config", "unrelated file"])
def test_tags_that_cannot_be_constructed_are_bl001_with_position(tmp_path: Path, value: str, where: str) -> None:
    text = (MUSEV if where == "training config" else K8S) + f"extra:\n  value: {value}\n"
    line = text.count("\n")
    diags = _diags(tmp_path, "t.yaml", text)
    assert [(d["code"], d["line"], d["column"]) for d in diags if d["severity"] == "error"] == [("BL001", line, 10)], diags
    assert "\n" not in str(diags[0]["message"])


@pytest.mark.parametrize("value", ["2001-02-30", "=", "!!set {a, b}", "!!omap [{a: 1}]", "!!binary aGk=", "!!null ''"])
def test_what_pyyaml_or_omegaconf_reads_is_not_an_error(value: str) -> None:
    doc = load_text("t.yaml", f"a: {value}\n<<: {{b: 1}}\n")
    assert isinstance(doc.root, Mapping) and doc.root.get("b") is not None


@pytest.mark.parametrize("kind", ["json", "yaml flow", "yaml block"])
def test_nesting_too_deep_is_the_loaders_own_bl001(tmp_path: Path, kind: str) -> None:
    n = 500
    if kind == "json":
        name, text = "ds.json", '{"train_batch_size": 8, "x": ' + "[" * n + "]" * n + "}"
    elif kind == "yaml flow":
        name, text = "t.yaml", MUSEV + "x: " + "[" * n + "]" * n + "\n"
    else:
        name, text = "t.yaml", MUSEV + "".join("  " * i + f"k{i}:\n" for i in range(n)) + "  " * n + "v: 1\n"
    diags = _diags(tmp_path, name, text)
    assert [d["code"] for d in diags] == ["BL001"], diags
    assert "nested too deeply" in str(diags[0]["message"]) and int(diags[0]["line"]) >= 1  # type: ignore[call-overload]


def test_nesting_just_inside_the_limit_goes_through_the_whole_pipeline(tmp_path: Path) -> None:
    depth = MAX_DEPTH - 2  # the training keys sit one level down
    block = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: ${train.train_batch_size}\n"
    flow = "y: " + "[" * depth + "'${train.train_batch_size}'" + "]" * depth + "\n"
    diags = _diags(tmp_path, "t.yaml", MUSEV + block + flow, "--ignore", "BL204,BL103")
    assert diags == []
    json_text = '{"train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 1, "zero_optimization": {}, "x": ' + "[" * depth + "]" * depth + "}"
    assert [d["code"] for d in _diags(tmp_path, "ds.json", json_text) if d["code"] == "BL001"] == []


@pytest.mark.parametrize(
    "name,text,line,column",
    [
        ("t.yaml", MUSEV + "big: " + "9" * 4301 + "\n", 10, 6),
        ("t.yaml", MUSEV + "  other: [1, " + "9" * 5000 + "]\n", 10, 14),
        ("ds.json", '{\n  "train_batch_size": ' + "9" * 4301 + "\n}\n", 2, 23),
    ],
)
def test_integers_over_pythons_digit_limit_are_bl001(tmp_path: Path, name: str, text: str, line: int, column: int) -> None:
    diags = _diags(tmp_path, name, text)
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [("BL001", line, column)], diags
    assert "digits" in str(diags[0]["message"])


def test_an_integer_at_the_limit_is_read() -> None:
    doc = load_text("t.yaml", "a: " + "9" * 4300 + "\n")
    assert isinstance(doc.root, Mapping) and doc.root.get("a").value == int("9" * 4300)  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
@pytest.mark.parametrize("where", ["value", "past the kept items"])
def test_an_integer_over_a_lowered_digit_limit_is_a_finding(fmt: str, where: str) -> None:
    """Python's digit limit can be set as low as 640 (PYTHONINTMAXSTRDIGITS): an integer over it is
    the loader's error with its position, not a ValueError out of the loader."""
    import sys

    number = "9" * 700
    if fmt == "toml":
        text = f"a = {number}\n" if where == "value" else "a = [" + "1, " * 10_001 + number + "]\n"
    elif fmt == "json":
        text = f'{{"a": {number}}}' if where == "value" else '{"a": [' + "1, " * 10_001 + number + "]}"
    else:
        text = f"a: {number}\n" if where == "value" else "a: [" + "1, " * 10_001 + number + "]\n"
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        with pytest.raises(LoadError) as err:
            load_text(f"t.{fmt}", text)
    finally:
        sys.set_int_max_str_digits(limit)
    assert "digits" in err.value.message and err.value.line == 1


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_long_flow_list_costs_little(fmt: str) -> None:
    items = ",".join(["1"] * 750_000)  # 1.5 MB; before: a positioned node per item (~1 GB for 3 MB)
    text = ("train_batch_size: 1\nids: [" + items + "]\n") if fmt == "yaml" else '{"train_batch_size": 1, "ids": [' + items + "]}"
    tracemalloc.start()
    start = time.monotonic()
    try:
        doc = load_text(f"t.{fmt}", text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - start
    assert isinstance(doc.root, Mapping)
    ids = doc.root.get("ids")
    assert isinstance(ids, Sequence) and len(ids.items) == MAX_SEQUENCE_ITEMS
    assert peak < 80 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert elapsed < 30


def test_errors_past_the_kept_items_are_still_reported() -> None:
    many = ",".join(["1"] * (MAX_SEQUENCE_ITEMS + 50))
    with pytest.raises(LoadError, match="is not a valid `!!bool`") as err:
        load_text("t.yaml", f"a: [{many}, !!bool maybe]\n")
    assert err.value.line == 1 and err.value.column > 20000
    with pytest.raises(LoadError, match="NaN"):
        load_text("d.json", f'{{"a": [{many}, NaN]}}')
    with pytest.raises(LoadError, match="delimiter") as err:
        load_text("d.json", f'{{"a": [{many}\n, 1 // x\n]}}')
    assert err.value.line == 2
    doc = load_text("t.yaml", f"a: [{many}, !!python/name:os.system x]\n")
    assert [t for t, _ in doc.unsafe_tags] == ["tag:yaml.org,2002:python/name:os.system"]


def test_too_many_values_is_a_data_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("batchlint.loading.yaml.MAX_NODES", 50)
    monkeypatch.setattr("batchlint.loading.block_yaml.MAX_NODES", 50)  # (past it, the block reader leaves the file to libyaml)
    monkeypatch.setattr("batchlint.loading.json.MAX_NODES", 50)
    text = "train_batch_size: 1\n" + "".join(f"k{i}: {i}\n" for i in range(100))
    doc = load_text("t.yaml", text)
    assert isinstance(doc.root, Mapping) and doc.root.items == []  # no dialect can match
    with pytest.raises(LoadError) as err:
        load_text("t.yaml", text + "bad: [\n")
    assert err.value.line == 103  # the end of the stream, where libyaml notices
    json_text = "{" + ", ".join(f'"k{i}": {i}' for i in range(100)) + "}"
    assert load_text("d.json", json_text).root.items == []  # type: ignore[union-attr]
    with pytest.raises(LoadError, match="delimiter"):
        load_text("d.json", json_text[:-1] + ' "x": 1}')


def test_two_kubernetes_documents_are_not_bl001(tmp_path: Path) -> None:
    text = K8S + "---\n" + K8S.replace("Service", "Deployment") + "spec:\n  replicas: 2\n"
    assert _diags(tmp_path, "k8s.yaml", text) == []


def test_the_first_document_is_the_config_and_every_document_is_checked(tmp_path: Path) -> None:
    training = MUSEV.replace("train_batch_size: 2", "train_batch_size: 0")
    diags = _diags(tmp_path, "t.yaml", "---\n" + training + "---\n" + K8S, "--ignore", "BL204")
    assert [(d["code"], d["line"]) for d in diags] == [("BL105", 9)], diags
    # an empty first document: the next one is the content
    diags = _diags(tmp_path, "t.yaml", "---\n---\n" + training, "--ignore", "BL204")
    assert [d["code"] for d in diags] == ["BL105"], diags
    # a later document that PyYAML cannot build is still an error
    diags = _diags(tmp_path, "t.yaml", MUSEV + "---\nx: !!int abc\n")
    assert [(d["code"], d["line"]) for d in diags if d["severity"] == "error"] == [("BL001", 11)], diags


NOT_AN_INTEGER = {
    "[8]": "got a list [8]",
    "{a: 8}": "got a mapping {'a': 8}",
    "!!python/object/apply:os.getpid []": "got a list []",
    "!!python/int 8": "got the string '8'",
    "&x [*x]": "got a list",
    "!!python/tuple [8]": "got a list [8]",
}


@pytest.mark.parametrize("value", sorted(NOT_AN_INTEGER))
def test_a_batch_value_that_is_not_a_scalar_integer_gets_a_finding(tmp_path: Path, value: str) -> None:
    diags = _diags(tmp_path, "t.yaml", MUSEV.replace("train_batch_size: 2", f"train_batch_size: {value}"))
    found = [(d["code"], d["line"], d["column"]) for d in diags if d["severity"] == "error"]
    assert found == [("BL105", 8, 21)], diags
    message = next(d["message"] for d in diags if d["code"] == "BL105")
    assert NOT_AN_INTEGER[value] in message, message  # a list is called a list, not "the string [8]"


def test_an_alias_bomb_as_batch_value_is_a_short_finding_not_a_hang(tmp_path: Path) -> None:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    # hf-trainer: a dialect without a JSON Schema (BL007's validation expands aliases on its own)
    text = "\n".join(lines) + "\nper_device_train_batch_size: *l9\noutput_dir: out\n"
    start = time.monotonic()
    diags = _diags(tmp_path, "t.yaml", text)
    assert time.monotonic() - start < 20
    assert [d["code"] for d in diags if d["severity"] == "error"] == ["BL105"]
    assert len(str(diags[0]["message"])) < 400

"""Files that are not training or launch configs get no findings at all and exit 0:
pre-commit hands batchlint every YAML/JSON file of a repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, inspect_json

FIXTURES = Path(__file__).parent / "fixtures" / "non_training"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_no_findings(name: str) -> None:
    code, diags = check_json(str(FIXTURES / name))
    assert diags == [] and code == 0
    assert inspect_json(str(FIXTURES / name))["runs"] == []


def test_whole_folder_at_once() -> None:
    code, diags = check_json(str(FIXTURES))
    assert (code, diags) == (0, [])


# Large data files (dataset indexes, caption dumps) are only syntax-checked; a broken one is still
# reported at the right line, and a large file that does name batch keys is read in full.
def _big_yaml_list(rows: int) -> str:
    return "clips:\n" + "".join(f"  - {{id: {i}, path: /data/v{i}.mp4, fps: 25}}\n" for i in range(rows))


def test_large_yaml_data_file_is_clean(tmp_path: Path) -> None:
    from batchlint.loading.yaml import LARGE_FILE_CHARS

    text = _big_yaml_list(30000)
    assert len(text) > LARGE_FILE_CHARS
    (tmp_path / "index.yaml").write_text(text)
    assert check_json(str(tmp_path / "index.yaml")) == (0, [])


def test_large_yaml_data_file_syntax_error_keeps_its_line(tmp_path: Path) -> None:
    text = _big_yaml_list(30000) + "broken: [1, 2\n"
    (tmp_path / "index.yaml").write_text(text)
    code, diags = check_json(str(tmp_path / "index.yaml"))
    assert code == 1
    assert [(d["code"], d["line"]) for d in diags] == [("BL001", 30003)]


def test_large_yaml_training_config_is_read_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("batchlint.loading.yaml.LARGE_FILE_CHARS", 1000)  # full reads of 1 MB take seconds
    text = "train_batch_size: 4\ngradient_accumulation_steps: 0\n" + _big_yaml_list(100).replace("clips:", "extra:")
    (tmp_path / "train.yaml").write_text(text)
    _, diags = check_json(str(tmp_path / "train.yaml"))
    assert diags, "a large config with batch keys must still be linted"
    assert all(d["line"] <= 2 for d in diags)


def test_large_json_data_file(tmp_path: Path) -> None:
    import json

    rows = [{"id": i, "path": f"/data/v{i}.mp4"} for i in range(5000)]
    (tmp_path / "index.json").write_text(json.dumps({"clips": rows}))
    assert check_json(str(tmp_path / "index.json")) == (0, [])
    (tmp_path / "index.json").write_text(json.dumps({"clips": rows})[:-1])
    code, diags = check_json(str(tmp_path / "index.json"))
    assert code == 1 and [d["code"] for d in diags] == ["BL001"]

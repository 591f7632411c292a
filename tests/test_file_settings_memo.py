"""Settings.for_file, built once while there is no [[runs]] binding, against a fresh build for each file."""

from __future__ import annotations

import copy
from pathlib import Path

from batchlint.settings import FileSettings, RunBinding, Settings, parse_table

_TABLE = {"target-total": 224, "ignore": ["BL104"], "per-file-ignores": {"exp*/*.yaml": ["BL101"]}, "select": ["BL"]}


def _fresh(settings: Settings, file: str) -> FileSettings:
    """for_file's build for one file: on a copy with a binding that matches no file, the table merged and built anew."""
    clone = copy.copy(settings)
    clone.runs = [*settings.runs, RunBinding([], {"target-total": 1})]
    clone.any_file = None
    return clone.for_file(file)


def test_for_file_answers_as_a_fresh_build(tmp_path: Path) -> None:
    own = str(tmp_path / "pyproject.toml")
    files = [str(tmp_path / name) for name in ("exp000/a.yaml", "exp001/b.yaml", "c.yaml", "deep/er/d.yaml")]
    plain = parse_table(dict(_TABLE), own)
    bound = parse_table({**_TABLE, "runs": [{"configs": ["exp000/*.yaml"], "target-total": 64}]}, own)
    assert not plain.runs and bound.runs
    for settings in (plain, bound):
        for file in files * 2:
            assert settings.for_file(file) == _fresh(settings, file), (settings.runs, file)
    assert plain.for_file(files[0]) is plain.for_file(files[3]) and plain.for_file(files[0]).target_total == 224
    assert bound.for_file(files[0]).target_total == 64 and bound.for_file(files[1]).target_total == 224

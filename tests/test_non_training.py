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

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("BATCHLINT_CORPUS", REPO.parent / "shared" / "corpus"))
CORPUS2 = Path(os.environ.get("BATCHLINT_CORPUS2", CORPUS.parent / "corpus2"))


def corpus_or_skip() -> Path:
    if not (CORPUS / "manifest.json").is_file():
        pytest.skip(f"shared corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    return corpus_or_skip()


def corpus2_or_skip() -> Path:
    if not (CORPUS2 / "manifest.json").is_file():
        pytest.skip(f"second shared corpus not present at {CORPUS2}")
    return CORPUS2


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The result cache of the tests lives in a temporary directory, never in the user's."""
    os.environ["BATCHLINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("batchlint-cache"))

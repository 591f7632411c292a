"""Speed never changes the answer: the prefilter, the parallel walk and the cache context give the
same output, byte for byte, as the plain serial walk that parses every file."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.conftest import REPO

CASES = REPO / "tests" / "cases"
SHARED = REPO.parent / "shared"


def _trees() -> list[Path]:
    trees = [CASES]
    trees.extend(p for p in (SHARED / "corpus", SHARED / "corpus2") if (p / "manifest.json").is_file())
    return trees


def _render(tree: Path, fmt: str) -> str:
    """`batchlint check --format FMT .` over a tree, in-process, from the tree's root."""
    from batchlint.engine import check
    from batchlint.options import Options
    from batchlint.output import reporter

    old = os.getcwd()
    os.chdir(tree)
    try:
        report = check(["."], Options(), keep_runs=False)
        out = io.StringIO()
        reporter(fmt)(report, out)
        return out.getvalue() + "".join(report.internal_errors)
    finally:
        os.chdir(old)


@pytest.mark.parametrize("fmt", ["full", "json", "sarif"])
@pytest.mark.parametrize("tree", _trees(), ids=lambda p: p.name)
def test_prefilter_changes_nothing(tree: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("batchlint.session.EAGER_FILES", 0)  # every file tested, the first ones too
    fast = _render(tree, fmt)
    import batchlint.prefilter

    monkeypatch.setattr(batchlint.prefilter, "worth_parsing", lambda data, user=(), compiled=True: True)
    assert _render(tree, fmt) == fast


@pytest.mark.parametrize("fmt", ["full", "json"])
@pytest.mark.parametrize("tree", _trees(), ids=lambda p: p.name)
def test_parallel_walk_changes_nothing(tree: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import batchlint.engine as engine

    monkeypatch.setenv("BATCHLINT_SERIAL", "1")
    serial = _render(tree, fmt)
    monkeypatch.delenv("BATCHLINT_SERIAL")
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 4)
    monkeypatch.setattr(engine, "_workers", lambda files: 2)
    assert _render(tree, fmt) == serial


def test_the_first_files_are_tested_without_compiling_the_pattern(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiling the prefilter's pattern costs more than testing a few files: checking one file never compiles it."""
    import batchlint.prefilter
    from batchlint.engine import check
    from batchlint.options import Options

    compiled: list[int] = []
    real = batchlint.prefilter._compile.__wrapped__
    monkeypatch.setattr(batchlint.prefilter, "_compile", lambda words: compiled.append(len(words)) or real(words))
    for i in range(10):
        (tmp_path / f"ci{i}.yaml").write_text(f"jobs: {i}\n", encoding="utf-8")
    check([str(tmp_path / "ci0.yaml")], Options())
    assert compiled == []
    check([str(tmp_path)], Options())
    assert len(compiled) == 2  # the 9th and 10th files


def _sample_bytes() -> list[bytes]:
    samples = [p.read_bytes() for tree in _trees() for p in sorted(tree.rglob("*")) if p.is_file() and p.suffix in (".yaml", ".yml", ".json", ".toml")]
    samples += [b"TRAIN_BATCH_SIZE: 4\n", b"Gradient_Accumulation: 2\n", b"name: ci\n", b"\xc3\x84ccum: 1\n", b"num_PROCESSES: 8", b"fsdP", b"batc h"]
    return samples


def test_the_uncompiled_test_gives_the_patterns_answer() -> None:
    from batchlint.prefilter import worth_parsing

    user = [{"name": "inhouse", "detect": ["trainer.micro_x"], "per-device-batch": "trainer.Micro_X"}]
    answers = []
    for data in _sample_bytes():
        for dialects in ([], user):
            fast = worth_parsing(data, dialects, compiled=False)
            assert fast == worth_parsing(data, dialects), data[:200]
            answers.append(fast)
    assert True in answers and False in answers


def test_prefilter_skips_what_names_nothing_a_dialect_reads() -> None:
    from batchlint.prefilter import worth_parsing

    assert not worth_parsing(b"on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    assert worth_parsing(b"train:\n  train_batch_size: 4\n")
    assert worth_parsing(b"data:\n  train_bs: 4\nsolver: {}\n")  # a key a declaration names, without "batch"
    assert worth_parsing(b"distributed_type: MULTI_GPU\n")
    assert worth_parsing(b"")  # empty files are BL006's
    assert worth_parsing(b"trainer:\n  micro_x: 2\n", [{"name": "inhouse", "detect": ["trainer.micro_x"], "per-device-batch": "trainer.micro_x"}])


def test_a_skipped_file_still_reports_its_syntax_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import check_json

    monkeypatch.setattr("batchlint.session.EAGER_FILES", 0)

    (tmp_path / "ci.yaml").write_text("jobs:\n  test: [1\n", encoding="utf-8")
    (tmp_path / "alias.yaml").write_text("a: *nowhere\n", encoding="utf-8")
    code, diags = check_json(str(tmp_path / "ci.yaml"), str(tmp_path / "alias.yaml"), "--no-cache")
    assert code == 1 and sorted((d["file"].rsplit("/", 1)[-1], d["code"]) for d in diags) == [("alias.yaml", "BL001"), ("ci.yaml", "BL001")]

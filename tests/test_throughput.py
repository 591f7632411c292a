"""Speed never changes the answer: the prefilter, the parallel walk and the cache context give the
same output, byte for byte, as the plain serial walk that parses every file."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.views import DocumentView

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


@pytest.mark.parametrize("fmt", ["full", "json"])
def test_lazy_spans_change_nothing(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import batchlint.loading.yaml as yaml_loader

    monkeypatch.setattr("batchlint.loading.block_yaml.load_block_yaml", lambda *args: None)  # (every file through libyaml's events)
    lazy = _render(CASES, fmt)
    monkeypatch.setattr(yaml_loader, "LAZY_SPANS", False)
    assert _render(CASES, fmt) == lazy


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "sarif"])
def test_the_block_reader_changes_nothing(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The output over the cases is the same when every YAML file goes through libyaml (loading/block_yaml.py)."""
    with_block_reader = _render(CASES, fmt)
    monkeypatch.setattr("batchlint.loading.block_yaml.load_block_yaml", lambda *args: None)
    assert _render(CASES, fmt) == with_block_reader


def test_a_lazy_span_reads_and_pickles_as_the_eager_one() -> None:
    import pickle

    import batchlint.loading.yaml as yaml_loader
    from batchlint.loading.nodes import Mapping, Scalar, Span

    text = "# 说明\ntrain:\n  train_batch_size: 4 # 单卡\n  lr: |\n    1e-5\n    2e-5\n"
    trees = []
    for lazy in (True, False):
        yaml_loader.LAZY_SPANS = lazy
        try:
            trees.append(yaml_loader.load_yaml("t.yaml", "\ufeff" + text).root)
        finally:
            yaml_loader.LAZY_SPANS = True
    spans = []
    for root in trees:
        assert isinstance(root, Mapping)
        train = root.get("train")
        assert isinstance(train, Mapping)
        spans.append([node.span for node in (train.get("train_batch_size"), train.get("lr")) if isinstance(node, Scalar)])
    lazy_spans, eager_spans = spans
    assert type(lazy_spans[0]) is yaml_loader.MarkSpan and type(eager_spans[0]) is Span
    sent = pickle.loads(pickle.dumps(lazy_spans))  # what a worker of the parallel walk sends back
    assert all(type(s) is Span for s in sent)
    assert [s._key() for s in sent] == [s._key() for s in lazy_spans] == [s._key() for s in eager_spans]
    assert (lazy_spans[0].line, lazy_spans[0].column, lazy_spans[0].end_column) == (3, 21, 22)


def test_diagnostics_cross_processes_whole() -> None:
    """What a worker of the parallel walk sends back reads as what it found: every field of every
    diagnostic of the test cases (related places and fixes included), each span a plain Span."""
    import pickle

    from batchlint.engine import check
    from batchlint.loading.nodes import Span
    from batchlint.options import Options
    from batchlint.rules.base import Diagnostic, Related

    def fields(d: Diagnostic) -> tuple[object, ...]:
        related = [(r.span._key(), r.label) for r in d.related]
        fix = None if d.fix is None else (d.fix.message, d.fix.applicability, d.fix.edits, d.fix.expect)
        return (d.code, d.name, d.severity, d.message, d.span._key(), d.help, related, fix)

    old = os.getcwd()
    os.chdir(CASES)
    try:
        found = check(["."], Options(), keep_runs=False).diagnostics
    finally:
        os.chdir(old)
    assert any(d.related for d in found) and any(d.fix is not None and d.fix.edits for d in found)
    sent = pickle.loads(pickle.dumps(found))
    assert [fields(d) for d in sent] == [fields(d) for d in found]
    assert all(type(d) is Diagnostic and type(d.span) is Span and all(type(r) is Related and type(r.span) is Span for r in d.related) for d in sent)


def test_checked_files_are_freed_without_the_cyclic_collector(tmp_path: Path) -> None:
    """Nothing a check builds for a file is held in a reference cycle: the documents go as soon as
    the file's rules ran, however many files are checked and however rarely the collector runs."""
    import gc

    from batchlint.engine import check
    from batchlint.options import Options

    (tmp_path / "dataset.yaml").write_text("width: 512\nheight: 320\n", encoding="utf-8")
    for i in range(3):
        (tmp_path / f"train_{i}.yaml").write_text(
            "output_dir:\n  exp_dir: ./exp\n  log_dir: ${.exp_dir}/log\nmodel:\n  dim: 768\n  inner: ${..dim}\n"
            "train:\n  train_batch_size: 2 # 16卡*2accumulation*7单卡batch_size = 224\n  gradient_accumulation_steps: 1\n"
            "  learning_rate: 1e-5\ndataset:\n  dataset: '${include:dataset.yaml}'\n  w: ${.dataset.width}\n",
            encoding="utf-8",
        )
    old = os.getcwd()
    os.chdir(tmp_path)
    gc.collect()
    gc.disable()
    try:
        report = check(["."], Options(), keep_runs=False)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        # What the session keeps for the whole invocation (the included file, the script index) may be
        # collected with it at the end; nothing built for one checked file may wait for the collector.
        kept = [
            getattr(o, "path", type(o).__name__)
            for o in gc.garbage
            if type(o).__name__ in ("ConfigTree", "DocumentView", "RunModel") or type(o).__name__ == "Document" and "train_" in getattr(o, "path", "")
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        os.chdir(old)
    assert report.diagnostics  # the configs were read, resolved and checked
    assert kept == []


@pytest.mark.parametrize("user", [(), ({"batch": "trainer.my_bs", "accum": "trainer.Accumulate_Every"},)], ids=["built-in", "with user dialect"])
def test_the_prefilter_searches_for_fewer_words_with_the_same_answer(user: tuple[dict[str, str], ...]) -> None:
    """A word holding another one adds nothing to the search: bytes made of pieces of the words (whole,
    cut, in any case) hold one of the searched words exactly when they hold one of all the words."""
    import random

    from batchlint.prefilter import _needed, _words, worth_parsing

    words = _words(user)
    every = [w.encode().lower() for w in words]
    assert len(_needed(words)) < len(every)
    rng = random.Random(18)
    answers = {True: 0, False: 0}
    for _ in range(3000):
        pieces = []
        for _ in range(rng.randint(1, 4)):
            word = rng.choice(words)
            start = rng.randrange(len(word))
            piece = word if rng.random() < 0.5 else word[start : start + rng.randint(1, len(word))]
            pieces.append(piece.upper() if rng.random() < 0.3 else piece)
        data = ("x: " + " ".join(pieces) + "\n").encode()
        expected = any(w in data.lower() for w in every)
        assert worth_parsing(data, user) is expected and worth_parsing(data, user, compiled=False) is expected, data
        answers[expected] += 1
    assert min(answers.values()) > 300, answers


def test_the_prefilter_ignores_case_as_before() -> None:
    from batchlint.prefilter import worth_parsing

    assert worth_parsing(b"TRAIN:\n  Train_Batch_Size: 4\n")
    assert worth_parsing(b"Distributed_Type: MULTI_GPU\n")
    assert not worth_parsing(b"NAME: CI\nJOBS:\n  TEST:\n    RUNS-ON: UBUNTU\n")


def _schema_checked(paths: list[Path]) -> Iterator[tuple[Path, DocumentView, dict[str, object]]]:
    """The files among `paths` a schema applies to (BL007 checks them): each with its view and schema."""
    from batchlint.engine import analyse
    from batchlint.options import Options
    from batchlint.schema_check import SCHEMA_FOR_DIALECT, load_schema
    from batchlint.session import Session

    for path in paths:
        if path.suffix not in (".yaml", ".yml", ".json"):
            continue
        view = analyse(str(path), Session(), Options()).view
        if view.dialect in SCHEMA_FOR_DIALECT and view.loaded:
            yield path, view, load_schema(SCHEMA_FOR_DIALECT[view.dialect])


def test_the_schema_check_reads_what_it_would_of_the_whole_file() -> None:
    """BL007's quick validation of a file converted only where its schema looks agrees with the
    validation of the whole file, on every test case a schema applies to (BL007's failing ones too)."""
    from batchlint.rules.schema import instance_of, schema_valid
    from batchlint.schema_check import quick_valid

    compared = {True: 0, False: 0}
    for path, view, schema in _schema_checked(sorted(CASES.rglob("*"))):
        whole = quick_valid(schema, instance_of(view))
        assert schema_valid(view, schema) == whole, path
        compared[whole] += 1
    assert compared[True] > 20 and compared[False] > 2, compared


def test_the_schema_budget_is_counted_again_only_when_a_value_is_shared(tmp_path: Path) -> None:
    """BL007 skips counting the expanded values of a file in which nothing is shared: the tally of what
    the conversion built bounds that count, on every test case a schema applies to; an alias is a share."""
    from batchlint.rules.schema import _validated_size, shaped_instance

    aliased = tmp_path / "aliased.yaml"
    aliased.write_text(
        "output_dir:\n  exp_dir: ./exp\nmodel:\n  use_referencenet: True\nvalidation_data:\n  do_validation: True\n"
        "train:\n  train_batch_size: [&pair [1, 2], *pair]\n  gradient_accumulation_steps: 4\n",
        encoding="utf-8",
    )
    bounded = shared = 0
    for path, view, schema in _schema_checked([*sorted(CASES.rglob("*")), aliased]):
        tally = [0, 0]
        size = _validated_size(schema, shaped_instance(view, schema, tally))
        if tally[1] == 0:
            assert size <= tally[0], (path, size, tally)
            bounded += 1
        else:
            shared += 1
    assert bounded > 20 and shared >= 1, (bounded, shared)


def test_comments_on_lines_without_quotes_are_found_as_by_the_full_scan() -> None:
    """The quick path for a line with no quote finds the comment the quote-aware scan finds: the same
    line with a `"` at its end (which opens nothing before the comment) goes through the full scan."""
    import random

    from batchlint.loading.text import LineIndex, find_comments

    rng = random.Random(18)
    lines = ["# top", "a: 1 # one", "url: http://x#y", "k: v#not # yes", "\ufeff# bom", "x:\t# tab", "#", "a#b#c", "  - 4 # 单卡"]
    lines += ["".join(rng.choice("ab #\t:-") for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    for line in lines:
        fast = [(c.line, c.column) for c in find_comments("f.yaml", LineIndex(line + "\n"), set())]
        full = [(c.line, c.column) for c in find_comments("f.yaml", LineIndex(line + '"\n'), set())]
        assert fast == full, repr(line)


_MUSEV = """\
model:
  pretrained_model_path: ./checkpoints/sd15
train:
  train_batch_size: {bs}
  gradient_accumulation_steps: {ga}
  learning_rate: 1e-5
  max_train_steps: 1000
  mixed_precision: fp16
validation_data:
  do_validation: True
"""


def test_a_warm_cache_in_the_parallel_walk_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm run over many files shares the files over processes as a cold one does (entries served
    in the workers), and the files the cache does not serve (edited) are checked as the serial walk
    would, in the same order."""
    import batchlint.engine as engine
    from batchlint.engine import check
    from batchlint.options import Options
    from batchlint.output import reporter

    monkeypatch.setenv("BATCHLINT_CACHE_DIR", str(tmp_path / "cache"))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pyproject.toml").write_text("", encoding="utf-8")
    for i in range(12):
        (tree / f"train{i:02d}.yaml").write_text(_MUSEV.format(bs=i + 1, ga=0), encoding="utf-8")

    def render() -> str:
        old = os.getcwd()
        os.chdir(tree)
        try:
            out = io.StringIO()
            reporter("json")(check(["."], Options(), use_cache=True, keep_runs=False), out)
            return out.getvalue()
        finally:
            os.chdir(old)

    monkeypatch.setenv("BATCHLINT_SERIAL", "1")
    serial = render()  # cold and serial: every entry stored
    monkeypatch.delenv("BATCHLINT_SERIAL")
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 4)
    monkeypatch.setattr(engine, "_workers", lambda files: 2 if files >= 4 and not os.environ.get("BATCHLINT_SERIAL") else 1)
    pools: list[int] = []
    real = engine._check_parallel
    monkeypatch.setattr(engine, "_check_parallel", lambda files, *rest: pools.append(len(files)) or real(files, *rest))
    assert render() == serial and pools == [13]  # all served (pyproject.toml alone checked again), in the workers
    for name in ("train05.yaml", "train07.yaml", "train09.yaml", "train11.yaml"):  # four misses with other findings
        (tree / name).write_text(_MUSEV.format(bs=0, ga=2), encoding="utf-8")
    mixed = render()
    assert pools == [13, 13]
    monkeypatch.setenv("BATCHLINT_SERIAL", "1")
    monkeypatch.setenv("BATCHLINT_CACHE_DIR", str(tmp_path / "cold"))
    assert mixed != serial and mixed == render()  # as a cold serial walk of the edited tree gives it

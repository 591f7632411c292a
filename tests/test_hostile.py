"""Hostile and broken input never raises and never hangs: fuzzed YAML, JSON, interpolations and
includes go through the whole pipeline (the shell reader has its own fuzz test)."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchlint.engine import check
from batchlint.loading import LoadError, load_text
from batchlint.options import Options
from batchlint.resolve import ConfigTree, parse

PIECES = [
    "train:\n",
    "  train_batch_size: ",
    "${",
    "}",
    "${.",
    "${..",
    "${include:",
    "${oc.env:",
    "\\${",
    "1",
    "2.0",
    "1e-5",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!python/object/apply:os.system ['x']",
    "\t",
    "\n",
    "  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "'",
    '"',
    "#",
    "NO",
    "validation_data:\n  do_validation: true\n",
    "output_dir:\n  x: 1\n",
    "\ufeff",
    "\r\n",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_loader_and_resolver_never_raise(text: str) -> None:
    try:
        doc = load_text("f.yaml", text)
    except LoadError:
        return
    ConfigTree(doc, "f.yaml", "omegaconf", lambda p: load_text(p, ""), None).resolve_all()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("${}.:,'\"\\ab0")), max_size=40))
def test_interpolation_grammar_never_raises_anything_but_its_error(text: str) -> None:
    from batchlint.resolve import GrammarError

    try:
        parse(text)
    except GrammarError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join), st.sampled_from(["t.yaml", "ds.json", "acc.yaml"]))
def test_whole_pipeline_never_reports_an_internal_error(tmp_path_factory: object, text: str, name: str) -> None:
    tmp = tmp_path_factory.mktemp("h")  # type: ignore[attr-defined]
    (tmp / name).write_text(text, encoding="utf-8")
    old = os.getcwd()
    os.chdir(tmp)
    try:
        report = check([name], Options())
    finally:
        os.chdir(old)
    assert report.internal_errors == []


def test_include_outside_the_project_and_at_a_directory(tmp_path: Path) -> None:
    from tests.helpers import check_json

    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "secret.yaml").write_text("a: 1\n", encoding="utf-8")
    head = "output_dir:\n  x: 1\nvalidation_data:\n  do_validation: false\ntrain:\n  train_batch_size: 1\n"
    (project / "configs" / "t.yaml").write_text(head + "dataset:\n  d: ${include:../../secret.yaml}\n  e: ${include:.}\n", encoding="utf-8")
    _, diags = check_json("configs/t.yaml", cwd=project)
    messages = [d["message"] for d in diags if d["code"] == "BL003"]
    assert any("is a directory" in m for m in messages)
    outside = [d for d in diags if d["code"] == "BL009"]  # the project fence: one rule for every followed file
    assert [(d["line"], "'../../secret.yaml'" in d["message"], "outside the project" in d["message"]) for d in outside] == [(8, True, True)]

"""loading/block_yaml.py against loading/yaml.py (libyaml's events): whenever the block reader answers,
its document is the one libyaml's gives, field by field (tests/loading/block_yaml_oracle.py); it never
answers for a file libyaml rejects; and it answers for the configs it exists for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchlint.loading.block_yaml import load_block_yaml
from batchlint.loading.nodes import LoadError
from batchlint.loading.yaml import load_yaml
from tests.conftest import CORPUS, CORPUS2, REPO
from tests.loading.block_yaml_oracle import document


def _same_or_declined(text: str) -> bool:
    """Whether the block reader answered; fails when its answer is not libyaml's document."""
    mine = load_block_yaml("t.yaml", text)
    try:
        theirs = load_yaml("t.yaml", text)
    except LoadError as exc:
        assert mine is None, f"accepted what libyaml rejects ({exc.message}): {text!r}"
        return False
    if mine is None:
        return False
    assert document(mine) == document(theirs), text
    assert document(load_block_yaml("t.yaml", text, syntax_only=True)) == document(load_yaml("t.yaml", text, syntax_only=True))  # type: ignore[arg-type]
    return True


def _yaml_files(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        for folder, _, names in os.walk(root):
            found += [Path(folder) / name for name in names if name.endswith((".yaml", ".yml"))]
    return sorted(found)


def test_the_cases_and_examples_read_as_libyaml_reads_them() -> None:
    files = _yaml_files(REPO / "tests" / "cases", REPO / "examples")
    answered = sum(_same_or_declined(path.read_text(encoding="utf-8")) for path in files)
    # The point of the reader is that most configs never import PyYAML: it must answer for most cases.
    assert answered >= len(files) * 0.6, (answered, len(files))


@pytest.mark.parametrize("root", [CORPUS, CORPUS2], ids=["corpus", "corpus2"])
def test_the_corpora_read_as_libyaml_reads_them(root: Path) -> None:
    if not root.is_dir():
        pytest.skip(f"{root} is not here")
    files = _yaml_files(root)
    answered = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        answered += _same_or_declined(text)
    assert answered >= len(files) * 0.5, (answered, len(files))


# Training-config shapes, with the details whose positions differ: comments after values and after
# empty values, trailing spaces, blank and comment lines between blocks, lists indented or not,
# mappings in list items, quoting, unicode, duplicate keys, flow lists, empty collections.
KEYS = ["a", "b", "train_batch_size", "x y", "'q'", '"d"', "'it''s'", "1", "on", "~", "k:v", "a#b", "lr_", "名字"]
# Keys past libyaml's 1024 characters from a simple key's start to its `:` (an error), or past this reader's 512: drawn now and then.
LONG_KEYS = ["'" + "k" * 1030 + "'", "k" + " " * 1100, "k" * 600, "'" + "k" * 600 + "'"]
PLAIN = ["1", "0", "12", "1e-5", "3.5", "0.9", "yes", "No", "off", "~", "null", "True", "x", "${a.b}", "./out/run_1"]
PLAIN += ["???", ":x", "?x", "100_000", "1_", "-1_0", "+5", "-0", "1.0e-4", "-2.5E+3", "127.0.0.1", "3.6B", "[]", "{}", "[ ]"]
PLAIN += ["fp16", "a b c", "http://h:8/p", "nginx:1.13", "-x", "-1", "a,b", "a[0]", "单卡", "'it''s'", '"d q"', "''", '""', "'a # b'"]
# Pieces it leaves to libyaml (or that are not YAML): drawn now and then, so that declining is tested too.
ODD = ["2001-12-14", "007", "0x1f", "0_7", "x:", "a: b", "v #no", "-", "*x", "&a v", "!!str 5", "|", ">-", "%x", "@x", "`x`", "[1,"]
ODD += ["{a: 1}", "{ }", "'", '"\\n"', '"x"y', "'a'#c", "[[1]]", "[a: 1]"]
FLOW = ["1", "x", "'q'", '"d"', "a b", "-1", "-a", "3.5", "''"]
FLOW_ODD = ["x:y", "[1]", "[]", "{}", "#", ""]
SPACES = ["", " ", "  "]
COMMENTS = ["", " # c", "  # 注释", " #"]
GLUED = "# no space"  # (part of a plain scalar it follows; after `:`, `-`, a quote or a `]`, libyaml's business)


@st.composite
def block_text(draw: st.DrawFn) -> str:
    # One file in four may hold pieces the reader declines (each drawn now and then): the others are
    # all block YAML, so that most files are answered and compared.
    odd = draw(st.integers(0, 3)) == 0

    def sometimes() -> bool:
        return odd and draw(st.integers(0, 9)) == 0

    def scalar() -> str:
        if draw(st.integers(0, 4)) == 0:
            items = draw(st.lists(st.sampled_from(FLOW_ODD if sometimes() else FLOW), max_size=4))
            gap = draw(st.sampled_from(["", " "]))
            last = draw(st.sampled_from(["", "", "", ",", ", "]))
            return f"[{gap}{(',' + draw(st.sampled_from(SPACES))).join(items)}{last if items else ''}{gap}]" + draw(st.sampled_from(["", "", " "]))
        return draw(st.sampled_from(ODD if sometimes() else PLAIN))

    def after(value: str) -> str:
        """A value, then spaces and a comment; a plain one may have a `#` glued to it."""
        if value[:1] not in "['\"" and draw(st.integers(0, 5)) == 0:
            return value + GLUED
        return value + draw(st.sampled_from(SPACES)) + draw(st.sampled_from(COMMENTS))

    def mapping(indent: int, depth: int, first_line_taken: bool = False) -> str:
        out = ""
        for i in range(draw(st.integers(1, 4))):
            pad = "" if first_line_taken and i == 0 else " " * indent
            key = draw(st.sampled_from(LONG_KEYS if sometimes() else KEYS)) + draw(st.sampled_from(["", "", " "]))
            out += pad + key + ":" + value(indent, depth)
            if draw(st.integers(0, 6)) == 0:
                out += draw(st.sampled_from(["\n", "# between\n", " " * indent + "  # deeper\n", "   \n"]))
        return out

    def sequence(indent: int, depth: int) -> str:
        out = ""
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["scalar", "map", "block"] if depth < 3 else ["scalar"]))
            gap = draw(st.sampled_from([" ", " ", "  "]))
            if kind == "map":
                out += " " * indent + "-" + gap + mapping(indent + 1 + len(gap), depth + 1, first_line_taken=True)
            elif kind == "block":
                out += " " * indent + "-" + draw(st.sampled_from(COMMENTS)) + "\n" + mapping(indent + 2, depth + 1)
            else:
                out += " " * indent + "-" + gap + after(scalar()) + "\n"
        return out

    def value(indent: int, depth: int) -> str:
        kind = draw(st.sampled_from(["scalar", "scalar", "empty", "map", "list", "indentless"] if depth < 3 else ["scalar", "empty"]))
        if kind == "scalar":
            return " " + draw(st.sampled_from(["", " "])) + after(scalar()) + "\n"
        tail = draw(st.sampled_from(SPACES)) + draw(st.sampled_from(COMMENTS)) + "\n"
        if kind == "empty":
            return tail
        step = draw(st.sampled_from([2, 2, 4, 1]))
        if kind == "map":
            return tail + mapping(indent + step, depth + 1)
        if kind == "list":
            return tail + sequence(indent + step, depth + 1)
        return tail + sequence(indent, depth + 1)

    head = draw(st.sampled_from(["", "# generated\n", "\n", "# 说明\n\n"]))
    body = sequence(0, 1) if draw(st.integers(0, 5)) == 0 else mapping(draw(st.sampled_from([0, 0, 2])), 0)
    end = draw(st.sampled_from(["", "", "# end\n", "\n\n", "   ", "\n# last"]))
    text = head + body + end
    if draw(st.booleans()):
        text = text.rstrip("\n")  # (no newline at the end: the stream's end mark is one line further)
    return text


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block_text())
def test_generated_block_yaml_reads_as_libyaml_reads_it(text: str) -> None:
    _same_or_declined(text)


def test_the_generator_reaches_the_reader() -> None:
    """The property above is only worth its examples that the reader answers for (a reader that always
    declined would pass it): most generated files are answered (the same 300 files every run)."""
    answered = []

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(block_text())
    def run(text: str) -> None:
        answered.append(_same_or_declined(text))

    run()
    assert sum(answered) >= len(answered) * 0.5, (sum(answered), len(answered))


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "a: !!int 3\n",  # tags
        "a: |\n  one\n  two\n",  # block scalars
        "a: long\n  continued\n",  # a plain scalar over two lines
        'a: "one\n  two"\n',  # a quoted one
        'a: "tab\\t"\n',  # escapes
        "a: {b: 1}\n",  # a flow mapping
        "a: [1,\n  2]\n",  # a flow list over two lines
        "---\na: 1\n---\nb: 2\n",  # several documents
        "%YAML 1.1\n---\na: 1\n",  # a directive
        "a:\tb\n",  # a tab
        "\ufeffa: 1\n",  # a BOM
        "a: 1\r\nb: 2\r\n",  # CRLF line ends
        "a: 1\u2028b: 2\n",  # a line separator
        "a: b\u00a0c\n",  # an unusual space
        "<<: {a: 1}\n",  # a merge key
        "a: 2001-12-14\n",  # a shape left to the resolver's patterns (a timestamp)
        "just a scalar\n",  # no mapping or list at the root
        "? complex\n: key\n",
        "- - nested\n",
        "a: x\n b\n",  # valid: the plain scalar "x b"
        "key:value\n",  # valid: one plain scalar
        "a:\n- 1\n - 2\n",  # valid: the item "1 - 2"
    ],
)
def test_what_it_leaves_to_libyaml(text: str) -> None:
    assert load_block_yaml("t.yaml", text) is None


@pytest.mark.parametrize(
    "text",
    [
        "a: b: c\n",
        "a: 1\n  b: 2\n",
        "a:\n    b: 1\n  c: 2\n",
        "a: 'open\n",
        "a: [1, 2\n",
        "- a\nb: 1\n",
        "a: 1\n- b\n",
        "  a: 1\nb: 2\n",
        'a: "x" y\n',
        "a: [1, 2] x\n",
        "a: [1,, 2]\n",
        # libyaml's simple keys reach at most 1024 characters from their first one to their `:`
        "'" + "k" * 1030 + "': 1\n",  # a quoted key (its quotes count)
        "k" + " " * 1100 + ": 1\n",  # spaces before the colon
        "- '" + "k" * 1100 + "': 1\n",  # in a list item
    ],
)
def test_invalid_yaml_is_left_to_libyaml(text: str) -> None:
    with pytest.raises(LoadError):
        load_yaml("t.yaml", text)
    assert load_block_yaml("t.yaml", text) is None


def test_a_long_integer_is_left_to_libyaml_whatever_the_digit_limit() -> None:
    """int() refuses more digits than sys.get_int_max_str_digits(), which can be set as low as 640: the
    reader never raises on a long integer, it leaves it to libyaml."""
    import sys

    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        assert load_block_yaml("t.yaml", "a: " + "1" * 700 + "\n") is None
        assert load_block_yaml("t.yaml", "a: -" + "1" * 698 + "\n") is None
        assert load_block_yaml("t.yaml", "a: " + "1" * 500 + "\n") is not None
    finally:
        sys.set_int_max_str_digits(limit)


def test_positions_of_a_musev_config() -> None:
    text = "# 总batch_size\ntrain:\n  train_batch_size: 7 # 单卡\n  modules: [\"temp_convs\", 'b']\n  seed:\n\nlr: 1e-5"
    doc = load_block_yaml("t.yaml", text)
    assert doc is not None and doc.root is not None
    train = doc.root.get("train")  # type: ignore[union-attr]
    size = train.get("train_batch_size")  # type: ignore[union-attr]
    assert (size.value, size.span.line, size.span.column, size.span.end_column) == (7, 3, 21, 22)  # type: ignore[union-attr]
    seed = train.get("seed")  # type: ignore[union-attr]
    assert (seed.value, seed.span.line, seed.span.column) == (None, 5, 8)  # type: ignore[union-attr]
    assert doc.root.get("lr").value == "1e-5"  # type: ignore[union-attr]  # (YAML 1.1: no dot, no float)
    assert [c.text for c in doc.comments] == ["# 总batch_size", "# 单卡"]
    assert (train.span.end_line, train.span.end_column) == (7, 1)  # type: ignore[union-attr]  # (where `lr` starts)
    assert (doc.root.span.end_line, doc.root.span.end_column) == (8, 1)  # (past the unterminated last line)
    assert document(doc) == document(load_yaml("t.yaml", text))


def test_a_one_file_check_of_a_block_config_does_not_import_pyyaml(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "train.yaml").write_text("train:\n  train_batch_size: 4\n  gradient_accumulation_steps: 2\n", encoding="utf-8")
    probe = (
        "import sys\n"
        "from batchlint.engine import check\n"
        "from batchlint.options import Options\n"
        "check(['train.yaml'], Options(), keep_runs=False)\n"
        "print(sorted(m for m in sys.modules if m == 'yaml' or m.startswith('yaml.')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr

"""intent.py matches a clause against only the alternatives of a label whose word the clause holds
(`_label`). Differential: over generated clauses, every label's shorter pattern finds exactly what the
label's whole pattern, as written before alternatives were split out, finds; and the statements of a
comment are the same as those the whole patterns give. The total after an equals sign, read without a
pattern (`_equals`), is what its old pattern finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from batchlint import intent

_NUM = r"(\d+)"
# The labels as one pattern each, as intent.py wrote them before (the reference).
OLD_AFTER = [
    (
        "per_device",
        r"单卡\s*batch[ _]?size|单卡\s*bs|单卡|(?:per|/)[ _-]?(?:device|gpu|card)(?:\s*batch(?:[ _]?size)?)?"
        r"|micro[ _-]?batch(?:[ _]?size)?|batch[ _-]?size(?:\s*per\s*(?:device|gpu|card))?|bs\b|samples?\s*per\s*(?:gpu|device)",
    ),
    ("grad_accum", r"(?:gradient[ _]?)?accum(?:ulation)?(?:[ _]?steps?)?|grad[ _]?accum\w*|\bga\b|累积|梯度累积"),
    ("nodes", r"nodes?\b|machines?\b|台机器|机器|台"),
    (
        "gpus",
        r"卡|张卡|gpus?\b|cards?\b|devices?\b|ranks?\b|processes\b|procs\b"
        r"|(?:x|×)\s*(?:nvidia\s+)?(?:[ahlvbt]\d{2,3}s?|rtx\s*\d{4}\w*|mi\d{3}\w*|gh200|gb200|tpus?)\b"
        r"|\d+\s*gb\s+(?:nvidia\s+)?(?:[ahlvbt]\d{2,3}|rtx\s*\d{4}\w*|mi\d{3}\w*)\s+gpus?\b",
    ),
]
OLD_BEFORE = [
    ("total", r"\bgbs|global[ _]batch(?:[ _]size)?|total[ _]batch(?:[ _]size)?|effective[ _]batch(?:[ _]size)?|总\s*batch(?:[ _]?size)?"),
    ("gpus", r"world[ _]size|num[ _]gpus|n[ _]gpus|gpu[ _]num|gpus"),
    ("grad_accum", r"gradient[ _]accumulation[ _]steps|grad[ _]accum|accumulation"),
    ("per_device", r"per[ _]device[ _]batch(?:[ _]size)?|micro[ _]batch(?:[ _]size)?|batch[ _]size|bs"),
]
OLD_AFTER_RE = [(name, r"(?<![a-wyz\d.])" + _NUM + r"\s*(?:" + pat + ")") for name, pat in OLD_AFTER]
OLD_BEFORE_RE = [(name, r"(?:" + pat + r")\s*(?:of|is|=|:|：)?\s*" + _NUM + r"(?![\d.])(?!\s*[*×x]\s*\d)") for name, pat in OLD_BEFORE]
LABELS = [*intent._BEFORE_RE, *intent._AFTER_RE]

# Pieces of every alternative (its word, what follows and precedes it), numbers, marks and other text.
WORDS = [
    *"单卡 张卡 卡 累积 梯度累积 台机器 机器 台 总 x × / * = - _ . , : ：".split(),
    *"per device gpu gpus card cards devices rank ranks processes procs micro batch size bs samples sample".split(),
    *"gradient accum accumulation steps step grad ga node nodes machine machines nvidia a100 h100 v100s rtx 4090".split(),
    *"rtx4090ti mi250 mi250x gh200 gb200 tpu tpus gb 40gb world num n gbs global total effective of is so".split(),
    *"1 2 4 8 16 224 1024 0.5 ８ ٢".split() * 6,  # (numbers often: a label matches next to one)
]
SEPARATORS = ["", " ", "  ", "\t", "_"]
clauses = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=12).map(lambda pieces: "".join(w + sep for w, sep in pieces))


def _matches(pattern: re.Pattern[str] | None, clause: str) -> list[tuple[tuple[int, int], str]]:
    return [] if pattern is None else [(m.span(), m.group(1)) for m in pattern.finditer(clause)]


def test_the_whole_patterns_are_the_old_ones() -> None:
    assert [(name, whole) for name, whole, *_ in LABELS] == [*OLD_BEFORE_RE, *OLD_AFTER_RE]


def test_every_before_alternative_says_what_it_ends_with() -> None:
    assert sorted(intent._BEFORE_ENDS) == sorted(pattern for _, alternatives in intent._BEFORE for pattern, _ in alternatives)
    assert all(ends is intent._BEFORE_ENDS for *_, ends in intent._BEFORE_RE)


@settings(max_examples=3000, deadline=None)
@given(clauses)
@example("实际使用了16卡*2accumulation*7单卡batch_size = 224 batch_size")
@example("global batch size of 8, total_batch: 16 effective batch is 4 总 batch_size：2")
@example("world_size: 4 gpu num 8 num gpus 2 n_gpus\t3 gpus 1")
@example("gradient accumulation steps is 4 grad_accum 2 accumulation*7 accumulation of 3")
@example("per_device_batch 8 micro_batch_size 4 batch size 2 bs=1 gbs 64")
@example("总 batch_size：2")
@example("gbs is 2")
def test_a_label_matched_by_its_alternatives_present_matches_as_the_whole(clause: str) -> None:
    saved = intent._VARIANTS
    intent._VARIANTS = 1 << 30  # every shorter pattern compiled (not the whole one after a few)
    try:
        for (name, old), (_, whole, alternatives, around, ends) in zip([*OLD_BEFORE_RE, *OLD_AFTER_RE], LABELS, strict=True):
            assert _matches(intent._label(clause, whole, alternatives, around, ends), clause) == _matches(re.compile(old), clause), (name, clause)
    finally:
        intent._VARIANTS = saved


@pytest.mark.parametrize(
    "clause",
    ["按8卡估计", "实际使用了16卡*2accumulation*7单卡batch_size = 224 batch_size", "8 gpus bs 2", "4 40gb a100 gpus", "2x8 gpus 4 ga", "gbs 256 world size 4"],
)
def test_a_clause_states_what_the_whole_patterns_state(clause: str) -> None:
    saved = dict(intent._compiled_variants)
    try:
        first = intent._clause_numbers.__wrapped__(clause)
        for whole in intent._compiled_variants:
            intent._compiled_variants[whole] = intent._VARIANTS  # from now on the whole patterns serve
        assert intent._clause_numbers.__wrapped__(clause) == first
    finally:
        intent._compiled_variants.clear()
        intent._compiled_variants.update(saved)
    assert first is not None


def test_after_a_few_shorter_patterns_the_whole_one_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intent, "_compiled_variants", {})
    monkeypatch.setattr(intent, "_rx_cache", {})
    name, whole, alternatives, around, _ = intent._AFTER_RE[3]
    assert name == "gpus"
    words = ["卡", "cards", "ranks", "procs", "devices"]
    patterns = [intent._label(f"8 {w}", whole, alternatives, around) for w in words]
    assert [p is not None and p.pattern == whole for p in patterns] == [False] * intent._VARIANTS + [True] * (len(words) - intent._VARIANTS)
    assert intent._label("8 卡", whole, alternatives, around) is patterns[0]  # a pattern compiled already is used again


OLD_EQUALS = r"(?:=|==|→|->)\s*(\d+)(?!\s*[*×x]\s*\d)"
# Marks, digits (of other scripts too), blanks (`\s` takes a no-break space), product signs and letters.
_EQUALS_PIECES = st.sampled_from(["=", "==", "→", "->", "-", ">", "1", "2", "12", "٣", "²", " ", "\t", "\xa0", "*", "×", "x", "a", "batch"])


@settings(max_examples=4000, deadline=None)
@given(st.lists(_EQUALS_PIECES, max_size=14).map("".join))
@example("= 12 * 3")
@example("=1*2")
@example("==4 x 5 -> 6 →7")
@example("= ٣٣ × ٣")
def test_equals_is_what_its_old_pattern_finds(clause: str) -> None:
    assert intent._equals(clause) == [(m.start(), m.start(1), m.end()) for m in re.finditer(OLD_EQUALS, clause)]


OLD_PRODUCT = r"\d+\s*[^\d*×x=]{0,30}?\s*[*×x]\s*\d+"
_PRODUCT_PIECES = st.sampled_from(["1", "12", "٣", "²", " ", "\t", "\xa0", "*", "×", "x", "=", "a", "gpus ", "batch size per device ", "max", "卡"])


@settings(max_examples=4000, deadline=None)
@given(st.lists(_PRODUCT_PIECES, max_size=14).map("".join))
@example("8 " + "a" * 30 + " * 2")
@example("8 " + "a" * 31 + " * 2")
@example("8" + " " * 40 + "a" * 30 + " " * 40 + "x 2")
@example("8 a=b * 2")
@example("2 max * 3")
def test_a_product_is_found_where_the_old_pattern_finds_one(text: str) -> None:
    assert intent._has_product(text) is (re.search(OLD_PRODUCT, text) is not None)

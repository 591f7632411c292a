"""Stated intent: totals and GPU counts that people write in comments.

`16卡*2accumulation*7单卡batch_size = 224`, `GBS 128`, `# world size 4`,
`4 gpus x 8 batch size x 4 gradient accumulation steps`, `(assuming 96 GPUs)`.
A comment is split into clauses; each clause with labelled numbers is one statement.
"""

from __future__ import annotations

import functools
import re

from batchlint.loading.nodes import Comment, Span

_NUM = r"(\d+)"
# A label is an ordered alternation; each alternative comes with the words one of which every text it
# matches holds. A clause is matched against the alternatives whose word it holds, in their order: an
# alternative that cannot match anywhere in the clause changes no match (`_label`), so the pattern
# compiled for most clauses is a few alternatives long, not the whole label (most comments state no batch).
Alternatives = tuple[tuple[str, tuple[str, ...]], ...]
# Labels written after a number ("16卡", "8 batch size", "4 gradient accumulation steps").
_AFTER: list[tuple[str, Alternatives]] = [
    (
        "per_device",
        (
            (r"单卡\s*batch[ _]?size", ("单卡",)),
            (r"单卡\s*bs", ("单卡",)),
            (r"单卡", ("单卡",)),
            (r"(?:per|/)[ _-]?(?:device|gpu|card)(?:\s*batch(?:[ _]?size)?)?", ("device", "gpu", "card")),
            (r"micro[ _-]?batch(?:[ _]?size)?", ("micro",)),
            (r"batch[ _-]?size(?:\s*per\s*(?:device|gpu|card))?", ("batch",)),
            (r"bs\b", ("bs",)),
            (r"samples?\s*per\s*(?:gpu|device)", ("sample",)),
        ),
    ),
    (
        "grad_accum",
        (
            (r"(?:gradient[ _]?)?accum(?:ulation)?(?:[ _]?steps?)?", ("accum",)),
            (r"grad[ _]?accum\w*", ("accum",)),
            (r"\bga\b", ("ga",)),
            (r"累积", ("累积",)),
            (r"梯度累积", ("累积",)),
        ),
    ),
    ("nodes", ((r"nodes?\b", ("node",)), (r"machines?\b", ("machine",)), (r"台机器", ("台",)), (r"机器", ("机器",)), (r"台", ("台",)))),
    (
        "gpus",
        (
            (r"卡", ("卡",)),
            (r"张卡", ("卡",)),
            (r"gpus?\b", ("gpu",)),
            (r"cards?\b", ("card",)),
            (r"devices?\b", ("device",)),
            (r"ranks?\b", ("rank",)),
            (r"processes\b", ("processes",)),
            (r"procs\b", ("procs",)),
            (r"(?:x|×)\s*(?:nvidia\s+)?(?:[ahlvbt]\d{2,3}s?|rtx\s*\d{4}\w*|mi\d{3}\w*|gh200|gb200|tpus?)\b", ("x", "×")),
            # `4 40GB A100 GPUs`: the count, then the card's memory and model
            (r"\d+\s*gb\s+(?:nvidia\s+)?(?:[ahlvbt]\d{2,3}|rtx\s*\d{4}\w*|mi\d{3}\w*)\s+gpus?\b", ("gb",)),
        ),
    ),
]
# Labels written before a number ("GBS 128", "world size 4", "global batch size: 256").
_BEFORE: list[tuple[str, Alternatives]] = [
    (
        "total",
        (
            (r"\bgbs", ("gbs",)),
            (r"global[ _]batch(?:[ _]size)?", ("global",)),
            (r"total[ _]batch(?:[ _]size)?", ("total",)),
            (r"effective[ _]batch(?:[ _]size)?", ("effective",)),
            (r"总\s*batch(?:[ _]?size)?", ("总",)),
        ),
    ),
    ("gpus", ((r"world[ _]size", ("world",)), (r"num[ _]gpus", ("gpu",)), (r"n[ _]gpus", ("gpu",)), (r"gpu[ _]num", ("gpu",)), (r"gpus", ("gpu",)))),
    ("grad_accum", ((r"gradient[ _]accumulation[ _]steps", ("gradient",)), (r"grad[ _]accum", ("grad",)), (r"accumulation", ("accumulation",)))),
    (
        "per_device",
        ((r"per[ _]device[ _]batch(?:[ _]size)?", ("device",)), (r"micro[ _]batch(?:[ _]size)?", ("micro",)), (r"batch[ _]size", ("batch",)), (r"bs", ("bs",))),
    ),
]
# The number starts a word: the `100` of `A100 GPUs` or `sd15` is part of a name (`2x8 GPUs` still counts 8).
_AFTER_AROUND = (r"(?<![a-wyz\d.])" + _NUM + r"\s*(?:", ")")
# A number that starts a product (`total batch = 4 * 8 GPUs`) is a factor, not the labelled value.
_BEFORE_AROUND = ("(?:", r")\s*(?:of|is|=|:|：)?\s*" + _NUM + r"(?![\d.])(?!\s*[*×x]\s*\d)")
# What every match of a before-label's alternative ends with (one of these): a number must follow one of
# them, as `_BEFORE_AROUND` reads it after the label, or the alternative matches nowhere in the clause.
_BEFORE_ENDS: dict[str, tuple[str, ...]] = {
    r"\bgbs": ("gbs",),
    **dict.fromkeys([r"global[ _]batch(?:[ _]size)?", r"total[ _]batch(?:[ _]size)?", r"effective[ _]batch(?:[ _]size)?"], ("batch", "size")),
    **dict.fromkeys([r"总\s*batch(?:[ _]?size)?", r"per[ _]device[ _]batch(?:[ _]size)?", r"micro[ _]batch(?:[ _]size)?"], ("batch", "size")),
    **dict.fromkeys([r"world[ _]size", r"batch[ _]size"], ("size",)),
    **dict.fromkeys([r"num[ _]gpus", r"n[ _]gpus", r"gpus"], ("gpus",)),
    r"gpu[ _]num": ("num",),
    r"gradient[ _]accumulation[ _]steps": ("steps",),
    r"grad[ _]accum": ("accum",),
    r"accumulation": ("accumulation",),
    r"bs": ("bs",),
}
_NO_ENDS: dict[str, tuple[str, ...]] = {}
# (name, the whole label's pattern, its alternatives, what goes around them, what its alternatives end with)
_AFTER_RE = [(name, _AFTER_AROUND[0] + "|".join(a for a, _ in alts) + _AFTER_AROUND[1], alts, _AFTER_AROUND, _NO_ENDS) for name, alts in _AFTER]
_BEFORE_RE = [(name, _BEFORE_AROUND[0] + "|".join(a for a, _ in alts) + _BEFORE_AROUND[1], alts, _BEFORE_AROUND, _BEFORE_ENDS) for name, alts in _BEFORE]
_VARIANTS = 3  # a label's patterns of fewer alternatives compiled at most, then its whole pattern serves every clause
# A total after an equals sign, `(?:=|==|→|->)\s*(\d+)(?!\s*[*×x]\s*\d)`, read by `_equals`.
# A config line commented out (`# per_device_train_batch_size: 8`, `# --train_batch_size 8`,
# `# bs=8`): an old or alternative value, not a statement of intent. It starts with "-" or holds ":" or "=".
_COMMENTED_OUT = r"^(?:-\s+)?(?:--?[\w.-]+(?:[= ]\s*\S+)?|[\w.\-\[\]]+\s*[:=]\s*[^\s#]+(?:\s*#.*)?)$"
# "so batch size 128", "=> batch size 256", "i.e. global batch 64": a conclusion states a total (it says
# "batch" after one of _CONCLUDING).
_CONCLUSION = (
    r"(?:^|\s)(?:so|thus|hence|therefore|i\.e\.?|=>|->|→|giving|gives|total(?:ly)?)\s+(?:the\s+)?"
    r"(?:effective\s+|global\s+|total\s+)?batch(?:[ _]?size)?\s*(?:of|is|=|:)?\s*(\d+)(?![\d.])"
)
_CONCLUDING = ("so", "thus", "hence", "therefore", "i.e", "=>", "->", "→", "giv", "total")
# A product, `\d+\s*[^\d*×x=]{0,30}?\s*[*×x]\s*\d+` (it holds "*", "×" or "x"), looked for by `_has_product`.
_FACTOR_GAP = "0123456789*×x="
_CLAUSES = r"[，,;；。]|\s-\s"  # without a "-" between spaces, str.split on each mark does the same
# `= 491,520` (digit groups after an equals sign), and a product with a sequence-length factor
# (`12 batch size * 1024 block size * 5 gradaccum * 8 GPUs = 491,520`): a token count, not a batch.
_GROUPED = r"(=\s*\d{1,3})((?:,\d{3})+)(?!\d)"
_LENGTH = r"block[ _]?size|seq(?:uence)?[ _]?len(?:gth)?|context[ _]?(?:len(?:gth)?|size|window)|max[ _]?len(?:gth)?|\btokens?\b"
_LENGTH_WORDS = ("block", "seq", "context", "max", "token")


_rx_cache: dict[str, re.Pattern[str]] = {}


def _rx(pattern: str) -> re.Pattern[str]:
    """A pattern compiled at its first use (a one-file run compiles only those its comments need)."""
    hit = _rx_cache.get(pattern)
    if hit is None:
        hit = _rx_cache[pattern] = re.compile(pattern)
    return hit


_compiled_variants: dict[str, int] = {}  # a label's whole pattern -> how many of its shorter patterns were compiled


def _label(clause: str, whole: str, alternatives: Alternatives, around: tuple[str, str], ends: dict[str, tuple[str, ...]] = _NO_ENDS) -> re.Pattern[str] | None:
    """The pattern of a label for this clause: its alternatives whose word the clause holds (and, for one in
    `ends`, with a number after one of its ends), in their order (each other one matches nowhere in it, so the
    matches are the whole pattern's); None when none is left. After `_VARIANTS` shorter patterns of one label,
    its whole pattern serves every clause (the same matches)."""
    kept = [
        pattern
        for pattern, words in alternatives
        if any(map(clause.__contains__, words)) and (pattern not in ends or any(_number_after(clause, end) for end in ends[pattern]))
    ]
    if not kept:
        return None
    if len(kept) == len(alternatives):
        return _rx(whole)
    pattern = around[0] + "|".join(kept) + around[1]
    if pattern not in _rx_cache:
        if _compiled_variants.get(whole, 0) >= _VARIANTS:
            return _rx(whole)
        _compiled_variants[whole] = _compiled_variants.get(whole, 0) + 1
    return _rx(pattern)


def _number_after(clause: str, end: str) -> bool:
    """Whether `\\s*(?:of|is|=|:|：)?\\s*\\d` matches right after some occurrence of `end` in the clause."""
    at = clause.find(end)
    while at >= 0:
        i = at + len(end)
        while i < len(clause) and clause[i].isspace():
            i += 1
        if i < len(clause) and not clause[i].isdecimal():
            i += 2 if clause.startswith(("of", "is"), i) else 1 if clause[i] in "=:：" else len(clause)
            while i < len(clause) and clause[i].isspace():
                i += 1
        if i < len(clause) and clause[i].isdecimal():
            return True
        at = clause.find(end, at + 1)
    return False


def _equals(clause: str) -> list[tuple[int, int, int]]:
    """(start, number start, end) of each match of `(?:=|==|→|->)\\s*(\\d+)(?!\\s*[*×x]\\s*\\d)` in the clause, as
    `finditer` finds them (`\\s` is what `str.isspace` is, `\\d` what `str.isdecimal` is): the number after a
    mark, one digit shorter when a product (`* 8`) follows it, and none when a one-digit number starts one."""
    out: list[tuple[int, int, int]] = []
    at = 0
    while at < len(clause):
        mark = clause[at]
        if mark == "=":
            number = _number_at(clause, at + 1)
            if number is None and clause.startswith("==", at):
                number = _number_at(clause, at + 2)
        elif mark == "→" or mark == "-" and clause.startswith("->", at):
            number = _number_at(clause, at + (1 if mark == "→" else 2))
        else:
            number = None
        if number is None:
            at += 1
            continue
        out.append((at, *number))
        at = number[1]
    return out


def _has_product(text: str) -> bool:
    """Whether `\\d+\\s*[^\\d*×x=]{0,30}?\\s*[*×x]\\s*\\d+` matches somewhere in the text: a sign with a number after
    it (blanks between) and, before it, a number then a gap free of digits, signs and "=" that is at most 30
    characters long without its blanks at either end (`\\s` is what `str.isspace` is, `\\d` what `str.isdecimal` is)."""
    for sign, ch in enumerate(text):
        if ch not in "*×x":
            continue
        after = sign + 1
        while after < len(text) and text[after].isspace():
            after += 1
        if after >= len(text) or not text[after].isdecimal():
            continue
        start = sign
        while start > 0 and not text[start - 1].isdecimal() and text[start - 1] not in _FACTOR_GAP:
            start -= 1
        if start > 0 and text[start - 1].isdecimal() and len(text[start:sign].strip()) <= 30:
            return True
    return False


def _number_at(text: str, at: int) -> tuple[int, int] | None:
    """The span of `\\s*(\\d+)(?!\\s*[*×x]\\s*\\d)` matched at `at` (its number's), or None."""
    while at < len(text) and text[at].isspace():
        at += 1
    end = at
    while end < len(text) and text[end].isdecimal():
        end += 1
    if end == at:
        return None
    after = end
    while after < len(text) and text[after].isspace():
        after += 1
    if after < len(text) and text[after] in "*×x":
        after += 1
        while after < len(text) and text[after].isspace():
            after += 1
        if after < len(text) and text[after].isdecimal():  # a product follows: the digits before its last one
            return (at, end - 1) if end - at > 1 else None
    return at, end


def _has_digit(text: str) -> bool:
    """Whether a character of `text` is a digit (`str.isdigit`, which every `\\d` match is)."""
    if text.isascii():
        return any(map(text.__contains__, "0123456789"))
    return any(map(str.isdigit, text))


class Intent:
    __slots__ = ("text", "clause", "span", "gpus", "nodes", "per_device", "grad_accum", "total")

    def __init__(self, text: str, clause: str, span: Span) -> None:
        self.text = text  # the whole comment
        self.clause = clause
        self.span = span
        self.gpus: int | None = None
        self.nodes: int | None = None
        self.per_device: int | None = None
        self.grad_accum: int | None = None
        self.total: int | None = None  # a total the comment states

    @property
    def quantities(self) -> int:
        return sum(v is not None for v in (self.gpus, self.nodes, self.per_device, self.grad_accum, self.total))

    @property
    def is_formula(self) -> bool:
        """Says how the batch is made up (two or more numbers), not just a GPU count."""
        return self.quantities >= 2

    @property
    def product(self) -> int | None:
        if None in (self.gpus, self.per_device, self.grad_accum):
            return None
        return self.gpus * self.per_device * self.grad_accum  # type: ignore[operator]

    def describe(self) -> str:
        parts = []
        if self.nodes is not None:
            parts.append(f"{self.nodes} nodes")
        if self.gpus is not None:
            parts.append(f"{self.gpus} GPUs")
        if self.grad_accum is not None:
            parts.append(f"{self.grad_accum} accumulation")
        if self.per_device is not None:
            parts.append(f"{self.per_device} per device")
        text = " × ".join(parts)
        if self.total is not None:
            if self.product is not None:
                text = f"{text} = {self.total}"
            else:
                text = f"{text}, total {self.total}" if text else f"total {self.total}"
        return text

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "gpus": self.gpus,
            "nodes": self.nodes,
            "per_device_batch": self.per_device,
            "grad_accum": self.grad_accum,
            "total": self.total,
        }


_KEY_MARKS = str.maketrans("", "", "_.-[]")


def _may_be_config_line(body: str) -> bool:
    """Whether `_COMMENTED_OUT` can match: a text starting with "-", or whose first ":" or "=" follows a
    key alone (word characters, `.`, `-`, `[`, `]`, then spaces; `\\w` is what `str.isalnum` or "_" is)."""
    if body.startswith("-"):
        return True
    at = min((i for i in (body.find(":"), body.find("=")) if i >= 0), default=-1)
    key = body[:at].rstrip()
    rest = key.translate(_KEY_MARKS)
    return at > 0 and key != "" and (rest == "" or rest.isalnum())


def _clauses(body: str) -> list[str]:
    """`_CLAUSES.split(body)`; the pattern compiled only for a text holding a "-" between spaces (`\\s` is
    what `str.isspace` is)."""
    at = body.find("-", 1)
    while 0 < at < len(body) - 1:
        if body[at - 1].isspace() and body[at + 1].isspace():
            return _rx(_CLAUSES).split(body)
        at = body.find("-", at + 1)
    parts = [body]
    for mark in "，,;；。":
        if mark in body:
            parts = [piece for part in parts for piece in part.split(mark)]
    return parts


def parse_comment(comment: Comment) -> list[Intent]:
    out: list[Intent] = []
    for clause, found in _statements(comment.text):
        intent = Intent(comment.text, clause.strip(), comment.span)
        intent.gpus = found.get("gpus")
        intent.nodes = found.get("nodes")
        intent.per_device = found.get("per_device")
        intent.grad_accum = found.get("grad_accum")
        intent.total = found.get("total")
        out.append(intent)
    return out


@functools.lru_cache(maxsize=4096)
def _statements(text: str) -> tuple[tuple[str, dict[str, int]], ...]:
    """Each clause of a comment that states something, with what it states (memoised, a pure function of
    the text: a project's configs repeat their comments; the dicts are never mutated)."""
    body = text.lstrip("#").lstrip("/").lstrip("*").strip()
    if not _has_digit(body) or _may_be_config_line(body) and _rx(_COMMENTED_OUT).match(body):
        return ()
    if "=" in body and "," in body:
        body = _rx(_GROUPED).sub(lambda m: m.group(1) + m.group(2).replace(",", ""), body)  # `= 491,520` is one number
    out = []
    for clause in _clauses(body):
        found = _clause_numbers(clause)
        if found is not None and not (len(found) == 1 and "grad_accum" in found):  # an accumulation alone says nothing of the run
            out.append((clause, found))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _clause_numbers(original: str) -> dict[str, int] | None:
    """The quantities one clause states (memoised, a pure function of the text: the configs of one
    project repeat their comments; the dict is never mutated)."""
    clause = original.lower()
    if not _has_digit(clause):
        return None  # every quantity is a number
    found: dict[str, int] = {}
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    # `total batch = 4 * 8 GPUs * 2 = 64`: the number after the last `=` that follows a product.
    equals = _equals(clause) if "=" in clause or "→" in clause or "->" in clause else []  # (a clause without them has none)
    for start, number, end in reversed(equals):
        before = clause[:start]
        if ("*" in before or "×" in before or "x" in before) and _has_product(before):
            if not (any(map(before.__contains__, _LENGTH_WORDS)) and _rx(_LENGTH).search(before)):  # a product over a sequence length counts tokens
                found["total"] = int(clause[number:end])
            taken.append((number, end))
            break
    concludes = "batch" in clause and any(map(clause.__contains__, _CONCLUDING))
    conclusion = _rx(_CONCLUSION).search(clause) if concludes else None
    if "total" not in found and conclusion is not None:
        found["total"] = int(conclusion.group(1))
        taken.append((conclusion.start(1), conclusion.end(1)))
    for name, whole, alternatives, around, ends in _BEFORE_RE:
        pattern = _label(clause, whole, alternatives, around, ends)
        if pattern is None:
            continue
        for m in pattern.finditer(clause):
            if name not in found and free(m.start(1), m.end(1)):
                found[name] = int(m.group(1))
                taken.append((m.start(), m.end()))
    for name, whole, alternatives, around, ends in _AFTER_RE:
        pattern = _label(clause, whole, alternatives, around, ends)
        if pattern is None:
            continue
        for m in pattern.finditer(clause):
            if free(m.start(), m.end()) and name not in found:
                found[name] = int(m.group(1))
                taken.append((m.start(), m.end()))
    if not found or found.get("total") is None and len(found) == 1 and "per_device" in found:
        # "batch size 8" alone restates a value; it is not an intent about the run.
        return None
    return found


def parse_comments(comments: list[Comment]) -> list[Intent]:
    out: list[Intent] = []
    for comment in comments:
        out.extend(parse_comment(comment))
    return out

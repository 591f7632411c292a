"""An independent structural check of a fix's result, by another YAML library than the one batchlint reads with.

The fixer edits bytes at offsets its own loader found. Before a fixed YAML file is kept, ruamel.yaml's
round-trip loader reads the old and the new text, and:

- every key path of the old (mapping keys and sequence items, in every document) is still in the new,
  with the same value, unless a fix edits its line (or an enclosing key's line: a renamed section);
- every key path that is new sits on a line a fix wrote (an inserted or renamed key);
- every comment of the old is still in the new, unless an edit removes its text.

So a fix can only change what it edits. Comments inside flow collections (`{a: 1, # c}`) are not seen by
ruamel and are not checked. ruamel.yaml is imported only here, and this runs only on the fix path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from batchlint.fixes import Edit

# `typing` costs start-up time; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

YAML_SUFFIXES = (".yaml", ".yml")
Path = tuple[object, ...]


class RoundTripError(Exception):
    """The fixed text is not the old text with only the edited lines changed (one line, says what differs)."""


def check_round_trip(path: str, old: str, new: str, edits: Iterable[Edit]) -> None:
    """Raise RoundTripError unless `new` (the text of YAML file `path` after `edits` to `old`) keeps every
    key path, value and comment of `old` outside the edited lines. Files that are not YAML pass."""
    if not path.endswith(YAML_SUFFIXES) or new == old:
        return
    unique = sorted({(e.start, e.end, e.content) for e in edits})
    old_lines, new_lines = _edited_lines(old, new, unique)
    before, before_comments = _read(old, "the original")
    after, after_comments = _read(new, "the fixed text")
    for key, (lines, value) in before.items():
        if _touched(key, before, old_lines):
            continue
        if key not in after:
            raise RoundTripError(f"`{_show(key)}` (line {min(lines) + 1}) is gone, but no fix edits its line")
        if after[key][1] != value:
            raise RoundTripError(f"`{_show(key)}` (line {min(lines) + 1}) changed from {value[1]!r} to {after[key][1][1]!r}, but no fix edits its line")
    for key, (lines, _) in after.items():
        if key not in before and not _touched(key, after, new_lines):
            raise RoundTripError(f"`{_show(key)}` (line {min(lines) + 1}) is new, but no fix wrote its line")
    # A comment may go only where an edit removes its text (BL008 deletes an unused suppression comment).
    kept = Counter(before_comments)
    for text in list(kept):
        at = old.find(text)
        while at != -1:
            kept[text] -= any(start <= at < end for start, end, _ in unique)
            at = old.find(text, at + 1)
    missing = +kept - Counter(after_comments)
    if missing:
        raise RoundTripError(f"the comment {next(iter(missing))!r} is gone, but no fix removes it")


def _edited_lines(old: str, new: str, edits: list[tuple[int, int, str]]) -> tuple[set[int], set[int]]:
    """The 0-based lines each edit covers in the old text, and the lines its content fills in the new."""
    old_lines: set[int] = set()
    new_lines: set[int] = set()
    delta = 0
    for start, end, content in edits:
        first = old.count("\n", 0, start)
        old_lines.update(range(first, first + old.count("\n", start, max(start, end - 1)) + 1))
        new_start = start + delta
        first = new.count("\n", 0, new_start)
        new_lines.update(range(first, first + content.count("\n", 0, max(0, len(content) - 1)) + 1))
        delta += len(content) - (end - start)
    return old_lines, new_lines


def _read(text: str, what: str) -> tuple[dict[Path, tuple[set[int], tuple[str, object]]], list[str]]:
    """Every key path of every document (-> its 0-based key and value lines, and its value's kind and value
    for a leaf), and the text of every comment line (ruamel's line numbers of comments are not reliable)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # batchlint reports them (BL002); both texts are read alike
    try:
        documents = list(yaml.load_all(text))
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RoundTripError(f"ruamel.yaml cannot read {what}: {reason}") from None
    entries: dict[Path, tuple[set[int], tuple[str, object]]] = {}
    comments: list[str] = []
    seen: set[int] = set()
    for index, document in enumerate(documents):
        _walk(document, (index,), entries, comments, seen)
    return entries, comments


def _walk(node: Any, path: Path, entries: dict[Path, tuple[set[int], tuple[str, object]]], comments: list[str], seen: set[int]) -> None:
    ca = getattr(node, "ca", None)
    if ca is not None:
        _comment_lines([ca.comment, list(ca.items.values()), getattr(ca, "end", None)], comments, seen)
    if isinstance(node, dict):
        for key, value in node.items():
            # A leaf's value line too (`key:` then the value on the next line); a block collection's
            # "value line" is its first entry's, which is that entry's to claim.
            lines = {node.lc.key(key)[0]} | (set() if isinstance(value, dict | list) else {node.lc.value(key)[0]})  # type: ignore[attr-defined]
            _visit((*path, _plain(key)), lines, value, entries, comments, seen)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _visit((*path, i), {node.lc.item(i)[0]}, value, entries, comments, seen)  # type: ignore[attr-defined]


def _visit(path: Path, lines: set[int], value: Any, entries: dict[Path, tuple[set[int], tuple[str, object]]], comments: list[str], seen: set[int]) -> None:
    if id(value) in seen:  # an alias of a collection already walked
        entries[path] = (lines, ("alias", None))
        return
    if isinstance(value, dict | list):
        seen.add(id(value))
        entries[path] = (lines, ("map" if isinstance(value, dict) else "seq", None))
        _walk(value, path, entries, comments, seen)
    else:
        entries[path] = (lines, _kind(value))


def _comment_lines(tokens: Any, out: list[str], seen: set[int]) -> None:
    """The comment lines of ruamel's CommentTokens (nested in lists; a token may be shared by two nodes)."""
    if tokens is None:
        return
    if isinstance(tokens, list):
        for token in tokens:
            _comment_lines(token, out, seen)
        return
    value = getattr(tokens, "value", None)
    if not isinstance(value, str) or id(tokens) in seen:
        return
    seen.add(id(tokens))
    out.extend(line.strip() for line in value.split("\n") if line.strip().startswith("#"))


def _kind(value: object) -> tuple[str, object]:
    """A leaf compared by its kind and value, so that `1`, `1.0` and `true` differ."""
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind.__name__, kind(value)
    return ("null", None) if value is None else (type(value).__name__, str(value))


def _plain(key: object) -> object:
    kind, value = _kind(key)
    return value if kind != "null" else None


def _touched(key: Path, entries: dict[Path, tuple[set[int], tuple[str, object]]], lines: set[int]) -> bool:
    """Whether a fix edits the line of this key path or of an enclosing one (a renamed or deleted section)."""
    return any(entries[key[:n]][0] & lines for n in range(2, len(key) + 1) if key[:n] in entries)


def _show(key: Path) -> str:
    return ".".join(str(part) for part in key[1:])

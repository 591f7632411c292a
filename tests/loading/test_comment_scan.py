"""The comment scan that jumps from `#` to `#` finds what the line-by-line scan it replaced found:
the same comments, at the same positions, in the same order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.loading.nodes import Comment
from batchlint.loading.text import LineIndex, find_comments


def _line_by_line(file: str, index: LineIndex, skip_lines: set[int]) -> list[Comment]:
    """The scan as it was: every line walked, a quote-aware walk of each line holding a quote."""
    comments: list[Comment] = []
    text = index.text
    if "#" not in text:
        return comments
    for n, start in enumerate(index.starts, 1):
        if n in skip_lines:
            continue
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        line = text[start:end]
        if "#" not in line:
            continue
        if "'" not in line and '"' not in line:
            i = line.find("#")
            while i > 0 and line[i - 1] not in " \t\ufeff":
                i = line.find("#", i + 1)
            if i >= 0:
                body = line[i:].rstrip("\r")
                comments.append(Comment(n, i + 1, body, index.span(file, start + i, start + i + len(body))))
            continue
        quote = ""
        prev = " "
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"" and prev in " \t:,[{-":
                quote = ch
            elif ch == "#" and prev in " \t\ufeff":
                body = line[i:].rstrip("\r")
                comments.append(Comment(n, i + 1, body, index.span(file, start + i, start + i + len(body))))
                break
            prev = ch
    return comments


def _seen(comments: list[Comment]) -> list[tuple[int, int, str, tuple[int, int, int, int, int, int]]]:
    return [(c.line, c.column, c.text, (c.span.line, c.span.column, c.span.end_line, c.span.end_column, c.span.start, c.span.end)) for c in comments]


# Texts made of the characters the scan decides on: `#`, quotes, the marks that open a quote, blanks,
# line ends (CRLF too), a byte-order mark and a wide character.
_TEXTS = st.text(alphabet=st.sampled_from(list("#'\" \t:,[{-ab\n\r\ufeff卡")), max_size=120)


@settings(max_examples=1500, deadline=None)
@given(text=_TEXTS, skip=st.sets(st.integers(min_value=1, max_value=12), max_size=4), bom=st.booleans())
def test_comments_as_the_line_by_line_scan_found_them(text: str, skip: set[int], bom: bool) -> None:
    index = LineIndex("\ufeff" + text if bom else text)  # (a leading byte-order mark: columns of line 1 do not count it)
    assert _seen(find_comments("f.yaml", index, skip)) == _seen(_line_by_line("f.yaml", index, skip))


def test_comments_of_a_config_with_quotes_and_block_lines() -> None:
    text = "# top\na: 'x # no' # yes\nb: |\n  # inside\nc: \"#\"#no\nd: 1 # one\r\n#\n"
    index = LineIndex(text)
    found = find_comments("f.yaml", index, {4})
    assert _seen(found) == _seen(_line_by_line("f.yaml", index, {4}))
    assert [(c.line, c.column, c.text) for c in found] == [(1, 1, "# top"), (2, 13, "# yes"), (6, 6, "# one"), (7, 1, "#")]

"""Reading bytes as text, mapping offsets to lines, and finding comments."""

from __future__ import annotations

import bisect

from batchlint.loading.files import MAX_FILE_BYTES, too_large
from batchlint.loading.nodes import Comment, LoadError, LoadErrorKind, Span

__all__ = ["MAX_FILE_BYTES", "LineIndex", "comments_in", "decode", "find_comments"]


def decode(path: str, data: bytes) -> str:
    """UTF-8 text of a config file, or a LoadError that says where and why not."""
    if len(data) > MAX_FILE_BYTES:  # bytes that did not come through the reader (standard input)
        error = too_large(path, len(data))
        raise LoadError(path, 1, 1, error.message, error.help, LoadErrorKind.TOO_LARGE)
    nul = data.find(b"\0", 0, 8192)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise LoadError(
            path, line, 1, "binary file (contains a NUL byte), not YAML or JSON", "exclude it from the files batchlint checks", LoadErrorKind.BINARY
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(path, line, col, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", "save the file as UTF-8", LoadErrorKind.ENCODING) from None


class LineIndex:
    """Character offset <-> (line, column), both 1-based, for one text."""

    __slots__ = ("text", "starts", "bom")

    def __init__(self, text: str) -> None:
        self.text = text
        self.bom = text.startswith("\ufeff")  # invisible: columns on line 1 do not count it
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        column = offset - self.starts[line] + 1
        return line + 1, column - 1 if line == 0 and self.bom and column > 1 else column

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1 + (1 if line == 1 and self.bom else 0)

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self.starts):
            return ""
        start = self.starts[line - 1]
        end = self.text.find("\n", start)
        if end < 0:
            end = len(self.text)
        return self.text[start:end].rstrip("\r")

    def span(self, file: str, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(file, line, col, end_line, end_col, start, end)


def find_comments(file: str, index: LineIndex, skip_lines: set[int]) -> list[Comment]:
    """`#` comments: at line start or after whitespace, outside quotes on that line (`comments_in` of the index's text)."""
    return comments_in(file, index.text, skip_lines)


def comments_in(file: str, text: str, skip_lines: set[int]) -> list[Comment]:
    """`#` comments: at line start or after whitespace, outside quotes on that line.

    Lines inside multi-line scalars (block scalars, folded quotes) are passed in `skip_lines`. Only the
    lines holding a `#` are looked at: the scan jumps from one `#` to the next line's first, counting
    the line ends it passes (no index of every line is built: most lines hold no comment).
    """
    comments: list[Comment] = []
    find = text.find
    at = find("#")
    if at < 0:
        return comments
    bom = text.startswith("\ufeff")  # invisible: columns on line 1 do not count it (LineIndex.position)
    size = len(text)
    n = 1  # the 1-based line holding offset `counted`
    counted = 0
    while at >= 0:
        n += text.count("\n", counted, at)
        counted = at
        start = text.rfind("\n", 0, at) + 1
        end = find("\n", at)  # where its newline is (or the text's end)
        if end < 0:
            end = size
        if n not in skip_lines:
            line = text[start:end]
            i = _comment_column(line, at - start)
            if i >= 0:
                body = line[i:].rstrip("\r")
                column, end_column = i + 1, i + len(body) + 1
                if n == 1 and bom:
                    column, end_column = (column - 1 if column > 1 else column), (end_column - 1 if end_column > 1 else end_column)
                comments.append(Comment(n, i + 1, body, Span(file, n, column, n, end_column, start + i, start + i + len(body))))
        at = find("#", end)
    return comments


def _comment_column(line: str, first: int) -> int:
    """Where the comment of `line` starts (0-based), or -1; `first` is where its first `#` is."""
    if "'" not in line and '"' not in line:
        # No quote on the line (most comments): the first `#` after whitespace, as the scan below finds it.
        i = first
        while i > 0 and line[i - 1] not in " \t\ufeff":
            i = line.find("#", i + 1)
        return i
    quote = ""
    prev = " "
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"" and prev in " \t:,[{-":
            quote = ch
        elif ch == "#" and prev in " \t\ufeff":
            return i
        prev = ch
    return -1

"""The shell lexer's word reader, which takes runs of plain characters at once, reads every script
as the reader that took one character at a time did: the same words, offsets and flags, and the same
variables set (so the same expansions)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.loading import shell
from batchlint.loading.shell import Word, _Lexer, _rx


class _OneCharacterAtATime(_Lexer):
    """The lexer with the word reader as it was (a nested expansion's own lexer is the current one)."""

    def word(self) -> list[Word]:
        """One shell word; an unquoted expansion with spaces splits into several."""
        t = self.t
        start = self.i
        use = _rx(shell._ARRAY_USE).match(t, start) if t.startswith(("${", '"${'), start) else None
        if use is not None and use.group(2) in self.arrays:
            after = use.end()
            if after >= len(t) or t[after] in " \t\n;&|\r":
                self.i = after
                return [Word(w.text, w.start, w.end, w.unresolved, w.quoted) for w in self.arrays[use.group(2)]]
        pieces: list[str] = []
        unresolved = quoted = False
        while self.i < len(t):
            ch = t[self.i]
            if ch in " \t\n;&|" or (ch == "\r" and t.startswith("\r\n", self.i)) or (ch == ")" and self.in_array):
                break
            if ch == "\\":
                if t.startswith("\n", self.i + 1):
                    self.i += 2
                    continue
                pieces.append(t[self.i + 1 : self.i + 2])
                self.i += 2
                continue
            if ch == "'":
                end = t.find("'", self.i + 1)
                end = len(t) if end < 0 else end
                pieces.append(t[self.i + 1 : end])
                self.i = end + 1
                quoted = True
                continue
            if ch == '"':
                self.i += 1
                quoted = True
                while self.i < len(t) and t[self.i] != '"':
                    if t[self.i] == "\\" and self.i + 1 < len(t) and t[self.i + 1] in '"$`\\\n':
                        if t[self.i + 1] != "\n":
                            pieces.append(t[self.i + 1])
                        self.i += 2
                    elif t[self.i] == "$":
                        value, bad = self.expand(True)
                        pieces.append(value)
                        unresolved |= bad
                    else:
                        pieces.append(t[self.i])
                        self.i += 1
                self.i += 1
                continue
            if ch == "$":
                self.last_name = None
                value, bad = self.expand(False)
                ends_word = self.i >= len(t) or t[self.i] in " \t\n;&|\r"
                if len(value.split()) > 1 and not pieces and ends_word and self.depth < 4:
                    # An unquoted variable holding a command line: the shell splits it into words.
                    return self._split(value, start, self.last_name)
                unresolved |= bad
                pieces.append(value)
                continue
            pieces.append(ch)
            self.i += 1
        return [Word("".join(pieces), start, self.i, unresolved, quoted)]


def _read(lexer_class: type[_Lexer], text: str, variables: dict[str, str]) -> list[tuple[str, int, int, bool, bool]]:
    lexer = lexer_class(text, dict(variables))
    out: list[tuple[str, int, int, bool, bool]] = []
    while lexer.i < len(text):
        before = lexer.i
        out.extend((w.text, w.start, w.end, w.unresolved, w.quoted) for w in lexer.word())
        if lexer.i == before:
            lexer.i += 1
    return out


# Scripts made of what a word reader decides on: blanks, separators, quotes, backslashes, `$` with
# names and braces, brackets and parentheses, CRLF, array assignments and plain letters.
_PIECES = st.sampled_from(
    [
        " ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        ";",
        "&",
        "|",
        ")",
        "(",
        "'",
        '"',
        "\\",
        "$",
        "${A}",
        "$A",
        "${B:-x y}",
        "$1",
        "$((1+2))",
        "a",
        "bc",
        "-",
        "=",
        "A=(x y)",
        "${A[@]}",
        "#",
        "{",
        "}",
        "\\\n",
        "卡",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=30), in_array=st.booleans())
def test_words_as_read_one_character_at_a_time(pieces: list[str], in_array: bool) -> None:
    text = "".join(pieces)
    variables = {"A": "one two", "B": "b"}
    fast, slow = _Lexer(text, dict(variables)), _OneCharacterAtATime(text, dict(variables))
    fast.in_array = slow.in_array = in_array
    while fast.i < len(text):
        assert fast.i == slow.i
        before = fast.i
        got = [(w.text, w.start, w.end, w.unresolved, w.quoted) for w in fast.word()]
        want = [(w.text, w.start, w.end, w.unresolved, w.quoted) for w in slow.word()]
        assert got == want, (text, before)
        assert fast.i == slow.i and fast.vars == slow.vars
        if fast.i == before:
            fast.i += 1
            slow.i += 1


def test_a_launch_line_read_whole() -> None:
    text = "accelerate launch --config_file \"cfg/${NAME}.yaml\" --num_processes $N train.py --lr=1e-5 'a b'\n"
    assert _read(_Lexer, text, {"NAME": "acc", "N": "8"}) == _read(_OneCharacterAtATime, text, {"NAME": "acc", "N": "8"})
    assert [w[0] for w in _read(_Lexer, text, {"NAME": "acc", "N": "8"}) if w[0]][:6] == [
        "accelerate",
        "launch",
        "--config_file",
        "cfg/acc.yaml",
        "--num_processes",
        "8",
    ]

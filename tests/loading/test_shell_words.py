"""The shell lexer's word reader, which takes runs of plain characters at once, reads every script
as the reader that took one character at a time did: the same words, offsets and flags, and the same
variables set (so the same expansions)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.loading import shell
from batchlint.loading.shell import Word, _commands_incrementally, _Lexer, _rx


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


def _one_command_as_it_was(lexer: _Lexer) -> tuple[list[Word], int] | None:
    t = lexer.t
    current: list[Word] = []
    skip_to = -1  # the end of a data here-document, skipped when this command's line ends
    while lexer.i < len(t):
        ch = t[lexer.i]
        if not current and ch not in " \t\r\n":
            fn = _rx(shell._FUNCTION).match(t, lexer.i)
            if fn is not None and "(" in fn.group() or fn is not None and fn.group().startswith("function"):
                lexer.i = fn.end()  # a function definition: its body's commands are read like any others
                continue
        if ch == "<" and t.startswith("<<", lexer.i) and not t.startswith("<<<", lexer.i):
            doc = _rx(shell._HEREDOC).match(t, lexer.i)
            if doc is not None:
                lexer.i = doc.end()
                line_end = t.find("\n", lexer.i)
                body = len(t) if line_end < 0 else line_end + 1
                head = current[0].text.rsplit("/", 1)[-1] if current else ""
                if head not in shell._SCRIPT_READERS:
                    skip_to = shell._heredoc_end(t, body, doc.group(3), doc.group(1) == "-")
                continue
        if ch == "\\" and t.startswith("\n", lexer.i + 1):
            lexer.i += 2
            continue
        if ch == "\\" and t.startswith("\r\n", lexer.i + 1):
            lexer.i += 3
            continue
        if ch in " \t\r":
            lexer.i += 1
            continue
        if ch in "\n;":
            lexer.i += 1
            if ch == "\n" and skip_to > lexer.i:
                lexer.i = skip_to
            if current:
                break
            continue
        if ch in "&|":
            lexer.i += 2 if t.startswith(ch * 2, lexer.i) else 1
            if current:
                break
            continue
        if ch == "#":
            end = t.find("\n", lexer.i)
            lexer.i = len(t) if end < 0 else end
            continue
        if ch in "()<>{}" and not current:
            lexer.i += 1
            continue
        if all(shell._assignment(w.text) or w.text in ("declare", "local", "export", "-a", "readonly") for w in current) and lexer.array_literal():
            continue  # an array assignment: its words are used where the array is expanded
        current.extend(lexer.word())
    if not current:
        return None
    return current, t.count("\n", 0, current[0].start) + 1


def _commands(text: str) -> list[tuple[list[tuple[str, int, int, bool, bool]], int, bool]]:
    return [([(w.text, w.start, w.end, w.unresolved, w.quoted) for w in words], line, live) for words, line, live in _commands_incrementally(_Lexer(text, {}))]


_COMMAND_PIECES = st.sampled_from(
    [" ", "  ", "\t", "\r", "\n", "\r\n", ";", "&&", "|", "#x\n", "\\\n", "\\\r\n", "A=1", "A=(x y)", "B=", "(", ")", "{", "}", "<<EOF\nx\nEOF\n"]
    + ["echo", "$A", "f() {", "function g", "if", "then", "fi", "export", "declare -a", "bash", "cat", "x", "'q r'", '"$A b"', "=("]
)


@settings(max_examples=1500, deadline=None)
@given(pieces=st.lists(_COMMAND_PIECES, max_size=30))
def test_commands_as_read_one_blank_at_a_time(pieces: list[str]) -> None:
    text = " ".join(pieces) if len(pieces) % 2 else "".join(pieces)
    fast = _commands(text)
    original = shell._one_command
    shell._one_command = _one_command_as_it_was
    try:
        slow = _commands(text)
    finally:
        shell._one_command = original
    assert fast == slow, text

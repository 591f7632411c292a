"""Launch scripts (`.sh`, `.slurm`): the commands a shell would run, with variables expanded.

A small shell reader, not a shell: line continuations (also before a blank or a commented line,
and a trailing `\\` at the end of the file), quotes, `#` comments, `NAME=value` / `export`,
`$NAME`, `${NAME}`, `${NAME:-default}`, `$((A * B))` arithmetic, `#SBATCH --nodes=N` lines (as
`SLURM_NNODES`), `VAR=value cmd` environment prefixes, word splitting of unquoted variables
(`srun $CMD`), and bash arrays (`TRAIN_ARGS=( --batch_size 1 ... )`, `+=(...)`, expanded by
`"${TRAIN_ARGS[@]}"`, each word keeping its place in the array literal). Everything else
(`$(...)`, loops, functions) is left unexpanded and marked so.
Every word keeps the offsets of its text, so facts and fixes point into the script.
"""

from __future__ import annotations

import re

from batchlint.loading.nodes import Comment
from batchlint.loading.text import LineIndex, find_comments

MAX_SCRIPT_CHARS = 1_000_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ARRAY_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=\(")
_ARRAY_USE = re.compile(r"(\"?)\$\{([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}\1")


class Word:
    __slots__ = ("text", "start", "end", "unresolved", "quoted")

    def __init__(self, text: str, start: int, end: int, unresolved: bool = False, quoted: bool = False) -> None:
        self.text = text  # after quote removal and expansion
        self.start = start  # character offsets of the word in the script
        self.end = end
        self.unresolved = unresolved  # holds a $(...) or an unknown variable
        self.quoted = quoted

    def __repr__(self) -> str:
        return f"Word({self.text!r})"


class Command:
    __slots__ = ("words", "env", "line")

    def __init__(self, words: list[Word], env: dict[str, str], line: int) -> None:
        self.words = words
        self.env = env  # `NAME=value` prefixes of this command
        self.line = line


class Script:
    def __init__(self, text: str) -> None:
        self.text = text
        self.variables: dict[str, str] = {}
        self.commands: list[Command] = []


def _arith(expr: str, variables: dict[str, str]) -> str | None:
    """$(( ... )) with integers, + - * / % and parentheses; None when a name is unknown."""
    def name(m: re.Match[str]) -> str:
        value = variables.get(m.group(0), "")
        return value if re.fullmatch(r"-?\d+", value.strip()) else "x"

    body = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: variables.get(m.group(1), "x"), expr)
    body = _NAME.sub(name, body)
    if "x" in body or not re.fullmatch(r"[\d\s+\-*/%()]*", body):
        return None
    try:
        value = eval(body.replace("/", "//"), {"__builtins__": {}}, {})  # digits and operators only, checked above
    except (SyntaxError, ZeroDivisionError, TypeError, ValueError):
        return None
    return str(int(value))


class _Lexer:
    def __init__(self, text: str, variables: dict[str, str]) -> None:
        self.t = text
        self.i = 0
        self.vars = variables
        self.origins: dict[str, tuple[int, int]] = {}  # variable -> span of the assignment that set it
        self.last_name: str | None = None  # the variable the last expansion read
        self.depth = 0  # nesting of variables expanded into command lines
        self.unknown: set[str] = set()  # variables assigned from something unresolved ($1, $(...))
        self.arrays: dict[str, list[Word]] = {}  # bash arrays: the words of their literals
        self.in_array = False  # inside `NAME=( ... )`: `)` ends a word

    def expand(self, in_quotes: bool) -> tuple[str, bool]:
        """At '$': the expansion and whether it is unresolved."""
        t, i = self.t, self.i
        if t.startswith("$((", i):
            end = t.find("))", i + 3)
            if end < 0:
                self.i = len(t)
                return "", True
            self.i = end + 2
            value = _arith(t[i + 3:end], self.vars)
            return (value, False) if value is not None else (t[i:end + 2], True)
        if t.startswith("$(", i):
            depth, j = 0, i + 1
            while j < len(t):
                if t[j] == "(":
                    depth += 1
                elif t[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            self.i = j + 1
            return t[i:j + 1], True
        if t.startswith("${", i):
            end = t.find("}", i + 2)
            if end < 0:
                self.i = len(t)
                return "", True
            self.i = end + 1
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-=])?(.*)$", t[i + 2:end], re.S)
            if m is None:
                return t[i:end + 1], True
            name, sep, default = m.group(1), m.group(2) or "", m.group(3)
            if name in self.vars and (self.vars[name] or not sep.startswith(":")):
                return self.vars[name], False
            if sep:
                return default, False
            return t[i:end + 1], True
        m = _NAME.match(t, i + 1)
        if m:
            self.i = m.end()
            self.last_name = m.group(0)
            if m.group(0) in self.vars:
                value = self.vars[m.group(0)]
                # Set from a command substitution we never ran, or from $1 and the like.
                return value, m.group(0) in self.unknown or "$(" in value or "`" in value
            return m.group(0).join(("$", "")), True
        if i + 1 < len(t) and (t[i + 1].isdigit() or t[i + 1] in "@*#?!$-"):
            self.i = i + 2  # a positional or special parameter: known only when the script runs
            return t[i:i + 2], True
        self.i = i + 1
        return "$", False

    def array_literal(self) -> bool:
        """At `NAME=(` or `NAME+=(`: read the elements into `arrays` and return True."""
        m = _ARRAY_ASSIGN.match(self.t, self.i)
        if m is None:
            return False
        t = self.t
        self.i = m.end()
        items: list[Word] = [] if not m.group(2) else list(self.arrays.get(m.group(1), []))
        self.in_array = True
        try:
            while self.i < len(t):
                ch = t[self.i]
                if ch in " \t\r\n" or (ch == "\\" and t.startswith("\n", self.i + 1)):
                    self.i += 2 if ch == "\\" else 1
                    continue
                if ch == "#":
                    end = t.find("\n", self.i)
                    self.i = len(t) if end < 0 else end
                    continue
                if ch == ")":
                    self.i += 1
                    break
                before = self.i
                items.extend(w for w in self.word() if w.text or w.quoted)
                if self.i == before:
                    self.i += 1
        finally:
            self.in_array = False
        self.arrays[m.group(1)] = items
        return True

    def word(self) -> list[Word]:
        """One shell word; an unquoted expansion with spaces splits into several."""
        t = self.t
        start = self.i
        use = _ARRAY_USE.match(t, start)
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
                pieces.append(t[self.i + 1:self.i + 2])
                self.i += 2
                continue
            if ch == "'":
                end = t.find("'", self.i + 1)
                end = len(t) if end < 0 else end
                pieces.append(t[self.i + 1:end])
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

    def _split(self, value: str, start: int, name: str | None) -> list[Word]:
        """The words of an expanded variable, placed at their text in the assignment when found there."""
        sub = _Lexer(value, self.vars)
        sub.depth = self.depth + 1
        sub.origins = self.origins
        words: list[Word] = []
        origin = self.origins.get(name or "")
        cursor = origin[0] if origin else 0
        while sub.i < len(value):
            if value[sub.i] in " \t\n\r\\;&|":
                sub.i += 1
                continue
            before = sub.i
            found = sub.word()
            if sub.i == before:
                sub.i += 1
            for w in found:
                at = self.t.find(w.text, cursor, origin[1]) if origin and w.text else -1
                if at < 0 and w.text.startswith("-") and len(w.text) > 2:
                    # Set through several variables: the flag's own text, last written before this use.
                    at = self.t.rfind(w.text, 0, start)
                    origin = (at, min(len(self.t), at + 400)) if at >= 0 else origin
                if at >= 0:
                    words.append(Word(w.text, at, at + len(w.text), w.unresolved, w.quoted))
                    cursor = at + len(w.text)
                else:
                    words.append(Word(w.text, start, self.i, w.unresolved, w.quoted))
        return words


_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def read_script(text: str) -> Script:
    """The script's commands in order, with the variables known at each point applied."""
    script = Script(text[:MAX_SCRIPT_CHARS])
    text = script.text
    for m in re.finditer(r"^#SBATCH\s+(?:--nodes|-N)[= ]\s*(\d+)", text, re.M):
        script.variables.setdefault("SLURM_NNODES", m.group(1))
        script.variables.setdefault("SLURM_JOB_NUM_NODES", m.group(1))
    gpus = (re.search(r"^#SBATCH\s+--gpus-per-node[= ]\s*(?:\w+:)?(\d+)", text, re.M)
            or re.search(r"^#SBATCH\s+--gres[= ]\s*gpu:(?:\w+:)?(\d+)", text, re.M))
    if gpus:
        script.variables.setdefault("SLURM_GPUS_ON_NODE", gpus.group(1))
        script.variables.setdefault("SLURM_GPUS_PER_NODE", gpus.group(1))
    # Process the script line by line so that each command sees the variables set before it.
    lexer = _Lexer(text, script.variables)
    for words, line in _commands_incrementally(lexer):
        env: dict[str, str] = {}
        rest = list(words)
        if rest and rest[0].text in ("export", "local", "declare", "readonly") and len(rest) > 1:
            rest = rest[1:]
        if all(_ASSIGN.match(w.text) for w in rest):
            continue  # assignments: applied while reading (the next commands see them)
        while rest and (assignment := _ASSIGN.match(rest[0].text)):
            env[assignment.group(1)] = assignment.group(2)
            rest = rest[1:]
        if rest:
            script.commands.append(Command(rest, env, line))
    return script


def _commands_incrementally(lexer: _Lexer) -> list[tuple[list[Word], int]]:
    """Split into commands one at a time, so assignments take effect for the commands after them."""
    out: list[tuple[list[Word], int]] = []
    t = lexer.t
    while lexer.i < len(t):
        before = lexer.i
        one = _one_command(lexer)
        if one is not None:
            out.append(one)
            words = one[0]
            # Apply plain assignments now (the next command may use them).
            rest = words[1:] if words and words[0].text in ("export", "local", "declare", "readonly") else words
            if rest and all(_ASSIGN.match(w.text) for w in rest):
                for w in rest:
                    if assignment := _ASSIGN.match(w.text):
                        lexer.vars[assignment.group(1)] = assignment.group(2)
                        lexer.origins[assignment.group(1)] = (w.start, w.end)
                        if w.unresolved:
                            lexer.unknown.add(assignment.group(1))
                        else:
                            lexer.unknown.discard(assignment.group(1))
        if lexer.i == before:
            lexer.i += 1
    return out


def _one_command(lexer: _Lexer) -> tuple[list[Word], int] | None:
    t = lexer.t
    current: list[Word] = []
    while lexer.i < len(t):
        ch = t[lexer.i]
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
        if all(_ASSIGN.match(w.text) or w.text in ("declare", "local", "export", "-a", "readonly") for w in current) \
                and lexer.array_literal():
            continue  # an array assignment: its words are used where the array is expanded
        current.extend(lexer.word())
    if not current:
        return None
    return current, t.count("\n", 0, current[0].start) + 1


def script_comments(path: str, text: str) -> list[Comment]:
    """The `#` comments of a script (where people state the GPU count and the total they expect)."""
    return find_comments(path, LineIndex(text), set())

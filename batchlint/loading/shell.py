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

import functools
import re

from batchlint.loading.nodes import Comment
from batchlint.loading.text import comments_in

MAX_SCRIPT_CHARS = 1_000_000
# Patterns are compiled at their first use (`_rx`): a run whose scripts never reach one does not compile it.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# Variables a scheduler or launcher sets when the job runs (a script's `${SLURM_NNODES:-1}` is a fallback).
_SCHEDULER = r"(?:SLURM|PBS|OMPI|PMI|PMIX|LSB|MLP|ARNOLD|PET)_\w+$|(?:WORLD_SIZE|NODE_RANK|LOCAL_WORLD_SIZE|GROUP_RANK)$"
_ARRAY_ASSIGN = r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=\("
# Runs of characters a word takes as they are: outside quotes (a blank, `;`, `&`, `|`, `\r`, `)`, a
# backslash, a quote or `$` needs a look of its own) and inside double quotes (`"`, a backslash, `$`).
_PLAIN = r"[^ \t\n;&|\r)\\'\"$]+"
_QUOTED_PLAIN = r'[^"\\$]+'
_ARRAY_USE = r"(\"?)\$\{([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}\1"  # starts with `${` or `"${`


@functools.cache
def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


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
        self.origins: dict[str, tuple[int, int]] = {}  # variable -> span of the assignment that set it last


def _close_brace(t: str, i: int) -> int:
    """The `}` that closes the `${` whose body starts at i (nested `${...}` and quotes skipped); -1 if none."""
    depth = 1
    quote = ""
    while i < len(t):
        ch = t[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 1
        elif t.startswith("${", i):
            depth += 1
            i += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        elif ch == "\n" and depth == 1 and not quote:
            return -1
        i += 1
    return -1


def _expr(args: str, variables: dict[str, str]) -> str | None:
    """`$(expr 4 \\* 8)`: integer arithmetic with expr's operators."""
    body = args.replace("\\*", "*").replace("'*'", "*").replace('"*"', "*")
    return _arith(body, variables)


def _arith(expr: str, variables: dict[str, str]) -> str | None:
    """$(( ... )) with integers, + - * / % and parentheses; None when a name is unknown."""

    def name(m: re.Match[str]) -> str:
        value = variables.get(m.group(0), "")
        return value if re.fullmatch(r"-?\d+", value.strip()) else "x"

    body = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: variables.get(m.group(1), "x"), expr)
    body = _rx(_NAME).sub(name, body)
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
        self.positional: list[tuple[str, bool]] | None = None  # $1, $2, ... when another script calls this one with arguments
        # Where the last "(" and "=(" are: a function definition (`name ()`) or an array assignment (`NAME=(`)
        # cannot start after them, and its pattern is not compiled for a script without one.
        self.last_paren = text.rfind("(")
        self.last_array = text.rfind("=(")

    def expand(self, in_quotes: bool) -> tuple[str, bool]:
        """At '$': the expansion and whether it is unresolved."""
        t, i = self.t, self.i
        if t.startswith("$((", i):
            end = t.find("))", i + 3)
            if end < 0:
                self.i = len(t)
                return "", True
            self.i = end + 2
            value = _arith(t[i + 3 : end], self.vars)
            return (value, False) if value is not None else (t[i : end + 2], True)
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
            inner = t[i + 2 : j].strip()
            if inner.startswith("expr "):
                value = _expr(inner[5:], self.vars)
                if value is not None:
                    return value, False
            return t[i : j + 1], True
        if t.startswith("${", i):
            end = _close_brace(t, i + 2)
            if end < 0:
                end = t.find("}", i + 2)
                if end < 0:
                    self.i = len(t)
                    return "", True
            self.i = end + 1
            if t[i + 2 : end].isdigit() and self.positional is not None:
                return self._positional(int(t[i + 2 : end]))
            array = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]", t[i + 2 : end])
            if array is not None and array.group(1) in self.arrays:
                items = self.arrays[array.group(1)]  # "${ARGS[@]}" inside a string: the words joined
                return " ".join(w.text for w in items), any(w.unresolved for w in items)
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-=+?])?(.*)$", t[i + 2 : end], re.S)
            if m is None:
                return t[i : end + 1], True
            name, sep, default = m.group(1), m.group(2) or "", m.group(3)
            if sep and not sep.endswith(("-", "=", "+", "?")):
                return t[i : end + 1], True
            is_set = name in self.vars and (bool(self.vars[name]) or not sep.startswith(":"))
            if not is_set and sep.endswith("-") and _rx(_SCHEDULER).match(name):
                return t[i : end + 1], True  # the scheduler sets it when the job runs: the default is not what runs
            if sep.endswith("+"):
                return self._word_value(default) if is_set else ("", False)
            if is_set:
                return self.vars[name], name in self.unknown
            if sep.endswith(("-", "=")):
                value, bad = self._word_value(default)
                if sep.endswith("=") and not bad:
                    self.vars[name] = value  # ${VAR:=default} assigns as it expands
                return value, bad
            return t[i : end + 1], True
        m = _rx(_NAME).match(t, i + 1)
        if m:
            self.i = m.end()
            self.last_name = m.group(0)
            if m.group(0) in self.vars:
                value = self.vars[m.group(0)]
                # Set from a command substitution we never ran, or from $1 and the like.
                return value, m.group(0) in self.unknown or "$(" in value or "`" in value
            return m.group(0).join(("$", "")), True
        if i + 1 < len(t) and t[i + 1].isdigit() and self.positional is not None:
            self.i = i + 2
            return self._positional(int(t[i + 1]))
        if i + 1 < len(t) and (t[i + 1].isdigit() or t[i + 1] in "@*#?!$-"):
            self.i = i + 2  # a positional or special parameter: known only when the script runs
            return t[i : i + 2], True
        self.i = i + 1
        return "$", False

    def _positional(self, n: int) -> tuple[str, bool]:
        """$n of a script called with arguments: the caller's word (unresolved when it was, or when missing)."""
        assert self.positional is not None
        if n == 0 or n > len(self.positional):
            return f"${n}", True
        return self.positional[n - 1]

    def _word_value(self, text: str) -> tuple[str, bool]:
        """A `${VAR:-default}` default: quotes removed, variables inside it expanded."""
        if not text:
            return "", False
        sub = _Lexer(text, self.vars)
        sub.unknown = self.unknown
        sub.depth = self.depth + 1
        pieces: list[str] = []
        bad = False
        while sub.i < len(text):
            if text[sub.i] in " \t":
                pieces.append(text[sub.i])
                sub.i += 1
                continue
            before = sub.i
            for w in sub.word():
                pieces.append(w.text)
                bad |= w.unresolved
            if sub.i == before:
                pieces.append(text[sub.i])
                sub.i += 1
        return "".join(pieces), bad

    def array_literal(self) -> bool:
        """At `NAME=(` or `NAME+=(`: read the elements into `arrays` and return True."""
        m = _rx(_ARRAY_ASSIGN).match(self.t, self.i)
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
        use = _rx(_ARRAY_USE).match(t, start) if t.startswith(("${", '"${'), start) else None
        if use is not None and use.group(2) in self.arrays:
            after = use.end()
            if after >= len(t) or t[after] in " \t\n;&|\r":
                self.i = after
                return [Word(w.text, w.start, w.end, w.unresolved, w.quoted) for w in self.arrays[use.group(2)]]
        pieces: list[str] = []
        unresolved = quoted = False
        plain, quoted_plain = _rx(_PLAIN).match, _rx(_QUOTED_PLAIN).match
        while self.i < len(t):
            run = plain(t, self.i)  # characters that stand for themselves, taken at once
            if run is not None:
                pieces.append(run.group())
                self.i = run.end()
                if self.i >= len(t):
                    break
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
                    run = quoted_plain(t, self.i)
                    if run is not None:
                        pieces.append(run.group())
                        self.i = run.end()
                        continue
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
                end = at + len(w.text)
                if at < 0 and w.text.startswith("-") and len(w.text) > 2:
                    # Set through several variables: the flag's own text, last written before this use.
                    at = self.t.rfind(w.text, 0, start)
                    end = at + len(w.text)
                    origin = (at, min(len(self.t), at + 400)) if at >= 0 else origin
                if at < 0 and words and words[-1].text.startswith("-") and words[-1].start != start:
                    # A value written as a variable (`--nnodes $NODES`): the word after its flag in the source.
                    m = _rx(_TOKEN_AFTER).match(self.t, words[-1].end)
                    if m is not None and m.group(2):
                        at, end = m.start(2), m.end(2)
                if at >= 0:
                    words.append(Word(w.text, at, end, w.unresolved, w.quoted))
                    cursor = end
                else:
                    words.append(Word(w.text, start, self.i, w.unresolved, w.quoted))
        return words


def _assignment(text: str) -> tuple[str, str] | None:
    """`NAME=value` (a word holding "="): (NAME, value), NAME being `[A-Za-z_][A-Za-z0-9_]*` before the first "="."""
    at = text.find("=")
    if at <= 0:
        return None
    name = text[:at]
    if not name.isascii() or name[0].isdigit() or not name.replace("_", "a").isalnum():
        return None
    return name, text[at + 1 :]


def _sbatch(text: str, variables: dict[str, str]) -> None:
    """What `#SBATCH --nodes/-N`, `--gpus-per-node`/`--gres=gpu:N` and `--ntasks(-per-node)/-n` set when the job runs."""
    for m in re.finditer(r"^#SBATCH\s+(?:--nodes|-N)[= ]\s*(\d+)", text, re.M):
        variables.setdefault("SLURM_NNODES", m.group(1))
        variables.setdefault("SLURM_JOB_NUM_NODES", m.group(1))
    gpus = re.search(r"^#SBATCH\s+--gpus-per-node[= ]\s*(?:\w+:)?(\d+)", text, re.M) or re.search(r"^#SBATCH\s+--gres[= ]\s*gpu:(?:\w+:)?(\d+)", text, re.M)
    if gpus:
        variables.setdefault("SLURM_GPUS_ON_NODE", gpus.group(1))
        variables.setdefault("SLURM_GPUS_PER_NODE", gpus.group(1))
    for flag, names in (("--ntasks-per-node", ("SLURM_NTASKS_PER_NODE",)), ("--ntasks|-n", ("SLURM_NTASKS", "SLURM_NPROCS"))):
        found = re.search(r"^#SBATCH\s+(?:" + flag + r")[= ]\s*(\d+)", text, re.M)
        if found:
            for name in names:
                variables.setdefault(name, found.group(1))


def read_script(text: str, positional: list[tuple[str, bool]] | None = None) -> Script:
    """The script's commands in order, with the variables known at each point applied. `positional`:
    the arguments another script calls it with ($1, $2, ... and `shift`), as (text, unresolved)."""
    script = Script(text[:MAX_SCRIPT_CHARS])
    text = script.text
    if "#SBATCH" in text:  # the scheduler's directives (no pattern is compiled for a script without one)
        _sbatch(text, script.variables)
    # Process the script line by line so that each command sees the variables set before it.
    lexer = _Lexer(text, script.variables)
    lexer.positional = list(positional) if positional is not None else None
    for words, line, live in _commands_incrementally(lexer):
        if not live:
            continue  # in a branch whose test is known to fail
        env: dict[str, str] = {}
        rest = list(words)
        if rest and rest[0].text in ("export", "local", "declare", "readonly") and len(rest) > 1:
            rest = rest[1:]
        if all(_assignment(w.text) for w in rest):
            continue  # assignments: applied while reading (the next commands see them)
        while rest and (assignment := _assignment(rest[0].text)):
            env[assignment[0]] = assignment[1]
            rest = rest[1:]
        if rest:
            script.commands.append(Command(rest, env, line))
    script.origins = dict(lexer.origins)
    return script


_OPENERS = frozenset({"if", "case", "while", "until", "for", "select"})
_CLOSERS = frozenset({"fi", "esac", "done"})
_KEYWORDS = _OPENERS | _CLOSERS | {"then", "else", "elif", "do", "!"}


def _condition(words: list[Word]) -> bool | None:
    """`[ -n "$X" ]`, `[ -z "$X" ]`, `[[ ... ]]` with a known value: whether the branch runs; None otherwise."""
    inner = [w for w in words if w.text not in ("[", "]", "[[", "]]")]
    if len(inner) == 2 and inner[0].text in ("-n", "-z") and not inner[1].unresolved:
        empty = inner[1].text == ""
        return empty if inner[0].text == "-z" else not empty
    if len(inner) == 1 and not inner[0].unresolved and inner[0].text not in ("true", "false") and words and words[0].text in ("[", "[["):
        return inner[0].text != ""
    return None


def _commands_incrementally(lexer: _Lexer) -> list[tuple[list[Word], int, bool]]:
    """Split into commands one at a time, so assignments take effect for the commands after them.
    Each command says whether it runs: a branch of `if [ -n "$X" ]` whose test is known to fail does not."""
    out: list[tuple[list[Word], int, bool]] = []
    t = lexer.t
    branches: list[bool | None] = []  # per open if / loop: True runs, False does not, None unknown
    while lexer.i < len(t):
        before = lexer.i
        one = _one_command(lexer)
        if one is not None:
            words = one[0]
            while words and words[0].text in _KEYWORDS:
                word = words[0].text
                words = words[1:]
                if word == "if":
                    branches.append(_condition(words))
                elif word in _OPENERS:
                    branches.append(None)
                elif word in _CLOSERS:
                    if branches:
                        branches.pop()
                elif word == "else" and branches:
                    branches[-1] = None if branches[-1] is None else not branches[-1]
                elif word == "elif" and branches:
                    branches[-1] = False if branches[-1] is True else None
            if not words:
                continue
            live = all(b is not False for b in branches)
            out.append((words, t.count("\n", 0, words[0].start) + 1, live))
            if not live:
                continue  # a branch that does not run sets nothing
            if words[0].text == "shift" and lexer.positional is not None and not branches:
                count = int(words[1].text) if len(words) > 1 and words[1].text.isdigit() else 1
                del lexer.positional[:count]
            # Apply plain assignments now (the next command may use them).
            rest = words[1:] if words and words[0].text in ("export", "local", "declare", "readonly") else words
            if rest and all(_assignment(w.text) for w in rest):
                for w in rest:
                    if assignment := _assignment(w.text):
                        name = assignment[0]
                        if branches and w.unresolved and name in lexer.vars and name not in lexer.unknown:
                            continue  # a branch that may not run does not unset a value known so far
                        lexer.vars[name] = assignment[1]
                        lexer.origins[name] = (w.start, w.end)
                        if w.unresolved:
                            lexer.unknown.add(name)
                        else:
                            lexer.unknown.discard(name)
        if lexer.i == before:
            lexer.i += 1
    return out


_FUNCTION = r"(?:function\s+[A-Za-z_][\w-]*\s*(?:\(\s*\))?|[A-Za-z_][\w-]*\s*\(\s*\))\s*\{?"
_HEREDOC = r"<<(-?)\s*(['\"]?)([A-Za-z_][\w]*)\2"
# Commands whose here-document is a script they run (its lines are commands); any other command's
# here-document is data (a JSON written with `cat > ds.json <<EOF`) and is skipped.
_SCRIPT_READERS = frozenset({"sbatch", "bash", "sh", "srun", "salloc", "qsub", "zsh", "ssh"})


def _heredoc_end(t: str, start: int, delimiter: str, tabs: bool) -> int:
    """The offset after the line that ends a here-document whose body starts at `start`."""
    pattern = re.compile(r"^" + (r"\t*" if tabs else "") + re.escape(delimiter) + r"[ \t]*\r?$", re.M)
    m = pattern.search(t, start)
    return len(t) if m is None else m.end()


def _one_command(lexer: _Lexer) -> tuple[list[Word], int] | None:
    t = lexer.t
    current: list[Word] = []
    skip_to = -1  # the end of a data here-document, skipped when this command's line ends
    while lexer.i < len(t):
        ch = t[lexer.i]
        if ch in " \t\r":  # (no test below takes a blank: skipped at once, the whole run of them)
            lexer.i += 1
            while lexer.i < len(t) and t[lexer.i] in " \t\r":
                lexer.i += 1
            continue
        if not current and ch not in " \t\r\n":
            fn = _rx(_FUNCTION).match(t, lexer.i) if lexer.last_paren > lexer.i or t.startswith("function", lexer.i) else None
            if fn is not None and "(" in fn.group() or fn is not None and fn.group().startswith("function"):
                lexer.i = fn.end()  # a function definition: its body's commands are read like any others
                continue
        if ch == "<" and t.startswith("<<", lexer.i) and not t.startswith("<<<", lexer.i):
            doc = _rx(_HEREDOC).match(t, lexer.i)
            if doc is not None:
                lexer.i = doc.end()
                line_end = t.find("\n", lexer.i)
                body = len(t) if line_end < 0 else line_end + 1
                head = current[0].text.rsplit("/", 1)[-1] if current else ""
                if head not in _SCRIPT_READERS:
                    skip_to = _heredoc_end(t, body, doc.group(3), doc.group(1) == "-")
                continue
        if ch == "\\" and t.startswith("\n", lexer.i + 1):
            lexer.i += 2
            continue
        if ch == "\\" and t.startswith("\r\n", lexer.i + 1):
            lexer.i += 3
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
        if (
            lexer.last_array > lexer.i
            and _rx(_ARRAY_ASSIGN).match(t, lexer.i) is not None  # (what array_literal looks for first: the words before it looked at only then)
            and all(_assignment(w.text) or w.text in ("declare", "local", "export", "-a", "readonly") for w in current)
            and lexer.array_literal()
        ):
            continue  # an array assignment: its words are used where the array is expanded
        current.extend(lexer.word())
    if not current:
        return None
    return current, t.count("\n", 0, current[0].start) + 1


def script_comments(path: str, text: str) -> list[Comment]:
    """The `#` comments of a script (where people state the GPU count and the total they expect)."""
    return comments_in(path, text, set())  # (no index of every line: only the lines holding a `#` are read)


_TOKEN_AFTER = r"(?:[ \t]|\\\r?\n)*(=?)(\"[^\"\n]*\"|'[^'\n]*'|[^\s\\]+)"


def split_word(text: str, word: Word, variables: dict[str, str] | object) -> list[list[Word]]:
    """The commands of a command line held in one word (`eval "$CMD"`, `bash -c "cd x; python ..."`),
    split at `;`, `&&`, `|` and newlines. Each word is placed at its text in the script where it can be
    found: a flag at its last occurrence before the use, a flag's value at the word written after
    that flag (`--micro-batch-size ${MBS}`), other words in order after the first one."""
    values = variables if isinstance(variables, dict) else {}
    sub = _Lexer(word.text, dict(values))
    sub.depth = 1
    segments: list[list[Word]] = [[]]
    while sub.i < len(word.text):
        ch = word.text[sub.i]
        if ch in ";&|\n":
            if segments[-1]:
                segments.append([])
            sub.i += 1
            continue
        if ch in " \t\r\\":
            sub.i += 1
            continue
        before = sub.i
        segments[-1].extend(w for w in sub.word() if w.text)
        if sub.i == before:
            sub.i += 1
    out: list[list[Word]] = []
    for found in (s for s in segments if s):
        placed: list[Word] = []
        cursor = text.rfind(found[0].text, 0, word.start) if found[0].text else -1
        after_flag = -1
        inside = word.start  # a command written out in the word itself (`bash -c "torchrun ..."`): found in place
        for w in found:
            at, end = -1, -1
            if w.text and word.end - word.start > len(w.text):
                at = text.find(w.text, inside, word.end)
                end = at + len(w.text)
                if at >= 0:
                    inside = end
            if at < 0 and after_flag >= 0 and not w.text.startswith("-"):
                m = _rx(_TOKEN_AFTER).match(text, after_flag)
                if m is not None and m.start(2) < word.start:
                    at, end = m.start(2), m.end(2)
            if at < 0 and w.text.startswith("-") and len(w.text) > 2:
                at = text.rfind(w.text, 0, word.start)
                end = at + len(w.text)
            if at < 0 and cursor >= 0 and w.text:
                at = text.find(w.text, cursor, min(word.start, cursor + 4000))
                end = at + len(w.text)
            after_flag = end if at >= 0 and w.text.startswith("-") else -1
            if at >= 0:
                placed.append(Word(w.text, at, end, w.unresolved, w.quoted))
                cursor = max(cursor, end)
            else:
                placed.append(Word(w.text, word.start, word.end, w.unresolved, w.quoted))
        out.append(placed)
    return out

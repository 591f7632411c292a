"""The console the CLI writes to: characters its encoding cannot represent are written in ASCII.

A Windows console in cp1252, a `PYTHONIOENCODING=ascii` CI log or an old terminal cannot encode
`≈`, `→` or a CJK comment in a quoted source line; without this, `print` raises UnicodeEncodeError
halfway through a report. `ascii_fallback(stream)` installs one codec error handler on the stream,
so every write through it (reports, help, errors) degrades instead of failing: `≈` → `~`,
`×` → `x`, `→` → `->`, `…` → `...`, other letters to their ASCII base (`é` → `e`) and anything
else to `?` (two for a double-width character, so carets stay under their column). Characters the
encoding has (`×` and `…` in cp1252) are written as they are.
"""

from __future__ import annotations

import codecs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

ERRORS = "batchlint-ascii"
ASCII = {
    "≈": "~",
    "×": "x",
    "→": "->",
    "←": "<-",
    "⇒": "=>",
    "≠": "!=",
    "≥": ">=",
    "≤": "<=",
    "±": "+/-",
    "−": "-",
    "–": "-",
    "—": "--",
    "…": "...",
    "·": ".",
    "•": "*",
    "′": "'",
    "″": '"',
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "«": "<<",
    "»": ">>",
    "§": "S",
    "█": "#",
    "▓": "=",
    "▒": "-",
    "░": ":",
    "│": "|",
    "─": "-",
    "✓": "ok",
    "✗": "x",
}


def to_ascii(ch: str) -> str:
    """The ASCII spelling of one character."""
    if ch in ASCII:
        return ASCII[ch]
    import unicodedata

    wide = unicodedata.east_asian_width(ch) in "WF"
    base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    if base and base.isprintable():
        return base + " " if wide and len(base) == 1 else base  # `；` -> `; `: as wide as it was
    return "??" if wide else "?"


def _fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(to_ascii(ch) for ch in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(ERRORS, _fallback)


def ascii_fallback(stream: TextIO) -> None:
    """Make `stream` write what its encoding lacks in ASCII instead of raising. A stream that is
    not a reconfigurable text file (a StringIO in tests, an editor's pipe wrapper) is left alone."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:
        return
    try:
        reconfigure(errors=ERRORS)
    except (ValueError, OSError, AttributeError):  # a closed or detached stream
        pass


def report_failed(exc: OSError) -> int:
    """The report could not be written (a full disk, /dev/full, `--output-file` in a missing directory):
    one line on standard error, and the interpreter's own flush of standard output at exit made
    harmless. Returns the exit code (2)."""
    import os
    import sys

    from batchlint.atomic import WriteError

    message = str(exc) if isinstance(exc, WriteError) else f"cannot write the report to standard output: {exc.strerror or exc}"
    sys.stderr.write(f"batchlint: error: {message}\n")
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real standard output (tests capture it)
        pass
    return 2

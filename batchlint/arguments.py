"""argparse's parser and help formatter as the command line uses them (`cli.build_parser`).

Imported only when argparse parses: a plain `check` whose arguments the command line reads itself
(`cli.quick_check_arguments`) never imports argparse (nor gettext, warnings).
"""

from __future__ import annotations

import argparse
import os
import sys


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns without importing shutil: $COLUMNS, the terminal, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class Formatter(argparse.HelpFormatter):
    """argparse's formatter, without its `shutil` import (and shutil's bz2/lzma imports) on every run."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width if width is not None else 10_000)
        self._explicit_width = width is not None

    def format_help(self) -> str:
        if not self._explicit_width:
            self._width = _terminal_columns() - 2
            self._max_help_position = min(self._max_help_position, max(self._width - 20, self._indent_increment * 2))
        return super().format_help()


class Parser(argparse.ArgumentParser):
    command: str | None = None  # on the top-level parser: the command being run

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        # Unknown options after a command are reported by the top-level parser: point at the command.
        command = self.prog.split()[-1] if self.prog != "batchlint" else self.command or ""
        self.exit(2, f"batchlint: error: {message} (see `batchlint {command + ' ' if command else ''}--help`)\n")


def _same(message: str) -> str:
    return message


def untranslated() -> None:
    """argparse looks every string it is given up in the gettext catalogue (`argparse._`), and each
    look-up searches the locale directories again: milliseconds per parser. When the default domain
    has no catalogue in this environment, every look-up gives its message back, so none is made."""
    import gettext

    domain = gettext.textdomain()
    localedir = gettext.bindtextdomain(domain)
    # gettext.find looks only under `localedir` (and imports `locale` to spell the language): none, no catalogue.
    found = os.path.isdir(localedir) and gettext.find(domain, localedir) is not None
    argparse._ = gettext.gettext if found else _same  # type: ignore[attr-defined]

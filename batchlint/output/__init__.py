"""Reporters: one module per format, chosen through one map. They only format."""

from __future__ import annotations

from collections.abc import Callable, Mapping

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from io import StringIO
    from typing import TextIO

    from batchlint.report import Report  # the CLI imports this package before it knows the command

FORMATS = ("full", "text", "concise", "json", "json-lines", "github", "sarif", "gitlab", "junit", "markdown")
COLOR_CHOICES = ("auto", "always", "never")


def use_color(choice: str, stream: object, environ: Mapping[str, str]) -> bool:
    """Whether the human reports are coloured: `always` / `never`; for `auto`, a non-empty
    FORCE_COLOR forces it (https://force-color.org), else a non-empty NO_COLOR turns it off
    (https://no-color.org), else colour when `stream` is a terminal other than TERM=dumb."""
    if choice != "auto":
        return choice == "always"
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except (ValueError, OSError):  # a closed stream
        return False


def reporter(name: str, color: bool = False) -> Callable[[Report, TextIO], None]:
    """The writer of a format; `color` applies to the human formats (full, concise) only."""
    if name in ("full", "text"):
        from batchlint.output.text import write_full

        return lambda report, out: write_full(report, out, color)
    if name == "concise":
        from batchlint.output.text import write_concise

        return lambda report, out: write_concise(report, out, color)
    if name == "json":
        from batchlint.output.json import write_json

        return write_json
    if name == "github":
        from batchlint.output.github import write_github

        return write_github
    if name == "markdown":
        from batchlint.output.markdown import write_markdown

        return write_markdown
    if name in ("json-lines", "sarif", "gitlab", "junit"):
        from batchlint.output import machine

        return {"json-lines": machine.write_json_lines, "sarif": machine.write_sarif, "gitlab": machine.write_gitlab, "junit": machine.write_junit}[name]
    raise ValueError(name)


class output_file:
    """Where a report goes: standard output, or `--output-file` written whole at the end (so a CI step
    never reads half a report, and a failed run leaves no file)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.buffer: StringIO | None = None

    def __enter__(self) -> TextIO:
        if self.path is None:
            import sys

            return sys.stdout
        from io import StringIO

        self.buffer = StringIO()
        return self.buffer

    def __exit__(self, *exc: object) -> None:
        if self.path is not None and self.buffer is not None and exc[0] is None:
            from batchlint.atomic import write_report

            write_report(self.path, self.buffer.getvalue())  # all at once; a failure is one WriteError line

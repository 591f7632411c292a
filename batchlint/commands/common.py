"""What several commands share: one-line errors, standard input as a file, the checked report."""

from __future__ import annotations

import os
import sys

from batchlint.options import Options

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.report import Report


class Frozen:
    """Typed arguments: each attribute set once, in `__init__`, and read-only after. A frozen dataclass
    would do, but creating one costs about a millisecond of start-up, and a pre-commit hook runs `check`
    on every commit. Subclasses list their attributes in `__slots__`."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        try:
            getattr(self, name)
        except AttributeError:
            object.__setattr__(self, name, value)
            return
        raise AttributeError(f"{type(self).__name__}.{name} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__}.{name} is read-only")

    def __repr__(self) -> str:
        names: tuple[str, ...] = self.__slots__
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"


def error(message: str) -> None:
    """A usage, settings or internal error: one line on standard error."""
    sys.stderr.write(f"batchlint: error: {message}\n")


def write_internal_errors(report: Report) -> None:
    for err in report.internal_errors:
        error(err)


def unknown_selectors(select: list[str] | None, ignore: list[str] | None) -> bool:
    """--select / --ignore naming no rule: reported (True), and the run stops."""
    if not select and not ignore:
        return False  # nothing to look up: the rule registry is not imported for it
    from batchlint.rules import suggest_rule
    from batchlint.rules import unknown_selectors as unknown

    for flag, codes in (("select", select), ("ignore", ignore)):
        bad = unknown(codes or [])
        if bad:
            error(f"--{flag}: unknown rule {', '.join(bad)}{suggest_rule(bad[0])} (see `batchlint rule --all`)")
            return True
    return False


def _template_of(name: str) -> str:
    """`config.json.example`, `train.yaml.template`: a config saved under a template's name."""
    for suffix in (".example", ".sample", ".template", ".tmpl", ".dist", ".default"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _python_config(path: str) -> bool:
    from batchlint.loading.pyconfig import is_config_module

    return is_config_module(path)


def _is_hostfile(path: str) -> bool:
    from batchlint.loading.hostfile import is_hostfile  # (only for a file of no type batchlint reads by its name)

    return is_hostfile(path)


def bad_paths(paths: tuple[str, ...] | list[str], stdin_filename: str | None = None, any_type: bool = False) -> bool:
    """Named paths that do not exist, or (unless `any_type`) files of a type batchlint does not read:
    one line each (True), and the run stops before anything is checked. `-` is standard input."""
    from batchlint.engine import CONFIG_SUFFIXES
    from batchlint.loading.files import own_stream
    from batchlint.session import SCRIPT_SUFFIXES, is_launch_script

    bad = False
    for path in paths:
        named = stdin_filename or "stdin.yaml" if path == "-" else path
        if path != "-" and not os.path.exists(path):
            error(f"{path}: no such file or directory")
        elif (
            not any_type
            and not os.path.isdir(named)
            and not _template_of(named).endswith(CONFIG_SUFFIXES + SCRIPT_SUFFIXES)
            and not own_stream(named)
            and not (path != "-" and os.path.isfile(named) and (is_launch_script(named) or _is_hostfile(named)))
            and not (path != "-" and named.endswith(".py") and os.path.isfile(named) and _python_config(named))
        ):  # a `#!/bin/bash` script, a DeepSpeed hostfile, a Python config module (mmengine, nanoGPT), never a program
            error(f"{named}: not a file batchlint reads (it reads {', '.join(CONFIG_SUFFIXES + SCRIPT_SUFFIXES)} files)")
        else:
            continue
        bad = True
    return bad


def read_stdin(paths: tuple[str, ...], stdin_filename: str | None) -> tuple[list[str], dict[str, str]]:
    """With `-` as the only path, the file comes from standard input under --stdin-filename:
    the paths to check, and the text that stands in for that file (absolute path -> text)."""
    if paths != ("-",):
        return list(paths), {}
    name = stdin_filename or "stdin.yaml"
    return [name], {os.path.abspath(name): _stdin_text(name)}


def _stdin_text(name: str) -> str:
    """Standard input, bounded like a file and strictly UTF-8; bad input is one line (file:line:col), exit 2."""
    from batchlint.loading import LoadError
    from batchlint.loading.files import MAX_FILE_BYTES, read_fd
    from batchlint.loading.text import decode

    try:
        try:
            data = read_fd(sys.stdin.fileno(), MAX_FILE_BYTES)
        except (AttributeError, ValueError, OSError):  # a stream without a descriptor (an embedding program, tests)
            data = sys.stdin.read(MAX_FILE_BYTES + 1).encode("utf-8", "surrogatepass")
        return decode(name, data)
    except LoadError as exc:
        error(f"{exc.path}:{exc.line}:{exc.column}: {exc.message}" + (f" ({exc.help})" if exc.help else ""))
    except (OSError, ValueError) as exc:  # no usable standard input (closed, or not a descriptor)
        error(f"{name}: cannot read standard input: {getattr(exc, 'strerror', None) or exc}")
    raise SystemExit(2)


def _baseline_error() -> type[Exception]:
    """batchlint.baseline's error, imported only when an exception reaches the clause that names it
    (Python evaluates an `except` clause's class then): a check without a baseline never imports it."""
    from batchlint.baseline import BaselineError

    return BaselineError


def checked(paths: tuple[str, ...], options: Options, stdin_filename: str | None = None, use_cache: bool = False, keep_runs: bool = True) -> Report | None:
    """The engine's report, or None after a one-line settings or baseline error."""
    from batchlint.bound import with_bound_configs
    from batchlint.engine import check
    from batchlint.session import Session
    from batchlint.settings import SettingsError

    try:
        files, given = read_stdin(paths, stdin_filename)
        session = Session(given or None)
        session.given = tuple(os.path.abspath(f) for f in files)  # the project fence (no marker): what the user named, not what is bound to it
        files = with_bound_configs(files, session, options)  # a launch file's training configs, when asked
        return check(files, options, given or None, use_cache=use_cache, session=session, keep_runs=keep_runs)
    except SettingsError as exc:
        error(f"settings: {exc}")
        return None
    except _baseline_error() as exc:  # an unknown revision, a file outside git
        error(str(exc))
        return None

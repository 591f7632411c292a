"""Command line: only the parser. `main` turns the arguments into the typed arguments of the command
and runs `batchlint/commands/<command>.py`, which calls the engine and a reporter.

Exit codes (`batchlint.commands.exit`): 0 nothing at warning level or above; 1 findings; 2 usage,
settings or internal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from batchlint import __version__

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true. argparse is
# imported only when it parses (build_parser): a plain `check` is read by quick_check_arguments.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from types import SimpleNamespace
    from typing import Any, NoReturn, Protocol, TypeAlias

    from batchlint.options import LaunchOptions, Options

    Namespace: TypeAlias = argparse.Namespace | SimpleNamespace  # what argparse gives, or quick_check_arguments

    class Declares(Protocol):
        """Where a command's arguments are declared: its argparse parser, or a `_Declared` for the quick read."""

        def add_argument(self, *flags: str, **kwargs: Any) -> object: ...
        def add_argument_group(self, title: str) -> Declares: ...


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _type_error(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise _type_error(f"expected a positive integer, got {value}")
    return value


def _type_error(message: str) -> Exception:
    """argparse's error for a value its type refuses (argparse is imported only then)."""
    import argparse

    return argparse.ArgumentTypeError(message)


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _add_launch(p: Declares) -> None:
    g = p.add_argument_group("launch (what the training runs on)")
    g.add_argument("--accelerate-config", metavar="PATH", help="accelerate config file the training configs are launched with")
    g.add_argument("--num-processes", type=_positive, metavar="N", help="total processes (GPUs) over all machines")
    g.add_argument("--num-machines", type=_positive, metavar="M", help="number of machines")
    g.add_argument("--target-total", type=_positive, metavar="N", help="target total batch per optimizer step")
    g.add_argument("--include-root", metavar="DIR", help="directory `${include:...}` names are relative to")
    g.add_argument(
        "--use-default-accelerate-config",
        action="store_true",
        help="pair training configs with this machine's default accelerate config ($HF_HOME/accelerate/default_config.yaml) when nothing else names one",
    )
    m = p.add_argument_group("memory (what fits on a card)")
    m.add_argument("--gpu", metavar="NAME", help="GPU model, e.g. A100-80GB (`batchlint plan --list-gpus`)")
    m.add_argument("--gpu-memory", type=float, metavar="GIB", help="GPU capacity in GiB, instead of --gpu")
    m.add_argument("--memory-profile", metavar="PATH", help="YAML memory profile of the model")
    m.add_argument("--memory-preset", metavar="NAME", help="built-in memory profile: musev_referencenet, musev")


def _check_arguments(check: Declares) -> None:
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    check.add_argument(
        "--format",
        choices=("full", "text", "concise", "json", "json-lines", "github", "sarif", "gitlab", "junit", "markdown"),
        default=None,
        help="output format (default: full; github when GITHUB_ACTIONS=true)",
    )
    check.add_argument("--statistics", action="store_true", help="print the number of findings per rule instead of the findings")
    check.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the full and concise reports (auto: on a terminal, unless NO_COLOR; FORCE_COLOR forces it)",
    )
    check.add_argument("--output-file", metavar="PATH", help="write the report to PATH instead of standard output")
    check.add_argument("--stdin-filename", metavar="PATH", help="with PATH `-`: the name of the file read from standard input (dialect, settings, messages)")
    check.add_argument("--select", type=_codes, metavar="CODES", help="comma-separated codes, prefixes or names to run")
    check.add_argument("--ignore", type=_codes, metavar="CODES", help="comma-separated codes, prefixes or names to skip")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--force-exclude", action="store_true", help="apply `exclude` to files named on the command line too")
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the result cache (also: BATCHLINT_NO_CACHE=1; where it is: BATCHLINT_CACHE_DIR, `batchlint clean` empties it)",
    )
    check.add_argument("--extend-select", type=_codes, metavar="CODES", help="codes or prefixes added to the selection")
    review = check.add_argument_group("reviewing a change")
    review.add_argument(
        "--baseline", metavar="REV", help="compare each run's total with the run at git revision REV (BL107, BL108); wins over `baseline` in settings"
    )
    review.add_argument("--no-baseline", action="store_true", help="ignore `baseline` in settings")
    review.add_argument(
        "--bound-configs",
        action="store_true",
        help="also check the training configs a given launch config, included file or DeepSpeed JSON is bound to (as the pre-commit hooks do)",
    )
    fixing = check.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes, rewriting only the values that must change")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, also apply unsafe fixes")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff and write nothing (exit 1 if any)")
    fixing.add_argument("--show-fixes", action="store_true", help="list the fixes that were applied")
    fixing.add_argument("--exit-non-zero-on-fix", action="store_true", help="exit 1 when files were fixed, even if nothing remains")
    fixing.add_argument(
        "--add-ignore", action="store_true", help="add `# batchlint: ignore[CODES]` to every line with a finding (to adopt batchlint gradually)"
    )
    _add_launch(check)


def _inspect_arguments(inspect: Declares) -> None:
    inspect.add_argument("paths", nargs="+", metavar="PATH")
    inspect.add_argument("--format", choices=("json", "text"), default="text")
    _add_launch(inspect)


def _plan_arguments(plan: Declares) -> None:
    plan.add_argument("config", nargs="?", metavar="CONFIG", help="training config to read the run, target and profile from")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.add_argument("--list-gpus", action="store_true", help="list the GPUs batchlint knows and exit")
    _add_launch(plan)


def _settings_arguments(show: Declares) -> None:
    show.add_argument("--show", metavar="PATH", required=True, help="the file whose settings to show")


def _rule_arguments(rule: Declares) -> None:
    rule.add_argument("code", nargs="?", help="rule code or name, e.g. BL101")
    rule.add_argument("--all", action="store_true", help="every rule")
    rule.add_argument("--format", choices=("text", "json"), default="text")


def _launch(args: Namespace) -> LaunchOptions:
    from batchlint.options import LaunchOptions

    return LaunchOptions(
        args.accelerate_config,
        args.num_processes,
        args.num_machines,
        args.target_total,
        args.include_root,
        args.gpu,
        args.gpu_memory,
        args.memory_profile,
        args.memory_preset,
        args.use_default_accelerate_config,
    )


def _options(args: Namespace) -> Options:
    from batchlint.options import Options

    select = getattr(args, "select", None)
    extend = getattr(args, "extend_select", None)
    if extend:
        select = (select or ["ALL"]) + extend
    baseline = "" if getattr(args, "no_baseline", False) else getattr(args, "baseline", None)  # "": none, whatever settings say
    return Options(_launch(args), select, getattr(args, "ignore", None), getattr(args, "force_exclude", False), baseline, getattr(args, "bound_configs", False))


def _check(args: Namespace) -> int:
    from batchlint.commands.check import CheckArgs, run

    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full")
    return run(
        CheckArgs(
            paths=tuple(args.paths),
            options=_options(args),
            format=fmt,
            select=args.select,
            statistics=args.statistics,
            output_file=args.output_file,
            stdin_filename=args.stdin_filename,
            exit_zero=args.exit_zero,
            no_cache=args.no_cache,
            fix=args.fix,
            unsafe_fixes=args.unsafe_fixes,
            diff=args.diff,
            show_fixes=args.show_fixes,
            exit_non_zero_on_fix=args.exit_non_zero_on_fix,
            add_ignore=args.add_ignore,
            color=args.color,
        )
    )


def _inspect(args: Namespace) -> int:
    from batchlint.commands.inspect import InspectArgs, run

    return run(InspectArgs(paths=tuple(args.paths), options=_options(args), format=args.format))


def _plan(args: Namespace) -> int:
    from batchlint.commands.plan import PlanArgs, run

    return run(PlanArgs(config=args.config, options=_options(args), format=args.format, list_gpus=args.list_gpus))


def _settings(args: Namespace) -> int:
    from batchlint.commands.settings import SettingsArgs, run

    return run(SettingsArgs(show=args.show))


def _rule(args: Namespace) -> int:
    from batchlint.commands.rule import RuleArgs, run

    return run(RuleArgs(code=args.code, all=args.all, format=args.format))


def _clean_arguments(clean: Declares) -> None:
    clean.add_argument("--format", choices=("text", "json"), default="text")


def _clean(args: Namespace) -> int:
    from batchlint.commands.clean import CleanArgs, run

    return run(CleanArgs(format=args.format))


def _server_arguments(server: Declares) -> None:
    server.add_argument("--stdio", action="store_true", help="talk over standard input/output (the default)")


def _server(args: Namespace) -> int:
    from batchlint.commands.server import ServerArgs, run

    return run(ServerArgs(stdio=True))


# name: (summary, add its arguments, run it with the typed arguments made from the parsed ones)
_COMMANDS: dict[str, tuple[str, Callable[[Declares], None], Callable[[Namespace], int]]] = {
    "check": ("check configs and report findings", _check_arguments, _check),
    "inspect": ("show the resolved run: what batchlint believes", _inspect_arguments, _inspect),
    "plan": ("list (per-device batch, accumulation) pairs for a target, with memory", _plan_arguments, _plan),
    "settings": ("show the settings that apply to a file", _settings_arguments, _settings),
    "rule": ("explain a rule", _rule_arguments, _rule),
    "clean": ("remove this user's result cache ($BATCHLINT_CACHE_DIR, else $XDG_CACHE_HOME/batchlint, else ~/.cache/batchlint)", _clean_arguments, _clean),
    "server": ("run the language server for editors (LSP over stdio; the `server` extra)", _server_arguments, _server),
}


_DESCRIPTIONS = {
    "clean": (
        "Remove this user's result cache: the entries batchlint wrote in $BATCHLINT_CACHE_DIR, else $XDG_CACHE_HOME/batchlint, "
        "else ~/.cache/batchlint (nothing else there). Prints what it removed in one line; exit 0."
    ),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with `command` only that command's arguments: a pre-commit hook runs
    `check` on every commit, and argparse spends milliseconds on every argument it is given."""
    from batchlint.arguments import Parser, untranslated

    untranslated()
    parser = Parser(
        prog="batchlint",
        description="Lint the effective batch of deep-learning training configs.",
        epilog=(
            "`check` caches each file's result per user in $BATCHLINT_CACHE_DIR, else $XDG_CACHE_HOME/batchlint, else ~/.cache/batchlint "
            "(bounded; `check --no-cache` or BATCHLINT_NO_CACHE=1 turns it off, `batchlint clean` removes it)."
        ),
    )
    parser.command = command
    parser.add_argument("--version", action="version", version=f"batchlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (summary, add_arguments, _) in _COMMANDS.items():
        command_parser = sub.add_parser(name, help=summary, description=_DESCRIPTIONS.get(name))  # every command, for the top-level help
        if command is None or command == name:
            add_arguments(command_parser)
    return parser


class _Declared:
    """What a command declares (its `add_argument` calls), recorded without argparse for the quick read."""

    def __init__(self) -> None:
        self.arguments: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def add_argument(self, *flags: str, **kwargs: Any) -> object:
        self.arguments.append((flags, kwargs))
        return None

    def add_argument_group(self, title: str) -> _Declared:
        return self


# Option (flag) -> (its dest, a flag (store_true) or not, its type, its choices).
_Options: TypeAlias = "dict[str, tuple[str, bool, Callable[[str], object] | None, Sequence[object] | None]]"
_QUICK_KEYS = frozenset({"action", "type", "choices", "default", "metavar", "help", "nargs"})  # what the quick read knows


def _quick_table(declare: Callable[[Declares], None]) -> tuple[_Options, dict[str, object], str] | None:
    """The options, the defaults and the positional a command declares, when the quick read knows each
    declaration: long options that store a value or a flag, and one positional of one or more values."""
    declared = _Declared()
    declare(declared)
    options: _Options = {}
    defaults: dict[str, object] = {}
    positional = ""
    for flags, kwargs in declared.arguments:
        action = kwargs.get("action", "store")
        if set(kwargs) - _QUICK_KEYS or action not in ("store", "store_true"):
            return None
        if not flags[0].startswith("-"):
            if positional or len(flags) != 1 or action != "store" or kwargs.get("nargs") != "+" or {"type", "choices", "default"} & set(kwargs):
                return None
            positional = flags[0]
            continue
        if "nargs" in kwargs or not all(flag.startswith("--") for flag in flags) or (action == "store_true" and {"type", "choices"} & set(kwargs)):
            return None
        dest = flags[0][2:].replace("-", "_")  # argparse's dest: the first long option's name
        convert = kwargs.get("type")
        default = kwargs.get("default", False if action == "store_true" else None)
        # argparse gives a string default its type when no argument replaced it.
        defaults[dest] = convert(default) if isinstance(default, str) and convert is not None else default
        for flag in flags:
            options[flag] = (dest, action == "store_true", convert, kwargs.get("choices"))
    return (options, defaults, positional) if positional else None


def quick_check_arguments(argv: Sequence[str]) -> SimpleNamespace | None:
    """The arguments of `batchlint check ...` as argparse parses them, read without importing or building
    argparse (~2 ms of a one-file check, which a pre-commit hook runs on every commit). None (argparse
    reads them, errors and help as always) unless each argument is one argparse reads only one way: an
    exact long option of `check` (no abbreviation); a flag alone; a value option with one value (`--name
    VALUE` or `--name=VALUE`, not empty, not starting with `-`) that its type and its choices accept; the
    paths one run of words not starting with `-`, as argparse takes them (a second run is an error)."""
    if argv[:1] != ["check"]:
        return None
    table = _quick_table(_check_arguments)
    if table is None:
        return None
    options, defaults, positional = table
    values = dict(defaults)
    paths: list[str] = []
    runs = 0
    in_paths = False
    i = 1
    while i < len(argv):
        token = argv[i]
        i += 1
        if not token.startswith("-"):
            runs += not in_paths
            in_paths = True
            paths.append(token)
            continue
        in_paths = False
        name, equals, text = token.partition("=")
        if name not in options:
            return None
        dest, flag, convert, choices = options[name]
        if flag:
            if equals:
                return None
            values[dest] = True
            continue
        if not equals:
            if i == len(argv):
                return None
            text = argv[i]
            i += 1
        if not text or text.startswith("-"):
            return None
        try:
            value = text if convert is None else convert(text)
        except Exception:  # noqa: BLE001 - argparse reports it
            return None
        if choices is not None and value not in choices:
            return None
        values[dest] = value
    if runs != 1:
        return None
    from types import SimpleNamespace

    values[positional] = paths
    return SimpleNamespace(command="check", **values)


def main(argv: Sequence[str] | None = None) -> int:
    from batchlint.output.console import ascii_fallback

    ascii_fallback(sys.stdout)  # a console that cannot encode `≈` or `→` gets ASCII, not a traceback
    ascii_fallback(sys.stderr)
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        args: Namespace | None = None
        if argv[:1] == ["check"]:
            from batchlint.commands.check import collect_rarely

            collect_rarely()  # from the start: the collector would walk every module the check imports
            args = quick_check_arguments(argv)
        if args is None:
            args = build_parser(argv[0] if argv and argv[0] in _COMMANDS else None).parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        build_parser().print_help()
        return 2
    try:
        try:
            return _COMMANDS[args.command][2](args)
        finally:
            if not sys.stdout.closed:  # (the language server closes it when the client leaves)
                sys.stdout.flush()  # a full disk shows here, as one line, not in the interpreter's exit
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:  # the report could not be written (/dev/full, --output-file in a missing directory)
        from batchlint.output.console import report_failed

        return report_failed(exc)


def console() -> NoReturn:
    """The `batchlint` command (and `python -m batchlint`): `main()`, then the end of the process.

    Once the report is written and both standard streams are flushed, the process ends with
    `os._exit`: the interpreter's teardown (freeing every module and object one by one, milliseconds
    that a pre-commit hook pays on every commit) has nothing left to do for the user. It is safe
    because nothing of a run waits for the teardown: files are written in `with` blocks (the cache's
    entries by a rename, `--output-file` by batchlint.atomic) and closed before `main` returns, the
    process pool is terminated and joined by its `with` block; anything that does wait for it (an
    `atexit` function: multiprocessing's, logging's, a `weakref.finalize`, a coverage tool's; or a
    thread still running, as the language server's engine thread may be) keeps the ordinary exit.
    A flush that fails (a closed pipe, a full disk) keeps the ordinary exit too, and with it today's
    handling: `main` has already turned the failure into its exit code. `main()` itself, which
    tests call in-process, never ends the process."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # a broken pipe, a full disk, a closed or missing stream
        sys.exit(code)
    if _waits_for_exit():
        sys.exit(code)
    os._exit(code)


def _waits_for_exit() -> bool:
    """Something registered for the interpreter's exit, or a thread besides this one is alive."""
    import atexit

    if atexit._ncallbacks():
        return True
    threading = sys.modules.get("threading")  # (never imported by a plain check: no thread to wait for)
    return threading is not None and threading.active_count() > 1

"""Command line: thin. Parses arguments, calls the engine, picks a reporter, sets the exit code.

Exit codes: 0 nothing at warning level or above; 1 findings; 2 usage, settings or internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from batchlint import __version__


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


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, without its `shutil` import (and shutil's bz2/lzma imports) on every run."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width if width is not None else 10_000)
        self._explicit_width = width is not None

    def format_help(self) -> str:
        if not self._explicit_width:
            self._width = _terminal_columns() - 2
            self._max_help_position = min(self._max_help_position, max(self._width - 20, self._indent_increment * 2))
        return super().format_help()


class _Parser(argparse.ArgumentParser):
    command: str | None = None  # on the top-level parser: the command being run

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        # Unknown options after a command are reported by the top-level parser: point at the command.
        command = self.prog.split()[-1] if self.prog != "batchlint" else self.command or ""
        self.exit(2, f"batchlint: error: {message} (see `batchlint {command + ' ' if command else ''}--help`)\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _add_launch(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("launch (what the training runs on)")
    g.add_argument("--accelerate-config", metavar="PATH", help="accelerate config file the training configs are launched with")
    g.add_argument("--num-processes", type=_positive, metavar="N", help="total processes (GPUs) over all machines")
    g.add_argument("--num-machines", type=_positive, metavar="M", help="number of machines")
    g.add_argument("--target-total", type=_positive, metavar="N", help="target total batch per optimizer step")
    g.add_argument("--include-root", metavar="DIR", help="directory `${include:...}` names are relative to")
    g.add_argument("--use-default-accelerate-config", action="store_true",
                   help="pair training configs with this machine's default accelerate config "
                        "($HF_HOME/accelerate/default_config.yaml) when nothing else names one")
    m = p.add_argument_group("memory (what fits on a card)")
    m.add_argument("--gpu", metavar="NAME", help="GPU model, e.g. A100-80GB (`batchlint plan --list-gpus`)")
    m.add_argument("--gpu-memory", type=float, metavar="GIB", help="GPU capacity in GiB, instead of --gpu")
    m.add_argument("--memory-profile", metavar="PATH", help="YAML memory profile of the model")
    m.add_argument("--memory-preset", metavar="NAME", help="built-in memory profile: musev_referencenet, musev")


def _check_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    check.add_argument("--format", choices=("full", "text", "concise", "json", "json-lines", "github", "sarif", "gitlab", "junit"),
                       default=None, help="output format (default: full; github when GITHUB_ACTIONS=true)")
    check.add_argument("--statistics", action="store_true", help="print the number of findings per rule instead of the findings")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="colour the full and concise reports (auto: on a terminal, unless NO_COLOR; FORCE_COLOR forces it)")
    check.add_argument("--output-file", metavar="PATH", help="write the report to PATH instead of standard output")
    check.add_argument("--stdin-filename", metavar="PATH",
                       help="with PATH `-`: the name of the file read from standard input (dialect, settings, messages)")
    check.add_argument("--select", type=_codes, metavar="CODES", help="comma-separated codes, prefixes or names to run")
    check.add_argument("--ignore", type=_codes, metavar="CODES", help="comma-separated codes, prefixes or names to skip")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--force-exclude", action="store_true", help="apply `exclude` to files named on the command line too")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    check.add_argument("--extend-select", type=_codes, metavar="CODES", help="codes or prefixes added to the selection")
    fixing = check.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes, rewriting only the values that must change")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, also apply unsafe fixes")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff and write nothing (exit 1 if any)")
    fixing.add_argument("--show-fixes", action="store_true", help="list the fixes that were applied")
    fixing.add_argument("--exit-non-zero-on-fix", action="store_true", help="exit 1 when files were fixed, even if nothing remains")
    fixing.add_argument("--add-ignore", action="store_true",
                        help="add `# batchlint: ignore[CODES]` to every line with a finding (to adopt batchlint gradually)")
    _add_launch(check)


def _inspect_arguments(inspect: argparse.ArgumentParser) -> None:
    inspect.add_argument("paths", nargs="+", metavar="PATH")
    inspect.add_argument("--format", choices=("json", "text"), default="text")
    _add_launch(inspect)


def _plan_arguments(plan: argparse.ArgumentParser) -> None:
    plan.add_argument("config", nargs="?", metavar="CONFIG", help="training config to read the run, target and profile from")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.add_argument("--list-gpus", action="store_true", help="list the GPUs batchlint knows and exit")
    _add_launch(plan)


def _settings_arguments(show: argparse.ArgumentParser) -> None:
    show.add_argument("--show", metavar="PATH", required=True, help="the file whose settings to show")


def _rule_arguments(rule: argparse.ArgumentParser) -> None:
    rule.add_argument("code", nargs="?", help="rule code or name, e.g. BL101")
    rule.add_argument("--all", action="store_true", help="every rule")
    rule.add_argument("--format", choices=("text", "json"), default="text")


_COMMANDS = {
    "check": ("check configs and report findings", _check_arguments),
    "inspect": ("show the resolved run: what batchlint believes", _inspect_arguments),
    "plan": ("list (per-device batch, accumulation) pairs for a target, with memory", _plan_arguments),
    "settings": ("show the settings that apply to a file", _settings_arguments),
    "rule": ("explain a rule", _rule_arguments),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with `command` only that command's arguments: a pre-commit hook runs
    `check` on every commit, and argparse spends milliseconds on every argument it is given."""
    parser = _Parser(prog="batchlint", description="Lint the effective batch of deep-learning training configs.")
    parser.command = command
    parser.add_argument("--version", action="version", version=f"batchlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (summary, add_arguments) in _COMMANDS.items():
        command_parser = sub.add_parser(name, help=summary)  # every command, for the top-level help
        if command is None or command == name:
            add_arguments(command_parser)
    return parser


def _options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from batchlint.options import LaunchOptions, Options

    launch = LaunchOptions(args.accelerate_config, args.num_processes, args.num_machines, args.target_total,
                           args.include_root, args.gpu, args.gpu_memory, args.memory_profile, args.memory_preset,
                           args.use_default_accelerate_config)
    select = getattr(args, "select", None)
    extend = getattr(args, "extend_select", None)
    if extend:
        select = (select or ["ALL"]) + extend
    return Options(launch, select, getattr(args, "ignore", None), getattr(args, "force_exclude", False))


def main(argv: Sequence[str] | None = None) -> int:
    from batchlint.output.console import ascii_fallback

    ascii_fallback(sys.stdout)  # a console that cannot encode `≈` or `→` gets ASCII, not a traceback
    ascii_fallback(sys.stderr)
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        args = build_parser(argv[0] if argv and argv[0] in _COMMANDS else None).parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        build_parser().print_help()
        return 2
    try:
        if args.command == "rule":
            return _rule(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "settings":
            return _settings_show(args)
        return _check(args) if args.command == "check" else _inspect(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


def _stdin(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """With `-` as the path, the file comes from standard input under --stdin-filename."""
    if getattr(args, "paths", None) != ["-"]:
        return args.paths, {}
    name = getattr(args, "stdin_filename", None) or "stdin.yaml"
    return [name], {os.path.abspath(name): sys.stdin.read()}


def _run_prechecks(args: argparse.Namespace) -> bool:
    """Usage problems that stop the run (True), each reported in one line."""
    from batchlint.rules import unknown_selectors

    for flag in ("select", "ignore"):
        bad = unknown_selectors(getattr(args, flag, None) or [])
        if bad:
            sys.stderr.write(f"batchlint: error: --{flag}: unknown rule {', '.join(bad)} (see `batchlint rule --all`)\n")
            return True
    return False


def _run(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from batchlint.engine import check
    from batchlint.settings import SettingsError

    if _run_prechecks(args):
        return None
    try:
        paths, given = _stdin(args)
        use_cache = args.command == "check" and not getattr(args, "no_cache", False) and not getattr(args, "add_ignore", False)
        if args.command == "check":
            import gc

            # Everything imported so far lives to the end: keep the cyclic collector off it, and let
            # it run rarely (documents of thousands of files are freed by reference counting).
            gc.freeze()
            gc.set_threshold(50_000, 50, 100)
        return check(paths, _options(args), given or None, use_cache=use_cache, keep_runs=args.command != "check")
    except SettingsError as exc:
        sys.stderr.write(f"batchlint: error: settings: {exc}\n")
        return None


def _check(args: argparse.Namespace) -> int:
    from batchlint.output import reporter, use_color

    if args.fix or args.diff:
        return _fix(args)
    if args.add_ignore:
        return _add_ignore(args)
    report = _run(args)
    if report is None:
        return 2
    report.unsafe_fixes = args.unsafe_fixes
    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full")
    with _output(args) as out:
        if args.statistics:
            from batchlint.output.text import write_statistics

            write_statistics(report, out)
        else:
            reporter(fmt, use_color(args.color, out, os.environ))(report, out)
    for err in report.internal_errors:
        sys.stderr.write(f"batchlint: error: {err}\n")
    if report.internal_errors:
        return 2
    failing = report.failing
    return 1 if failing and not args.exit_zero else 0


class _output:
    """Standard output, or --output-file (written whole, so a CI step never reads half a report)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.path = getattr(args, "output_file", None)

    def __enter__(self):  # type: ignore[no-untyped-def]
        if self.path is None:
            return sys.stdout
        import io

        self.buffer = io.StringIO()
        return self.buffer

    def __exit__(self, *exc: object) -> None:
        if self.path is not None and exc[0] is None:
            with open(self.path, "w", encoding="utf-8") as fh:
                fh.write(self.buffer.getvalue())


def _fix(args: argparse.Namespace) -> int:
    from batchlint.fixer import fix
    from batchlint.output import reporter, use_color
    from batchlint.output.fixes import write_diff, write_fix_summary
    from batchlint.settings import SettingsError

    if _run_prechecks(args):
        return 2
    try:
        paths, given = _stdin(args)
        result = fix(paths, _options(args), unsafe=args.unsafe_fixes, write=not args.diff and not given, given=given)
    except SettingsError as exc:
        sys.stderr.write(f"batchlint: error: settings: {exc}\n")
        return 2
    if given and not args.diff:
        # An editor pipes the buffer in: the fixed text goes to stdout, the findings to stderr.
        (name, text), = given.items()
        changed = next(iter(result.changed.values()), None)
        sys.stdout.write(changed[1] if changed else text)
        reporter("concise")(result.report, sys.stderr)
        failing = result.report.failing
        return 1 if failing and not args.exit_zero else 0
    for err in result.errors:
        sys.stderr.write(f"batchlint: {err}\n")
    if args.diff:
        write_diff(result, sys.stdout)
        return 1 if result.changed else 0
    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full")
    with _output(args) as out:
        reporter(fmt, use_color(args.color, out, os.environ))(result.report, out)
        if fmt in ("full", "text", "concise"):
            write_fix_summary(result, out, args.show_fixes)
    for err in result.report.internal_errors:
        sys.stderr.write(f"batchlint: error: {err}\n")
    if result.report.internal_errors:
        return 2
    if args.exit_non_zero_on_fix and result.changed:
        return 1
    failing = result.report.failing
    return 1 if failing and not args.exit_zero else 0


def _add_ignore(args: argparse.Namespace) -> int:
    """Silence every current finding in place: an end-of-line comment naming its codes."""
    from batchlint.fixes import Edit, WriteError, apply_edits, write_atomic

    report = _run(args)
    if report is None:
        return 2
    by_line: dict[tuple[str, int], set[str]] = {}
    for d in report.diagnostics:
        if d.code != "BL008" and not d.span.file.endswith(".json"):  # JSON has no comments
            by_line.setdefault((d.span.file, d.span.line), set()).add(d.code)
    edits: dict[str, list[Edit]] = {}
    for (file, line), codes in sorted(by_line.items()):
        text = report.sources.get(file)
        if text is None:
            continue
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        if line > len(starts):
            continue
        end = text.find("\n", starts[line - 1])
        end = len(text) if end < 0 else end
        if end > 0 and text[end - 1] == "\r":
            end -= 1
        comment = f"  # batchlint: ignore[{','.join(sorted(codes))}]"
        edits.setdefault(file, []).append(Edit(file, end, end, comment))
    added = 0
    for file, file_edits in edits.items():
        old = report.sources[file]
        try:
            write_atomic(file, apply_edits(old, file_edits), old)
            added += len(file_edits)
        except (WriteError, OSError) as exc:
            sys.stderr.write(f"batchlint: {file}: {exc}\n")
    sys.stdout.write(f"Added {added} suppression comment{'s' if added != 1 else ''} to {len(edits)} file{'s' if len(edits) != 1 else ''}.\n")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    args.select = None
    args.ignore = None
    report = _run(args)
    if report is None:
        return 2
    if args.format == "json":
        from batchlint.output.json import write_runs

        write_runs(report, sys.stdout)
    else:
        from batchlint.output.inspect import write_inspect

        write_inspect(report, sys.stdout)
    for err in report.internal_errors:
        sys.stderr.write(f"batchlint: error: {err}\n")
    return 2 if report.internal_errors else 0


def _plan(args: argparse.Namespace) -> int:
    from batchlint.settings import SettingsError

    if args.list_gpus:
        from batchlint.memory.gpus import GPUS

        for gpu in GPUS:
            sys.stdout.write(f"{gpu.name:<14} {gpu.capacity_gib:7.2f} GiB  {gpu.note}\n")
        return 0
    try:
        made = _make_plan(args)
    except SettingsError as exc:
        sys.stderr.write(f"batchlint: error: {exc}\n")
        return 2
    if isinstance(made, str):
        sys.stderr.write(f"batchlint: error: {made}\n")
        return 2
    from batchlint.output.plan import write_plan, write_plan_json

    (write_plan_json if args.format == "json" else write_plan)(made, sys.stdout)
    return 0


def _make_plan(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """A Plan, or a one-line reason why none can be made."""
    from batchlint.counts import positive_int
    from batchlint.model import Fact, FactName, Origin
    from batchlint.plan import Plan

    options = _options(args)
    if args.config:
        from batchlint.engine import check

        report = check([args.config], options)
        runs = [r for r in report.runs if r.is_training]
        if not runs:
            return f"{args.config}: not a training config batchlint recognises"
        run = runs[0]
        dp = run.int_fact(FactName.DATA_PARALLEL_SIZE)
        if dp is None:
            return "the process count is unknown: give --num-processes or --accelerate-config"
        if run.target is None:
            return "no target total: give --target-total"
        b = run.int_fact(FactName.PER_DEVICE_BATCH)
        acc = run.accumulation
        k = positive_int(acc.value) if acc else None
        return Plan(dp, run.target.value, run.memory, (b, k) if b and k else None)
    if args.num_processes is None or args.target_total is None:
        return "give a training config, or --num-processes and --target-total"
    from batchlint.memory.attach import choose_gpu, load_profile
    from batchlint.memory.model import build_model
    from batchlint.memory.profile import parse_profile
    from batchlint.session import Session
    from batchlint.settings import FileSettings

    gpu = choose_gpu(options.launch, FileSettings())
    profile = None
    if args.memory_profile:
        profile = load_profile(args.memory_profile, Session().load)
    elif args.memory_preset:
        from batchlint.memory.profile import ProfileError
        from batchlint.settings import SettingsError

        try:
            profile = parse_profile({"preset": args.memory_preset}, "--memory-preset")
        except ProfileError as exc:
            raise SettingsError(str(exc)) from None
    memory = None
    if gpu is not None and profile is not None:
        facts = {FactName.DATA_PARALLEL_SIZE: Fact(FactName.DATA_PARALLEL_SIZE, args.num_processes, Origin.CLI),
                 FactName.DO_VALIDATION: Fact(FactName.DO_VALIDATION, profile.validation_gib is not None, Origin.DERIVED)}
        built = build_model(facts, gpu, 0.05, profile)
        if isinstance(built, str):
            return built
        memory = built
    return Plan(args.num_processes, args.target_total, memory, None)


def _settings_show(args: argparse.Namespace) -> int:
    import json

    from batchlint.settings import SettingsError, settings_for

    try:
        settings = settings_for(args.show)
    except SettingsError as exc:
        sys.stderr.write(f"batchlint: error: settings: {exc}\n")
        return 2
    shown = {"settings_file": settings.path, "applies_to": args.show, "values": settings.for_file(args.show).as_json(),
             "ignore_here": settings.ignores_for(args.show), "select": settings.select(),
             "excluded": settings.excluded(args.show),
             "runs": [{"configs": r.configs, **r.values} for r in settings.runs],
             "dialects": settings.dialects}
    json.dump(shown, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    return 0


def _rule(args: argparse.Namespace) -> int:
    from batchlint.output.rules import rule_json, rule_text
    from batchlint.rules import BY_CODE, BY_NAME, RULES

    if args.all:
        rules = RULES
    elif args.code:
        found = BY_CODE.get(args.code.upper()) or BY_NAME.get(args.code)
        if found is None:
            sys.stderr.write(f"batchlint: error: unknown rule {args.code!r} (see `batchlint rule --all`)\n")
            return 2
        rules = [found]
    else:
        sys.stderr.write("batchlint: error: give a rule code (e.g. `batchlint rule BL101`) or --all\n")
        return 2
    if args.format == "json":
        import json

        json.dump([rule_json(r) for r in rules], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n\n".join(rule_text(r) for r in rules) + "\n")
    return 0

"""`batchlint check`: report findings; with --fix / --diff, fix them; with --add-ignore, silence them."""

from __future__ import annotations

import os
import sys

from batchlint.commands.common import Frozen, bad_paths, checked, error, read_stdin, unknown_selectors, write_internal_errors
from batchlint.commands.exit import ERROR, exit_code
from batchlint.options import Options


class CheckArgs(Frozen):
    __slots__ = (
        "paths",
        "options",
        "format",
        "select",
        "statistics",
        "output_file",
        "stdin_filename",
        "exit_zero",
        "no_cache",
        "fix",
        "unsafe_fixes",
        "diff",
        "show_fixes",
        "exit_non_zero_on_fix",
        "add_ignore",
        "color",
    )

    def __init__(
        self,
        paths: tuple[str, ...],
        options: Options,
        format: str,
        *,
        select: list[str] | None = None,
        statistics: bool = False,
        output_file: str | None = None,
        stdin_filename: str | None = None,
        exit_zero: bool = False,
        no_cache: bool = False,
        fix: bool = False,
        unsafe_fixes: bool = False,
        diff: bool = False,
        show_fixes: bool = False,
        exit_non_zero_on_fix: bool = False,
        add_ignore: bool = False,
        color: str = "auto",
    ) -> None:
        self.paths = paths  # `-`: standard input, named --stdin-filename
        self.options = options
        self.format = format  # the reporter (the default already chosen)
        self.select = select  # --select as given, checked for unknown codes (options.select adds --extend-select)
        self.statistics = statistics
        self.output_file = output_file
        self.stdin_filename = stdin_filename
        self.exit_zero = exit_zero
        self.no_cache = no_cache
        self.fix = fix
        self.unsafe_fixes = unsafe_fixes
        self.diff = diff
        self.show_fixes = show_fixes
        self.exit_non_zero_on_fix = exit_non_zero_on_fix
        self.add_ignore = add_ignore
        self.color = color  # --color auto|always|never


def run(args: CheckArgs) -> int:
    if unknown_selectors(args.select, args.options.ignore) or bad_paths(args.paths, args.stdin_filename) or _clashes(args):
        return ERROR
    if args.fix or args.diff:
        return _fix(args)
    if args.add_ignore:
        return _add_ignore(args)
    from batchlint.output import output_file, reporter, use_color

    _long_lived_imports()
    # The markdown summary has a row per run; the other formats need only the findings (and may check in parallel).
    use_cache = not args.no_cache  # --no-cache, or $BATCHLINT_NO_CACHE (the cache is not imported under --no-cache)
    if use_cache:
        from batchlint.cache import disabled

        use_cache = not disabled()
    report = checked(args.paths, args.options, args.stdin_filename, use_cache=use_cache, keep_runs=args.format == "markdown")
    if report is None:
        return ERROR
    report.unsafe_fixes = args.unsafe_fixes
    with output_file(args.output_file) as out:
        if args.statistics:
            from batchlint.output.text import write_statistics

            write_statistics(report, out, args.format == "json")
        else:
            reporter(args.format, use_color(args.color, out, os.environ))(report, out)
    write_internal_errors(report)
    return exit_code(report, exit_zero=args.exit_zero)


def _clashes(args: CheckArgs) -> bool:
    """--output-file naming a file batchlint checks (a walked or named config, the --accelerate-config or
    --memory-profile): refused in one line before anything runs, since the report would overwrite it."""
    if not args.output_file or not os.path.exists(args.output_file):
        return False
    from batchlint.engine import discover
    from batchlint.session import Session
    from batchlint.settings import SettingsError

    try:
        out = os.stat(args.output_file)
        checked_files = discover([p for p in args.paths if p != "-"], Session(), args.options.force_exclude)
    except (OSError, SettingsError):
        return False  # the run itself reports what is wrong
    for candidate in [*checked_files, args.options.launch.accelerate_config, args.options.launch.memory_profile]:
        try:
            same = candidate is not None and os.path.samestat(out, os.stat(candidate))
        except OSError:
            continue
        if same:
            error(f"--output-file {args.output_file} is {candidate}, which batchlint checks; the report would overwrite it (choose another file)")
            return True
    return False


def collect_rarely() -> None:
    """While a check imports its modules (most of its start-up), the cyclic collector runs rarely:
    it would walk them a dozen times. `_long_lived_imports` then freezes them and sets the threshold
    the check runs with."""
    import gc

    gc.set_threshold(50_000, 50, 100)


def _long_lived_imports() -> None:
    import gc

    # Everything imported so far lives to the end: keep the cyclic collector off it. Documents are
    # freed by reference counting; the collector keeps Python's small young generation, whose
    # collections stay in the CPU's cache (a 50,000-object one cost 15 % more time, measured).
    gc.freeze()
    gc.set_threshold(2_000, 10, 100)


def _fix(args: CheckArgs) -> int:
    from batchlint.baseline import BaselineError
    from batchlint.bound import with_bound_configs
    from batchlint.fixer import fix
    from batchlint.output import output_file, reporter, use_color
    from batchlint.output.fixes import write_diff, write_fix_summary
    from batchlint.session import Session
    from batchlint.settings import SettingsError

    try:
        paths, given = read_stdin(args.paths, args.stdin_filename)
        paths = with_bound_configs(paths, Session(given), args.options)  # a launch file's training configs, when asked
        result = fix(paths, args.options, unsafe=args.unsafe_fixes, write=not args.diff and not given, given=given)
    except SettingsError as exc:
        error(f"settings: {exc}")
        return ERROR
    except BaselineError as exc:
        error(str(exc))
        return ERROR
    if given and not args.diff:
        # An editor pipes the buffer in: the fixed text goes to stdout, the findings to stderr.
        ((_, text),) = given.items()
        changed = next(iter(result.changed.values()), None)
        sys.stdout.write(changed[1] if changed else text)
        reporter("concise")(result.report, sys.stderr)
        write_internal_errors(result.report)
        return exit_code(result.report, exit_zero=args.exit_zero)
    for err in result.errors:
        sys.stderr.write(f"batchlint: {err}\n")
    if args.diff:
        write_diff(result, sys.stdout)
        write_internal_errors(result.report)
        return exit_code(result.report, exit_zero=True, exit_non_zero_on_fix=True, changed=bool(result.changed))
    with output_file(args.output_file) as out:
        reporter(args.format, use_color(args.color, out, os.environ))(result.report, out)
        if args.format in ("full", "text", "concise"):
            write_fix_summary(result, out, args.show_fixes)
    write_internal_errors(result.report)
    return exit_code(result.report, exit_zero=args.exit_zero, exit_non_zero_on_fix=args.exit_non_zero_on_fix, changed=bool(result.changed))


def _add_ignore(args: CheckArgs) -> int:
    """Silence every current finding in place: an end-of-line comment naming its codes."""
    from batchlint.fixes import WriteError, apply_edits, write_atomic
    from batchlint.suppression import ignore_edits

    _long_lived_imports()
    report = checked(args.paths, args.options, args.stdin_filename, keep_runs=False)
    if report is None:
        return ERROR
    edits = ignore_edits(report)
    added = 0
    for file, file_edits in edits.items():
        old = report.sources[file]
        try:
            write_atomic(file, apply_edits(old, file_edits), old)
            added += len(file_edits)
        except (WriteError, OSError) as exc:
            sys.stderr.write(f"batchlint: {file}: {exc}\n")
    sys.stdout.write(f"Added {added} suppression comment{'s' if added != 1 else ''} to {len(edits)} file{'s' if len(edits) != 1 else ''}.\n")
    write_internal_errors(report)
    return exit_code(report, exit_zero=True)

"""`batchlint inspect`: the resolved runs, what batchlint believes about each."""

from __future__ import annotations

import sys

from batchlint.commands.common import Frozen, bad_paths, checked, write_internal_errors
from batchlint.commands.exit import ERROR, exit_code
from batchlint.options import Options


class InspectArgs(Frozen):
    __slots__ = ("paths", "options", "format")

    def __init__(self, paths: tuple[str, ...], options: Options, format: str = "text") -> None:
        self.paths = paths  # `-`: standard input
        self.options = options
        self.format = format  # text or json


def run(args: InspectArgs) -> int:
    if bad_paths(args.paths):
        return ERROR
    report = checked(args.paths, args.options)
    if report is None:
        return ERROR
    if args.format == "json":
        from batchlint.output.json import write_runs

        write_runs(report, sys.stdout)
    else:
        from batchlint.output.inspect import write_inspect

        write_inspect(report, sys.stdout)
    write_internal_errors(report)
    return exit_code(report, exit_zero=True)  # findings are not what inspect reports

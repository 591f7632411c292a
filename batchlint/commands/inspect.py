"""`batchlint inspect`: the resolved runs, what batchlint believes about each."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from batchlint.commands.common import checked, write_internal_errors
from batchlint.commands.exit import ERROR, exit_code
from batchlint.options import Options


@dataclass(frozen=True, slots=True)
class InspectArgs:
    paths: tuple[str, ...]  # `-`: standard input
    options: Options
    format: str = "text"  # text or json


def run(args: InspectArgs) -> int:
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

"""`batchlint rule CODE` / `--all`: explain rules."""

from __future__ import annotations

import sys

from batchlint.commands.common import Frozen, error
from batchlint.commands.exit import ERROR, OK


class RuleArgs(Frozen):
    __slots__ = ("code", "all", "format")

    def __init__(self, code: str | None, all: bool = False, format: str = "text") -> None:
        self.code = code  # a rule code or name
        self.all = all
        self.format = format  # text or json


def run(args: RuleArgs) -> int:
    from batchlint.output.rules import write_rules
    from batchlint.rules import BY_CODE, BY_NAME, RULES

    if args.all:
        rules = RULES
    elif args.code:
        found = BY_CODE.get(args.code.upper()) or BY_NAME.get(args.code)
        if found is None:
            error(f"unknown rule {args.code!r} (see `batchlint rule --all`)")
            return ERROR
        rules = [found]
    else:
        error("give a rule code (e.g. `batchlint rule BL101`) or --all")
        return ERROR
    write_rules(rules, args.format, sys.stdout)
    return OK

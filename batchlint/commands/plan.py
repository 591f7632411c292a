"""`batchlint plan`: the (per-device batch, accumulation) pairs for a target, with memory; or the known GPUs."""

from __future__ import annotations

import sys

from batchlint.commands.common import Frozen, bad_paths, error
from batchlint.commands.exit import ERROR, OK
from batchlint.options import Options


class PlanArgs(Frozen):
    __slots__ = ("config", "options", "format", "list_gpus")

    def __init__(self, config: str | None, options: Options, format: str = "text", list_gpus: bool = False) -> None:
        self.config = config  # the training config to read the run, target and profile from
        self.options = options
        self.format = format  # text or json
        self.list_gpus = list_gpus


def run(args: PlanArgs) -> int:
    if args.list_gpus:
        from batchlint.output.plan import write_gpus

        write_gpus(sys.stdout, args.format == "json")
        return OK
    if args.config and bad_paths([args.config]):
        return ERROR
    from batchlint.plan import make_plan
    from batchlint.settings import SettingsError

    try:
        made = make_plan(args.options, args.config)
    except SettingsError as exc:
        error(str(exc))
        return ERROR
    if isinstance(made, str):
        error(made)
        return ERROR
    from batchlint.output.plan import write_plan, write_plan_json

    (write_plan_json if args.format == "json" else write_plan)(made, sys.stdout)
    return OK

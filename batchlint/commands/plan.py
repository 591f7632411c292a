"""`batchlint plan`: the (per-device batch, accumulation) pairs for a target, with memory; or the known GPUs."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from batchlint.commands.common import error
from batchlint.commands.exit import ERROR, OK
from batchlint.options import Options


@dataclass(frozen=True, slots=True)
class PlanArgs:
    config: str | None  # the training config to read the run, target and profile from
    options: Options
    format: str = "text"  # text or json
    list_gpus: bool = False


def run(args: PlanArgs) -> int:
    if args.list_gpus:
        from batchlint.output.plan import write_gpus

        write_gpus(sys.stdout)
        return OK
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

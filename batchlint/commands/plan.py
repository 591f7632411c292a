"""`batchlint plan`: the (per-device batch, accumulation) pairs for a target, with memory; or the known GPUs."""

from __future__ import annotations

import sys

from batchlint.commands.common import Frozen, bad_paths, error
from batchlint.commands.exit import ERROR, OK
from batchlint.options import Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.plan import Plan


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


def make_plan(options: Options, config: str | None) -> Plan | str:
    """The plan for a training config (its run, target and memory), or from the launch options alone
    (--num-processes, --target-total, the GPU and a profile); otherwise a one-line reason why none can be
    made. Here, not in batchlint/plan.py: the rules use the planner, and loading a run uses the rules."""
    from batchlint.counts import positive_int
    from batchlint.model import Fact, FactName, Origin
    from batchlint.plan import plan

    if config:
        from batchlint.engine import check

        report = check([config], options)
        if report.internal_errors:
            return "; ".join(report.internal_errors)
        runs = [r for r in report.runs if r.is_training]
        if not runs:
            return f"{config}: not a training config batchlint recognises"
        run = runs[0]
        dp = run.int_fact(FactName.DATA_PARALLEL_SIZE)
        if dp is None:
            return "the process count is unknown: give --num-processes or --accelerate-config"
        if run.target is None:
            return "no target total: give --target-total"
        b = run.int_fact(FactName.PER_DEVICE_BATCH)
        acc = run.accumulation
        k = positive_int(acc.value) if acc else None
        return plan(dp, run.target.value, run.memory, (b, k) if b and k else None)
    launch = options.launch
    if launch.num_processes is None or launch.target_total is None:
        return "give a training config, or --num-processes and --target-total"
    from batchlint.memory.attach import DEFAULT_HEADROOM, choose_gpu, load_profile_file
    from batchlint.memory.model import build_model
    from batchlint.memory.profile import Profile, ProfileError, parse_profile
    from batchlint.settings import FileSettings, SettingsError

    gpu = choose_gpu(launch, FileSettings())
    profile: Profile | None = None
    if launch.memory_profile:
        profile = load_profile_file(launch.memory_profile)
    elif launch.memory_preset:
        try:
            profile = parse_profile({"preset": launch.memory_preset}, "--memory-preset")
        except ProfileError as exc:
            raise SettingsError(str(exc)) from None
    memory = None
    if gpu is not None and profile is not None:
        facts = {
            FactName.DATA_PARALLEL_SIZE: Fact(FactName.DATA_PARALLEL_SIZE, launch.num_processes, Origin.CLI),
            FactName.DO_VALIDATION: Fact(
                FactName.DO_VALIDATION, profile.validation_gib is not None, Origin.DERIVED, "validation (the profile's validation_gib)"
            ),
        }
        built = build_model(facts, gpu, DEFAULT_HEADROOM, profile)
        if isinstance(built, str):
            return built
        memory = built
    return plan(launch.num_processes, launch.target_total, memory, None)

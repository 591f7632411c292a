"""Derive: the run a config really gets — the launch's values merged in the order a real launch
applies them, then the arithmetic (world size, data-parallel size, the accumulation DeepSpeed or
Megatron really uses, each dialect's own hook) and the target.

Order, each beating the one before (accelerate-deepspeed.md §2.1): the training config, the
accelerate config's launch values, the script's launch line, batchlint's settings, its command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from batchlint.counts import positive_int
from batchlint.dialects.base import Dialect, FactDict
from batchlint.intent import Intent
from batchlint.model import DialectKind, Fact, FactName, Origin, RunModel, Target, TargetSource
from batchlint.options import LaunchOptions
from batchlint.pair import DeepSpeedLink, Pairing
from batchlint.settings import FileSettings

F = FactName

# Launch facts copied into a training run (the training config's own precision wins: it is
# passed to Accelerator(), which beats the accelerate file).
LAUNCH_FACTS = (F.NUM_PROCESSES, F.NUM_MACHINES, F.GPU_IDS, F.DISTRIBUTED_TYPE, F.LAUNCHER_GRAD_ACCUM,
                F.DEEPSPEED_HOSTFILE, F.DEEPSPEED_MULTINODE_LAUNCHER, F.DEEPSPEED_CONFIG_FILE, F.MPIRUN_HOSTFILE,
                F.DP_REPLICATE_SIZE, F.DP_SHARD_SIZE, F.TP_SIZE, F.CP_SIZE, F.SP_SIZE, F.MEGATRON_TP, F.MEGATRON_PP,
                F.MEGATRON_NUM_MICRO_BATCHES, F.ZERO_STAGE, F.FSDP_SHARDING_STRATEGY)


def world_size(processes: int, machines: int | None) -> int:
    """Ranks a launch really starts: `accelerate launch` (and torchrun) floor the processes per
    machine, so 10 processes on 4 machines are 2 per machine, 8 ranks."""
    return (processes // machines) * machines if machines and machines > 1 else processes


def _int(facts: Mapping[FactName, Fact[object]], name: FactName, default: int) -> int:
    fact = facts.get(name)
    value = positive_int(fact.value) if fact else None
    return value if value is not None else default


def data_parallel(facts: Mapping[FactName, Fact[object]]) -> Fact[object] | None:
    """The data-parallel size a launch with these facts really gets (spec §2.2, §2.4, §7)."""
    procs_fact = facts.get(F.NUM_PROCESSES)
    dtype_fact = facts.get(F.DISTRIBUTED_TYPE)
    dtype = dtype_fact.value if dtype_fact else None
    procs = positive_int(procs_fact.value) if procs_fact else None
    if dtype is False:
        dtype = "NO"  # unquoted `NO` is false to PyYAML; the simple launcher still runs
    if dtype_fact is not None and dtype_fact.origin == Origin.FILE:
        if dtype == "NO":
            return Fact(F.DATA_PARALLEL_SIZE, 1, Origin.DERIVED,
                        note="distributed_type NO: `accelerate launch` starts one process whatever num_processes says")
        if dtype == "MULTI_CPU" and not facts.get(F.MPIRUN_HOSTFILE):
            return None  # one process per launch; the world is assembled outside accelerate
    if procs is None:
        return None
    machines = _int(facts, F.NUM_MACHINES, 1)
    world = world_size(procs, machines)
    notes = []
    if world != procs:
        notes.append(f"{procs} processes on {machines} machines: {procs // machines} per machine, {world} ranks")
    launcher = facts.get(F.DEEPSPEED_MULTINODE_LAUNCHER)
    hosts = facts.get(F.HOSTFILE_HOSTS)
    if (dtype == "DEEPSPEED" and machines > 1 and hosts is not None and isinstance(hosts.value, int)
            and (launcher is None or launcher.value != "standard")):
        # The DeepSpeed runner uses every host of the hostfile, never --num_nodes (spec §2.2).
        world = hosts.value * (procs // machines)
        notes.append(f"DeepSpeed runner: {hosts.value} hostfile hosts × {procs // machines} per machine")
    dp = world
    parallel = {n: _int(facts, n, 1) for n in (F.DP_REPLICATE_SIZE, F.DP_SHARD_SIZE, F.TP_SIZE, F.CP_SIZE, F.SP_SIZE)}
    if any(n in facts for n in parallel) and dtype != "MEGATRON_LM":
        product = 1
        for size in parallel.values():
            product *= size
        if product > 1:
            dp = parallel[F.DP_REPLICATE_SIZE] * parallel[F.DP_SHARD_SIZE]
            notes.append(f"parallelism_config: dp_replicate {parallel[F.DP_REPLICATE_SIZE]} × dp_shard "
                         f"{parallel[F.DP_SHARD_SIZE]} (tp {parallel[F.TP_SIZE]}, cp {parallel[F.CP_SIZE]}, "
                         f"sp {parallel[F.SP_SIZE]} share batches)")
    if dtype == "MEGATRON_LM":
        tp, pp = _int(facts, F.MEGATRON_TP, 1), _int(facts, F.MEGATRON_PP, 1)
        dp = world // (tp * pp)
        notes.append(f"Megatron-LM: {world} // (tp {tp} × pp {pp})")
    return Fact(F.DATA_PARALLEL_SIZE, dp, Origin.DERIVED, note="; ".join(notes) or None)


def _plain_data_parallel(facts: FactDict) -> Fact[object] | None:
    """Without an accelerate config: the processes (floored over machines), or dp_shard × dp_replicate
    when tensor or context parallel ranks share batches."""
    procs = positive_int(facts[F.NUM_PROCESSES].value) if F.NUM_PROCESSES in facts else None
    if procs is None:
        return None
    machines = positive_int(facts[F.NUM_MACHINES].value) if F.NUM_MACHINES in facts else None
    world = world_size(procs, machines)
    dp = Fact(F.DATA_PARALLEL_SIZE, world, Origin.DERIVED,
              note=None if world == procs else f"{procs} processes on {machines} machines: {world} ranks")
    shard = [positive_int(facts[n].value) or 1 for n in (F.DP_SHARD_SIZE, F.DP_REPLICATE_SIZE) if n in facts]
    if shard and any(n in facts for n in (F.TP_SIZE, F.CP_SIZE)):
        dp = Fact(F.DATA_PARALLEL_SIZE, shard[0] if len(shard) == 1 else shard[0] * shard[1], Origin.DERIVED,
                  note="dp_shard × dp_replicate: tensor/context-parallel ranks share batches")
    return dp


def _model_parallel(facts: FactDict) -> None:
    """Pipeline × model/tensor parallel ranks share batches (GPT-NeoX pipe × model, torchtune's
    tensor_parallel_dim): data-parallel size = processes / their product."""
    procs = positive_int(facts[F.NUM_PROCESSES].value) if F.NUM_PROCESSES in facts else None
    divisor = 1
    for name in (F.PP_SIZE, F.MP_SIZE):
        if name in facts:
            divisor *= positive_int(facts[name].value) or 1
    if F.DP_SHARD_SIZE not in facts:
        for name in (F.TP_SIZE, F.CP_SIZE):
            if name in facts:
                divisor *= positive_int(facts[name].value) or 1
    if procs is not None and divisor > 1:
        if procs % divisor:
            # The trainer refuses this layout at start-up (BL110 says so): no data-parallel size.
            facts[F.DATA_PARALLEL_SIZE] = Fact(F.DATA_PARALLEL_SIZE, None, Origin.DERIVED,
                                               unresolved=f"{procs} processes do not split into groups of {divisor} model-parallel ranks")
            return
        facts[F.DATA_PARALLEL_SIZE] = Fact(F.DATA_PARALLEL_SIZE, procs // divisor, Origin.DERIVED,
                                           note=f"{procs} processes / {divisor} (pipeline × model/tensor parallel ranks share batches)")


def effective_grad_accum(facts: FactDict, link: DeepSpeedLink | None) -> Fact[object] | None:
    """Accumulation per optimizer step under this launch (spec §3.3), when it is not the script's."""
    dtype = facts.get(F.DISTRIBUTED_TYPE)
    if dtype is not None and dtype.value == "MEGATRON_LM" and F.MEGATRON_NUM_MICRO_BATCHES in facts:
        f = facts[F.MEGATRON_NUM_MICRO_BATCHES]
        return Fact(F.EFFECTIVE_GRAD_ACCUM, f.value, f.origin, f.key, f.span, f.node,
                    note="Megatron-LM accumulates megatron_lm_num_micro_batches; the script's value is unused")
    if dtype is None or dtype.value != "DEEPSPEED":
        return None
    launcher = facts.get(F.LAUNCHER_GRAD_ACCUM)
    if link is not None and link.doc is not None:
        name = os.path.basename(link.path or link.name)
        ds_ga = link.facts.get(F.GRAD_ACCUM)
        if ds_ga is None:
            return Fact(F.EFFECTIVE_GRAD_ACCUM, 1, Origin.DERIVED, key="gradient_accumulation_steps",
                        note=f"{name} has no gradient_accumulation_steps: accelerate inserts 1")
        if ds_ga.value != "auto":
            return Fact(F.EFFECTIVE_GRAD_ACCUM, ds_ga.value, ds_ga.origin, ds_ga.key, ds_ga.span, ds_ga.node,
                        note=f"the DeepSpeed JSON {name} decides the accumulation")
    elif facts.get(F.DEEPSPEED_CONFIG_FILE) is not None:
        return None  # the JSON exists but could not be read: unknown
    if launcher is not None and launcher.value != "auto":
        return Fact(F.EFFECTIVE_GRAD_ACCUM, launcher.value, launcher.origin, launcher.key, launcher.span, launcher.node,
                    note="exported as ACCELERATE_GRADIENT_ACCUMULATION_STEPS: overrides the script's value")
    return None


def merge_launch(dialect: Dialect, facts: FactDict, pairing: Pairing, options: LaunchOptions, settings: FileSettings) -> FactDict:
    """The config's facts with the launch's applied, in the order a real launch applies them."""
    merged = dict(facts)
    if dialect.kind != DialectKind.LAUNCH:
        launch = pairing.launch_facts
        for name in LAUNCH_FACTS:
            if name in launch and launch[name].origin != Origin.DEFAULT:
                merged[name] = launch[name]
        if F.MIXED_PRECISION in launch:
            lp = launch[F.MIXED_PRECISION]
            merged[F.LAUNCH_MIXED_PRECISION] = Fact(F.LAUNCH_MIXED_PRECISION, lp.value, lp.origin, lp.key, lp.span, lp.node,
                                                    note="the training config's own precision is passed to Accelerator() and wins")
        merged.update(pairing.script_facts)  # the launch line beats the accelerate file (its CLI flags)
    # Explicit process counts: the command line, then settings (like `accelerate launch --num_processes`).
    for name, flag, setting, cli_value in ((F.NUM_PROCESSES, "--num-processes", "num-processes", options.num_processes),
                                           (F.NUM_MACHINES, "--num-machines", "num-machines", options.num_machines)):
        if cli_value is not None:
            merged[name] = Fact(name, cli_value, Origin.CLI, flag)
        elif settings.get(setting) is not None and (dialect.kind == DialectKind.TRAINING or name not in merged):
            merged[name] = Fact(name, settings.get(setting), Origin.SETTINGS, setting, note=f"from {settings.where}")
    if pairing.hostfile is not None and pairing.hostfile_name is not None:
        hosts, slots = pairing.hostfile
        merged[F.HOSTFILE_HOSTS] = Fact(F.HOSTFILE_HOSTS, hosts, Origin.DERIVED, pairing.hostfile_name,
                                        note=f"{hosts} hosts, {slots} slots in {pairing.hostfile_name}")
    return merged


def derive_facts(dialect: Dialect, facts: FactDict, pairing: Pairing) -> FactDict:
    """The arithmetic: each dialect's hook, the data-parallel size, the effective accumulation."""
    from batchlint.globalbatch import declared_dp, layout_problem, processes

    if dialect.derive is not None:
        dialect.derive(facts)
    processes(dialect.world_from, facts)
    _model_parallel(facts)
    declared_dp(facts)
    problem = layout_problem(dialect.world_from, facts)
    if problem is not None:
        facts[F.DATA_PARALLEL_SIZE] = Fact(F.DATA_PARALLEL_SIZE, None, Origin.DERIVED, unresolved=problem)
    if pairing.launch_facts or dialect.kind == DialectKind.LAUNCH:
        dp = data_parallel(facts)
    else:
        dp = _plain_data_parallel(facts)
    if dp is not None and F.DATA_PARALLEL_SIZE not in facts:
        facts[F.DATA_PARALLEL_SIZE] = dp
    config = facts.get(F.TRAINING_CONFIG)
    if (dialect.dp_needs and not all(name in facts for name in dialect.dp_needs)) or (config is not None and config.unresolved):
        # The model-parallel sizes come from elsewhere (a restored checkpoint, a config the launch cannot reach).
        facts.pop(F.DATA_PARALLEL_SIZE, None)
    if dialect.kind == DialectKind.TRAINING and dialect.global_shape is not None:
        from batchlint.globalbatch import split

        split(dialect.global_shape, facts)
    if dialect.kind == DialectKind.TRAINING and pairing.launch_facts:
        eff = effective_grad_accum(facts, pairing.deepspeed)
        ga = facts.get(F.GRAD_ACCUM)
        if eff is not None and (ga is None or eff.value != ga.value):
            facts[F.EFFECTIVE_GRAD_ACCUM] = eff
    return facts


def target(dialect: Dialect, root_applies: bool, intents: tuple[Intent, ...], options: LaunchOptions,
           settings: FileSettings) -> Target | None:
    """The total the run should reach: --target-total, settings, a comment, the dialect's preset."""
    if dialect.kind != DialectKind.TRAINING:
        return None
    if options.target_total is not None:
        return Target(options.target_total, TargetSource.CLI, "--target-total")
    if settings.target_total is not None:
        return Target(settings.target_total, TargetSource.SETTINGS, f"target-total in {settings.where}")
    for intent in intents:
        if intent.total is not None:
            return Target(intent.total, TargetSource.COMMENT, f"the comment at line {intent.span.line}", intent.span)
    if dialect.preset_target is not None and root_applies:
        return Target(dialect.preset_target, TargetSource.PRESET, dialect.preset_source)
    return None


def derive(config: str, dialect: Dialect, facts: FactDict, pairing: Pairing, intents: tuple[Intent, ...], preset_applies: bool,
           options: LaunchOptions, settings: FileSettings) -> RunModel:
    """The run, without its memory estimate (the memory stage adds it)."""
    from batchlint.globalbatch import fixed_total, split

    merged = derive_facts(dialect, merge_launch(dialect, facts, pairing, options, settings), pairing)
    glob = None
    if dialect.kind == DialectKind.TRAINING:
        glob = fixed_total(dialect.global_shape, merged, split(dialect.global_shape, dict(merged)))
    return RunModel.build(
        config, dialect.name, dialect.kind, dialect.semantics, merged,
        launch=pairing.launch_doc.path if pairing.launch_doc is not None and dialect.kind != DialectKind.LAUNCH else None,
        launch_script=pairing.script, target=target(dialect, preset_applies, intents, options, settings),
        stated_intent=intents, settings=settings, keys=dialect.keys, global_shape=dialect.global_shape,
        global_total=glob)

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
from batchlint.model import DialectKind, Fact, FactName, GlobalShape, Origin, RunModel, Target, TargetSource
from batchlint.options import LaunchOptions
from batchlint.pair import DeepSpeedLink, Pairing
from batchlint.settings import FileSettings

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import replace

    from batchlint.sharding import Sharding  # imported where a run shards (plain data parallelism does not)
else:
    from batchlint.record import replace

F = FactName

# Launch facts copied into a training run (the training config's own precision wins: it is
# passed to Accelerator(), which beats the accelerate file).
LAUNCH_FACTS = (
    F.NUM_PROCESSES,
    F.NUM_MACHINES,
    F.GPU_IDS,
    F.DISTRIBUTED_TYPE,
    F.LAUNCHER_GRAD_ACCUM,
    F.DEEPSPEED_HOSTFILE,
    F.DEEPSPEED_MULTINODE_LAUNCHER,
    F.DEEPSPEED_CONFIG_FILE,
    F.MPIRUN_HOSTFILE,
    F.DP_REPLICATE_SIZE,
    F.DP_SHARD_SIZE,
    F.TP_SIZE,
    F.CP_SIZE,
    F.SP_SIZE,
    F.MEGATRON_TP,
    F.MEGATRON_PP,
    F.MEGATRON_NUM_MICRO_BATCHES,
    F.ZERO_STAGE,
    F.FSDP_SHARDING_STRATEGY,
    F.OFFLOAD_OPTIMIZER,
    F.OFFLOAD_PARAM,
    F.ZERO3_SAVE_16BIT,
    F.FSDP_VERSION,
    F.FSDP_RESHARD_AFTER_FORWARD,
    F.FSDP_OFFLOAD_PARAMS,
    F.FSDP_STATE_DICT_TYPE,
)


# What a DeepSpeed JSON checked on its own takes from the run of the launch line that names it.
OWNER_LAYOUT = (F.NUM_PROCESSES, F.NUM_MACHINES, F.DATA_PARALLEL_SIZE, F.TP_SIZE, F.PP_SIZE, F.CP_SIZE, F.SP_SIZE, F.MP_SIZE)


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
            return Fact(F.DATA_PARALLEL_SIZE, 1, Origin.DERIVED, note="distributed_type NO: `accelerate launch` starts one process whatever num_processes says")
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
    if dtype == "DEEPSPEED" and machines > 1 and hosts is not None and isinstance(hosts.value, int) and (launcher is None or launcher.value != "standard"):
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
            notes.append(
                f"parallelism_config: dp_replicate {parallel[F.DP_REPLICATE_SIZE]} × dp_shard "
                f"{parallel[F.DP_SHARD_SIZE]} (tp {parallel[F.TP_SIZE]}, cp {parallel[F.CP_SIZE]}, "
                f"sp {parallel[F.SP_SIZE]} share batches)"
            )
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
    dp = Fact(F.DATA_PARALLEL_SIZE, world, Origin.DERIVED, note=None if world == procs else f"{procs} processes on {machines} machines: {world} ranks")
    shard = [positive_int(facts[n].value) or 1 for n in (F.DP_SHARD_SIZE, F.DP_REPLICATE_SIZE) if n in facts]
    if shard and any(n in facts for n in (F.TP_SIZE, F.CP_SIZE)):
        dp = Fact(
            F.DATA_PARALLEL_SIZE,
            shard[0] if len(shard) == 1 else shard[0] * shard[1],
            Origin.DERIVED,
            note="dp_shard × dp_replicate: tensor/context-parallel ranks share batches",
        )
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
            # The trainer refuses this layout at start-up (BL108 says so): no data-parallel size.
            facts[F.DATA_PARALLEL_SIZE] = Fact(
                F.DATA_PARALLEL_SIZE, None, Origin.DERIVED, unresolved=f"{procs} processes do not split into groups of {divisor} model-parallel ranks"
            )
            return
        facts[F.DATA_PARALLEL_SIZE] = Fact(
            F.DATA_PARALLEL_SIZE, procs // divisor, Origin.DERIVED, note=f"{procs} processes / {divisor} (pipeline × model/tensor parallel ranks share batches)"
        )


def effective_grad_accum(facts: FactDict, link: DeepSpeedLink | None) -> Fact[object] | None:
    """Accumulation per optimizer step under this launch (spec §3.3), when it is not the script's."""
    dtype = facts.get(F.DISTRIBUTED_TYPE)
    if dtype is not None and dtype.value == "MEGATRON_LM" and F.MEGATRON_NUM_MICRO_BATCHES in facts:
        f = facts[F.MEGATRON_NUM_MICRO_BATCHES]
        return Fact(
            F.EFFECTIVE_GRAD_ACCUM,
            f.value,
            f.origin,
            f.key,
            f.span,
            f.node,
            note="Megatron-LM accumulates megatron_lm_num_micro_batches; the script's value is unused",
        )
    if dtype is None or dtype.value != "DEEPSPEED":
        return None
    launcher = facts.get(F.LAUNCHER_GRAD_ACCUM)
    if link is not None and link.doc is not None:
        name = os.path.basename(link.path or link.name)
        ds_ga = link.facts.get(F.GRAD_ACCUM)
        if ds_ga is None:
            return Fact(
                F.EFFECTIVE_GRAD_ACCUM,
                1,
                Origin.DERIVED,
                key="gradient_accumulation_steps",
                note=f"{name} has no gradient_accumulation_steps: accelerate inserts 1",
            )
        if ds_ga.value != "auto":
            return Fact(
                F.EFFECTIVE_GRAD_ACCUM, ds_ga.value, ds_ga.origin, ds_ga.key, ds_ga.span, ds_ga.node, note=f"the DeepSpeed JSON {name} decides the accumulation"
            )
    elif facts.get(F.DEEPSPEED_CONFIG_FILE) is not None:
        return None  # the JSON exists but could not be read: unknown
    if launcher is not None and launcher.value != "auto":
        return Fact(
            F.EFFECTIVE_GRAD_ACCUM,
            launcher.value,
            launcher.origin,
            launcher.key,
            launcher.span,
            launcher.node,
            note="exported as ACCELERATE_GRADIENT_ACCUMULATION_STEPS: overrides the script's value",
        )
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
            merged[F.LAUNCH_MIXED_PRECISION] = Fact(
                F.LAUNCH_MIXED_PRECISION,
                lp.value,
                lp.origin,
                lp.key,
                lp.span,
                lp.node,
                note="the training config's own precision is passed to Accelerator() and wins",
            )
        merged.update(pairing.script_facts)  # the launch line beats the accelerate file (its CLI flags)
    if pairing.owner is not None and dialect.kind != DialectKind.LAUNCH:
        # The layout of the run this file is part of (a DeepSpeed JSON's launch line, a dataset TOML's GUI config).
        for name in OWNER_LAYOUT:
            fact = pairing.owner.get(name)
            if fact is not None and name not in merged:
                merged[name] = fact
        own, theirs = merged.get(F.GRAD_ACCUM), pairing.owner.get(F.GRAD_ACCUM)
        if dialect.kind == DialectKind.TRAINING and theirs is not None and (own is None or own.origin == Origin.DEFAULT):
            merged[F.GRAD_ACCUM] = theirs  # a file with no key for it: the accumulation is its owner's
    # Explicit process counts: the command line, then settings (like `accelerate launch --num_processes`).
    for name, flag, setting, cli_value in (
        (F.NUM_PROCESSES, "--num-processes", "num-processes", options.num_processes),
        (F.NUM_MACHINES, "--num-machines", "num-machines", options.num_machines),
    ):
        if cli_value is not None:
            merged[name] = Fact(name, cli_value, Origin.CLI, flag)
        elif settings.get(setting) is not None and (dialect.kind == DialectKind.TRAINING or name not in merged):
            merged[name] = Fact(name, settings.get(setting), Origin.SETTINGS, setting, note=f"from {settings.where}")
    if pairing.hostfile is not None and pairing.hostfile_name is not None:
        hosts, slots = pairing.hostfile
        merged[F.HOSTFILE_HOSTS] = Fact(
            F.HOSTFILE_HOSTS, hosts, Origin.DERIVED, pairing.hostfile_name, note=f"{hosts} hosts, {slots} slots in {pairing.hostfile_name}"
        )
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
    if dialect.kind == DialectKind.DEEPSPEED and pairing.owner is not None and F.GRAD_ACCUM not in facts:
        from batchlint.globalbatch import split

        trial = dict(facts)
        split(GlobalShape.MICRO, trial)  # DeepSpeed derives gradient_accumulation_steps = train_batch_size / (micro × DP)
        ga = trial.get(F.GRAD_ACCUM)
        if ga is not None:
            facts[F.EFFECTIVE_GRAD_ACCUM] = replace(ga, name=F.EFFECTIVE_GRAD_ACCUM, note=f"DeepSpeed derives it: {ga.note}")
    if dialect.kind == DialectKind.TRAINING and pairing.launch_facts:
        eff = effective_grad_accum(facts, pairing.deepspeed)
        ga = facts.get(F.GRAD_ACCUM)
        if eff is not None and (ga is None or eff.value != ga.value):
            facts[F.EFFECTIVE_GRAD_ACCUM] = eff
    return facts


_PRECISION_WORDS = {
    "fp16": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "16": "fp16",
    "16-mixed": "fp16",
    "amp_fp16": "fp16",
    "bf16": "bf16",
    "bfloat16": "bf16",
    "bf16-mixed": "bf16",
    "amp_bf16": "bf16",
    "fp8": "fp8",
    "amp_fp8": "fp8",
    "no": "fp32",
    "fp32": "fp32",
    "float32": "fp32",
    "32": "fp32",
    "32-true": "fp32",
}


def _precision_of(fact: Fact[object]) -> str | None:
    """What one precision key says: a name (`fp16`, `bf16-mixed`, `no`), or a switch (`bf16: true`,
    `mixed_precision_training: true`) whose key names the precision."""
    value = fact.value
    leaf = (fact.key or "").lstrip("-").rsplit(".", 1)[-1]
    if isinstance(value, bool) or value == "auto":
        if leaf in ("bf16", "fp16", "fp8"):
            return leaf if value in (True, "auto") else None
        if leaf in ("mixed_precision_training", "fp16_enabled"):
            return "fp16" if value is True else "fp32"
        return None
    if isinstance(value, str):
        return _PRECISION_WORDS.get(value.strip().lower())
    return None


def precision(facts: FactDict, link: DeepSpeedLink | None) -> Fact[object] | None:
    """The precision the run trains in (fp32, fp16, bf16, fp8), whatever key said it: the training
    config's own (passed to Accelerator, it wins), the launch's, a Trainer's `bf16: true` / `fp16: true`,
    then the DeepSpeed JSON's `bf16.enabled` / `fp16.enabled`. A switch that is off leaves fp32."""
    switched_off: Fact[object] | None = None
    sources = [facts.get(n) for n in (F.MIXED_PRECISION, F.LAUNCH_MIXED_PRECISION, F.BF16_ENABLED, F.FP16_ENABLED)]
    if link is not None and link.doc is not None:
        sources += [link.facts.get(F.BF16_ENABLED), link.facts.get(F.FP16_ENABLED)]
    for fact in sources:
        if fact is None or fact.unresolved is not None:
            continue
        word = _precision_of(fact)
        if word is not None and word != "fp32":
            note = None if fact.value == word else f"{fact.key} = {fact.value!r}: trains in {word}"
            return Fact(F.PRECISION, word, Origin.DERIVED, fact.key, fact.span, note=note)
        if word == "fp32" or fact.value is False:
            switched_off = switched_off or fact
    if switched_off is not None:
        return Fact(
            F.PRECISION, "fp32", Origin.DERIVED, switched_off.key, switched_off.span, note=f"{switched_off.key} = {switched_off.value!r}: trains in fp32"
        )
    return None


def _where(fact: Fact[object]) -> str:
    if fact.span is not None:
        return f"{fact.key}, {fact.span.file}:{fact.span.line}"
    return f"{fact.key} ({fact.origin})" if fact.key else str(fact.origin)


def _on(value: object) -> bool:
    """An offload device or switch that is on: `cpu`, `nvme`, `true`."""
    if isinstance(value, str):
        return value.strip().lower() in ("cpu", "nvme", "true")
    return value is True


def sharding(facts: FactDict, link: DeepSpeedLink | None) -> Sharding | None:
    """How the run shards its model states, from every source, each beating the next: the DeepSpeed
    JSON the run uses (named by the accelerate config or a Trainer `deepspeed:` key / `--deepspeed`
    flag), the launch line's flags, the accelerate `deepspeed_config` / `fsdp_config`, a Trainer's
    `fsdp:` option. None for plain data parallelism."""
    # The launch line's paradigm flag (`accelerate launch --use_deepspeed`) beats the file's distributed_type.
    dtype_fact = facts.get(F.LAUNCH_PARADIGM) or facts.get(F.DISTRIBUTED_TYPE)
    dtype = dtype_fact.value if dtype_fact is not None else None
    json_facts = link.facts if link is not None and link.doc is not None else {}
    uses_json = bool(json_facts) or (link is not None and link.doc is not None)
    uses_json = uses_json and link is not None and (link.mode == "hf-trainer" or dtype == "DEEPSPEED")
    script_stage = facts.get(F.ZERO_STAGE)
    script_zero = script_stage is not None and script_stage.origin == Origin.SCRIPT
    if dtype == "DEEPSPEED" or uses_json or script_zero:
        return _zero(facts, json_facts if uses_json else {}, link if uses_json else None)
    trainer = facts.get(F.TRAINER_FSDP)
    if trainer is not None and isinstance(trainer.value, str) and trainer.value.strip():
        from batchlint.sharding import FSDP_STAGES

        words = trainer.value.lower().replace(",", " ").split()
        strategy = next((w.upper() for w in words if w.upper() in FSDP_STAGES), "FULL_SHARD")
        offload = "offload" in words
        sources = [("stage", _where(trainer))] + ([("offload_params", _where(trainer))] if offload else [])
        return _fsdp(strategy, offload, None, sources)
    if dtype == "FSDP":
        from batchlint.sharding import FSDP_NUMBERS, FSDP_STAGES

        version = facts.get(F.FSDP_VERSION)
        reshard = facts.get(F.FSDP_RESHARD_AFTER_FORWARD)
        named = facts.get(F.FSDP_SHARDING_STRATEGY)
        sources = []
        if version is not None and str(version.value) == "2":
            on = reshard is None or reshard.value not in (False, "false", "False")
            strategy = "FULL_SHARD" if on else "SHARD_GRAD_OP"
            if reshard is not None:
                sources.append(("stage", _where(reshard)))
        else:
            raw = str(named.value).upper() if named is not None and named.value is not None else "FULL_SHARD"
            strategy = FSDP_NUMBERS.get(raw, raw if raw in FSDP_STAGES else "FULL_SHARD")
            if named is not None:
                sources.append(("stage", _where(named)))
        offload_fact = facts.get(F.FSDP_OFFLOAD_PARAMS)
        offload = offload_fact is not None and _on(offload_fact.value)
        if offload and offload_fact is not None:
            sources.append(("offload_params", _where(offload_fact)))
        state = facts.get(F.FSDP_STATE_DICT_TYPE)
        return _fsdp(strategy, offload, state, sources)
    return None


def _fsdp(strategy: str, offload: bool, state: Fact[object] | None, sources: list[tuple[str, str]]) -> Sharding:
    from batchlint.sharding import FSDP_STAGES, Sharding

    gather = None
    if state is not None and str(state.value).upper() in ("FULL_STATE_DICT", "1") and not offload:
        gather = "full-state-dict"
        sources.append(("save_gather", _where(state)))
    return Sharding(
        "fsdp",
        FSDP_STAGES[strategy],
        strategy,
        offload_optimizer=offload,
        offload_params=offload,
        save_gather=gather,
        within_node=strategy.startswith("HYBRID"),
        sources=tuple(sources),
    )


def _zero(facts: FactDict, json_facts: FactDict, link: DeepSpeedLink | None) -> Sharding:
    """ZeRO from the DeepSpeed JSON when the run uses one (accelerate refuses its own zero keys next to
    it, X001), else the launch line and the accelerate `deepspeed_config`."""
    from batchlint.sharding import Sharding

    sources: list[tuple[str, str]] = []
    notes: list[str] = []
    name = link.name if link is not None else None

    def pick(fact_name: FactName) -> Fact[object] | None:
        return json_facts.get(fact_name) if link is not None else facts.get(fact_name)

    stage_fact = pick(F.ZERO_STAGE)
    stage = positive_int(stage_fact.value) if stage_fact is not None else None
    if stage_fact is not None and stage_fact.value == 0:
        stage = 0
    if stage is None or stage > 3:
        default = 0 if link is not None else 2
        why = f"{name} has no zero_optimization.stage: DeepSpeed's default stage 0" if link is not None else "no zero_stage: accelerate's default stage 2"
        if stage_fact is not None and stage_fact.value is not None:
            why = f"zero stage {stage_fact.value!r} is not 0–3: stage {default} assumed"
        notes.append(why)
        stage = default
        sources.append(("stage", why))
    else:
        assert stage_fact is not None
        sources.append(("stage", _where(stage_fact)))
    offload = {}
    for attribute, fact_name in (("offload_optimizer", F.OFFLOAD_OPTIMIZER), ("offload_params", F.OFFLOAD_PARAM)):
        fact = pick(fact_name)
        offload[attribute] = fact is not None and _on(fact.value)
        if offload[attribute] and fact is not None:
            sources.append((attribute, _where(fact)))
    if offload["offload_params"] and stage < 3:
        notes.append(f"parameter offload ({dict(sources)['offload_params']}) applies to ZeRO-3 only: ignored at stage {stage}")
        offload["offload_params"] = False
    if offload["offload_optimizer"] and stage == 0:
        notes.append(f"optimizer offload ({dict(sources)['offload_optimizer']}) needs ZeRO stage 1 or more: ignored at stage 0")
        offload["offload_optimizer"] = False
    sources = [(name, where) for name, where in sources if name not in offload or offload[name]]
    gather = None
    save = pick(F.ZERO3_SAVE_16BIT)
    if stage == 3 and save is not None and _on(save.value):
        gather = "zero3-16bit"
        sources.append(("save_gather", _where(save)))
    return Sharding("zero", stage, None, offload["offload_optimizer"], offload["offload_params"], gather, False, tuple(sources), tuple(notes))


def target(dialect: Dialect, root_applies: bool, intents: tuple[Intent, ...], options: LaunchOptions, settings: FileSettings) -> Target | None:
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


def derive(
    config: str,
    dialect: Dialect,
    facts: FactDict,
    pairing: Pairing,
    intents: tuple[Intent, ...],
    preset_applies: bool,
    options: LaunchOptions,
    settings: FileSettings,
) -> RunModel:
    """The run, without its memory estimate (the memory stage adds it)."""
    from batchlint.globalbatch import fixed_total, split

    merged = derive_facts(dialect, merge_launch(dialect, facts, pairing, options, settings), pairing)
    glob = None
    if dialect.kind == DialectKind.TRAINING:
        glob = fixed_total(dialect.global_shape, merged, split(dialect.global_shape, dict(merged)))
    if dialect.kind == DialectKind.TRAINING:
        normalised = precision(merged, pairing.deepspeed)
        if normalised is not None:
            merged[F.PRECISION] = normalised
    return RunModel.build(
        config,
        dialect.name,
        dialect.kind,
        dialect.semantics,
        merged,
        launch=pairing.launch_doc.path if pairing.launch_doc is not None and dialect.kind != DialectKind.LAUNCH else None,
        launch_script=pairing.script,
        target=target(dialect, preset_applies, intents, options, settings),
        stated_intent=intents,
        settings=settings,
        keys=dialect.keys,
        global_shape=dialect.global_shape,
        global_total=glob,
        sharding=sharding(merged, pairing.deepspeed) if dialect.kind == DialectKind.TRAINING else None,
        launched_total=_launched_total(dialect, merged, pairing),
    )


def _launched_total(dialect: Dialect, facts: FactDict, pairing: Pairing) -> int | None:
    """A launch or DeepSpeed file checked on its own: the total of the run the launch line naming it
    starts — a DeepSpeed JSON's own integers on that layout when it sets them (micro × accumulation × DP),
    else (an accelerate config, a JSON of "auto" values) that run's total."""
    owner = pairing.owner
    if dialect.kind == DialectKind.TRAINING or owner is None:
        return None
    if dialect.kind == DialectKind.DEEPSPEED and any(
        positive_int(facts[n].value) is not None for n in (F.GLOBAL_BATCH, F.PER_DEVICE_BATCH, F.GRAD_ACCUM) if n in facts
    ):
        micro, dp, glob = (positive_int(facts[n].value) if n in facts else None for n in (F.PER_DEVICE_BATCH, F.DATA_PARALLEL_SIZE, F.GLOBAL_BATCH))
        acc = facts.get(F.EFFECTIVE_GRAD_ACCUM) or facts.get(F.GRAD_ACCUM)
        ga = positive_int(acc.value) if acc is not None else None if F.GLOBAL_BATCH in facts else 1
        if dp is None or ga is None:
            return None
        if micro is None:  # DeepSpeed derives the micro batch from train_batch_size
            return glob if glob is not None and glob % (ga * dp) == 0 else None
        return micro * dp * ga
    return owner.total_batch

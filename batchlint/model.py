"""The typed run: names, kinds and severities as enums; a fact with its value, origin and span.

Every stage after loading speaks this vocabulary. A fact is looked up by `FactName`, never by a
string spelt at the call site; a problem keeps a kind, never a message to match on; behaviour
never depends on the wording of a message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from batchlint.counts import positive_int
from batchlint.loading.nodes import Scalar, Span

# Records are built by batchlint.record at run time, `Generic` is its stand-in and the enums are built by
# batchlint.strenum: `dataclasses`, `typing` and `enum`'s class machinery cost start-up time in a pre-commit
# hook. mypy checks them as the standard ones.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import sys
    from dataclasses import dataclass, field
    from typing import Generic, TypeVar

    from batchlint.intent import Intent
    from batchlint.memory.model import MemoryModel
    from batchlint.settings import FileSettings
    from batchlint.sharding import Sharding

    T = TypeVar("T", covariant=True)
    if sys.version_info >= (3, 11):
        from enum import StrEnum
    else:  # pragma: no cover - Python 3.10
        from enum import Enum

        class StrEnum(str, Enum):
            def __str__(self) -> str:
                return str(self.value)
else:
    from batchlint.record import Generic, T, dataclass, field
    from batchlint.strenum import StrEnum


class FactName(StrEnum):
    """Every fact a run can hold. The first group is the `inspect --format json` contract."""

    PER_DEVICE_BATCH = "per_device_batch"
    GRAD_ACCUM = "grad_accum"
    EFFECTIVE_GRAD_ACCUM = "effective_grad_accum"
    NUM_PROCESSES = "num_processes"
    NUM_MACHINES = "num_machines"
    GPU_IDS = "gpu_ids"
    DISTRIBUTED_TYPE = "distributed_type"
    DATA_PARALLEL_SIZE = "data_parallel_size"
    MIXED_PRECISION = "mixed_precision"
    GRADIENT_CHECKPOINTING = "gradient_checkpointing"
    # Batch shapes of other trainers.
    GLOBAL_BATCH = "global_batch"
    BATCH_SIZE = "batch_size"  # axolotl: batch_size // micro_batch_size gives the accumulation
    DEVICE_MICROBATCH = "device_microbatch"
    MICROBATCHES = "microbatches"  # forward passes a device microbatch splits the per-device batch into (Composer, OLMo)
    MINI_BATCH = "mini_batch"  # verl: prompts per optimizer step (× rollout.n responses)
    ROLLOUT_N = "rollout_n"  # verl: responses per prompt
    GPUS_PER_NODE = "gpus_per_node"  # processes per machine (trainer.devices, n_gpus_per_node): × machines = processes
    DP_SIZE = "dp_size"  # a data-parallel degree the file declares (nanotron parallelism.dp; -1: the remaining GPUs)
    MULTI_GPU = "multi_gpu"  # kohya_ss: --multi_gpu on the accelerate launch it builds
    DATASET_CONFIG = "dataset_config"  # sd-scripts: a dataset TOML that decides the batch
    DYNAMIC_BATCH = "dynamic_batch"  # verl use_dynamic_bsz: micro batches packed by token count
    TRAINING_CONFIG = "training_config"  # the config file a launch line names
    # Launch (accelerate file, launch line).
    MACHINE_RANK = "machine_rank"
    COMPUTE_ENVIRONMENT = "compute_environment"
    USE_CPU = "use_cpu"
    LAUNCH_MIXED_PRECISION = "launch_mixed_precision"
    LAUNCHER_GRAD_ACCUM = "launcher_grad_accum"
    ZERO_STAGE = "zero_stage"
    OFFLOAD_OPTIMIZER = "offload_optimizer_device"  # DeepSpeed: cpu / nvme / none
    OFFLOAD_PARAM = "offload_param_device"
    ZERO3_SAVE_16BIT = "zero3_save_16bit_model"  # gather 16-bit weights on rank 0 when saving (ZeRO-3)
    DEEPSPEED_CONFIG_FILE = "deepspeed_config_file"
    DEEPSPEED_HOSTFILE = "deepspeed_hostfile"
    DEEPSPEED_MULTINODE_LAUNCHER = "deepspeed_multinode_launcher"
    DEEPSPEED_JSON = "deepspeed_json"  # HF Trainer / axolotl `deepspeed: ds.json`
    MPIRUN_HOSTFILE = "mpirun_hostfile"
    HOSTFILE_HOSTS = "hostfile_hosts"
    FSDP_VERSION = "fsdp_version"
    FSDP_SHARDING_STRATEGY = "fsdp_sharding_strategy"
    FSDP_RESHARD_AFTER_FORWARD = "fsdp_reshard_after_forward"  # FSDP2's strategy switch
    FSDP_OFFLOAD_PARAMS = "fsdp_offload_params"
    FSDP_STATE_DICT_TYPE = "fsdp_state_dict_type"
    TRAINER_FSDP = "trainer_fsdp"  # HF Trainer `fsdp: "full_shard auto_wrap"` / `--fsdp ...`
    DP_REPLICATE_SIZE = "dp_replicate_size"
    DP_SHARD_SIZE = "dp_shard_size"
    TP_SIZE = "tp_size"
    CP_SIZE = "cp_size"
    SP_SIZE = "sp_size"
    PP_SIZE = "pp_size"
    MP_SIZE = "mp_size"
    MEGATRON_TP = "megatron_tp"
    MEGATRON_PP = "megatron_pp"
    MEGATRON_NUM_MICRO_BATCHES = "megatron_num_micro_batches"
    # What a launch line shows besides its counts (launch.py).
    VISIBLE_DEVICES = "visible_devices"  # GPUs in the CUDA_VISIBLE_DEVICES the line sees
    DEEPSPEED_IGNORES_VISIBLE = "deepspeed_ignores_visible"  # the deepspeed flag that makes the runner drop it
    LAUNCH_PARADIGM = "launch_paradigm"  # `accelerate launch --multi_gpu` / `--use_deepspeed` / ...
    ACCELERATE_DEFAULT_CONFIG = "accelerate_default_config"  # a bare `accelerate launch`: the machine's default config decides
    LAUNCH_FP8_BACKEND = "launch_fp8_backend"
    TRAINING_PROGRAM = "training_program"  # the .py the line runs
    SCRIPT_OPTIMIZER = "script_optimizer"  # a torch optimizer the training script builds (no DummyOptim)
    SCRIPT_SCHEDULER = "script_scheduler"  # a scheduler it builds (no DummyScheduler)
    # DeepSpeed JSON.
    FP16_ENABLED = "fp16_enabled"
    BF16_ENABLED = "bf16_enabled"
    AUTOTP_SIZE = "autotp_size"
    ELASTICITY = "elasticity"
    # The optimiser.
    LEARNING_RATE = "learning_rate"
    SCALE_LR = "scale_lr"
    # Derived: the precision the run trains in (fp32, fp16, bf16, fp8), whatever key said it.
    PRECISION = "precision"
    # What the memory model reads.
    USE_8BIT_ADAM = "use_8bit_adam"
    MEMORY_EFFICIENT_ATTENTION = "memory_efficient_attention"
    DO_VALIDATION = "do_validation"
    VALIDATION_STEPS = "validation_steps"
    MAX_TRAIN_STEPS = "max_train_steps"
    USE_REFERENCENET = "use_referencenet"
    TRACK_INIT = "track_init"
    N_SAMPLE_FRAMES = "n_sample_frames"
    WIDTH = "width"
    HEIGHT = "height"


# The facts named in the inspect JSON contract, in display order.
CONTRACT_FACTS = (
    FactName.PER_DEVICE_BATCH,
    FactName.GRAD_ACCUM,
    FactName.EFFECTIVE_GRAD_ACCUM,
    FactName.NUM_PROCESSES,
    FactName.NUM_MACHINES,
    FactName.GPU_IDS,
    FactName.DISTRIBUTED_TYPE,
    FactName.DATA_PARALLEL_SIZE,
    FactName.MIXED_PRECISION,
    FactName.GRADIENT_CHECKPOINTING,
)


class Origin(StrEnum):
    """Where a fact's value comes from (the `source` of the inspect JSON)."""

    FILE = "file"  # a literal in a config file
    SCRIPT = "script"  # a word of a launch line in a shell script
    CLI = "cli"  # batchlint's own command line
    SETTINGS = "settings"  # [tool.batchlint]
    DERIVED = "derived"  # arithmetic on other facts
    DEFAULT = "default"  # the trainer's default when the key is absent


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applicability(StrEnum):
    """As in ruff: `--fix` applies safe fixes, `--unsafe-fixes` adds unsafe ones."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY = "display-only"


class DialectKind(StrEnum):
    TRAINING = "training"
    LAUNCH = "launch"  # an accelerate config file
    DEEPSPEED = "deepspeed"  # a DeepSpeed JSON


class GlobalShape(StrEnum):
    """How a trainer that fixes the global (optimizer) batch splits it over the data-parallel ranks."""

    MICRO = "micro"  # micro batch per device given: accumulation = global / (micro × DP) (Megatron, NeMo, DeepSpeed)
    ACCUM = "accum"  # accumulation given: per device = global // (DP × accumulation) (StableCascade)
    CHUNK = "chunk"  # per device = global // DP; accumulation = per device // a microbatch chunk (Composer, OLMo)
    PER_DEVICE = "per-device"  # per device and accumulation given; global only checked: global = per device × DP × accumulation


class Semantics(StrEnum):
    """How a file's values are read: as its consumer reads them."""

    OMEGACONF = "omegaconf"
    YAML11 = "yaml11"
    JSON = "json"
    SHELL = "shell"


class ProblemKind(StrEnum):
    """Why a value could not be resolved."""

    MISSING_KEY = "missing-key"
    CYCLE = "cycle"
    GRAMMAR = "grammar"
    INCLUDE_MISSING = "include-missing"
    INCLUDE_CYCLE = "include-cycle"
    INCLUDE_INVALID = "include-invalid"
    INCLUDE_OUTSIDE = "include-outside"
    UNKNOWN_RESOLVER = "unknown-resolver"
    ENV = "env"  # an environment variable without a default
    CONTAINER = "container"  # the key holds a mapping or a list, not a value
    NOT_FOUND = "not-found"  # a file named on a launch line does not exist

    @property
    def is_include(self) -> bool:
        return self.value.startswith("include")

    @property
    def known_at_run_time(self) -> bool:
        """The value exists, but only the training script's process knows it."""
        return self in (ProblemKind.ENV, ProblemKind.UNKNOWN_RESOLVER)


class Caveat(StrEnum):
    """A reading caveat a rule acts on (the note says it in words)."""

    OMEGACONF_READING = "omegaconf-reading"  # PyYAML and OmegaConf read the literal differently
    YAML11_BOOL = "yaml11-bool"  # an unquoted YAML 1.1 boolean such as NO


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """One number or setting of the run, with where it came from."""

    name: FactName
    value: T
    origin: Origin
    key: str | None = None  # dotted key path of the literal (or the CLI flag / settings key)
    span: Span | None = None  # where the literal is; None for CLI, settings, defaults
    node: Scalar | None = None  # the literal scalar, for fixes
    via: tuple[str, ...] = ()  # interpolation sites followed to reach it
    note: str | None = None  # reading caveats, derivation formula
    problem: ProblemKind | None = None  # why the value could not be determined
    unresolved: str | None = None  # ... said in words
    caveat: Caveat | None = None
    read_as: str | None = None  # the dialect key it was read as, when reached through interpolation
    shared_with: tuple[str, ...] = ()  # other keys whose value is this same literal (editing it changes them)

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    @property
    def source(self) -> Origin:
        return self.origin

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "value": self.value,
            "file": self.file,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "key": self.key,
            "source": str(self.origin),
        }
        if self.via:
            out["via"] = list(self.via)
        if self.note:
            out["note"] = self.note
        if self.unresolved:
            out["unresolved"] = self.unresolved
        return out


class TargetSource(StrEnum):
    CLI = "cli"
    SETTINGS = "settings"
    COMMENT = "comment"
    PRESET = "preset"

    @property
    def explicit(self) -> bool:
        """Declared by the user for batchlint (a safe fix may reach it)."""
        return self in (TargetSource.CLI, TargetSource.SETTINGS)


@dataclass(frozen=True, slots=True)
class Target:
    """The total batch a run should reach, and where that wish was stated."""

    value: int
    source: TargetSource
    description: str  # where it came from, for messages
    span: Span | None = None


FactMap = Mapping[FactName, Fact[object]]


@dataclass(frozen=True, slots=True)
class RunModel:
    """One training (or launch) config's run: typed facts with provenance, the target, the stated
    intent and the memory estimate. Built once by `derive`, read by rules and reporters."""

    config: str  # display path of the config (or script) the run comes from
    dialect: str  # dialect name
    kind: DialectKind
    semantics: Semantics
    per_device_batch: Fact[object] | None = None
    grad_accum: Fact[object] | None = None
    effective_grad_accum: Fact[object] | None = None
    global_batch: Fact[object] | None = None
    num_processes: Fact[object] | None = None
    num_machines: Fact[object] | None = None
    data_parallel_size: Fact[object] | None = None
    mixed_precision: Fact[object] | None = None
    distributed_type: Fact[object] | None = None
    extras: FactMap = field(default_factory=dict)  # every other fact, dialect-specific ones included
    launch: str | None = None  # display path of the paired accelerate config
    launch_script: str | None = None  # display path of the script whose launch line pairs this run
    target: Target | None = None
    stated_intent: tuple[Intent, ...] = ()
    sharding: Sharding | None = None  # ZeRO / FSDP sharding and offload, from every source (derive.py)
    memory: MemoryModel | None = None
    memory_missing: str | None = None  # why there is no memory model (BL204)
    settings: FileSettings | None = None  # the settings that apply to this config
    keys: Mapping[FactName, tuple[str, ...]] = field(default_factory=dict)  # the dialect's key paths per fact
    global_shape: GlobalShape | None = None  # the trainer fixes the global batch and derives the rest
    global_total: int | None = None  # the total such a trainer keeps whatever the GPU count (None when it cannot start)
    why: str = ""  # which dialect read the file, and the signature keys it found
    confidence: str = "high"  # how sure the reading is: high (a dialect's signature), medium or low (the generic reader)
    baseline: BaselineRun | None = None  # the run at the --baseline revision, when one is asked for (batchlint.baseline)
    launched_total: int | None = None  # a launch or DeepSpeed file checked on its own: the total of the run the launch line naming it starts

    _FIELDS = (
        FactName.PER_DEVICE_BATCH,
        FactName.GRAD_ACCUM,
        FactName.EFFECTIVE_GRAD_ACCUM,
        FactName.GLOBAL_BATCH,
        FactName.NUM_PROCESSES,
        FactName.NUM_MACHINES,
        FactName.DATA_PARALLEL_SIZE,
        FactName.MIXED_PRECISION,
        FactName.DISTRIBUTED_TYPE,
    )

    @classmethod
    def build(cls, config: str, dialect: str, kind: DialectKind, semantics: Semantics, facts: Mapping[FactName, Fact[object]], **rest: object) -> RunModel:
        typed = {str(name): facts[name] for name in cls._FIELDS if name in facts}
        extras = {name: fact for name, fact in facts.items() if name not in cls._FIELDS}
        return cls(config, dialect, kind, semantics, extras=extras, **typed, **rest)  # type: ignore[arg-type]

    # -- lookups
    def get(self, name: FactName) -> Fact[object] | None:
        attribute = _FIELD_ATTRIBUTES.get(name)  # (`name in _FIELDS`, and its attribute's plain str, in one lookup)
        if attribute is not None:
            return getattr(self, attribute)  # type: ignore[no-any-return]
        return self.extras.get(name)

    def __getitem__(self, name: FactName) -> Fact[object]:
        fact = self.get(name)
        if fact is None:
            raise KeyError(name)
        return fact

    def __contains__(self, name: FactName) -> bool:
        return self.get(name) is not None

    def int_fact(self, name: FactName) -> int | None:
        fact = self.get(name)
        return positive_int(fact.value) if fact else None

    def facts(self) -> Iterator[Fact[object]]:
        """Every fact: the contract's first, in its order, then the others."""
        seen: set[FactName] = set()
        for name in CONTRACT_FACTS:
            fact = self.get(name)
            if fact is not None:
                seen.add(name)
                yield fact
        for name in self._FIELDS:
            fact = self.get(name)
            if fact is not None and name not in seen:
                seen.add(name)
                yield fact
        for name, fact in self.extras.items():
            if name not in seen:
                yield fact

    def fact_map(self) -> dict[FactName, Fact[object]]:
        return {fact.name: fact for fact in self.facts()}

    # -- what the run is
    @property
    def is_training(self) -> bool:
        return self.kind == DialectKind.TRAINING

    @property
    def is_launch(self) -> bool:
        return self.kind == DialectKind.LAUNCH

    @property
    def accumulation(self) -> Fact[object] | None:
        """The accumulation that really applies per optimizer step."""
        return self.effective_grad_accum or self.grad_accum

    @property
    def total_batch(self) -> int | None:
        if not self.is_training:
            if self.launched_total is None and self.kind == DialectKind.DEEPSPEED:
                # An integer `train_batch_size` is the total whatever the world size: DeepSpeed derives the micro
                # batch or the accumulation from it, or stops on `T != M * G * W` (accelerate-deepspeed.md §4.2-4.3).
                stated = self.global_batch
                return None if stated is None or stated.unresolved else positive_int(stated.value)
            return self.launched_total
        per_device = self.int_fact(FactName.PER_DEVICE_BATCH)
        dp = self.int_fact(FactName.DATA_PARALLEL_SIZE)
        acc = self.accumulation
        ga = positive_int(acc.value) if acc else None
        if any(f is not None and f.unresolved for f in (self.per_device_batch, acc)):
            return None  # a value the run does not really use (a linked file decides it)
        if per_device is None or dp is None or ga is None:
            return self.global_total  # a global-batch trainer keeps its global batch whatever the GPU count

        return per_device * dp * ga

    def setting(self, name: str) -> object:
        """A settings value that applies to this run (None when unset)."""
        return None if self.settings is None else self.settings.get(name)


# RunModel's typed facts -> the name of the attribute holding each (RunModel.get)
_FIELD_ATTRIBUTES: Mapping[str, str] = {str(name): str(name) for name in RunModel._FIELDS}


@dataclass(frozen=True, slots=True)
class Change:
    """One factor of a run's total whose value differs from the baseline's."""

    name: FactName
    old: Fact[object] | None  # at the baseline (None: not set there)
    new: Fact[object] | None  # now

    @property
    def fact(self) -> Fact[object]:
        fact = self.new or self.old
        assert fact is not None
        return fact


@dataclass(frozen=True, slots=True)
class BaselineRun:
    """The run at the baseline revision (`--baseline REV`), and which factors of its total changed since;
    computed by `batchlint.baseline`."""

    rev: str  # as given
    run: RunModel | None = None  # the run at `rev`; None when its config did not exist there (a new run)
    changes: tuple[Change, ...] = ()  # the factors of the total whose value differs

    @property
    def is_new(self) -> bool:
        return self.run is None

    @property
    def total(self) -> int | None:
        return None if self.run is None else self.run.total_batch

    @property
    def target(self) -> Target | None:
        return None if self.run is None else self.run.target

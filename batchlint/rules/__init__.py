"""The rule registry: every rule, by code. Codes are stable and never reused.

`TABLE` says, for every rule, its code, name and aliases, the module and class that implement it,
whether it checks a file or a run, and what a run needs for it to apply (`Rule.needs`), so that
selecting rules by `--select`/`--ignore` and choosing the ones a run can trigger import no rule
module: a run imports only the modules of the rules it calls (`applicable`). `RULES`, `BY_CODE` and
`BY_NAME` see every rule; `RULES` imports them all, the two maps each rule at its first look-up.
tests/rules/test_registry.py checks the table against the rules' own declarations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from batchlint.rules.base import Diagnostic, DocumentRule, Rule, RunRule, needs_met

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Literal

    from batchlint.model import RunModel
    from batchlint.pair import Pairing
    from batchlint.rules.base import Need
    from batchlint.settings import Settings
    from batchlint.views import DocumentView

    DocumentCheck = Callable[[DocumentView], Iterable[Diagnostic]]
    RunCheck = Callable[[RunModel, Pairing], Iterable[Diagnostic]]
    Kind = Literal["document", "run", "document+run", "engine"]  # a DocumentRule, a RunRule, both, or reported by the engine (BL008)

# code, name, aliases, module (under batchlint.rules), class, what it checks (`Kind`), needs; in the
# order the rules run.
TABLE: tuple[tuple[str, str, tuple[str, ...], str, str, Kind, tuple[Need, ...]], ...] = (
    ("BL001", "invalid-file", (), "files", "InvalidFile", "document+run", ()),
    ("BL002", "duplicate-key", (), "files", "DuplicateKey", "document", ()),
    ("BL003", "include-error", (), "files", "IncludeError", "document", ()),
    ("BL004", "interpolation-error", (), "files", "InterpolationError", "document", ()),
    ("BL005", "yaml-reading-differs", (), "files", "ReadingDiffers", "run", ()),
    ("BL006", "empty-file", (), "files", "EmptyFile", "document", ()),
    ("BL007", "schema-violation", (), "schema", "SchemaViolation", "document", ()),
    ("BL008", "unused-suppression", (), "files", "UnusedSuppression", "engine", ()),
    ("BL009", "outside-project", (), "files", "OutsideProject", "document+run", ()),
    ("BL101", "total-below-target", (), "batch", "TotalBelowTarget", "run", ()),
    ("BL102", "stated-intent-mismatch", ("X008",), "batch", "IntentMismatch", "run", ()),
    ("BL103", "process-count-unknown", (), "batch", "ProcessCountUnknown", "run", ()),
    ("BL104", "target-not-reachable", (), "batch", "TargetNotReachable", "run", ()),
    ("BL105", "invalid-batch-value", (), "batch", "InvalidBatchValue", "run", ()),
    ("BL106", "total-above-target", (), "batch", "TotalAboveTarget", "run", ()),
    ("BL107", "total-changed", (), "drift", "TotalChanged", "run", ("baseline",)),
    ("BL108", "learning-rate-not-scaled", (), "drift", "LearningRateNotScaled", "run", ("baseline",)),
    ("BL112", "learning-rate-scaled-by-total", (), "batch", "LearningRateScaledByTotal", "run", ()),
    ("BL109", "global-batch-not-divisible", (), "global_batch", "GlobalBatchNotDivisible", "run", ("global-batch",)),
    ("BL110", "parallel-layout-invalid", (), "global_batch", "ParallelLayoutInvalid", "run", ("layout-unresolved",)),
    ("X012", "launch-config-missing", (), "global_batch", "LaunchConfigMissing", "run", ("config-not-found",)),
    ("BL201", "accumulation-could-shrink", (), "memory", "AccumulationCouldShrink", "run", ("memory",)),
    ("BL202", "batch-does-not-fit", (), "memory", "BatchDoesNotFit", "run", ("memory",)),
    ("BL203", "main-card-memory-risk", (), "memory", "MainCardRisk", "run", ("memory",)),
    ("BL204", "no-memory-profile", (), "memory", "NoMemoryProfile", "run", ("memory",)),
    ("AC001", "missing-distributed-type", (), "accelerate", "MissingDistributedType", "run", ("accelerate-config",)),
    ("AC002", "unknown-accelerate-key", (), "accelerate", "UnknownTopLevelKey", "run", ("accelerate-config",)),
    ("AC003", "yaml11-bool-or-int", (), "accelerate", "Yaml11Trap", "run", ("accelerate-config",)),
    ("AC004", "bad-distributed-type", (), "accelerate", "BadDistributedType", "run", ("accelerate-config",)),
    ("AC005", "bad-mixed-precision", (), "accelerate", "BadMixedPrecision", "run", ("accelerate-config",)),
    ("AC006", "num-processes-required", (), "accelerate", "NumProcessesRequired", "run", ("accelerate-config",)),
    ("AC007", "one-process-launch", (), "accelerate", "OneProcessLaunch", "run", ("accelerate-config",)),
    ("AC008", "processes-not-divisible", (), "accelerate", "ProcessesNotDivisible", "run", ("accelerate-config",)),
    ("AC009", "too-few-gpu-ids", (), "accelerate", "TooFewGpuIds", "run", ("accelerate-config",)),
    ("AC009B", "idle-gpu-ids", (), "accelerate_more", "IdleGpuIds", "run", ("accelerate-config", "gpu-ids")),
    ("AC010", "multi-gpu-one-id", (), "accelerate", "MultiGpuWithOneId", "run", ("accelerate-config",)),
    ("AC011", "one-rank-multi-gpu", (), "accelerate", "OneRankMultiGpu", "run", ("accelerate-config",)),
    ("AC012", "ignored-file-value", (), "accelerate_more", "IgnoredFileValue", "run", ("accelerate-config", "flag-in-file")),
    ("AC013", "main-process-ip-missing", (), "accelerate", "MainProcessIpMissing", "run", ("accelerate-config",)),
    ("AC014", "machine-rank-out-of-range", (), "accelerate", "MachineRankOutOfRange", "run", ("accelerate-config",)),
    ("AC015", "unknown-sub-config-key", (), "accelerate", "UnknownSubConfigKey", "run", ("accelerate-config",)),
    ("AC016", "dead-sub-config", (), "accelerate", "DeadSubConfig", "run", ("accelerate-config",)),
    ("AC017", "fsdp1-reshard-ignored", (), "fsdp", "ReshardIgnoredUnderFsdp1", "run", ("accelerate-config", "fsdp-config")),
    ("AC018", "fsdp2-reshard-not-bool", (), "fsdp", "ReshardNotBoolUnderFsdp2", "run", ("accelerate-config", "fsdp-config")),
    ("AC018B", "fsdp2-ignored-key", (), "accelerate_more", "Fsdp2IgnoredKey", "run", ("accelerate-config", "fsdp-config")),
    ("AC019", "fsdp-cpu-ram-loading-without-sync", (), "fsdp", "CpuRamLoadingWithoutSync", "run", ("accelerate-config", "fsdp-config")),
    ("AC020", "legacy-fsdp-key", (), "accelerate_more", "LegacyFsdpKey", "run", ("accelerate-config", "fsdp-config")),
    ("AC021", "fp8-backend-case", (), "accelerate_more", "Fp8BackendNotUpperCase", "run", ("accelerate-config", "fp8")),
    ("AC022", "fp8-questionnaire-key", (), "accelerate_more", "Fp8QuestionnaireKey", "run", ("accelerate-config", "fp8")),
    ("AC023", "bad-dynamo-backend", (), "accelerate_more", "BadDynamoBackend", "run", ("accelerate-config", "dynamo")),
    ("AC024", "bad-multinode-launcher", (), "accelerate_more", "BadMultinodeLauncher", "run", ("accelerate-config", "accelerate-deepspeed")),
    ("AC025", "hostfile-hosts-differ", (), "accelerate_more", "HostfileHostsDiffer", "run", ("accelerate-config", "accelerate-deepspeed")),
    ("AC026", "nvme-path-ignored", (), "accelerate_more", "NvmePathIgnored", "run", ("accelerate-config", "accelerate-deepspeed")),
    ("AC027", "zero3-init-without-stage3", (), "accelerate_more", "Zero3InitWithoutStage3", "run", ("accelerate-config", "accelerate-deepspeed")),
    ("AC028", "save-16bit-not-bool", (), "accelerate_more", "Save16bitNotBool", "run", ("accelerate-config", "accelerate-deepspeed")),
    ("AC029", "bad-parallelism-config", (), "accelerate", "BadParallelismConfig", "run", ("accelerate-config",)),
    ("AC030", "parallelism-wrong-paradigm", (), "accelerate_more", "ParallelismWrongParadigm", "run", ("accelerate-config", "parallelism-config")),
    ("AC031", "megatron-context-parallel-default", (), "accelerate_more", "MegatronContextParallelDefault", "run", ("accelerate-config", "megatron")),
    ("AC032", "megatron-world-not-divisible", (), "accelerate_more", "MegatronWorldNotDivisible", "run", ("accelerate-config", "megatron")),
    ("AC033", "accelerate-config-missing", (), "accelerate", "AccelerateConfigMissing", "run", ("accelerate-launch",)),
    ("DS001", "deepspeed-triad-mismatch", (), "deepspeed", "TriadMismatch", "run", ("deepspeed-config",)),
    ("DS002", "deepspeed-partial-triad", (), "deepspeed", "PartialTriad", "run", ("deepspeed-config",)),
    ("DS003", "deepspeed-no-batch-size", (), "deepspeed", "NoBatchSize", "run", ("deepspeed-config",)),
    ("DS004", "deepspeed-bad-batch-value", (), "deepspeed", "BadBatchValue", "run", ("deepspeed-config",)),
    ("DS005", "deepspeed-auto-without-hf", (), "deepspeed", "AutoWithRawDeepSpeed", "run", ("deepspeed-config",)),
    ("DS006", "deepspeed-accum-missing", (), "deepspeed", "AccumMissingFromJson", "run", ("deepspeed-config",)),
    ("DS007", "deepspeed-accum-differs", (), "deepspeed", "AccumDiffersFromJson", "run", ("deepspeed-config",)),
    ("DS008", "deepspeed-micro-differs", (), "deepspeed", "MicroDiffersFromConfig", "run", ("deepspeed-config",)),
    ("DS009", "deepspeed-pinned-total-with-auto", (), "deepspeed", "PinnedTotalWithAuto", "run", ("deepspeed-config",)),
    ("DS010", "deepspeed-zero-missing", (), "deepspeed", "ZeroSectionMissing", "run", ("deepspeed-config",)),
    ("DS011", "deepspeed-invalid-sub-config", (), "deepspeed_more", "InvalidSubConfig", "run", ("deepspeed-config",)),
    ("DS012", "deepspeed-unknown-key", (), "deepspeed", "NearMissKey", "run", ("deepspeed-config",)),
    ("DS013", "deepspeed-fp16-and-bf16", (), "deepspeed", "BothHalfPrecisions", "run", ("deepspeed-config",)),
    ("DS014", "deepspeed-precision-conflict", (), "deepspeed", "PrecisionConflict", "run", ("deepspeed-config",)),
    ("DS015", "deepspeed-precision-differs", (), "deepspeed", "PrecisionSilentlyDiffers", "run", ("deepspeed-config",)),
    ("DS016", "deepspeed-legacy-bfloat16", (), "deepspeed", "LegacyBfloat16Section", "run", ("deepspeed-config",)),
    ("DS017", "deepspeed-no-gradient-clipping", (), "deepspeed_more", "NoGradientClipping", "run", ("deepspeed-config",)),
    ("DS018", "deepspeed-not-strict-json", (), "deepspeed", "NotStrictJson", "run", ("deepspeed-config",)),
    ("DS019", "deepspeed-offload-does-nothing", (), "deepspeed_more", "OffloadDoesNothing", "run", ("deepspeed-config",)),
    ("DS020", "deepspeed-elasticity-with-batch", (), "deepspeed", "ElasticityWithBatchSizes", "run", ("deepspeed-config",)),
    ("DS021", "deepspeed-autotp-counts-replicas", (), "deepspeed_more", "AutoTpCountsReplicas", "run", ("deepspeed-config",)),
    ("DS022", "deepspeed-optimizer-twice", (), "deepspeed_more", "OptimizerInJsonAndScript", "run", ("deepspeed-config",)),
    ("DS023", "deepspeed-unfillable-auto", (), "deepspeed_more", "UnfillableAuto", "run", ("deepspeed-config",)),
    ("X001", "ignored-next-to-deepspeed-file", (), "cross", "IgnoredNextToConfigFile", "run", ("accelerate-config",)),
    ("X002", "deepspeed-file-missing", (), "cross", "DeepSpeedFileMissing", "run", ("deepspeed-config",)),
    ("X003", "launcher-accum-overrides", (), "cross", "LauncherAccumOverrides", "run", ()),
    ("X004", "effective-accum-differs", (), "cross", "EffectiveAccumDiffers", "run", ()),
    ("X005", "script-precision-wins", (), "cross", "ScriptPrecisionWins", "run", ()),
    ("X006", "split-batches-total", (), "cross_more", "SplitBatchesTotal", "run", ("split-batches",)),
    ("X007", "split-batches-ignored", (), "cross_more", "SplitBatchesIgnored", "run", ("split-batches",)),
    ("X009", "megatron-ignores-accumulation", (), "cross_more", "MegatronIgnoresAccum", "run", ("megatron",)),
    ("X010", "paradigm-flag-overrides", (), "cross_more", "ParadigmFlagOverrides", "run", ("accelerate-config", "paradigm-flag")),
    ("X011", "launch-line-processes", (), "cross", "LaunchLineProcesses", "run", ()),
)
_CODE = {code: (module, cls, kind, needs) for code, _, _, module, cls, kind, needs in TABLE}
_INSTANCES: dict[str, Rule] = {}

RULES: list[Rule]  # every rule, in TABLE's order (the module's __getattr__, importing them all)

__all__ = [
    "RULES",
    "BY_CODE",
    "BY_NAME",
    "TABLE",
    "Diagnostic",
    "DocumentRule",
    "Rule",
    "RunRule",
    "applicable",
    "checks",
    "check_selectors",
    "rule",
    "select_codes",
    "select_rules",
    "suggest_rule",
    "unknown_selectors",
]


def rule(code: str) -> Rule:
    """The rule of a code (not an alias), its module imported at the first look-up."""
    found = _INSTANCES.get(code)
    if found is None:
        module, cls, _, _ = _CODE[code]
        found = _INSTANCES[code] = getattr(__import__(f"batchlint.rules.{module}", fromlist=[cls]), cls)()
    return found


class _Lookup(Mapping[str, Rule]):
    """Rules by code and alias, or by name: the keys from TABLE, each rule made at its first look-up."""

    def __init__(self, codes: dict[str, str]) -> None:
        self._codes = codes  # key -> code

    def __getitem__(self, key: str) -> Rule:
        return rule(self._codes[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


BY_CODE: Mapping[str, Rule] = _Lookup({**{code: code for code, *_ in TABLE}, **{alias: code for code, _, aliases, *_ in TABLE for alias in aliases}})
BY_NAME: Mapping[str, Rule] = _Lookup({name: code for code, name, *_ in TABLE})


def __getattr__(name: str) -> object:
    if name == "RULES":
        every = globals()["RULES"] = [rule(code) for code, *_ in TABLE]
        return every
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _matches(code: str, name: str, aliases: tuple[str, ...], pattern: str) -> bool:
    pattern = pattern.strip()
    upper = pattern.upper()
    return code.startswith(upper) or name == pattern or upper == "ALL" or any(alias.startswith(upper) for alias in aliases)


_SELECTED: dict[tuple[tuple[str, ...] | None, tuple[str, ...]], tuple[str, ...]] = {}


def select_codes(select: list[str] | None, ignore: list[str] | None) -> tuple[str, ...]:
    """Like ruff: `select` by code, prefix or name (default all), then drop `ignore`; the codes, in TABLE's order."""
    key = (tuple(select) if select else None, tuple(ignore or ()))
    found = _SELECTED.get(key)
    if found is None:
        chosen = [entry for entry in TABLE if not select or any(_matches(*entry[:3], p) for p in select)]
        found = _SELECTED[key] = tuple(entry[0] for entry in chosen if not ignore or not any(_matches(*entry[:3], p) for p in ignore))
    return found


def select_rules(select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """The rules `select_codes` chooses (their modules imported)."""
    return [rule(code) for code in select_codes(select, ignore)]


_APPLICABLE: dict[tuple[tuple[str, ...], frozenset[Need], bool], list[Rule]] = {}


def applicable(codes: tuple[str, ...], runs: list[tuple[RunModel, Pairing]]) -> list[Rule]:
    """The rules of `codes` that can report on a file whose runs are `runs`, in TABLE's order: every
    document rule, and the run rules whose needs one of the runs meets (none without a run). Only their
    modules are imported."""
    met: frozenset[Need] = frozenset().union(*(needs_met(run, pairing) for run, pairing in runs))
    key = (codes, met, bool(runs))
    found = _APPLICABLE.get(key)
    if found is None:
        found = _APPLICABLE[key] = [rule(code) for code in codes if _applies(*_CODE[code][2:], met, bool(runs))]
    return found


# id(codes) -> (codes, (needs met, any run) -> the calls): the selected codes are one tuple per
# selection (select_codes), looked up by identity instead of hashing their ninety strings per file.
_CHECKS: dict[int, tuple[tuple[str, ...], dict[tuple[frozenset[Need], bool], tuple[tuple[DocumentCheck | None, RunCheck | None], ...]]]] = {}


def checks(codes: tuple[str, ...], runs: list[tuple[RunModel, Pairing]]) -> tuple[tuple[DocumentCheck | None, RunCheck | None], ...]:
    """The calls `applicable`'s rules make, in its order: for each rule, its `check_document` (None for a
    run rule) and its `check_run` (None for a document rule), bound once per process, not looked up per file."""
    met: frozenset[Need] = needs_met(*runs[0]) if len(runs) == 1 else frozenset().union(*(needs_met(run, pairing) for run, pairing in runs))
    by_codes = _CHECKS.get(id(codes))
    if by_codes is None or by_codes[0] is not codes:
        by_codes = _CHECKS[id(codes)] = (codes, {})
    key = (met, bool(runs))
    found = by_codes[1].get(key)
    if found is None:
        found = by_codes[1][key] = tuple(
            (rule.check_document if isinstance(rule, DocumentRule) else None, rule.check_run if isinstance(rule, RunRule) else None)
            for rule in applicable(codes, runs)
        )
    return found


def _applies(kind: Kind, needs: tuple[Need, ...], met: frozenset[Need], runs: bool) -> bool:
    if kind == "engine":
        return False
    return kind != "run" or runs and met.issuperset(needs)


def unknown_selectors(patterns: list[str]) -> list[str]:
    return [p for p in patterns if not any(_matches(*entry[:3], p) for entry in TABLE)]


def suggest_rule(pattern: str) -> str:
    """` (did you mean `BL204`?)` for a selector that names no rule, when a code or name is close; else ""."""
    from batchlint.rules.base import close_matches

    close = close_matches(pattern.strip().upper(), sorted(BY_CODE)) or close_matches(pattern.strip(), sorted(BY_NAME))
    return f" (did you mean `{close[0]}`?)" if close else ""


def check_selectors(settings: Settings) -> None:
    """Every rule code, prefix or name in a settings file's select / ignore / extend-select /
    per-file-ignores names a rule; otherwise a one-line SettingsError naming the file and the key."""
    from batchlint.settings import SettingsError

    if settings.selectors_checked:
        return
    for where, key, codes in settings.selectors:
        for bad in unknown_selectors(codes):
            raise SettingsError(f"{where}: {key}: unknown rule `{bad}`{suggest_rule(bad)} (see `batchlint rule --all`)")
    settings.selectors_checked = True

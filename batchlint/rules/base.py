"""What a rule is and what it reports.

Two kinds, as the data flows: a `DocumentRule` looks at one file (its nodes, comments, duplicate keys
and resolution problems, through a `DocumentView`), a `RunRule` at one run (`RunModel`) and what it is
launched with (`Pairing`). Neither ever sees raw text. A rule's class docstring is its documentation
(`batchlint rule CODE`), with the same sections for every rule (tests/test_rule_docs.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from batchlint.fixes import Fix
from batchlint.loading.nodes import Mapping, Node, Scalar, Span
from batchlint.model import DialectKind, Fact, FactName, ProblemKind, RunModel, Severity
from batchlint.pair import Pairing
from batchlint.views import DocumentView

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar, Literal

    from batchlint.dialects.base import FactDict

    Need = Literal[
        "accelerate-config",
        "accelerate-launch",
        "deepspeed-config",
        "baseline",
        "memory",
        "gpu-ids",
        "flag-in-file",
        "fsdp-config",
        "fp8",
        "dynamo",
        "accelerate-deepspeed",
        "parallelism-config",
        "megatron",
        "paradigm-flag",
        "split-batches",
        "global-batch",
        "layout-unresolved",
        "config-not-found",
    ]

# What a rule may need of a run (`Rule.needs`). Each is a necessary condition of the rules declaring it,
# read from the run's facts, the pairing's, or the top level of the accelerate file, so that choosing the
# rules of a run imports none of them.
ACCELERATE_CONFIG: Need = "accelerate-config"  # launched with an accelerate config (the launch facts of `Pairing`)
ACCELERATE_LAUNCH: Need = "accelerate-launch"  # that, a bare `accelerate launch`, or an accelerate config that cannot be read
DEEPSPEED_CONFIG: Need = "deepspeed-config"  # a DeepSpeed JSON, or a run that names one
BASELINE: Need = "baseline"  # compared with `--baseline REV`
MEMORY: Need = "memory"  # a memory model, or the reason there is none
GPU_IDS: Need = "gpu-ids"  # the accelerate file's `gpu_ids` lists ids (not `all`)
FLAG_IN_FILE: Need = "flag-in-file"  # the accelerate file sets a launch option the launcher does not copy from it (AC012's keys)
FSDP_CONFIG: Need = "fsdp-config"  # the accelerate file has a non-empty `fsdp_config`
FP8: Need = "fp8"  # mixed precision fp8 (the accelerate file's or the launch line's), or a non-empty `fp8_config`
DYNAMO: Need = "dynamo"  # the accelerate file has a non-empty `dynamo_config` or a top-level `dynamo_backend`
ACCELERATE_DEEPSPEED: Need = "accelerate-deepspeed"  # the accelerate file is `distributed_type: DEEPSPEED` with a non-empty `deepspeed_config`
PARALLELISM_CONFIG: Need = "parallelism-config"  # the accelerate file has a non-empty `parallelism_config`
MEGATRON: Need = "megatron"  # `distributed_type: MEGATRON_LM`, in the accelerate file or the run
PARADIGM_FLAG: Need = "paradigm-flag"  # the launch line has a paradigm flag (`--multi_gpu`, `--use_deepspeed`, ...)
SPLIT_BATCHES: Need = "split-batches"  # the training config turns on `split_batches` (`split_batches`)
GLOBAL_BATCH: Need = "global-batch"  # the trainer fixes the global batch (`RunModel.global_shape`)
LAYOUT_UNRESOLVED: Need = "layout-unresolved"  # the data-parallel size does not resolve (a parallel layout that does not fit)
CONFIG_NOT_FOUND: Need = "config-not-found"  # the training config a launch line names is not there
NEEDS: tuple[Need, ...] = (
    ACCELERATE_CONFIG,
    ACCELERATE_LAUNCH,
    DEEPSPEED_CONFIG,
    BASELINE,
    MEMORY,
    GPU_IDS,
    FLAG_IN_FILE,
    FSDP_CONFIG,
    FP8,
    DYNAMO,
    ACCELERATE_DEEPSPEED,
    PARALLELISM_CONFIG,
    MEGATRON,
    PARADIGM_FLAG,
    SPLIT_BATCHES,
    GLOBAL_BATCH,
    LAYOUT_UNRESOLVED,
    CONFIG_NOT_FOUND,
)

TRUE_WORDS = ("y", "yes", "t", "true", "on", "1")  # accelerate's str_to_bool, the true half


def means_true(node: Scalar | None) -> bool:
    """A value written to switch something on (bool true, or a true word such as "yes")."""
    if node is None:
        return False
    return node.value is True or (isinstance(node.value, str | int) and not isinstance(node.value, bool) and str(node.value).strip().lower() in TRUE_WORDS)


def _at(root: Node | None, dotted: str) -> Scalar | None:
    node = root
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Scalar) else None


def split_batches(run: RunModel, pairing: Pairing) -> tuple[Scalar, str] | None:
    """The training config's `split_batches: true` and how it reaches accelerate: "dataloader" (the HF
    Trainer's `accelerator_config`, a DataLoaderConfiguration) or "kwarg" (a key the script passes to
    `Accelerator(split_batches=...)`). The need SPLIT_BATCHES, and what X006 / X007 report."""
    config = pairing.config_doc
    if not run.is_training or config is None:
        return None
    root = config.root
    if run.dialect == "hf-trainer":
        node = _at(root, "accelerator_config.split_batches")
        return (node, "dataloader") if node is not None and node.value is True else None
    batch = run.get(FactName.PER_DEVICE_BATCH)
    section = batch.key.rsplit(".", 1)[0] if batch is not None and batch.key and "." in batch.key else None
    for dotted in ("split_batches", *([f"{section}.split_batches"] if section else [])):
        node = _at(root, dotted)
        if node is not None and node.value is True:
            return node, "kwarg"
    return None


def _scalar(root: Mapping, key: str) -> Scalar | None:
    node = root.get(key)
    return node if isinstance(node, Scalar) else None


def _section(root: Mapping, key: str) -> bool:
    node = root.get(key)
    return isinstance(node, Mapping) and bool(node.items)


def _is(fact: Fact[object] | None, value: str) -> bool:
    return fact is not None and fact.value == value


def _accelerate_file_needs(run: RunModel, facts: FactDict, root: Mapping, met: list[Need]) -> None:
    """The needs read from the accelerate file, as the rules' `View` sees it: `distributed_type` and
    `mixed_precision` from its launch facts, the rest from the top level of its root mapping."""
    ids = _scalar(root, "gpu_ids")
    if ids is not None and ids.value is not None and not isinstance(ids.value, bool) and str(ids.value).strip().lower() != "all":
        met.append(GPU_IDS)
    rdzv = _scalar(root, "rdzv_backend")
    if any(means_true(_scalar(root, key)) for key in ("enable_cpu_affinity", "downcast_bf16", "tpu_use_sudo")) or (
        rdzv is not None and isinstance(rdzv.value, str) and rdzv.value.strip() and rdzv.value != "static"
    ):
        met.append(FLAG_IN_FILE)
    if _section(root, "fsdp_config"):
        met.append(FSDP_CONFIG)
    precisions = (run.get(FactName.LAUNCH_MIXED_PRECISION), facts.get(FactName.MIXED_PRECISION))
    if any(f is not None and isinstance(f.value, str) and f.value.lower() == "fp8" for f in precisions) or _section(root, "fp8_config"):
        met.append(FP8)
    if _section(root, "dynamo_config") or _scalar(root, "dynamo_backend") is not None:
        met.append(DYNAMO)
    dtype = facts.get(FactName.DISTRIBUTED_TYPE)
    if _is(dtype, "DEEPSPEED") and _section(root, "deepspeed_config"):
        met.append(ACCELERATE_DEEPSPEED)
    if _section(root, "parallelism_config"):
        met.append(PARALLELISM_CONFIG)
    if _is(dtype, "MEGATRON_LM"):
        met.append(MEGATRON)


def needs_met(run: RunModel, pairing: Pairing) -> frozenset[Need]:
    """The needs a run meets. Each is a necessary condition of the rules that declare it: the accelerate
    rules look at `view()` (no launch facts, no view), AC033 at a bare `accelerate launch` or the launch
    problems, the DeepSpeed ones at `ds_view()`, the drift rules at the baseline, the memory rules at the
    memory model or why there is none; the finer ones (see each) at what their check starts from."""
    met: list[Need] = []
    if pairing.launch_facts:
        met.append(ACCELERATE_CONFIG)
        root = pairing.launch_doc.root if pairing.launch_doc is not None else None
        if isinstance(root, Mapping):  # else there is no `View`: no rule reports from the file
            _accelerate_file_needs(run, pairing.launch_facts, root, met)
        if FactName.LAUNCH_PARADIGM in run:
            met.append(PARADIGM_FLAG)
    if MEGATRON not in met and _is(run.distributed_type, "MEGATRON_LM"):
        met.append(MEGATRON)
    if pairing.launch_facts or pairing.launch_problems or FactName.ACCELERATE_DEFAULT_CONFIG in run:
        met.append(ACCELERATE_LAUNCH)
    if run.kind == DialectKind.DEEPSPEED or pairing.deepspeed is not None:
        met.append(DEEPSPEED_CONFIG)
    if run.baseline is not None:
        met.append(BASELINE)
    if run.memory is not None or run.memory_missing is not None:
        met.append(MEMORY)
    if run.is_training:
        if split_batches(run, pairing) is not None:
            met.append(SPLIT_BATCHES)
        if run.global_shape is not None:
            met.append(GLOBAL_BATCH)
    dp = run.data_parallel_size
    if dp is not None and dp.unresolved:
        met.append(LAYOUT_UNRESOLVED)
    named = run.get(FactName.TRAINING_CONFIG)
    if named is not None and named.problem == ProblemKind.NOT_FOUND:
        met.append(CONFIG_NOT_FOUND)
    return frozenset(met)


class Related:
    __slots__ = ("span", "label")

    def __init__(self, span: Span, label: str) -> None:
        self.span = span
        self.label = label

    def __reduce__(self) -> tuple[type[Related], tuple[Span, str]]:
        return Related, (self.span, self.label)  # (see Diagnostic.__reduce__)


class Diagnostic:
    __slots__ = ("code", "name", "severity", "message", "span", "help", "related", "fix")

    def __init__(
        self,
        code: str,
        name: str,
        severity: Severity,
        message: str,
        span: Span,
        help: str | None = None,
        related: list[Related] | None = None,
        fix: Fix | None = None,
    ) -> None:
        self.code = code
        self.name = name
        self.severity = severity
        self.message = message
        self.span = span
        self.help = help
        self.related = related or []
        self.fix = fix

    def __repr__(self) -> str:
        return f"Diagnostic({self.code} {self.span.file}:{self.span.line}:{self.span.column} {self.message!r})"

    def __reduce__(self) -> tuple[type[Diagnostic], tuple[object, ...]]:
        # The parallel walk pickles every diagnostic back to the parent: its fields as arguments cost
        # about two thirds of the default slot-state dicts, to write and to read.
        return Diagnostic, (self.code, self.name, self.severity, self.message, self.span, self.help, self.related, self.fix)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)

    def identity(self) -> tuple[str, str, int, int, str]:
        """Two runs sharing a launch config report its findings once: same code, place and message."""
        return (self.code, self.span.file, self.span.line, self.span.column, self.message)

    @property
    def failing(self) -> bool:
        return self.severity in (Severity.ERROR, Severity.WARNING)

    def as_json(self, sources: dict[str, str] | None = None) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "help": self.help,
            "related": [{"file": r.span.file, "line": r.span.line, "column": r.span.column, "label": r.label} for r in self.related],
            "fix": self.fix.as_json(sources) if self.fix is not None else None,
        }


def file_start(path: str) -> Span:
    return Span(path, 1, 1, 1, 1, 0, 0)


class Rule:
    """Code, name, summary, severity; subclasses of DocumentRule / RunRule implement the check."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity]
    fixable: ClassVar[bool] = False
    aliases: ClassVar[tuple[str, ...]] = ()  # other codes that select this rule (the spec's catalog names)
    # What a run must have for the rule to report anything (`needs_met`); the registry's table
    # (rules/__init__.py) repeats it so that a run imports only the rule modules that can apply to it.
    needs: ClassVar[tuple[Need, ...]] = ()

    def report(
        self, message: str, span: Span, help: str | None = None, related: list[Related] | None = None, severity: Severity | None = None, fix: Fix | None = None
    ) -> Diagnostic:
        return Diagnostic(self.code, self.name, severity or self.severity, message, span, help, related or [], fix)


class DocumentRule(Rule):
    """A rule about one file as written."""

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        raise NotImplementedError


class RunRule(Rule):
    """A rule about one run: its typed facts and what it is launched with."""

    def check_run(self, run: RunModel, pairing: Pairing) -> Iterator[Diagnostic]:
        raise NotImplementedError


# accelerate's multi-device distributed types, and a version's numbers: for the accelerate rules and the
# cross-file ones that do not import them.
MULTI_DEVICE = ("MULTI_GPU", "MULTI_NPU", "MULTI_MLU", "MULTI_SDAA", "MULTI_MUSA", "MULTI_XPU", "MULTI_HPU", "MULTI_NEURON")


def version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in str(text).split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def close_matches(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Known names close to a misspelt one, to phrase "did you mean". Equally close names are ordered
    by how many characters differ in place (`BL1O1` is `BL101` with one letter for a digit, not `BL112`)."""
    import difflib  # only when a name is unknown

    def misplaced(name: str) -> int:
        return sum(a != b for a, b in zip(word, name, strict=True)) if len(name) == len(word) else len(word) + len(name)

    scored = []
    for name in set(choices):
        ratio = difflib.SequenceMatcher(None, word, name).ratio()
        if ratio >= cutoff:
            scored.append((-ratio, misplaced(name), name))
    scored.sort(key=lambda item: item[2], reverse=True)  # difflib's own order among the rest
    scored.sort(key=lambda item: item[:2])
    return [name for _, _, name in scored[:n]]

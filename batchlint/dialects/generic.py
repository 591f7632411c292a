"""The generic reader: key roles from names and context, for training configs no dialect claims.

It reads a file only when the file shows it trains: an optimisation key (`learning_rate`, `lr`,
`optimizer`, `weight_decay`, ...) and a duration key (`max_steps`, `epochs`, `max_train_steps`,
...), outside evaluation sections. An inference config with `train_batch_size` and
`validation_data` but no optimizer, learning rate or steps is not a training run.

Then each role takes the one key that plays it: the per-device batch from batch-size names
(`per_device_train_batch_size`, `train_batch_size`, `batch_size_per_gpu`, ... most specific first;
a bare `batch_size` only inside a training or data section), the accumulation, a declared global
batch, precision and checkpointing. Keys under `val`/`eval`/`test`/`sample`/`inference`/`predict`
(and rollout, reference, critic, VAE caches) never play a role. When two keys could play the same
role equally well the role stays empty: a guess is never a fact.

The confidence says how sure the reading is: `medium` when the per-device batch has a specific
name and both kinds of training evidence are there, `low` otherwise. A generic run is shown by
`inspect` and reported at info level at most (engine.py), never with a fix.
"""

from __future__ import annotations

import re

from batchlint.dialects.base import Dialect, SignatureMatch
from batchlint.dialects.evidence import EXCLUDED, dotted, training_evidence, walk
from batchlint.loading.nodes import Mapping, Node, Scalar
from batchlint.model import DialectKind, FactName, Semantics

_TRAINING_SECTIONS = {
    "train",
    "training",
    "trainer",
    "solver",
    "optim",
    "optimization",
    "data",
    "datamodule",  # Lightning-Hydra template (`datamodule: mnist.yaml` in its defaults list)
    "dataloader",
    "train_dataloader",
    "dataset",
    "datasets",
    "run",
    "hparams",
    "hyperparameters",
    "args",
    "params",
    "training_args",
    "train_cfg",
    "train_config",
    "training_config",
    "experiment",
    "exp",
    "config",
    "train_data",
    "train_dataset",
    "loader",
}
# Per-device batch names, most specific first (the specificity is the index: lower wins).
_PER_DEVICE = (
    (
        "per_device_train_batch_size",
        "per_gpu_train_batch_size",
        "train_micro_batch_size_per_gpu",
        "batch_size_per_gpu",
        "per_gpu_batch_size",
        "batch_size_per_device",
        "per_device_batch_size",
        "train_batch_size_per_gpu",
        "samples_per_gpu",
        "imgs_per_gpu",
        "videos_per_gpu",
    ),
    (
        "train_batch_size",
        "train_bs",
        "batch_size_train",
        "train_batch",
        "local_batch_size",
        "micro_batch_size",
        "train_micro_batch_size",
        "training_batch_size",
    ),
    ("batch_size", "bs", "batchsize"),
)  # not a bare `batch`: ultralytics' is the total over all GPUs
_GLOBAL = ("global_batch_size", "global_train_batch_size", "total_batch_size", "effective_batch_size", "total_train_batch_size")
_ACCUM = (
    "gradient_accumulation_steps",
    "grad_accum_steps",
    "accumulate_grad_batches",
    "gradient_accumulation",
    "grad_accumulation",
    "accum_steps",
    "grad_acc_steps",
    "accum_iter",
    "accumulation_steps",
    "gradient_accumulate_every",
    "accum_grad_iters",
    "grad_accum",
    "accumulate_every",
    "gradient_accumulation_iters",
    "accum_freq",
)
_PRECISION = ("mixed_precision", "precision", "amp", "use_amp", "fp16", "bf16", "mixed_precision_training")
_CHECKPOINTING = (
    "gradient_checkpointing",
    "grad_checkpointing",
    "activation_checkpointing",
    "enable_gradient_checkpointing",
    "use_gradient_checkpointing",
    "gradient_checkpoint",
    "use_checkpoint",
    "checkpoint_activations",
)
_INFERENCE_MODES = re.compile(r"^(?:inference|infer|test|eval|evaluate|evaluation|sample|sampling|predict|generate|demo|serve)", re.I)


def _excluded(path: tuple[str, ...]) -> bool:
    return any(EXCLUDED.search(part.split("[")[0]) for part in path)


_ROLE_NAMES = frozenset(name for names in _PER_DEVICE for name in names) | frozenset(_GLOBAL)


def _number(node: Node) -> bool:
    return isinstance(node, Scalar) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _interpolated(node: Node) -> bool:
    return isinstance(node, Scalar) and isinstance(node.value, str) and node.value.startswith("${")


def _pick(entries: list[tuple[tuple[str, ...], Node]], names: tuple[str, ...], value_ok: object = _number) -> str | None:
    """The one key that plays a role: the most specific name; None when two different keys tie."""
    hits = [(names.index(path[-1]), path) for path, node in entries if path[-1] in names and not _excluded(path) and (value_ok(node) or _interpolated(node))]  # type: ignore[operator]
    if not hits:
        return None
    best = min(rank for rank, _ in hits)
    chosen = {dotted(path) for rank, path in hits if rank == best}
    if len(chosen) > 1:
        # `trainer.gradient_accumulation_steps: ${gradient_accumulation_steps}`: one value, read where the trainer reads it.
        nodes = dict((dotted(p), n) for p, n in entries)
        targets = {
            n.value[2:-1].lstrip(".")
            for key in chosen
            if isinstance(n := nodes.get(key), Scalar) and _interpolated(n) and isinstance(n.value, str) and n.value.endswith("}")
        }
        chosen -= {key for key in chosen if key in targets or key.rsplit(".", 1)[-1] in targets and "." not in key}
    return chosen.pop() if len(chosen) == 1 else None


def _per_device(entries: list[tuple[tuple[str, ...], Node]]) -> tuple[str | None, int]:
    """The per-device batch key and its specificity tier (0 most specific), or (None, -1)."""
    for tier, names in enumerate(_PER_DEVICE):
        candidates = [(path, node) for path, node in entries if path[-1] in names]
        if tier == 2:  # a bare `batch_size` counts only at the top or inside a training / data section
            candidates = [(p, n) for p, n in candidates if len(p) == 1 or any(part.split("[")[0].lower() in _TRAINING_SECTIONS for part in p[:-1])]
        if not candidates:
            continue
        key = _pick(candidates, names)
        if key is not None:
            return key, tier
        if any(not _excluded(p) for p, _ in candidates):
            return None, -1  # two keys could be the per-device batch: say nothing
    return None, -1


def _inference_mode(root: Mapping) -> bool:
    for path, node, _ in walk(root, ()):
        if len(path) <= 2 and path[-1].lower() in ("mode", "task", "task_type", "stage", "phase", "run_mode") and isinstance(node, Scalar):
            if isinstance(node.value, str) and _INFERENCE_MODES.match(node.value):
                return True
    return False


def read(root: Node | None, semantics: Semantics, python: bool = False) -> tuple[Dialect, SignatureMatch] | None:
    """A generic reading of a file no dialect claims, or None when it does not show that it trains.

    `python`: a Python configurator (nanoGPT's `exec(open(config).read())`) sets globals the training
    program may still rescale (nanoGPT divides `gradient_accumulation_steps` by the world size), so its
    accumulation is not read, and no default 1 stands in for it."""
    if not isinstance(root, Mapping):
        return None
    walked = list(walk(root, ()))
    if not any(path[-1].lstrip("-") in _ROLE_NAMES and not excluded for path, _node, excluded in walked):
        return None  # no key could be a batch: nothing to read (the common case, checked first)
    if _inference_mode(root):
        return None
    optimisation, duration = training_evidence(root)
    if not optimisation or not duration:
        return None
    entries = [(tuple(part.lstrip("-") if i == len(path) - 1 else part for i, part in enumerate(path)), node) for path, node, _ in walked]
    written = {tuple(part.lstrip("-") if i == len(path) - 1 else part for i, part in enumerate(path)): path for path, _, _ in walked}
    per_device, tier = _per_device(entries)
    global_batch = _pick(entries, _GLOBAL)
    if per_device is None and global_batch is None:
        return None
    keys: dict[FactName, tuple[str, ...]] = {}

    def put(name: FactName, key: str | None) -> None:
        if key is not None:
            original = written.get(tuple(key.replace("[", ".[").split(".")), None)
            keys[name] = (dotted(original) if original else key,)

    put(FactName.PER_DEVICE_BATCH, per_device)
    put(FactName.GLOBAL_BATCH, global_batch)
    accum = _pick(entries, _ACCUM)
    if python and accum is not None:
        accum, unreadable = None, True
    else:
        put(FactName.GRAD_ACCUM, accum)
        # An accumulation the reader cannot take (fairseq's `update_freq: [4]`, two candidates): no default 1 either.
        unreadable = accum is None and any(("accum" in path[-1].lower() or path[-1] == "update_freq") and not excluded for path, _node, excluded in walked)
    put(FactName.MIXED_PRECISION, _pick(entries, _PRECISION, lambda n: isinstance(n, Scalar)))
    put(FactName.GRADIENT_CHECKPOINTING, _pick(entries, _CHECKPOINTING, lambda n: isinstance(n, Scalar) and isinstance(n.value, bool)))
    confidence = "medium" if per_device is not None and tier <= 1 and len(optimisation) + len(duration) >= 3 else "low"
    found = tuple(keys[name][0] for name in keys)
    evidence = ", ".join([*optimisation[:2], *duration[:2]])
    dialect = Dialect(
        name="generic",
        kind=DialectKind.TRAINING,
        semantics=semantics,
        keys=keys,
        defaults={} if unreadable else {FactName.GRAD_ACCUM: 1},
        description="generic reader: key roles from names and context",
    )
    return dialect, SignatureMatch("generic", found, confidence=confidence, note=f"training evidence: {evidence}")

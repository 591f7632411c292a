"""Every dialect, in detection order, and the dialects users declare in settings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from batchlint.dialects import accelerate
from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

# Every built-in dialect as (name, module in batchlint.dialects, attribute), in detection order. Order
# matters only for files that look like two dialects; the specific ones go first. A dialect's module
# is imported when detection reaches it (a MuseV file is claimed by the first), or when a name or the
# whole list is asked for: a pre-commit hook checks one file, and each module costs start-up.
# tests/test_dialect_registry.py checks this table, LINKED and PREFILTER_WORDS against the modules.
ORDER: tuple[tuple[str, str, str], ...] = (
    ("musev", "musev", "DIALECT"),
    ("animateanyone", "animateanyone", "DIALECT"),
    ("accelerate", "accelerate", "DIALECT"),
    ("gpt-neox", "neox", "DIALECT"),
    ("deepspeed", "deepspeed", "DIALECT"),
    ("hf-trainer", "hf_trainer", "DIALECT"),
    ("axolotl", "axolotl", "DIALECT"),
    ("torchtune", "torchtune", "DIALECT"),
    ("composer", "composer", "DIALECT"),
    ("basicsr", "basicsr", "DIALECT"),
    ("animatediff", "animatediff", "DIALECT"),
    ("latentsync", "latentsync", "DIALECT"),
    ("ldm", "ldm", "DIALECT"),
    ("latte", "latte", "DIALECT"),
    ("composer-diffusion", "composer", "DIFFUSION"),
    ("mcli", "composer", "MCLI"),
    ("mcli", "composer", "MCLI_FLAT"),
    ("nemo", "nemo", "DIALECT"),
    ("nanotron", "nanotron", "DIALECT"),
    ("torchtitan", "torchtitan", "DIALECT"),
    ("diffusion-pipe", "diffusion_pipe", "DIALECT"),
    ("stablecascade", "stablecascade", "DIALECT"),
    ("lingua", "lingua", "DIALECT"),
    ("xflux", "xflux", "DIALECT"),
    ("vgen", "vgen", "DIALECT"),
    ("kohya", "kohya", "DIALECT"),
    ("kohya-toml", "kohya", "GUI_TOML"),
    ("kohya-dataset", "kohya", "DATASET"),
    ("simpletuner", "simpletuner", "DIALECT"),
    ("verl", "verl", "DIALECT"),
    ("sat", "sat", "DIALECT"),
    ("litgpt", "litgpt", "DIALECT"),
    ("lightning-cli", "lightning_cli", "DIALECT"),
    ("lavis", "lavis", "DIALECT"),
    ("ai-toolkit", "aitoolkit", "DIALECT"),
    ("mmengine", "mmengine", "DIALECT"),
    ("detectron2", "detectron2", "DIALECT"),
)
# The dialects another one links (`Link.dialect`): their files are read through the config naming them.
LINKED: frozenset[str] = frozenset({"kohya-dataset"})
# The words prefilter.py looks for in a file's bytes (its `built_in_words()`, from every declaration).
PREFILTER_WORDS: tuple[str, ...] = (
    "IMS_PER_BATCH", "_bs", "accum", "accum_grad_iters", "accumulate_grad_batches", "accumulative_counts", "batch",
    "batch_accumulation_per_replica", "batch_size", "batch_size_per_gpu", "batch_size_train", "batchlint", "compute_environment",
    "deepspeed", "defaults:", "device_train_microbatch_size", "devices", "distributed_type", "fsdp", "global_batch_size", "global_train_batch_size",
    "gpus", "grad_acc_steps", "grad_accum_steps", "gradient_accumulation", "gradient_accumulation_steps", "local_batch_size", "micro",
    "micro_batch_size", "micro_batch_size_per_gpu", "n_gpus_per_node", "nproc", "num_gpu", "num_processes", "per_device_train_batch_size",
    "ppo_micro_batch_size_per_gpu", "ppo_mini_batch_size", "ray_num_workers", "samples_per_gpu", "train_batch_size", "train_bs",
    "train_micro_batch_size_per_gpu", "world_size", "zero_optimization",
)  # fmt: skip
ACCELERATE = accelerate.DIALECT
DEEPSPEED: Dialect  # the DeepSpeed JSON dialect (the module's __getattr__: imported when a run links a JSON)
DEEPSPEED_NAME = "deepspeed"  # its name, without importing its module (tests/rules/test_registry.py checks it)
_loaded: list[Dialect] = []  # the first len(_loaded) entries of ORDER


def _built_in(index: int) -> Dialect:
    while len(_loaded) <= index:
        _, module, attribute = ORDER[len(_loaded)]
        # (`__import__` with a fromlist gives the module itself; `importlib` would import `warnings` on every run.)
        _loaded.append(getattr(__import__(f"batchlint.dialects.{module}", fromlist=[attribute]), attribute))
    return _loaded[index]


def built_in() -> Iterator[Dialect]:
    """The built-in dialects in detection order, each module imported when it is reached."""
    return (_built_in(i) for i in range(len(ORDER)))


def __getattr__(name: str) -> Dialect | tuple[Dialect, ...]:
    """`BUILT_IN`: every built-in dialect in detection order, all their modules imported (prefer built_in());
    `DEEPSPEED`: the DeepSpeed JSON dialect, its module imported at the first look-up."""
    if name == "BUILT_IN":
        return tuple(built_in())
    if name == "DEEPSPEED":
        from batchlint.dialects.deepspeed import DIALECT

        found = globals()["DEEPSPEED"] = DIALECT
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def by_name(name: str) -> Dialect | None:
    return next((_built_in(i) for i, (one, _, _) in enumerate(ORDER) if one == name), None)


def user_dialect(spec: Mapping[str, object]) -> Dialect:
    """A dialect declared in settings ([[tool.batchlint.dialects]]); validated by the settings parser."""
    detect_keys = [str(k) for k in spec["detect"]]  # type: ignore[attr-defined]
    keys: dict[FactName, tuple[str, ...]] = {FactName.PER_DEVICE_BATCH: (str(spec["per-device-batch"]),)}
    for setting, fact in (("grad-accum", FactName.GRAD_ACCUM), ("processes", FactName.NUM_PROCESSES), ("precision", FactName.MIXED_PRECISION)):
        if setting in spec:
            keys[fact] = (str(spec[setting]),)
    return Dialect(
        name=str(spec["name"]),
        kind=DialectKind.TRAINING,
        semantics=Semantics(str(spec.get("semantics", "yaml11"))),
        keys=keys,
        signature=Signature(must=tuple(detect_keys)),
        defaults={FactName.GRAD_ACCUM: 1},
        description="declared in settings",
    )


def candidates(user: Iterable[Mapping[str, object]] = ()) -> Iterator[Dialect]:
    """User dialects first (they are checked before the built-in ones), then the built-in ones."""
    yield from (user_dialect(spec) for spec in user)
    yield from built_in()

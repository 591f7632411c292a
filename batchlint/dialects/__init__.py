"""Dialects: which file shape is this, and where do its batch numbers live.

Each dialect module holds a key map (fact name -> candidate key paths, first present wins)
and a content-based detection. A file that matches no dialect is not a training or launch
config and gets no findings at all: pre-commit hands batchlint every YAML file.
"""

from __future__ import annotations

from collections.abc import Callable

from batchlint.loading.nodes import Mapping, Node


class Dialect:
    def __init__(self, name: str, kind: str, semantics: str, keys: dict[str, tuple[str, ...]],
                 detect: Callable[[Node | None], bool], defaults: dict[str, object] | None = None,
                 preset_target: int | None = None, preset_source: str = "", description: str = "") -> None:
        self.name = name
        self.kind = kind  # "training", "launch" (accelerate) or "deepspeed"
        self.semantics = semantics  # how values are read: "omegaconf", "yaml11" or "json"
        self.keys = keys  # fact -> candidate key paths, first present wins
        self.detect = detect
        self.defaults = defaults or {}  # fact -> value when the key is absent
        self.preset_target = preset_target  # the family's own stated total batch, if any
        self.preset_source = preset_source
        self.description = description


def has_path(root: Node | None, dotted: str) -> bool:
    node = root
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return False
        node = node.get(part)
        if node is None:
            return False
    return True


def all_dialects() -> list[Dialect]:
    from batchlint.dialects import (
        accelerate,
        animateanyone,
        animatediff,
        axolotl,
        basicsr,
        composer,
        deepspeed,
        hf_trainer,
        latentsync,
        latte,
        ldm,
        musev,
        neox,
        torchtune,
    )

    # Order matters only for files that look like two dialects; the specific ones go first.
    return [musev.DIALECT, animateanyone.DIALECT, accelerate.DIALECT, neox.DIALECT, deepspeed.DIALECT, hf_trainer.DIALECT,
            axolotl.DIALECT, torchtune.DIALECT, composer.DIALECT, basicsr.DIALECT, animatediff.DIALECT, latentsync.DIALECT,
            ldm.DIALECT, latte.DIALECT]


def user_dialect(spec: dict[str, object]) -> Dialect:
    """A dialect declared in settings ([[tool.batchlint.dialects]])."""
    detect_keys = [str(k) for k in spec["detect"]]  # type: ignore[attr-defined]
    keys: dict[str, tuple[str, ...]] = {"per_device_batch": (str(spec["per-device-batch"]),)}
    for field, fact in (("grad-accum", "grad_accum"), ("processes", "num_processes"), ("precision", "mixed_precision")):
        if field in spec:
            keys[fact] = (str(spec[field]),)

    def detect_fn(root: Node | None) -> bool:
        return all(has_path(root, k) for k in detect_keys)

    return Dialect(name=str(spec["name"]), kind="training", semantics=str(spec.get("semantics", "yaml11")), keys=keys,
                   detect=detect_fn, defaults={"grad_accum": 1}, description="declared in settings")


def detect(root: Node | None, path: str, extra: list[Dialect] | None = None) -> Dialect | None:
    if not isinstance(root, Mapping):
        return None
    for dialect in [*(extra or []), *all_dialects()]:
        if dialect.detect(root):
            return dialect
    return None


def by_name(name: str) -> Dialect | None:
    for dialect in all_dialects():
        if dialect.name == name:
            return dialect
    return None

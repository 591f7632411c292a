"""Every dialect, in detection order, and the dialects users declare in settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
from batchlint.dialects.base import Dialect, has_path
from batchlint.loading.nodes import Node
from batchlint.model import DialectKind, FactName, Semantics

# Order matters only for files that look like two dialects; the specific ones go first.
BUILT_IN: tuple[Dialect, ...] = (
    musev.DIALECT, animateanyone.DIALECT, accelerate.DIALECT, neox.DIALECT, deepspeed.DIALECT, hf_trainer.DIALECT,
    axolotl.DIALECT, torchtune.DIALECT, composer.DIALECT, basicsr.DIALECT, animatediff.DIALECT, latentsync.DIALECT,
    ldm.DIALECT, latte.DIALECT,
)
ACCELERATE = accelerate.DIALECT
DEEPSPEED = deepspeed.DIALECT


def by_name(name: str) -> Dialect | None:
    return next((d for d in BUILT_IN if d.name == name), None)


def user_dialect(spec: Mapping[str, object]) -> Dialect:
    """A dialect declared in settings ([[tool.batchlint.dialects]]); validated by the settings parser."""
    detect_keys = [str(k) for k in spec["detect"]]  # type: ignore[attr-defined]
    keys: dict[FactName, tuple[str, ...]] = {FactName.PER_DEVICE_BATCH: (str(spec["per-device-batch"]),)}
    for setting, fact in (("grad-accum", FactName.GRAD_ACCUM), ("processes", FactName.NUM_PROCESSES),
                          ("precision", FactName.MIXED_PRECISION)):
        if setting in spec:
            keys[fact] = (str(spec[setting]),)

    def detect_fn(root: Node | None) -> bool:
        return all(has_path(root, k) for k in detect_keys)

    return Dialect(name=str(spec["name"]), kind=DialectKind.TRAINING, semantics=Semantics(str(spec.get("semantics", "yaml11"))),
                   keys=keys, detect=detect_fn, defaults={FactName.GRAD_ACCUM: 1}, description="declared in settings")


def candidates(user: Iterable[Mapping[str, object]] = ()) -> list[Dialect]:
    """User dialects first (they are checked before the built-in ones), then the built-in ones."""
    return [*(user_dialect(spec) for spec in user), *BUILT_IN]

"""Every dialect, in detection order, and the dialects users declare in settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from batchlint.dialects import (
    accelerate,
    aitoolkit,
    animateanyone,
    animatediff,
    axolotl,
    basicsr,
    composer,
    deepspeed,
    detectron2,
    diffusion_pipe,
    hf_trainer,
    kohya,
    latentsync,
    latte,
    lavis,
    ldm,
    lightning_cli,
    lingua,
    litgpt,
    mmengine,
    musev,
    nanotron,
    nemo,
    neox,
    sat,
    simpletuner,
    stablecascade,
    torchtitan,
    torchtune,
    verl,
    vgen,
    xflux,
)
from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

# Order matters only for files that look like two dialects; the specific ones go first.
BUILT_IN: tuple[Dialect, ...] = (
    musev.DIALECT,
    animateanyone.DIALECT,
    accelerate.DIALECT,
    neox.DIALECT,
    deepspeed.DIALECT,
    hf_trainer.DIALECT,
    axolotl.DIALECT,
    torchtune.DIALECT,
    composer.DIALECT,
    basicsr.DIALECT,
    animatediff.DIALECT,
    latentsync.DIALECT,
    ldm.DIALECT,
    latte.DIALECT,
    composer.DIFFUSION,
    composer.MCLI,
    composer.MCLI_FLAT,
    nemo.DIALECT,
    nanotron.DIALECT,
    torchtitan.DIALECT,
    diffusion_pipe.DIALECT,
    stablecascade.DIALECT,
    lingua.DIALECT,
    xflux.DIALECT,
    vgen.DIALECT,
    kohya.DIALECT,
    kohya.GUI_TOML,
    kohya.DATASET,
    simpletuner.DIALECT,
    verl.DIALECT,
    sat.DIALECT,
    litgpt.DIALECT,
    lightning_cli.DIALECT,
    lavis.DIALECT,
    aitoolkit.DIALECT,
    mmengine.DIALECT,
    detectron2.DIALECT,
)
ACCELERATE = accelerate.DIALECT
DEEPSPEED = deepspeed.DIALECT


def by_name(name: str) -> Dialect | None:
    return next((d for d in BUILT_IN if d.name == name), None)


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


def candidates(user: Iterable[Mapping[str, object]] = ()) -> list[Dialect]:
    """User dialects first (they are checked before the built-in ones), then the built-in ones."""
    return [*(user_dialect(spec) for spec in user), *BUILT_IN]

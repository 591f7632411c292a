"""AnimateAnyone-family training YAML (Moore-AnimateAnyone, MusePose, MuseTalk, Champ, Hallo).

Per-device batch `data.train_bs`, accumulation `solver.gradient_accumulation_steps`;
`solver.mixed_precision` is passed to `Accelerator(...)`. `data.val_bs` is a decoy.
Validation (`log_validation`, main process only) runs every `val.validation_steps` steps
(MuseTalk: `val_freq`), so it runs at all when that is at most `solver.max_train_steps`: MusePose
sets 20000000000000 to turn it off (Moore-AnimateAnyone `train_stage_1.py`).
"""

from __future__ import annotations

from batchlint.counts import positive_int
from batchlint.dialects.base import Dialect, FactDict, Signature
from batchlint.model import DialectKind, Fact, FactName, Origin, Semantics


def _validation(facts: FactDict) -> None:
    """Whether the main process validates during this training (memory-model.md §3 #3)."""
    steps = facts.get(FactName.VALIDATION_STEPS)
    every = positive_int(steps.value) if steps is not None else None
    if steps is None or every is None or FactName.DO_VALIDATION in facts:
        return
    limit_fact = facts.get(FactName.MAX_TRAIN_STEPS)
    limit = positive_int(limit_fact.value) if limit_fact is not None else None
    on = limit is None or every <= limit
    why = (
        f"{steps.key} = {every}"
        + (f" {'≤' if on else '>'} {limit_fact.key} = {limit}" if limit_fact is not None and limit else "")
        + (": log_validation runs on the main process" if on else ": validation never runs")
    )
    facts[FactName.DO_VALIDATION] = Fact(FactName.DO_VALIDATION, on, Origin.DERIVED, steps.key, steps.span, note=why)


DIALECT = Dialect(
    name="animateanyone",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("data.train_bs", "train_bs"),
        FactName.GRAD_ACCUM: ("solver.gradient_accumulation_steps",),
        FactName.MIXED_PRECISION: ("solver.mixed_precision",),
        FactName.GRADIENT_CHECKPOINTING: ("solver.gradient_checkpointing",),
        FactName.LEARNING_RATE: ("solver.learning_rate",),
        FactName.SCALE_LR: ("solver.scale_lr",),
        FactName.VALIDATION_STEPS: ("val.validation_steps", "val_freq"),
        FactName.MAX_TRAIN_STEPS: ("solver.max_train_steps", "max_train_steps"),
        FactName.USE_8BIT_ADAM: ("solver.use_8bit_adam",),
        FactName.MEMORY_EFFICIENT_ATTENTION: ("solver.enable_xformers_memory_efficient_attention",),
        FactName.N_SAMPLE_FRAMES: ("data.n_sample_frames",),
        FactName.WIDTH: ("data.train_width",),
        FactName.HEIGHT: ("data.train_height",),
    },
    # The per-device batch under `data:` or at the top level beside `solver:` (MuseV-family variants).
    signature=Signature(must=("solver{}",), one_of=(("data.train_bs", "train_bs"),)),
    decoys=("data.val_bs", "val_bs"),
    defaults={FactName.GRAD_ACCUM: 1},
    derive=_validation,
    description="AnimateAnyone-family OmegaConf YAML (data.train_bs, solver.gradient_accumulation_steps)",
)

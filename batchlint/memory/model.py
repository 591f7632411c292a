"""Per-card memory for a per-device batch b, with an uncertainty band (memory-model.md §0, §6.2, §6.4).

    M_rank(b)      = S + S_dist + b·a                                          (every card)
    M_main_opt(b)  = M_rank_opt(b) + D_persist + max(0, D_transient − R_free(b))  (rho = 1: memory reused)
    M_main_cons(b) = M_rank_cons(b) + D_persist + D_transient                     (rho = 0: no reuse)
    usable         = capacity × (1 − headroom)

The static S of a parameter-count profile follows DeepSpeed's current model-state formulas for
the run's sharding (`model_states`). Every estimate carries a band set by the profile's kind
(`Band`): the optimistic and conservative ends scale the parts that were not measured. A safe
fix must fit at the conservative end; BL202 is an error only when even the optimistic end does
not fit.
"""

from __future__ import annotations

from collections.abc import Mapping

from batchlint.counts import positive_int
from batchlint.memory import CENTRAL as CENTRAL  # (the cases, named here too)
from batchlint.memory import CONSERVATIVE as CONSERVATIVE
from batchlint.memory import OPTIMISTIC as OPTIMISTIC
from batchlint.memory.gpus import Gpu
from batchlint.memory.profile import GIB, Profile
from batchlint.sharding import Sharding

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    FactMap = Mapping[Any, object]  # FactName -> Fact (read through `.value`); this module stays below batchlint.model
else:
    FactMap = Mapping
NCCL_GIB = 0.75
CTX_GIB = 0.5
MISC_GIB = 0.3
DEFAULT_VALIDATION_VIDEO_GIB = 8.0
DEFAULT_VALIDATION_IMAGE_GIB = 4.0
SLOPE_MARGIN = 0.15
DEFAULT_LARGEST_LAYER = 0.10  # share of the parameters in the largest layer when the profile does not say

# Measured errors of the estimates (memory-model.md §4.2, §7), as (estimate below, estimate above) the truth:
# two-point extrapolation of the per-sample slope was off by −15.9 % … +6.6 % (aMUSEd sweeps, §4.2);
# statics from parameter counts came out up to 27 % below published peaks, and 15.5 % above (MuseV: the
# 29 GiB parameter estimate against the published 25.1 GiB, §7).
PER_SAMPLE_ERROR = (0.16, 0.066)
PARAMETER_ERROR = (0.27, 0.155)

_BYTES_PER_PARAM = {  # trainable parameters without sharding: weights + grads + optimizer (+2 AMP cast cache), §1.1
    ("fp32", "adamw"): 16,
    ("amp", "adamw"): 18,
    ("fp32", "adamw8bit"): 10,
    ("amp", "adamw8bit"): 12,
    ("fp32", "sgd_momentum"): 12,
    ("amp", "sgd_momentum"): 14,
    ("fp32", "sgd"): 8,
    ("amp", "sgd"): 10,
}
_OPTIMIZER_BYTES = {"adamw": 8, "adamw8bit": 2, "sgd_momentum": 4, "sgd": 0}
_DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}


class Term:
    __slots__ = ("name", "gib", "why")

    def __init__(self, name: str, gib: float, why: str) -> None:
        self.name = name
        self.gib = gib
        self.why = why  # the formula and its source

    def as_json(self) -> dict[str, object]:
        return {"term": self.name, "gib": round(self.gib, 2), "why": self.why}


class Band:
    """How far the truth may lie from the central estimate, by the profile's kind (memory-model.md §6.4:
    measured > declared > parameter counts > preset). `static_*` scale the static memory that was
    computed, not measured; `slope_*` the per-sample memory of samples beyond `evidence_batch`, the
    largest per-device batch the profile was measured at (or, for a preset, published to run at)."""

    __slots__ = ("kind", "static_low", "static_high", "slope_low", "slope_high", "evidence_batch", "why")

    def __init__(self, kind: str, evidence_batch: int, parameters: bool) -> None:
        self.kind = kind
        under, over = PER_SAMPLE_ERROR
        self.slope_low, self.slope_high = 1 / (1 + over), 1 / (1 - under)
        p_under, p_over = PARAMETER_ERROR
        self.static_low, self.static_high = (1 / (1 + p_over), 1 / (1 - p_under)) if parameters else (1.0, 1.0)
        self.evidence_batch = evidence_batch
        parts = [
            f"per-sample memory −{1 - self.slope_low:.0%} … +{self.slope_high - 1:.0%}"
            + (f" beyond the {'published' if kind == 'preset' else 'measured'} batch {evidence_batch}" if evidence_batch else "")
        ]
        if parameters:
            parts.append(f"static from parameter counts −{1 - self.static_low:.0%} … +{self.static_high - 1:.0%}")
        self.why = f"{kind} profile: " + "; ".join(parts) + " (measured errors, memory-model.md §4.2, §7)"

    def slope(self, case: str) -> float:
        return {CENTRAL: 1.0, OPTIMISTIC: self.slope_low, CONSERVATIVE: self.slope_high}[case]

    def static(self, case: str) -> float:
        return {CENTRAL: 1.0, OPTIMISTIC: self.static_low, CONSERVATIVE: self.static_high}[case]

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "evidence_batch": self.evidence_batch,
            "static": [round(self.static_low, 3), round(self.static_high, 3)],
            "per_sample": [round(self.slope_low, 3), round(self.slope_high, 3)],
            "why": self.why,
        }


class MemoryModel:
    def __init__(self, gpu: Gpu, headroom: float, profile: Profile) -> None:
        self.gpu = gpu
        self.headroom = headroom
        self.profile = profile
        self.static_terms: list[Term] = []  # what the static memory is made of, each with its source
        self.computed_static = 0.0  # the part of the static computed from parameter counts (the band scales it)
        self.distributed = 0.0
        self.per_sample = 0.0
        self.per_sample_notes: list[str] = []
        self.persist: list[Term] = []  # main card only, the whole run
        self.transient: list[Term] = []  # main card only, between steps
        self.grads_freed = 0.0
        self.multi_gpu = False
        self.confidence = profile.confidence
        self.sharding: Sharding | None = None
        self.band = Band(profile.source, profile.evidence_batch or 0, parameters=False)

    @property
    def static(self) -> float:
        return sum(t.gib for t in self.static_terms)

    @property
    def usable(self) -> float:
        return self.gpu.capacity_gib * (1 - self.headroom)

    def activations(self, b: int, case: str = CENTRAL) -> float:
        known = min(b, self.band.evidence_batch)
        return self.per_sample * (known + (b - known) * self.band.slope(case))

    def rank(self, b: int, case: str = CENTRAL) -> float:
        """Every card's memory at per-device batch b (the central estimate unless `case` says otherwise)."""
        static = self.static + self.computed_static * (self.band.static(case) - 1)
        return static + self.distributed + self.activations(b, case)

    def persist_gib(self) -> float:
        return sum(t.gib for t in self.persist)

    def transient_gib(self, validation: bool = True) -> float:
        return max((t.gib for t in self.transient if validation or not t.name.startswith("validation")), default=0.0)

    def main_optimistic(self, b: int, validation: bool = True) -> float:
        freed = self.activations(b, OPTIMISTIC) + self.grads_freed
        return self.rank(b, OPTIMISTIC) + self.persist_gib() + max(0.0, self.transient_gib(validation) - freed)

    def main_conservative(self, b: int, validation: bool = True) -> float:
        return self.rank(b, CONSERVATIVE) + self.persist_gib() + self.transient_gib(validation)

    def need(self, b: int, case: str) -> float:
        """What the card that must hold b needs: the other cards on several GPUs, the one card (with
        validation) on a single GPU."""
        if self.multi_gpu:
            return self.rank(b, case)
        if case == CONSERVATIVE:
            return self.main_conservative(b)
        freed = self.activations(b, case) + self.grads_freed
        return self.rank(b, case) + max(0.0, self.transient_gib() - freed)

    def fits(self, b: int, validation: bool = True) -> bool:
        """Safe to propose: the conservative end fits every card, cuda:0 included, without reusing memory."""
        return self.main_conservative(b, validation) <= self.usable

    def largest(self, estimate: str) -> int:
        """Largest per-device batch whose estimate fits the usable memory (0 when none)."""
        best = 0
        for b in range(1, 4097):
            if self._estimate(estimate, b) > self.usable:
                break
            best = b
        return best

    def _estimate(self, estimate: str, b: int) -> float:
        if estimate == "main_optimistic":
            return self.main_optimistic(b)
        if estimate == "main_conservative":
            return self.main_conservative(b)
        case = {"rank": CENTRAL, "rank_conservative": CONSERVATIVE, "rank_optimistic": OPTIMISTIC}[estimate]
        return self.rank(b, case)

    def dominant_main_term(self) -> Term | None:
        terms = self.persist + self.transient
        return max(terms, key=lambda t: t.gib) if terms else None

    def as_json(self, b: int | None) -> dict[str, object]:
        out: dict[str, object] = {
            "gpu": self.gpu.name,
            "capacity_gib": self.gpu.capacity_gib,
            "capacity_source": self.gpu.note,
            "headroom": self.headroom,
            "usable_gib": round(self.usable, 2),
            "profile": self.profile.as_json(),
            "confidence": self.confidence,
            "static_gib": round(self.static, 2),
            "static_terms": [t.as_json() for t in self.static_terms],
            "distributed_gib": round(self.distributed, 2),
            "per_sample_gib": round(self.per_sample, 3),
            "per_sample_notes": list(self.per_sample_notes),
            "band": self.band.as_json(),
            "slope_uncertainty": SLOPE_MARGIN,
            "multi_gpu": self.multi_gpu,
            "sharding": self.sharding.as_json() if self.sharding is not None else None,
            "main_persist": [t.as_json() for t in self.persist],
            "main_transient": [t.as_json() for t in self.transient],
            "grads_freed_gib": round(self.grads_freed, 2),
            "largest_batch": {
                "other_cards": self.largest("rank"),
                "other_cards_conservative": self.largest("rank_conservative"),
                "main_optimistic": self.largest("main_optimistic"),
                "main_conservative": self.largest("main_conservative"),
            },
        }
        if b is not None:
            out["per_device_batch"] = b
            out["other_cards_gib"] = round(self.rank(b), 2)
            out["other_cards_optimistic_gib"] = round(self.rank(b, OPTIMISTIC), 2)
            out["other_cards_conservative_gib"] = round(self.rank(b, CONSERVATIVE), 2)
            out["main_card_optimistic_gib"] = round(self.main_optimistic(b), 2)
            out["main_card_conservative_gib"] = round(self.main_conservative(b), 2)
        return out


def _fact(facts: FactMap, name: str) -> object:
    fact = facts.get(name)
    return getattr(fact, "value", None)


def _params(n: float) -> str:
    return f"{n / 1e9:.2f} B" if n >= 1e8 else f"{n / 1e6:.0f} M"


ZERO2_SOURCE = "DeepSpeed estimate_zero2_model_states_mem_needs (deepspeed/runtime/zero/stage_1_and_2.py, ≥ 0.14.3; memory-model.md §1.3)"
ZERO3_SOURCE = "DeepSpeed estimate_zero3_model_states_mem_needs (deepspeed/runtime/zero/stage3.py; memory-model.md §1.3)"
ZERO_PAPER = "ZeRO paper, arXiv:1910.02054 §3.1, with DeepSpeed's fp32-gradient accounting (memory-model.md §1.3)"
FSDP_SOURCE = "FSDP ≈ ZeRO (memory-model.md §6.2): ZeRO paper (2+2+K)Ψ/N with K = 12, plus DeepSpeed's gathered-layer term"


# ZeRO stage -> (bytes per parameter on every rank, bytes partitioned over the ranks), without the optimizer's
# own states. 16-bit: weights 2 + gradients 2 + fp32 gradients 4 + fp32 master weights 4 (DeepSpeed's accounting,
# "18 = 2_grads_16bit + 4_grads_32bit + 4_params_32bit + 8_optimizer_states_32bit"); fp32: weights 4 + gradients 4.
_ZERO_16BIT = {0: (12, 0), 1: (4, 8), 2: (2, 10), 3: (0, 10)}
_ZERO_32BIT = {0: (8, 0), 1: (8, 0), 2: (4, 4), 3: (0, 8)}


def model_states(params: float, largest_layer: float, ranks: int, half: bool, optimizer: str, sharding: Sharding | None) -> tuple[float, str]:
    """Bytes of weights, gradients and optimizer states on one card, and the formula with its source.

    DeepSpeed (16-bit training, Adam): ZeRO-2 2P + 18P/N (optimizer offload: 2P); ZeRO-3 4L + 18P/N
    (optimizer offload: 4L + 2P/N; and parameter offload: 4L). ZeRO-1 keeps the 16-bit gradients
    whole: 4P + 16P/N. Without 16-bit weights the same partitioning with 4-byte weights and gradients.
    Another optimizer replaces Adam's 8 bytes by its own (sgd 0, momentum 4, 8-bit Adam 2).
    """
    o = _OPTIMIZER_BYTES.get(optimizer, 8)
    n = max(ranks, 1)
    p, layer = params, largest_layer
    if sharding is None:
        return 0.0, ""  # DDP: the caller's bytes-per-parameter table
    stage = sharding.stage
    if sharding.kind == "fsdp":
        w = 2 if half else 4
        if stage == 3:
            if sharding.offload_params:
                return 2 * w * layer, f"2·{w}·L (FSDP with CPU offload: only the gathered unit stays; {FSDP_SOURCE})"
            return 2 * w * layer + (8 + o) * p / n, f"{2 * w}·L + {8 + o}P/{n} ({FSDP_SOURCE})"
        if stage == 2:
            return w * p + (8 + o) * p / n, f"{w}P + {8 + o}P/{n} (FSDP SHARD_GRAD_OP keeps the weights gathered; {FSDP_SOURCE})"
        return 0.0, ""  # NO_SHARD: as DDP
    w = 2 if half else 4
    replicated, partitioned = (_ZERO_16BIT if half else _ZERO_32BIT)[stage]
    if stage == 0:
        replicated += o
    else:
        partitioned += o
    gathered = 2 * w * layer if stage == 3 else 0.0
    if sharding.offload_optimizer and stage in (1, 2):
        partitioned = 0  # optimizer states and fp32 gradients live on the CPU
    if stage == 3 and sharding.offload_optimizer:
        partitioned = 0 if sharding.offload_params else w  # only the weights' own partition stays
    elif stage == 3 and sharding.offload_params:
        partitioned -= w
    total = replicated * p + partitioned * p / n + gathered
    terms = [f"{4 if half else 8}·L"] if stage == 3 else []
    terms += [f"{replicated}P"] if replicated else []
    terms += [f"{partitioned}P/{n}"] if partitioned else []
    source = ZERO3_SOURCE if stage == 3 else ZERO2_SOURCE if stage == 2 else ZERO_PAPER
    return total, f"{' + '.join(terms) or '0'} ({source})"


def build_model(facts: FactMap, gpu: Gpu, headroom: float, profile: Profile, gpus_per_node: int = 8, sharding: Sharding | None = None) -> MemoryModel | str:
    """The model for one run, or why it cannot be built."""
    model = MemoryModel(gpu, headroom, profile)
    model.sharding = sharding
    dp = positive_int(_fact(facts, "data_parallel_size")) or 1
    model.multi_gpu = dp > 1
    precision = str(_fact(facts, "precision") or _fact(facts, "mixed_precision") or "fp32").lower()
    half = precision in ("fp16", "bf16", "fp8")
    amp = "amp" if half else "fp32"
    ranks = min(dp, gpus_per_node) if sharding is not None and sharding.within_node else dp

    # Static: declared / measured / preset, else from parameter counts.
    if profile.static_gib is not None:
        single = not model.multi_gpu and profile.static_includes_distributed and profile.static_single_gib is not None
        gib = profile.static_single_gib if single and profile.static_single_gib is not None else profile.static_gib
        model.static_terms.append(
            Term(
                "static (profile)",
                gib,
                f"{profile.source} in {profile.name}" + ("; includes what several GPUs add" if profile.static_includes_distributed and not single else ""),
            )
        )
        if sharding is not None:
            model.per_sample_notes.append(f"{sharding.label} not applied: the profile's static memory is used as given")
    elif profile.trainable_params is not None:
        optimizer = "adamw8bit" if _fact(facts, "use_8bit_adam") is True else profile.optimizer
        trainable = profile.trainable_params
        layer = profile.largest_layer_params or DEFAULT_LARGEST_LAYER * trainable
        states, formula = model_states(trainable, layer, ranks, half, optimizer, sharding)
        if formula:
            label = sharding.describe() if sharding is not None else ""
            if sharding is not None and sharding.stage == 3 and profile.largest_layer_params is None:
                formula += f"; L = {_params(layer)}, {DEFAULT_LARGEST_LAYER:.0%} of the parameters (give largest_layer_params)"
            gathers = sharding is not None and sharding.stage == 3
            why = f"{label}: {formula}, P = {_params(trainable)}" + (f", L = {_params(layer)}" if gathers else "") + f", N = {ranks}"
        else:
            per_param = _BYTES_PER_PARAM[(amp, optimizer)]
            states = per_param * trainable
            why = f"{per_param} B per trainable parameter ({amp}, {optimizer}; memory-model.md §1.1), P = {_params(trainable)}"
        model.static_terms.append(Term("model states", states / GIB, why))
        computed = states / GIB
        if profile.frozen_params:
            frozen = profile.frozen_params * _DTYPE_BYTES[profile.frozen_dtype] / GIB
            model.static_terms.append(
                Term("frozen weights", frozen, f"{_params(profile.frozen_params)} in {profile.frozen_dtype} on every card (memory-model.md §1.1)")
            )
            computed += frozen
        model.static_terms.append(Term("CUDA context and buffers", CTX_GIB + MISC_GIB, "memory-model.md §1.5, §6.2"))
        model.computed_static = computed
        model.band = Band(profile.source, profile.evidence_batch or 0, parameters=True)
    else:
        return "the memory profile has no static memory (static_gib, measured points or trainable_params)"
    if profile.per_sample_gib is None:
        return "the memory profile has no per-sample memory (per_sample_gib or two measured points)"
    for note in sharding.notes if sharding is not None else ():
        model.per_sample_notes.append(note)

    # What several GPUs add on every card (DDP gradient buckets, NCCL), unless the static already holds it.
    sharded = sharding is not None and sharding.stage > 0
    if model.multi_gpu and not profile.static_includes_distributed:
        buckets = 0.0 if sharding is not None else (profile.trainable_params or 0.0) * 4 / GIB  # ZeRO/FSDP keep no DDP buckets
        model.distributed = buckets + NCCL_GIB
        if profile.trainable_params is None and sharding is None:
            model.per_sample_notes.append("DDP gradient buckets not counted: the profile has no trainable_params")

    # Activations per sample, scaled to this config's frames × height × width.
    a = profile.per_sample_gib
    transferred = False
    frames, height, width = (positive_int(_fact(facts, n)) for n in ("n_sample_frames", "height", "width"))
    if profile.reference is not None and frames and height and width:
        ratio = (frames * height * width) / (profile.reference[0] * profile.reference[1] * profile.reference[2])
        if abs(ratio - 1) > 1e-9:
            model.per_sample_notes.append(
                f"scaled × {ratio:.2f} from {profile.reference[0]}×{profile.reference[1]}×"
                f"{profile.reference[2]} to {frames}×{height}×{width} (memory-efficient attention)"
            )
            transferred = True
        a *= ratio
    if _fact(facts, "memory_efficient_attention") is False and profile.reference_memory_efficient_attention:
        a *= 3
        model.per_sample_notes.append("× 3: memory-efficient attention is off (low confidence)")
        model.confidence, transferred = "low", True
    if _fact(facts, "gradient_checkpointing") is False and profile.reference_gradient_checkpointing:
        a *= 4
        model.per_sample_notes.append("× 4: gradient checkpointing is off, the profile was measured with it (low confidence)")
        model.confidence, transferred = "low", True
    if transferred and model.band.evidence_batch:
        model.band = Band(model.band.kind, 0, parameters=bool(model.computed_static))  # the evidence was for another shape
    model.per_sample = a
    model.grads_freed = (profile.trainable_params or 0.0) * 4 / GIB / (ranks if sharded and sharding and sharding.stage >= 2 else 1)

    # The main card (memory-model.md §3): persistent extras and between-step spikes, from evidence only.
    if model.multi_gpu:
        if profile.main_extra_gib is not None:
            model.persist.append(Term("main-card extra", profile.main_extra_gib, "measured: rank 0 − rank 1"))
        elif profile.stray_contexts is True:
            # No config key shows this cause (CUDA touched before set_device, torch.load without map_location):
            # only a declaration (or a measured main_extra_gib) brings it in.
            n_local = min(dp, gpus_per_node)
            if n_local > 1:
                model.persist.append(
                    Term(
                        "stray CUDA contexts",
                        (n_local - 1) * CTX_GIB,
                        f"declared: {n_local - 1} other ranks × {CTX_GIB} GiB on cuda:0 (CUDA touched before set_device)",
                    )
                )
        if profile.ema_main_gib:
            model.persist.append(Term("EMA on the main process", profile.ema_main_gib, "the script keeps the EMA only on rank 0"))
    validation = facts.get("do_validation")
    if getattr(validation, "value", None) is True:
        key = str(getattr(validation, "key", None) or "validation")
        said_note = getattr(validation, "note", None)
        said = str(said_note) if said_note and "log_validation" in str(said_note) else f"{key} is on"
        if profile.validation_gib is not None:
            val, val_why = profile.validation_gib, said
        else:
            video = (positive_int(_fact(facts, "n_sample_frames")) or 1) > 1
            val = DEFAULT_VALIDATION_VIDEO_GIB if video else DEFAULT_VALIDATION_IMAGE_GIB
            val_why = f"{said}; default estimate for {'video' if video else 'image'} models (memory-model.md §6.2)"
        model.transient.append(Term("validation on the main process", val, val_why))
    save = _save_gather(sharding, profile)
    if save is not None:
        model.transient.append(save)
    return model


def _save_gather(sharding: Sharding | None, profile: Profile) -> Term | None:
    """What saving a checkpoint gathers on rank 0 (memory-model.md §3 #5)."""
    if sharding is None or sharding.save_gather is None:
        return None
    params = (profile.trainable_params or 0.0) + (profile.frozen_params or 0.0)
    if sharding.save_gather == "full-state-dict":
        where = sharding.source("save_gather") or "fsdp_state_dict_type: FULL_STATE_DICT"
        if not params:
            return None
        return Term(
            "full state dict gathered on save",
            params * 4 / GIB,
            f"{where} without offload: the whole model in fp32 on cuda:0 when saving (transformers#23386; memory-model.md §3)",
        )
    layer = profile.largest_layer_params or DEFAULT_LARGEST_LAYER * (profile.trainable_params or 0.0)
    if not layer:
        return None
    where = sharding.source("save_gather") or "stage3_gather_16bit_weights_on_model_save"
    return Term(
        "16-bit weights gathered on save",
        2 * layer / GIB,
        f"{where}: consolidated on cuda:0 one layer at a time, ≈ 2 B × the largest layer (DeepSpeed PR #893; memory-model.md §3)",
    )

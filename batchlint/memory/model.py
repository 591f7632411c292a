"""Per-card memory for a per-device batch b (memory-model.md §0, §6.2, §6.4).

    M_rank(b)      = S + S_dist + b·a                                  (every card)
    M_main_opt(b)  = M_rank(b) + D_persist + max(0, D_transient − R_free(b))   (rho = 1: memory reused)
    M_main_cons(b) = M_rank(b) + D_persist + D_transient                        (rho = 0: no reuse)
    usable         = capacity × (1 − headroom)

Decisions use the central per-sample slope; the ±15 % slope uncertainty (m_a) is reported,
not added, so a batch the authors really trained is not refused by the margin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from batchlint.counts import positive_int
from batchlint.memory.gpus import Gpu
from batchlint.memory.profile import GIB, Profile

FactMap = Mapping[Any, object]  # FactName -> Fact (read through `.value`); this module stays below batchlint.model
NCCL_GIB = 0.75
CTX_GIB = 0.5
DEFAULT_VALIDATION_VIDEO_GIB = 8.0
DEFAULT_VALIDATION_IMAGE_GIB = 4.0
SLOPE_MARGIN = 0.15
_BYTES_PER_PARAM = {  # trainable parameters: weights + grads + optimizer (+2 AMP cast cache), §1.1
    ("fp32", "adamw"): 16, ("amp", "adamw"): 18, ("fp32", "adamw8bit"): 10, ("amp", "adamw8bit"): 12,
    ("fp32", "sgd_momentum"): 12, ("amp", "sgd_momentum"): 14, ("fp32", "sgd"): 8, ("amp", "sgd"): 10,
}
_DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}


class Term:
    __slots__ = ("name", "gib", "why")

    def __init__(self, name: str, gib: float, why: str) -> None:
        self.name = name
        self.gib = gib
        self.why = why

    def as_json(self) -> dict[str, object]:
        return {"term": self.name, "gib": round(self.gib, 2), "why": self.why}


class MemoryModel:
    def __init__(self, gpu: Gpu, headroom: float, profile: Profile) -> None:
        self.gpu = gpu
        self.headroom = headroom
        self.profile = profile
        self.static = 0.0
        self.distributed = 0.0
        self.per_sample = 0.0
        self.per_sample_notes: list[str] = []
        self.persist: list[Term] = []  # main card only, the whole run
        self.transient: list[Term] = []  # main card only, between steps
        self.grads_freed = 0.0
        self.multi_gpu = False
        self.confidence = profile.confidence

    @property
    def usable(self) -> float:
        return self.gpu.capacity_gib * (1 - self.headroom)

    def rank(self, b: int) -> float:
        return self.static + self.distributed + b * self.per_sample

    def persist_gib(self) -> float:
        return sum(t.gib for t in self.persist)

    def transient_gib(self) -> float:
        return max((t.gib for t in self.transient), default=0.0)

    def main_optimistic(self, b: int) -> float:
        freed = b * self.per_sample + self.grads_freed
        return self.rank(b) + self.persist_gib() + max(0.0, self.transient_gib() - freed)

    def main_conservative(self, b: int) -> float:
        return self.rank(b) + self.persist_gib() + self.transient_gib()

    def largest(self, estimate: str) -> int:
        """Largest per-device batch whose estimate fits the usable memory (0 when none)."""
        fn = {"rank": self.rank, "main_optimistic": self.main_optimistic, "main_conservative": self.main_conservative}[estimate]
        best = 0
        for b in range(1, 4097):
            if fn(b) > self.usable:
                break
            best = b
        return best

    def dominant_main_term(self) -> Term | None:
        terms = self.persist + self.transient
        return max(terms, key=lambda t: t.gib) if terms else None

    def as_json(self, b: int | None) -> dict[str, object]:
        out: dict[str, object] = {
            "gpu": self.gpu.name, "capacity_gib": self.gpu.capacity_gib, "headroom": self.headroom,
            "usable_gib": round(self.usable, 2), "profile": self.profile.as_json(), "confidence": self.confidence,
            "static_gib": round(self.static, 2), "distributed_gib": round(self.distributed, 2),
            "per_sample_gib": round(self.per_sample, 3), "per_sample_notes": list(self.per_sample_notes),
            "slope_uncertainty": SLOPE_MARGIN, "multi_gpu": self.multi_gpu,
            "main_persist": [t.as_json() for t in self.persist], "main_transient": [t.as_json() for t in self.transient],
            "grads_freed_gib": round(self.grads_freed, 2),
            "largest_batch": {"other_cards": self.largest("rank"), "main_optimistic": self.largest("main_optimistic"),
                              "main_conservative": self.largest("main_conservative")},
        }
        if b is not None:
            out["per_device_batch"] = b
            out["other_cards_gib"] = round(self.rank(b), 2)
            out["main_card_optimistic_gib"] = round(self.main_optimistic(b), 2)
            out["main_card_conservative_gib"] = round(self.main_conservative(b), 2)
        return out


def _fact(facts: FactMap, name: str) -> object:
    fact = facts.get(name)
    return getattr(fact, "value", None)


def _sharding_stage(facts: FactMap) -> int | None:
    """ZeRO stage under DeepSpeed, or its FSDP equivalent (FULL_SHARD ≈ 3, SHARD_GRAD_OP ≈ 2)."""
    dtype = _fact(facts, "distributed_type")
    if dtype == "DEEPSPEED":
        stage = _fact(facts, "zero_stage")
        return stage if isinstance(stage, int) and not isinstance(stage, bool) and 0 <= stage <= 3 else 2
    if dtype == "FSDP":
        strategy = str(_fact(facts, "fsdp_sharding_strategy") or "FULL_SHARD").upper()
        return 2 if strategy in ("SHARD_GRAD_OP", "2", "HYBRID_SHARD_ZERO2", "5") else 3
    return None


def build_model(facts: FactMap, gpu: Gpu, headroom: float, profile: Profile,
                gpus_per_node: int = 8) -> MemoryModel | str:
    """The model for one run, or why it cannot be built."""
    model = MemoryModel(gpu, headroom, profile)
    dp = positive_int(_fact(facts, "data_parallel_size")) or 1
    model.multi_gpu = dp > 1
    precision = str(_fact(facts, "mixed_precision") or "no").lower()
    amp = "amp" if precision in ("fp16", "bf16", "fp8") else "fp32"

    # Static: declared / measured / preset, else from parameter counts.
    if profile.static_gib is not None:
        if not model.multi_gpu and profile.static_includes_distributed and profile.static_single_gib is not None:
            model.static = profile.static_single_gib
        else:
            model.static = profile.static_gib
    elif profile.trainable_params is not None:
        optimizer = "adamw8bit" if _fact(facts, "use_8bit_adam") is True else profile.optimizer
        per_param = float(_BYTES_PER_PARAM[(amp, optimizer)])
        stage = _sharding_stage(facts)
        how = f"{per_param:g} B per trainable parameter ({amp}, {optimizer})"
        if stage is not None and dp > 1:
            # ZeRO paper (Ψ params, K = 12 for mixed-precision Adam): 2Ψ + 2Ψ + KΨ/N, 2Ψ + 14Ψ/N, 16Ψ/N.
            per_param = {0: 16.0, 1: 4 + 12 / dp, 2: 2 + 14 / dp, 3: 16 / dp}[stage]
            how = f"{per_param:.2f} B per trainable parameter (ZeRO stage {stage} over {dp} ranks)"
        frozen = (profile.frozen_params or 0.0) * _DTYPE_BYTES[profile.frozen_dtype]
        model.static = (profile.trainable_params * per_param + frozen) / GIB + CTX_GIB + 0.3
        model.per_sample_notes.append(f"static from parameter counts: {how}")
    else:
        return "the memory profile has no static memory (static_gib, measured points or trainable_params)"
    if profile.per_sample_gib is None:
        return "the memory profile has no per-sample memory (per_sample_gib or two measured points)"

    # What several GPUs add on every card (DDP gradient buckets, NCCL), unless the static already holds it.
    if model.multi_gpu and not profile.static_includes_distributed:
        sharded = _sharding_stage(facts) is not None
        buckets = 0.0 if sharded else (profile.trainable_params or 0.0) * 4 / GIB  # ZeRO/FSDP keep no DDP buckets
        model.distributed = buckets + NCCL_GIB
        if profile.trainable_params is None and not sharded:
            model.per_sample_notes.append("DDP gradient buckets not counted: the profile has no trainable_params")

    # Activations per sample, scaled to this config's frames × height × width.
    a = profile.per_sample_gib
    frames, height, width = (positive_int(_fact(facts, n)) for n in ("n_sample_frames", "height", "width"))
    if profile.reference is not None and frames and height and width:
        ratio = (frames * height * width) / (profile.reference[0] * profile.reference[1] * profile.reference[2])
        if abs(ratio - 1) > 1e-9:
            model.per_sample_notes.append(f"scaled × {ratio:.2f} from {profile.reference[0]}×{profile.reference[1]}×"
                                          f"{profile.reference[2]} to {frames}×{height}×{width} (memory-efficient attention)")
        a *= ratio
    if _fact(facts, "memory_efficient_attention") is False and profile.reference_memory_efficient_attention:
        a *= 3
        model.per_sample_notes.append("× 3: memory-efficient attention is off (low confidence)")
        model.confidence = "low"
    if _fact(facts, "gradient_checkpointing") is False and profile.reference_gradient_checkpointing:
        a *= 4
        model.per_sample_notes.append("× 4: gradient checkpointing is off, the profile was measured with it (low confidence)")
        model.confidence = "low"
    model.per_sample = a
    model.grads_freed = (profile.trainable_params or 0.0) * 4 / GIB

    # The main card (memory-model.md §3): persistent extras and between-step spikes.
    if model.multi_gpu:
        if profile.main_extra_gib is not None:
            model.persist.append(Term("main-card extra", profile.main_extra_gib, "measured: rank 0 − rank 1"))
        elif profile.stray_contexts is not False and (profile.stray_contexts or _fact(facts, "memory_efficient_attention") is True):
            n_local = min(dp, gpus_per_node)
            if n_local > 1:
                model.persist.append(Term("stray CUDA contexts", (n_local - 1) * CTX_GIB,
                                          f"{n_local - 1} other ranks × {CTX_GIB} GiB on cuda:0 (CUDA touched before set_device)"))
        if profile.ema_main_gib:
            model.persist.append(Term("EMA on the main process", profile.ema_main_gib, "the script keeps the EMA only on rank 0"))
    validation = _fact(facts, "do_validation")
    if validation is True:
        if profile.validation_gib is not None:
            val, why = profile.validation_gib, "validation_data.do_validation is on"
        else:
            video = (positive_int(_fact(facts, "n_sample_frames")) or 1) > 1
            val = DEFAULT_VALIDATION_VIDEO_GIB if video else DEFAULT_VALIDATION_IMAGE_GIB
            why = "validation_data.do_validation is on; default estimate for " + ("video" if video else "image") + " models"
        model.transient.append(Term("validation on the main process", val, why))
    return model

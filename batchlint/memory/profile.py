"""A model's memory profile: how much a card holds before the batch, and per sample.

Sources, in decreasing order of trust (memory-model.md §6.1, §6.3): measured points
(`per_device_batch`, `peak_gib`, optionally `rank`, `validation`, `num_gpus`), declared numbers
(`static_gib`, `per_sample_gib` at a reference frames × height × width), parameter counts with the
bytes-per-parameter table, and built-in presets from published figures (low confidence).
"""

from __future__ import annotations

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


GIB = 1024**3


class ProfileError(Exception):
    pass


class Point:
    __slots__ = ("per_device_batch", "peak_gib", "rank", "validation", "num_gpus")

    def __init__(self, per_device_batch: int, peak_gib: float, rank: int | None = None, validation: bool | None = None, num_gpus: int | None = None) -> None:
        self.per_device_batch = per_device_batch
        self.peak_gib = peak_gib
        self.rank = rank
        self.validation = validation
        self.num_gpus = num_gpus


class Profile:
    def __init__(self, name: str) -> None:
        self.name = name  # where it came from, for messages
        self.source = "declared"  # measured, declared, params, preset
        self.confidence = "medium"
        self.static_gib: float | None = None  # single-GPU static unless static_includes_distributed
        self.static_includes_distributed = False
        self.static_single_gib: float | None = None  # presets know both
        self.per_sample_gib: float | None = None
        self.reference: tuple[int, int, int] | None = None  # frames, height, width of per_sample_gib
        self.reference_gradient_checkpointing = True
        self.reference_memory_efficient_attention = True
        self.main_extra_gib: float | None = None  # measured rank 0 − rank 1
        self.validation_gib: float | None = None
        self.trainable_params: float | None = None
        self.frozen_params: float | None = None
        self.largest_layer_params: float | None = None  # ZeRO-3 / FSDP gather one layer (unit) at a time
        # The largest per-device batch the profile was measured at or published to run at: estimates up
        # to it are not extrapolated, so its uncertainty band starts above it.
        self.evidence_batch: int | None = None
        self.frozen_dtype = "fp32"
        self.optimizer = "adamw"
        self.stray_contexts: bool | None = None
        self.ema_main_gib: float | None = None  # an EMA the script keeps only on the main process
        self.notes: list[str] = []

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "source": self.source,
            "confidence": self.confidence,
            "static_gib": self.static_gib,
            "static_includes_distributed": self.static_includes_distributed,
            "per_sample_gib": self.per_sample_gib,
            "reference": None if self.reference is None else dict(zip(("frames", "height", "width"), self.reference, strict=True)),
            "main_extra_gib": self.main_extra_gib,
            "validation_gib": self.validation_gib,
            "trainable_params": self.trainable_params,
            "frozen_params": self.frozen_params,
            "largest_layer_params": self.largest_layer_params,
            "evidence_batch": self.evidence_batch,
            "notes": list(self.notes),
        }


def _preset_musev_referencenet() -> Profile:
    p = Profile("preset musev_referencenet")
    p.source, p.confidence = "preset", "low"
    # memory-model.md §7: README "single GPU needs 30G" at batch 1 and issue #53 "about 35G" on several GPUs.
    p.static_gib, p.static_includes_distributed, p.static_single_gib = 30.1, True, 25.1
    p.per_sample_gib, p.reference = 4.9, (12, 320, 512)
    p.validation_gib = 9.0  # log_validation's fp16 model copies + sampling, §7
    p.trainable_params = 1.48e9  # grads freed by zero_grad: 5.5 GiB
    # The authors trained 7 per card on 16 × 80 GB with validation on (template comment); the model admits
    # that only without stray CUDA contexts on cuda:0 (accelerate sets the device first), so the preset says so.
    p.stray_contexts = False
    p.evidence_batch = 7  # the template's comment: 16 cards × 2 accumulation × 7 per card, validation on, 80 GB cards
    p.notes.append("from the MuseV authors' published figures (README, issue #53, the 7 × 2 × 16 comment); low confidence")
    return p


def _preset_musev() -> Profile:
    p = Profile("preset musev")
    p.source, p.confidence = "preset", "low"
    # README: musev at batch 4 "about 30G"; issue #53 "about 15G" at batch 1: a = 5.0, S_single = 10.
    p.static_single_gib = 10.0
    p.static_gib, p.static_includes_distributed = 10.0 + 0.61e9 * 4 / GIB + 0.75, True
    p.per_sample_gib, p.reference = 5.0, (12, 320, 512)
    p.validation_gib = 8.0
    p.trainable_params = 0.61e9
    p.stray_contexts = False
    p.evidence_batch = 4  # README: batch 4 "about 30G"
    p.notes.append("from the MuseV authors' published figures (README, issue #53); low confidence")
    return p


PRESETS = {"musev_referencenet": _preset_musev_referencenet, "musev": _preset_musev}

_KEYS = {
    "preset",
    "reference",
    "points",
    "static_gib",
    "static_includes_distributed",
    "per_sample_gib",
    "ema_main_gib",
    "main_extra_gib",
    "validation_gib",
    "trainable_params",
    "frozen_params",
    "largest_layer_params",
    "frozen_dtype",
    "optimizer",
    "stray_contexts",
    "gradient_checkpointing",
    "memory_efficient_attention",
}


def _number(data: dict[str, Any], key: str, where: str, positive: bool = True) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (positive and value <= 0) or value < 0:
        raise ProfileError(f"{where}: `{key}` must be a {'positive ' if positive else ''}number, got {value!r}")
    return float(value)


def parse_profile(data: dict[str, Any], where: str) -> Profile:
    """A profile from a YAML file or a settings table; every problem is one ProfileError line."""
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a memory profile must be a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        import difflib

        key = sorted(unknown)[0]
        close = difflib.get_close_matches(key, sorted(_KEYS), 1)
        raise ProfileError(f"{where}: unknown key `{key}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
    preset = data.get("preset")
    if preset is not None:
        if preset not in PRESETS:
            raise ProfileError(f"{where}: unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
        profile = PRESETS[preset]()
        profile.name = f"{where} (on {profile.name})"
    else:
        profile = Profile(where)
    for key in ("static_gib", "per_sample_gib", "validation_gib", "trainable_params", "frozen_params", "largest_layer_params"):
        value = _number(data, key, where)
        if value is not None:
            setattr(profile, key, value)
            if key in ("static_gib", "per_sample_gib") or (preset is not None and key != "largest_layer_params"):
                profile.source, profile.confidence = "declared", "medium"
            if key in ("static_gib", "per_sample_gib", "trainable_params"):
                profile.evidence_batch = None  # declared numbers replace what a preset's evidence was about
    extra = _number(data, "main_extra_gib", where, positive=False)
    if extra is not None:
        profile.main_extra_gib = extra
    ema = _number(data, "ema_main_gib", where)
    if ema is not None:
        profile.ema_main_gib = ema
    for key, attr in (
        ("static_includes_distributed", "static_includes_distributed"),
        ("stray_contexts", "stray_contexts"),
        ("gradient_checkpointing", "reference_gradient_checkpointing"),
        ("memory_efficient_attention", "reference_memory_efficient_attention"),
    ):
        if key in data:
            if not isinstance(data[key], bool):
                raise ProfileError(f"{where}: `{key}` must be true or false")
            setattr(profile, attr, data[key])
    for key, allowed in (("frozen_dtype", ("fp32", "fp16", "bf16")), ("optimizer", ("adamw", "adamw8bit", "sgd", "sgd_momentum"))):
        if key in data:
            if data[key] not in allowed:
                raise ProfileError(f"{where}: `{key}` must be one of {', '.join(allowed)}")
            setattr(profile, key, data[key])
    ref = data.get("reference")
    if ref is not None:
        if not isinstance(ref, dict) or not all(isinstance(ref.get(k), int) and ref[k] > 0 for k in ("frames", "height", "width")):
            raise ProfileError(f"{where}: `reference` needs positive integers frames, height and width")
        profile.reference = (ref["frames"], ref["height"], ref["width"])
    points = data.get("points") or []
    if not isinstance(points, list):
        raise ProfileError(f"{where}: `points` must be a list of measured points")
    parsed = [_point(p, f"{where}: points[{i}]") for i, p in enumerate(points)]
    if parsed:
        calibrate(profile, parsed, where)
    if profile.trainable_params is not None and profile.static_gib is None and profile.source != "measured":
        profile.source, profile.confidence = "params", "low"
    return profile


def _point(data: Any, where: str) -> Point:
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a point is a mapping with per_device_batch and peak_gib")
    b = data.get("per_device_batch")
    if isinstance(b, bool) or not isinstance(b, int) or b < 1:
        raise ProfileError(f"{where}: `per_device_batch` must be a positive integer")
    peak = _number(data, "peak_gib", where)
    if peak is None:
        raise ProfileError(f"{where}: `peak_gib` is required")
    rank = data.get("rank")
    gpus = data.get("num_gpus")
    validation = data.get("validation")
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int) or rank < 0):
        raise ProfileError(f"{where}: `rank` must be 0, 1, ...")
    if gpus is not None and (isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1):
        raise ProfileError(f"{where}: `num_gpus` must be a positive integer")
    if validation is not None and not isinstance(validation, bool):
        raise ProfileError(f"{where}: `validation` must be true or false")
    return Point(b, peak, rank, validation, gpus)


def fit_line(points: list[tuple[int, float]]) -> tuple[float, float]:
    """(static, per_sample) of peak = static + per_sample × b: exact through two points,
    least squares through more (memory-model.md §6.3)."""
    n = len(points)
    mean_b = sum(b for b, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    var = sum((b - mean_b) ** 2 for b, _ in points)
    slope = sum((b - mean_b) * (m - mean_m) for b, m in points) / var
    return mean_m - slope * mean_b, slope


def calibrate(profile: Profile, points: list[Point], where: str) -> None:
    """Static and per-sample memory from training peaks of a non-main rank, validation off;
    the main card's extra from rank 0 against another rank; validation's cost from rank 0 on/off."""
    training = [p for p in points if p.rank != 0 and p.validation is not True]
    by_batch: dict[int, list[float]] = {}
    for p in training:
        by_batch.setdefault(p.per_device_batch, []).append(p.peak_gib)
    series = [(b, sum(v) / len(v)) for b, v in sorted(by_batch.items())]
    multi = any((p.num_gpus or 1) > 1 for p in training)
    if len(series) >= 2:
        static, slope = fit_line(series)
        if slope <= 0:
            raise ProfileError(f"{where}: the measured points give a per-sample memory ≤ 0; check them")
        profile.static_gib, profile.per_sample_gib = static, slope
        profile.source, profile.confidence = "measured", "high"
        profile.evidence_batch = series[-1][0]
        profile.notes.append(f"fitted to {len(series)} measured batch sizes")
    elif len(series) == 1:
        b, m = series[0]
        if profile.per_sample_gib is not None:
            profile.static_gib = m - profile.per_sample_gib * b
        elif profile.static_gib is not None:
            profile.per_sample_gib = (m - profile.static_gib) / b
            if profile.per_sample_gib <= 0:
                raise ProfileError(f"{where}: static_gib {profile.static_gib} is above the measured peak {m}: check both")
        else:
            raise ProfileError(f"{where}: one measured point needs static_gib or per_sample_gib beside it (or a second point)")
        profile.source, profile.confidence = "measured", "medium"
        profile.evidence_batch = b
        profile.notes.append("one measured point")
    if series:
        profile.static_includes_distributed = multi
        profile.static_single_gib = None
    # Main card extra: rank 0 against another rank at the same batch, validation off.
    for p0 in points:
        if p0.rank == 0 and p0.validation is not True:
            others = [m for b, m in series if b == p0.per_device_batch]
            if others:
                profile.main_extra_gib = max(0.0, p0.peak_gib - others[0])
    # Validation on the main process: rank 0 with validation against rank 0 without.
    for on in points:
        if on.validation is True and on.rank in (0, None):
            off = [p.peak_gib for p in points if p.validation is not True and p.per_device_batch == on.per_device_batch and p.rank in (0, None)]
            if off:
                profile.validation_gib = max(0.0, on.peak_gib - off[0])

"""Training GPUs and the capacity torch reports for them (memory-model.md §5), in GiB."""

from __future__ import annotations

import re


class Gpu:
    __slots__ = ("name", "capacity_gib", "note")

    def __init__(self, name: str, capacity_gib: float, note: str) -> None:
        self.name = name
        self.capacity_gib = capacity_gib
        self.note = note


GPUS = [
    Gpu("V100-16GB", 15.77, "nvidia-smi 16160 MiB"),
    Gpu("V100-32GB", 31.75, "nvidia-smi 32510 MiB (imagen-pytorch#370)"),
    Gpu("A10", 22.49, "nvidia-smi 23028 MiB"),
    Gpu("A10G", 22.49, "nvidia-smi 23028 MiB"),
    Gpu("A40", 44.99, "nvidia-smi 46068 MiB, ECC on"),
    Gpu("A100-40GB", 39.59, "torch total in OOM messages (stanford_alpaca#65)"),
    Gpu("A100-80GB", 79.2, "torch total ≈ 79.2–79.3 GiB (diffusers#9546)"),
    Gpu("A800-80GB", 79.2, "same memory as A100-80GB"),
    Gpu("H100-80GB", 79.1, "torch total 79.10–79.18 GiB in OOM messages"),
    Gpu("H800-80GB", 79.1, "nvidia-smi 81559 MiB, as H100-80GB"),
    Gpu("H100-NVL", 93.1, "94 GB nominal; estimate, not measured"),
    Gpu("H20", 95.6, "nvidia-smi 97871 MiB"),
    Gpu("H200", 140.4, "nvidia-smi 143771 MiB"),
    Gpu("L40S", 44.99, "nvidia-smi 46068 MiB"),
    Gpu("RTX-3090", 23.64, "torch total in OOM messages"),
    Gpu("RTX-4090", 23.64, "torch total in OOM messages"),
    Gpu("RTX-6000-Ada", 47.37, "50,865,307,648 B (unsloth-zoo PR #1053)"),
    Gpu("MI250X", 63.98, "per GCD: an MI250X is two 64 GB devices"),
    Gpu("MI300X", 191.98, "192 GB per device"),
]
_ALIASES = {"a100": "A100-80GB", "h100": "H100-80GB", "h800": "H800-80GB", "a800": "A800-80GB",
            "3090": "RTX-3090", "4090": "RTX-4090", "rtx6000ada": "RTX-6000-Ada", "6000ada": "RTX-6000-Ada",
            "v100": "V100-32GB", "h100sxm": "H100-80GB", "h100pcie": "H100-80GB"}


def _key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    key = re.sub(r"(\d+)(gb|g|gib)$", r"\1", key)
    return key.removeprefix("nvidia").removeprefix("amd").removeprefix("geforce")


_BY_KEY = {_key(g.name): g for g in GPUS}


def lookup(name: str) -> Gpu | None:
    key = _key(name)
    hit = _BY_KEY.get(key)
    if hit is None and key in _ALIASES:
        hit = _BY_KEY[_key(_ALIASES[key])]
    if hit is None and key.startswith("rtx"):
        hit = _BY_KEY.get(key) or _BY_KEY.get(_key("RTX-" + key[3:]))
    if hit is None and not key.startswith("rtx"):
        hit = _BY_KEY.get("rtx" + key)
    return hit


def names() -> list[str]:
    return [g.name for g in GPUS]

"""Training GPUs and the capacity torch reports for them (memory-model.md §5), in GiB.

A name is matched the way people and tools write it: batchlint's own names (`A100-80GB`), the
names `nvidia-smi --query-gpu=name` prints (`NVIDIA A100-SXM4-80GB`, `NVIDIA H100 80GB HBM3`,
`Tesla T4`, `NVIDIA GeForce RTX 4090`) and short forms (`4090`, `A6000`). A family sold with
several memory sizes (`A100`, `V100`, `A800`) needs the size: the bare name is refused with the
choices rather than guessed.
"""

from __future__ import annotations

import re


class Gpu:
    __slots__ = ("name", "capacity_gib", "note", "family", "nominal_gb", "variant")

    def __init__(self, name: str, capacity_gib: float, note: str, family: str = "", nominal_gb: int = 0, variant: str = "") -> None:
        self.name = name
        self.capacity_gib = capacity_gib
        self.note = note  # where the capacity comes from
        self.family = family  # the model token (a100, rtx4090, ...); empty for a declared capacity
        self.nominal_gb = nominal_gb  # the size in the product name
        self.variant = variant  # a token the name must carry to mean this card (nvl, ada)


# Capacities as torch reports them (`total capacity` in its out-of-memory message) or nvidia-smi's
# total in MiB / 1024; each note names its source. "not verified here" marks a value no public log
# was found for while writing this table.
GPUS = [
    Gpu("V100-16GB", 15.77, "nvidia-smi 16160 MiB", "v100", 16),
    Gpu("V100-32GB", 31.75, "nvidia-smi 32510 MiB (imagen-pytorch#370)", "v100", 32),
    Gpu("T4", 14.56, "torch total 14.56 GiB (CatVTON#133; 14.75 GiB with older drivers, MIT-6.5940#1); nvidia-smi 15360 MiB", "t4", 16),
    Gpu("A10", 22.49, "nvidia-smi 23028 MiB", "a10", 24),
    Gpu("A10G", 22.49, "nvidia-smi 23028 MiB", "a10g", 24),
    Gpu("L4", 22.49, "nvidia-smi 23034 MiB (24 GB GDDR6 with ECC, as A10); not verified here", "l4", 24),
    Gpu("A40", 44.99, "nvidia-smi 46068 MiB, ECC on", "a40", 48),
    Gpu("L40", 44.40, "torch total 44.40 GiB (NVlabs/Eagle#68)", "l40", 48),
    Gpu("L40S", 44.40, "as L40 (48 GB GDDR6, ECC on; nvidia-smi 46068 MiB)", "l40s", 48),
    Gpu("RTX-A6000", 47.99, "nvidia-smi 49140 MiB (48 GB GDDR6, ECC off); not verified here", "rtxa6000", 48),
    Gpu("RTX-6000-Ada", 47.37, "50,865,307,648 B (unsloth-zoo PR #1053); 44.43 GiB with ECC on (MTVCrafter#21)", "rtx6000", 48, "ada"),
    Gpu("A100-40GB", 39.59, "torch total in OOM messages (stanford_alpaca#65)", "a100", 40),
    Gpu("A100-80GB", 79.2, "torch total ≈ 79.2–79.3 GiB (diffusers#9546)", "a100", 80),
    Gpu("A800-40GB", 39.59, "same memory as A100-40GB", "a800", 40),
    Gpu("A800-80GB", 79.2, "same memory as A100-80GB", "a800", 80),
    Gpu("H100-80GB", 79.1, "torch total 79.10–79.18 GiB in OOM messages", "h100", 80),
    Gpu("H100-NVL", 93.1, "94 GB nominal; estimate, not measured", "h100", 94, "nvl"),
    Gpu("H800-80GB", 79.1, "nvidia-smi 81559 MiB, as H100-80GB", "h800", 80),
    Gpu("H20", 95.6, "nvidia-smi 97871 MiB", "h20", 96),
    Gpu("H200", 140.4, "nvidia-smi 143771 MiB", "h200", 141),
    Gpu("B200", 179.06, "nvidia-smi 183359 MiB (180 GB HBM3e usable per GPU in a DGX B200); not verified here", "b200", 180),
    Gpu("RTX-3070", 7.78, "torch total 7.78 GiB (OW-DETR#46, codellama#82)", "rtx3070", 8),
    Gpu("RTX-3080", 9.78, "torch total 9.78 GiB, the 10 GB card (CogVideo#34)", "rtx3080", 10),
    Gpu("RTX-3090", 23.69, "torch total 23.69–23.70 GiB in OOM messages", "rtx3090", 24),
    Gpu("RTX-4090", 23.64, "torch total 23.64 GiB (Phidias-Diffusion#8)", "rtx4090", 24),
    Gpu("RTX-5090", 31.37, "torch total 31.37 GiB (Wan2.1#465)", "rtx5090", 32),
    Gpu("MI250X", 63.98, "per GCD: an MI250X is two 64 GB devices", "mi250x", 64),
    Gpu("MI300X", 191.98, "192 GB per device", "mi300x", 192),
]

# Short forms people write for a family.
_FAMILY_ALIASES = {
    "3070": "rtx3070",
    "3080": "rtx3080",
    "3090": "rtx3090",
    "4090": "rtx4090",
    "5090": "rtx5090",
    "a6000": "rtxa6000",
    "6000": "rtx6000",
    "rtx6000ada": "rtx6000",
    "6000ada": "rtx6000",
    "v100s": "v100",
}
_FAMILIES = {g.family for g in GPUS}
# Compiled at their first use (re's cache keeps them): only a run that names a GPU looks one up.
_SIZE = r"^(\d+)(?:gb|g|gib)$"
_FORM = r"(?:sxm\d?|pcie|nvl|hbm\d?e?)?(?:(\d+)(?:gb|g|gib))?"  # what may follow a model name in one word


class GpuNameError(ValueError):
    """An unknown or ambiguous GPU name; the message is one line with the choices."""


def _tokens(name: str) -> list[str]:
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "rtx" and i + 1 < len(words):  # "RTX 4090", "RTX A6000"
            word = "rtx" + words[i + 1]
            i += 1
        out.append(word)
        i += 1
    return out  # words that name no family (NVIDIA, Tesla, SXM4, HBM3) are passed over by _family


def _family(token: str) -> str | None:
    token = _FAMILY_ALIASES.get(token, token)
    if token in _FAMILIES:
        return token
    # A size or form written onto the model: "a100sxm480gb", "h100sxm", "a10080gb" (not any suffix: "a10o" is a typo).
    for family in sorted(_FAMILIES, key=len, reverse=True):
        rest = token[len(family) :]
        if token.startswith(family) and rest and re.fullmatch(_FORM, rest):
            return family
    return None


def lookup(name: str) -> Gpu:
    """The card a name means; GpuNameError (one line, with the choices) when it is unknown or ambiguous."""
    tokens = _tokens(name)
    family = next((f for f in map(_family, tokens) if f is not None), None)
    if family is None:
        raise GpuNameError(_unknown(name))
    sizes = {
        int(m.group(1))
        for t in tokens
        for m in [re.match(_SIZE, t) or (re.fullmatch(_FORM, t[len(family) :]) if t.startswith(family) else None)]
        if m and m.group(1)
    }
    squashed = "".join(tokens)
    candidates = [g for g in GPUS if g.family == family]
    marked = [g for g in candidates if g.variant and g.variant in squashed]
    candidates = marked or [g for g in candidates if not g.variant] or candidates
    if sizes:
        sized = [g for g in candidates if g.nominal_gb in sizes]
        if not sized:
            raise GpuNameError(
                f"unknown GPU {name!r}: no {family.upper()} with {'/'.join(map(str, sorted(sizes)))} GB; "
                f"known: {', '.join(g.name for g in GPUS if g.family == family)}"
            )
        candidates = sized
    if len(candidates) > 1:
        raise GpuNameError(f"ambiguous GPU {name!r}: say which, one of {', '.join(g.name for g in candidates)}")
    if candidates[0].variant and candidates[0].variant not in squashed:
        raise GpuNameError(f"ambiguous GPU {name!r}: it also names other cards; say {candidates[0].name}, or give gpu-memory-gib")
    return candidates[0]


def _unknown(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name.upper(), [g.name.upper() for g in GPUS], 3, 0.5)
    by_upper = {g.name.upper(): g.name for g in GPUS}
    hint = f" (did you mean {', '.join(by_upper[c] for c in close)}?)" if close else ""
    return f"unknown GPU {name!r}{hint}; `batchlint plan --list-gpus` lists the known ones, or give gpu-memory-gib / --gpu-memory"


def names() -> list[str]:
    return [g.name for g in GPUS]

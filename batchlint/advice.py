"""Advice worded once, for every rule that gives it."""

from __future__ import annotations

from batchlint.model import Fact


def lr_note(old_total: int, new_total: int, lr: Fact[object] | None) -> str:
    """What the learning rate becomes when the total batch goes from `old_total` to `new_total`: linear
    scaling multiplies it by the ratio of the totals, square-root scaling by the ratio's square root."""
    import math

    def shown(x: float) -> str:
        return f"{x:.3g}".replace("e-0", "e-").replace("e+0", "e+")

    ratio = new_total / old_total
    value = lr.value if lr is not None else None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return (f"for a total of {new_total} instead of {old_total}, linear scaling multiplies the learning rate by {shown(ratio)}, "
                f"square-root scaling by {shown(math.sqrt(ratio))}")
    name = lr.key if lr is not None and lr.key else "the learning rate"
    return (f"{name} {shown(value)} at a total of {old_total} becomes {shown(value * ratio)} at {new_total} with linear scaling, "
            f"{shown(value * math.sqrt(ratio))} with square-root scaling")

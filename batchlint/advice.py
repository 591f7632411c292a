"""Advice shared by every rule that changes, or finds a change of, the total batch: what it means
for the learning rate. One wording, so that BL101, BL106, their fixes and a baseline comparison say it
the same way.

A learning rate is tuned for a total batch. When the total changes by a factor f, the two usual
rescalings are linear, lr × f (Goyal et al., "Accurate, Large Minibatch SGD", arXiv:1706.02677), and
square root, lr × √f (Krizhevsky, arXiv:1404.5997; for Adam-style optimisers, Malladi et al., "On the
SDEs and Scaling Rules for Adaptive Gradient Algorithms", arXiv:2205.10287). batchlint states both
and chooses neither.
"""

from __future__ import annotations

from batchlint.model import Fact


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))  # PyYAML reads `1e-5` as a string
    except ValueError:
        return None


def _g(x: float) -> str:
    return f"{x:.3g}"


def lr_note(old_total: int, new_total: int, lr: Fact[object] | None, scale_lr: bool = False) -> str:
    """One sentence on the learning rate when the total goes from `old_total` to `new_total` ('' when
    it does not change). `lr` is the run's learning-rate fact, if it has one; `scale_lr` says the
    training script multiplies the learning rate by the total itself (diffusers' `scale_lr`)."""
    if old_total == new_total or old_total <= 0 or new_total <= 0:
        return ""
    factor = new_total / old_total
    root = factor**0.5
    change = f"the total goes from {old_total} to {new_total} (× {_g(factor)})"
    value = _number(lr.value) if lr is not None else None
    name = (lr.read_as or lr.key or "learning_rate") if lr is not None else "the learning rate"
    if scale_lr:
        if value is None:
            return f"{change}; scale_lr is on: the script multiplies {name} by the total, so the rate it trains at grows × {_g(factor)}"
        return (
            f"{change}; scale_lr is on: the script multiplies {name} = {_g(value)} by the total, so it trains at "
            f"{_g(value * new_total)} instead of {_g(value * old_total)}"
        )
    if value is None:
        return f"{change}: retune {name} (linear scaling × {_g(factor)}, square-root scaling × {_g(root)})"
    return f"{change}: {name} = {_g(value)} was set for {old_total}; rescaled it is {_g(value * factor)} (linear) or {_g(value * root)} (square root)"

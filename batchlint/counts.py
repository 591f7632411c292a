"""Counts: the one reading of "a batch number" every stage shares."""

from __future__ import annotations


def positive_int(value: object) -> int | None:
    """The value as a batch count, or None when it is not a positive whole number."""
    if type(value) is int:  # (most values: no subclass to rule out)
        return value if value > 0 else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value > 0 else None

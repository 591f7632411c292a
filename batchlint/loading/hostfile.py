"""DeepSpeed hostfiles: `host slots=N` lines."""

from __future__ import annotations


def read_hostfile(path: str) -> tuple[int, int] | None:
    """(hosts, total slots) of a DeepSpeed hostfile; None when it cannot be read or names no host."""
    hosts = slots = 0
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                words = line.split("#", 1)[0].split()
                if not words:
                    continue
                hosts += 1
                slot = next((w.split("=", 1)[1] for w in words[1:] if w.startswith("slots=")), "1")
                slots += int(slot) if slot.isdigit() else 1
    except (OSError, UnicodeDecodeError):
        return None
    return (hosts, slots) if hosts else None

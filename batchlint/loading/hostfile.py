"""DeepSpeed hostfiles: `host slots=N` lines."""

from __future__ import annotations

from batchlint.loading.files import open_text


def read_hosts(path: str) -> list[tuple[str, int]] | None:
    """(host, slots) of each line of a DeepSpeed hostfile; None when it cannot be read or names no host."""
    hosts: list[tuple[str, int]] = []
    try:
        with open_text(path) as fh:  # bounded, never blocks on a FIFO or a device (loading/files.py)
            for line in fh:
                words = line.split("#", 1)[0].split()
                if not words:
                    continue
                slot = next((w.split("=", 1)[1] for w in words[1:] if w.startswith("slots=")), "1")
                hosts.append((words[0], int(slot) if slot.isdigit() else 1))
    except (OSError, UnicodeDecodeError):
        return None
    return hosts or None


def read_hostfile(path: str) -> tuple[int, int] | None:
    """(hosts, total slots) of a DeepSpeed hostfile; None when it cannot be read or names no host."""
    hosts = read_hosts(path)
    return (len(hosts), sum(slots for _, slots in hosts)) if hosts else None


def is_hostfile(path: str) -> bool:
    """A DeepSpeed / pdsh hostfile by its content: every line a host name with `slots=N` (comments and
    blank lines aside), at least one of them. Read only for a file named without a config extension."""
    import re

    from batchlint.loading.files import ReadError

    try:
        with open_text(path, 64 * 1024) as fh:
            lines = [line.split("#", 1)[0].strip() for line in fh]
    except (OSError, UnicodeDecodeError, ReadError):
        return False
    lines = [line for line in lines if line]
    return bool(lines) and all(re.fullmatch(r"[\w.:\[\]-]+\s+slots=\d+", line) for line in lines)

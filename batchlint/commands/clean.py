"""`batchlint clean`: remove this user's result cache (what batchlint wrote there, nothing else)."""

from __future__ import annotations

import sys

from batchlint.commands.common import Frozen, error
from batchlint.commands.exit import ERROR, OK


class CleanArgs(Frozen):
    __slots__ = ("format",)

    def __init__(self, format: str = "text") -> None:
        self.format = format  # text or json


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


def run(args: CleanArgs) -> int:
    from batchlint.cache import CleanError, clean

    try:
        directory, removed, size = clean()
    except CleanError as exc:
        error(str(exc))
        return ERROR
    if args.format == "json":
        import json

        json.dump({"directory": directory, "removed": removed, "bytes": size}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(f"Removed {removed:,} cache {'entry' if removed == 1 else 'entries'} ({_size(size)}) from {directory}\n")
    return OK

"""`batchlint server`: the language server for editors (LSP over stdio), in the `server` extra."""

from __future__ import annotations

from batchlint.commands.common import Frozen


class ServerArgs(Frozen):
    __slots__ = ("stdio",)

    def __init__(self, stdio: bool = True) -> None:
        self.stdio = stdio  # the only transport; editors pass --stdio


def run(args: ServerArgs) -> int:
    from batchlint.server import main

    return main()

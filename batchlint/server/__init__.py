"""`batchlint server`: a language server (LSP over stdio) for editors, in the `server` extra.

Nothing here imports the LSP libraries until the server starts, so a plain `pip install
batchlint` gets a one-line error instead of a traceback.
"""

from __future__ import annotations

import sys

MISSING_EXTRA = "batchlint server needs the server extra: pip install 'batchlint[server]'"


def main() -> int:
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError:
        sys.stderr.write(MISSING_EXTRA + "\n")
        return 2
    from batchlint.server.app import serve

    return serve()

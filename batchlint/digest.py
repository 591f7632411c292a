"""Content digests for the result cache, without importing hashlib (OpenSSL) on every run."""

from __future__ import annotations

import functools
import os


def digest(data: bytes) -> str:
    # Two independent 32-bit checksums and the length: enough to notice an edit, without importing
    # hashlib (OpenSSL) on every pre-commit run (nor zlib on a run that stores and reads no entry).
    import zlib

    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}"


@functools.cache
def code_fingerprint() -> str:
    """Size and modification time of batchlint's own modules: a development checkout or an upgrade
    without a version bump must not reuse results of other code (computed once per process: the
    code does not change under a running process)."""
    package = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for directory, _dirs, files in os.walk(package):
        for name in sorted(files):
            if name.endswith((".py", ".json")):
                st = os.stat(os.path.join(directory, name))
                parts.append(f"{os.path.relpath(os.path.join(directory, name), package)}:{st.st_size}:{st.st_mtime_ns}")
    return digest("|".join(sorted(parts)).encode())

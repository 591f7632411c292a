"""The bounded reader (loading/files.py): a file of any size around the limit and the chunk size is read
whole, cut at the limit (`truncate`) or refused as too large, whichever path the read takes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchlint.loading import files
from batchlint.loading.files import ReadError, read_bytes, read_fd

LIMIT = 10
SIZES = [0, 1, 3, 4, 5, 7, 8, 9, 10, 11, 12, 16, 25]


@pytest.mark.parametrize("chunk", [1, 3, 4, 11, 1 << 20])
@pytest.mark.parametrize("size", SIZES)
def test_a_file_is_read_whole_cut_or_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, size: int) -> None:
    monkeypatch.setattr(files, "_CHUNK", chunk)
    data = bytes(range(65, 65 + size))
    path = tmp_path / "f.sh"
    path.write_bytes(data)
    assert read_bytes(str(path), LIMIT, truncate=True) == data[:LIMIT]
    if size <= LIMIT:
        assert read_bytes(str(path), LIMIT) == data
    else:
        with pytest.raises(ReadError) as refused:
            read_bytes(str(path), LIMIT)
        assert refused.value.kind == "too-large"


@pytest.mark.parametrize("chunk", [1, 3, 4, 11, 1 << 20])
@pytest.mark.parametrize("pieces", [[], [b"ab"], [b"abc", b"de"], [b"abcd", b"efgh", b"ijkl"], [b"a"] * 12])
def test_a_pipe_is_read_to_its_end_or_one_past_the_limit(monkeypatch: pytest.MonkeyPatch, chunk: int, pieces: list[bytes]) -> None:
    monkeypatch.setattr(files, "_CHUNK", chunk)
    r, w = os.pipe()
    try:
        for piece in pieces:
            os.write(w, piece)
        os.close(w)
        assert read_fd(r, LIMIT) == b"".join(pieces)[: LIMIT + 1]
    finally:
        os.close(r)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.sh")
    with pytest.raises(ReadError) as refused:
        read_bytes(str(tmp_path / "pipe.sh"), LIMIT, truncate=True)
    assert refused.value.kind == "special-file"

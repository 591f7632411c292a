"""How a path is shown: the string arithmetic of `paths._below` against `os.path.relpath`, which it stands in for."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint import paths

_PART = st.sampled_from(["a", "b", "exp000", ".", "..", "", "..x", ".git", "x..", "train.yaml", " "])
_REL = st.lists(_PART, min_size=0, max_size=5).map("/".join)
_CWD = st.sampled_from(["/", "//", "//w", "/w", "/w/t500", "/w/a b", "/w/..x", "/wt"])


def _old(path: str, cwd: str) -> str:
    rel = os.path.relpath(os.path.join(cwd, path), cwd)
    return path if rel.startswith("..") else rel


@settings(max_examples=3000, deadline=None)
@given(_REL, _CWD, st.sampled_from(["", "/", "/w", "/w/t500", "//w", "/wt"]))
def test_display_path_matches_relpath(rel: str, cwd: str, prefix: str) -> None:
    path = f"{prefix}/{rel}" if prefix else rel
    if not path:
        return  # (relpath refuses an empty path; display_path is never asked for one)
    paths._display_path.cache_clear()
    assert paths._display_path(path, cwd) == _old(path, cwd), (path, cwd)


def test_plain_shapes_take_the_string_path() -> None:
    """The shapes a check asks about are answered without relpath (and the same as it answers them)."""
    assert paths._below("exp000/train.yaml", "/w") == "exp000/train.yaml"
    assert paths._below("/w/t500/exp000/a.yaml", "/w/t500") == "exp000/a.yaml"
    assert paths._below("/wt/a.yaml", "/w") is None
    assert paths._below("./a.yaml", "/w") is None

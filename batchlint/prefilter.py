"""A raw-bytes prefilter: a file that names nothing a dialect reads is not parsed at all.

Non-training files get no finding (README: "files that are none of the recognised dialects get no
findings"), so parsing them is wasted work: in a monorepo most YAML files are CI workflows, Helm
values and dataset descriptions. One compiled pattern, built from the dialect declarations (every
key a dialect reads, the words the accelerate / DeepSpeed signatures need) and the user's own
dialects, is searched in the bytes; only files that match are loaded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

# Words every dialect signature needs one of (batch sizes, accumulation, launch configs); the key
# names of the declarations are added to these.
_SIGNATURE_WORDS = (
    "batch",
    "accum",
    "_bs",
    "micro",
    "num_processes",
    "nproc",
    "world_size",
    "gpus",
    "devices",
    "distributed_type",
    "compute_environment",
    "deepspeed",
    "zero_optimization",
    "fsdp",
    "batchlint",
)


@functools.cache
def _built_in_pattern() -> tuple[str, ...]:
    from batchlint.dialects.registry import BUILT_IN
    from batchlint.model import FactName as F

    # The keys a file is claimed for: its batch and process keys (every signature needs one). Keys such
    # as `precision`, `dtype`, `mode` or `type` are in every other YAML file, and a key as short as verl's
    # `rollout.n` would match any file.
    claiming = (F.PER_DEVICE_BATCH, F.GLOBAL_BATCH, F.GRAD_ACCUM, F.DEVICE_MICROBATCH, F.MINI_BATCH, F.NUM_PROCESSES, F.GPUS_PER_NODE, F.DISTRIBUTED_TYPE)
    words = set(_SIGNATURE_WORDS)
    for dialect in BUILT_IN:
        for name in claiming:
            words.update(word for path in dialect.keys.get(name, ()) if len(word := path.rsplit(".", 1)[-1].lstrip("-")) >= 4)
    return tuple(sorted(words))


@functools.cache
def _compile(words: tuple[str, ...]) -> re.Pattern[bytes]:
    # Searched in lowercased bytes, case-sensitively: what re.I does for bytes (ASCII case folding),
    # four times faster than re.I over this many alternatives.
    return re.compile(b"|".join(re.escape(w.encode().lower()) for w in sorted(words, key=len, reverse=True)))


def pattern(user_dialects: Iterable[Mapping[str, object]] = ()) -> re.Pattern[bytes]:
    """The pattern to search in a file's lowercased bytes."""
    if not user_dialects:
        return _compile(_built_in_pattern())
    words = set(_built_in_pattern())
    for spec in user_dialects:
        for value in spec.values():
            for path in value if isinstance(value, list) else [value]:
                if isinstance(path, str):
                    words.add(path.rsplit(".", 1)[-1])
    return _compile(tuple(sorted(words)))


def worth_parsing(data: bytes, user_dialects: Iterable[Mapping[str, object]] = ()) -> bool:
    """False when the bytes name nothing any dialect reads. Empty files are always parsed (BL006)."""
    if not data.strip():
        return True
    return pattern(user_dialects).search(data.lower()) is not None

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
    "defaults:",  # a Hydra primary config: the groups its defaults list composes may hold the batch
)


def _built_in_pattern() -> tuple[str, ...]:
    from batchlint.dialects.registry import PREFILTER_WORDS  # built_in_words(), kept as a table: no dialect module is imported

    return PREFILTER_WORDS


def built_in_words() -> tuple[str, ...]:
    from batchlint.dialects.registry import built_in
    from batchlint.model import FactName as F

    # The keys a file is claimed for: its batch and process keys (every signature needs one). Keys such
    # as `precision`, `dtype`, `mode` or `type` are in every other YAML file, and a key as short as verl's
    # `rollout.n` would match any file.
    claiming = (F.PER_DEVICE_BATCH, F.GLOBAL_BATCH, F.GRAD_ACCUM, F.DEVICE_MICROBATCH, F.MINI_BATCH, F.NUM_PROCESSES, F.GPUS_PER_NODE, F.DISTRIBUTED_TYPE)
    words = set(_SIGNATURE_WORDS)
    for dialect in built_in():
        for name in claiming:
            words.update(word for path in dialect.keys.get(name, ()) if len(word := path.rsplit(".", 1)[-1].lstrip("-")) >= 4)
    return tuple(sorted(words))


@functools.cache
def _compile(words: tuple[str, ...]) -> re.Pattern[bytes]:
    # Searched in lowercased bytes, case-sensitively: what re.I does for bytes (ASCII case folding),
    # four times faster than re.I over this many alternatives.
    return re.compile(b"|".join(re.escape(w) for w in sorted(_needed(words), key=len, reverse=True)))


def _needed(words: tuple[str, ...]) -> tuple[bytes, ...]:
    """The lowercased words, less those holding another one (`batch_size` holds `batch`): bytes hold one
    of them exactly when they hold one of all the words, and the search tries fewer at each place."""
    kept: list[bytes] = []
    for word in sorted({w.encode().lower() for w in words}, key=len):
        if not any(shorter in word for shorter in kept):
            kept.append(word)
    return tuple(kept)


def _words(user_dialects: Iterable[Mapping[str, object]] = ()) -> tuple[str, ...]:
    if not user_dialects:
        return _built_in_pattern()
    words = set(_built_in_pattern())
    for spec in user_dialects:
        for value in spec.values():
            for path in value if isinstance(value, list) else [value]:
                if isinstance(path, str):
                    words.add(path.rsplit(".", 1)[-1])
    return tuple(sorted(words))


def pattern(user_dialects: Iterable[Mapping[str, object]] = ()) -> re.Pattern[bytes]:
    """The pattern to search in a file's lowercased bytes."""
    return _compile(_words(user_dialects))


@functools.cache
def _lowered(words: tuple[str, ...]) -> tuple[bytes, ...]:
    return _needed(words)


def worth_parsing(data: bytes, user_dialects: Iterable[Mapping[str, object]] = (), compiled: bool = True) -> bool:
    """False when the bytes name nothing any dialect reads. Empty files are always parsed (BL006).
    `compiled=False` gives the same answer without compiling the pattern (which costs more than
    testing a few files: a pre-commit hook often checks one): each word is looked for in the
    lowercased bytes, as the pattern matches them (bytes, ASCII letters in any case)."""
    if not data.strip():
        return True
    lowered = data.lower()
    if not compiled:
        return any(word in lowered for word in _lowered(_words(user_dialects)))
    return pattern(user_dialects).search(lowered) is not None

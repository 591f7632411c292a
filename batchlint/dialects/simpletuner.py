"""SimpleTuner JSON configs: a flat mapping whose keys may be written as CLI flags
(`"--train_batch_size": 1`). The batch is per device, accumulation defaults to 1, and
`context_parallel_size` ranks share one batch (DP = world / context_parallel_size). The process
count is not in the file (`TRAINING_NUM_PROCESSES` or an accelerate config found at run time)."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics


def _both(key: str) -> tuple[str, str]:
    return (f"--{key}", key)


DIALECT = Dialect(
    name="simpletuner",
    kind=DialectKind.TRAINING,
    semantics=Semantics.JSON,
    keys={
        FactName.PER_DEVICE_BATCH: _both("train_batch_size"),
        FactName.GRAD_ACCUM: _both("gradient_accumulation_steps"),
        FactName.MIXED_PRECISION: _both("mixed_precision"),
        FactName.GRADIENT_CHECKPOINTING: _both("gradient_checkpointing"),
        FactName.CP_SIZE: _both("context_parallel_size"),
    },
    signature=Signature(one_of=(_both("train_batch_size"), (*_both("model_family"), *_both("data_backend_config")))),
    decoys=("vae_batch_size", "--vae_batch_size"),
    defaults={FactName.GRAD_ACCUM: 1},
    description="SimpleTuner JSON (train_batch_size or --train_batch_size, per device)",
)

"""axolotl YAML: `micro_batch_size` per device, `gradient_accumulation_steps` — or, when that is
unset, `batch_size // micro_batch_size` (axolotl `normalize_config`; `batch_size` is not the global
batch). Parallel sizes (`dp_shard_size`, `dp_replicate_size`, `tensor_parallel_size`,
`context_parallel_size`) make the data-parallel degree smaller than the GPU count."""

from __future__ import annotations

from batchlint.counts import positive_int
from batchlint.dialects.base import Dialect, FactDict, Signature
from batchlint.model import DialectKind, Fact, FactName, Origin, Semantics

_MARKERS = ("base_model", "datasets", "adapter", "sequence_len", "model_type", "tokenizer_type")


def _derive(facts: FactDict) -> None:
    """The accumulation from batch_size // micro_batch_size when unset (axolotl normalize_config); the
    GPU count from the parallel sizes written in the file."""
    batch = facts.get(FactName.BATCH_SIZE)
    micro = facts.get(FactName.PER_DEVICE_BATCH)
    ga = facts.get(FactName.GRAD_ACCUM)
    if batch is not None and micro is not None and (ga is None or ga.origin == Origin.DEFAULT):
        b, m = positive_int(batch.value), positive_int(micro.value)
        if b and m:
            facts[FactName.GRAD_ACCUM] = Fact(
                FactName.GRAD_ACCUM, b // m, Origin.DERIVED, batch.key, batch.span, note=f"batch_size {b} // micro_batch_size {m} (axolotl normalize_config)"
            )
    names = (FactName.DP_SHARD_SIZE, FactName.DP_REPLICATE_SIZE, FactName.TP_SIZE, FactName.CP_SIZE)
    sizes = {n: positive_int(facts[n].value) for n in names if n in facts}
    if sizes and FactName.NUM_PROCESSES not in facts and all(sizes.values()):
        product = 1
        for size in sizes.values():
            product *= size or 1
        facts[FactName.NUM_PROCESSES] = Fact(
            FactName.NUM_PROCESSES,
            product,
            Origin.DERIVED,
            note="product of the parallel sizes in the file: " + " × ".join(f"{n} {s}" for n, s in sizes.items()),
        )


DIALECT = Dialect(
    name="axolotl",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.PER_DEVICE_BATCH: ("micro_batch_size",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.BATCH_SIZE: ("batch_size",),
        FactName.MIXED_PRECISION: ("bf16", "fp16"),
        FactName.BF16_ENABLED: ("bf16",),
        FactName.FP16_ENABLED: ("fp16",),
        FactName.LEARNING_RATE: ("learning_rate",),
        FactName.GRADIENT_CHECKPOINTING: ("gradient_checkpointing",),
        FactName.DEEPSPEED_JSON: ("deepspeed",),
        FactName.NUM_PROCESSES: ("ray_num_workers",),
        FactName.DP_SHARD_SIZE: ("dp_shard_size",),
        FactName.DP_REPLICATE_SIZE: ("dp_replicate_size",),
        FactName.TP_SIZE: ("tensor_parallel_size",),
        FactName.CP_SIZE: ("context_parallel_size",),
    },
    signature=Signature(must=("micro_batch_size",), may=dict.fromkeys(_MARKERS, 1.0), min_score=1),
    derive=_derive,
    description="axolotl YAML (micro_batch_size, gradient_accumulation_steps or batch_size // micro_batch_size)",
)

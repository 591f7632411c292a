"""HF Trainer-style YAML: transformers TrainingArguments, TRL, alignment-handbook, LLaMA-Factory.

`per_device_train_batch_size` × processes × `gradient_accumulation_steps`; precision flags
`bf16` / `fp16`; `deepspeed:` names the DeepSpeed JSON the Trainer fills from these arguments;
LLaMA-Factory's Ray launch takes its GPU count from `ray_num_workers`. Decoy:
`per_device_eval_batch_size`. Read with PyYAML (`HfArgumentParser.parse_yaml_file`).
"""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="hf-trainer",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.PER_DEVICE_BATCH: ("per_device_train_batch_size",),
        FactName.GRAD_ACCUM: ("gradient_accumulation_steps",),
        FactName.MIXED_PRECISION: ("bf16", "fp16"),
        FactName.BF16_ENABLED: ("bf16",),
        FactName.FP16_ENABLED: ("fp16",),
        FactName.LEARNING_RATE: ("learning_rate",),
        FactName.TRAINER_FSDP: ("fsdp",),
        FactName.GRADIENT_CHECKPOINTING: ("gradient_checkpointing",),
        FactName.DEEPSPEED_JSON: ("deepspeed",),
        FactName.NUM_PROCESSES: ("ray_num_workers",),
    },
    signature=Signature(must=("per_device_train_batch_size",)),
    decoys=("per_device_eval_batch_size",),
    defaults={FactName.GRAD_ACCUM: 1},
    description="HF Trainer / TRL / LLaMA-Factory YAML (per_device_train_batch_size, gradient_accumulation_steps)",
)

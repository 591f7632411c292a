"""HF Trainer-style YAML: transformers TrainingArguments, TRL, alignment-handbook, LLaMA-Factory.

`per_device_train_batch_size` × processes × `gradient_accumulation_steps`; precision flags
`bf16` / `fp16`; `deepspeed:` names the DeepSpeed JSON the Trainer fills from these arguments;
LLaMA-Factory's Ray launch takes its GPU count from `ray_num_workers`. Decoy:
`per_device_eval_batch_size`. Read with PyYAML (`HfArgumentParser.parse_yaml_file`).
"""

from __future__ import annotations

from batchlint.dialects import Dialect
from batchlint.loading.nodes import Mapping, Node


def _detect(root: Node | None) -> bool:
    return isinstance(root, Mapping) and root.get("per_device_train_batch_size") is not None


DIALECT = Dialect(
    name="hf-trainer",
    kind="training",
    semantics="yaml11",
    keys={
        "per_device_batch": ("per_device_train_batch_size",),
        "grad_accum": ("gradient_accumulation_steps",),
        "mixed_precision": ("bf16", "fp16"),
        "gradient_checkpointing": ("gradient_checkpointing",),
        "deepspeed_json": ("deepspeed",),
        "num_processes": ("ray_num_workers",),
    },
    detect=_detect,
    defaults={"grad_accum": 1},
    description="HF Trainer / TRL / LLaMA-Factory YAML (per_device_train_batch_size, gradient_accumulation_steps)",
)

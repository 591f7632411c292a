"""VGen (ali-vilab) configs: `python train_net.py --cfg X` starts one process per visible GPU, with
no accumulation; rank r takes `batch_sizes[str(frame_lens[r % len(frame_lens)])]`. When every frame
length maps to the same batch that is the per-device batch; when they differ, each rank has its own
(a mix of image and video batches) and no single per-device batch exists. A `TASK_TYPE` naming
inference is a sampling config."""

from __future__ import annotations

from collections.abc import Mapping

from batchlint.dialects.base import Dialect, Signature
from batchlint.loading.keypath import node_at
from batchlint.loading.nodes import Node, Scalar, Sequence
from batchlint.model import DialectKind, FactName, Semantics


def _per_rank_key(root: Node | None) -> Mapping[FactName, tuple[str, ...]]:
    lens = node_at(root, "frame_lens")
    if not isinstance(lens, Sequence):
        return {}
    keys = {f"batch_sizes.{item.raw}" for item in lens.items if isinstance(item, Scalar)}
    return {FactName.PER_DEVICE_BATCH: (keys.pop(),)} if len(keys) == 1 else {}


def _not_inference(root: Node | None) -> bool:
    task = node_at(root, "TASK_TYPE")
    return not (isinstance(task, Scalar) and "infer" in str(task.value).lower())


DIALECT = Dialect(
    name="vgen",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={FactName.GRADIENT_CHECKPOINTING: ("grad_checkpointing", "UNet.use_checkpoint")},
    signature=Signature(must=("batch_sizes{}", "frame_lens[]")),
    detect=_not_inference,
    dynamic_keys=_per_rank_key,
    defaults={FactName.GRAD_ACCUM: 1},
    description="VGen config (batch_sizes per frame length, frame_lens per rank)",
)

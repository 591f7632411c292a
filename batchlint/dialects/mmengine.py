"""mmengine / OpenMMLab Python configs (MMDetection, MMPose, MMagic, ...), read as literals:
`train_dataloader.batch_size` per GPU and `optim_wrapper.accumulative_counts` (default 1). The
older style spells the batch `data.samples_per_gpu`."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="mmengine",
    kind=DialectKind.TRAINING,
    semantics=Semantics.JSON,
    keys={
        FactName.PER_DEVICE_BATCH: ("train_dataloader.batch_size", "data.samples_per_gpu"),
        FactName.GRAD_ACCUM: ("optim_wrapper.accumulative_counts",),
        FactName.MIXED_PRECISION: ("optim_wrapper.type",),
    },
    signature=Signature(
        one_of=(("train_dataloader.batch_size", "data.samples_per_gpu"),),
        may={"optim_wrapper{}": 1.0, "optimizer{}": 1.0, "train_cfg{}": 1.0, "param_scheduler": 1.0, "model{}": 1.0, "runner{}": 1.0},
        min_score=1,
    ),
    decoys=("val_dataloader.batch_size", "test_dataloader.batch_size", "data.workers_per_gpu"),
    defaults={FactName.GRAD_ACCUM: 1},
    formats=frozenset({"python"}),
    description="mmengine config (train_dataloader.batch_size, optim_wrapper.accumulative_counts)",
)

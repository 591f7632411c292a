"""Detectron2 / detectron-style YACS configs: `SOLVER.IMS_PER_BATCH` is the number of images per
iteration over **all** GPUs (each gets IMS_PER_BATCH // world size); there is no accumulation.
`TEST.IMS_PER_BATCH` is the evaluation batch."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

DIALECT = Dialect(
    name="detectron2",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.GLOBAL_BATCH: ("SOLVER.IMS_PER_BATCH",),
        FactName.MIXED_PRECISION: ("SOLVER.AMP.ENABLED",),
    },
    signature=Signature(must=("SOLVER.IMS_PER_BATCH",), may={"SOLVER.BASE_LR": 1.0, "SOLVER.MAX_ITER": 1.0, "MODEL{}": 1.0, "_BASE_": 1.0}, min_score=1),
    decoys=("TEST.IMS_PER_BATCH",),
    defaults={FactName.GRAD_ACCUM: 1},
    global_shape=GlobalShape.ACCUM,
    description="Detectron2 YACS config (SOLVER.IMS_PER_BATCH over all GPUs)",
)

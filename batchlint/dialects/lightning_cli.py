"""PyTorch Lightning CLI configs (`LightningCLI`, `fit --config`): `data.batch_size` (or
`data.init_args.batch_size`) per device, `trainer.accumulate_grad_batches` (default 1), and
`trainer.devices × trainer.num_nodes` processes when `devices` is a count. A file without a `trainer`
section is one when `data.class_path` names the data module."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

_BATCH = ("data.batch_size", "data.init_args.batch_size", "data.train_batch_size", "data.init_args.train_batch_size")

DIALECT = Dialect(
    name="lightning-cli",
    kind=DialectKind.TRAINING,
    semantics=Semantics.YAML11,
    keys={
        FactName.PER_DEVICE_BATCH: _BATCH,
        FactName.GRAD_ACCUM: ("trainer.accumulate_grad_batches",),
        FactName.GPUS_PER_NODE: ("trainer.devices",),
        FactName.NUM_MACHINES: ("trainer.num_nodes",),
        FactName.MIXED_PRECISION: ("trainer.precision",),
    },
    signature=Signature(
        # A `fit --config` file may leave the trainer to the command line or another config: then the
        # jsonargparse `data.class_path` marks it.
        one_of=(_BATCH, ("trainer{}", "data.class_path")),
        may={
            "data.class_path": 1.0,
            "trainer.accumulate_grad_batches": 1.0,
            "trainer.max_epochs": 1.0,
            "trainer.max_steps": 1.0,
            "trainer.devices": 1.0,
            "model{}": 1.0,
            "optimizer{}": 1.0,
        },
        min_score=2,
    ),
    decoys=("data.val_batch_size", "data.init_args.val_batch_size", "data.eval_batch_size", "data.test_batch_size"),
    defaults={FactName.GRAD_ACCUM: 1},
    description="Lightning CLI YAML (data.batch_size, trainer.accumulate_grad_batches, trainer.devices)",
)

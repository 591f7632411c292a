"""Latent-diffusion / PyTorch Lightning configs (CompVis latent-diffusion and Stable Diffusion v1
`main.py --base`, VideoCrafter, DynamiCrafter, ToonCrafter, LVDM): the per-device batch is
`data.params.batch_size` (a `DataModuleFromConfig` builds one DataLoader per process), the
accumulation `lightning.trainer.accumulate_grad_batches` (Lightning's default 1), and the process
count comes from the launch (`torchrun --nproc_per_node × --nnodes`, or `--num-processes`).
Read by OmegaConf, whose dot-list overrides (`lightning.trainer.num_nodes=1`) follow on the launch line."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, Semantics

DIALECT = Dialect(
    name="ldm",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.PER_DEVICE_BATCH: ("data.params.batch_size",),
        FactName.GRAD_ACCUM: ("lightning.trainer.accumulate_grad_batches",),
        FactName.LEARNING_RATE: ("model.base_learning_rate",),
    },
    # The Lightning section, or a `target:` model as instantiate_from_config expects.
    signature=Signature(must=("data.params.batch_size",), one_of=(("lightning{}", "model.target"),)),
    defaults={FactName.GRAD_ACCUM: 1},
    description="latent-diffusion / Lightning config (data.params.batch_size, lightning.trainer.accumulate_grad_batches)",
)

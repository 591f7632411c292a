"""NeMo / NeMo-Aligner Hydra configs (Megatron core inside a Lightning trainer).

`model.global_batch_size` is the optimizer batch and `model.micro_batch_size` the per-GPU batch
(often interpolated from `model.data.train_ds.*`); `trainer.devices × trainer.num_nodes` is the world
size; Megatron's microbatch calculator derives accumulation = global / (micro × DP) with DP =
world / (TP × PP) and refuses a remainder. TP/PP missing from the YAML come from the restored
`.nemo` checkpoint, so the data-parallel size is then unknown while the total (the global batch) is
known. Launch lines override with Hydra syntax (`trainer.devices=2`, `++model.global_batch_size=8`).
Rollout and forward micro batches of PPO/DPO are not the optimizer batch."""

from __future__ import annotations

from batchlint.dialects.base import Dialect, Signature
from batchlint.model import DialectKind, FactName, GlobalShape, Semantics

DIALECT = Dialect(
    name="nemo",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.GLOBAL_BATCH: ("model.global_batch_size", "model.data.train_ds.global_batch_size"),
        FactName.PER_DEVICE_BATCH: ("model.micro_batch_size", "model.data.train_ds.micro_batch_size"),
        FactName.GPUS_PER_NODE: ("trainer.devices",),
        FactName.NUM_MACHINES: ("trainer.num_nodes",),
        FactName.TP_SIZE: ("model.tensor_model_parallel_size",),
        FactName.PP_SIZE: ("model.pipeline_model_parallel_size",),
        FactName.CP_SIZE: ("model.context_parallel_size",),
        FactName.MIXED_PRECISION: ("trainer.precision",),
    },
    signature=Signature(
        must=("trainer{}", "model{}"),
        one_of=(("model.global_batch_size", "model.data.train_ds.global_batch_size"), ("model.micro_batch_size", "model.data.train_ds.micro_batch_size")),
    ),
    decoys=(
        "model.data.validation_ds.global_batch_size",
        "model.data.validation_ds.micro_batch_size",
        "model.ppo.rollout_micro_batch_size",
        "model.dpo.log_prob_forward_micro_batch_size",
        "trainer.limit_train_batches",
    ),
    global_shape=GlobalShape.MICRO,
    dp_needs=(FactName.TP_SIZE, FactName.PP_SIZE),
    merged_at_run_time=True,  # cfg.model is merged over the restored .nemo checkpoint's config
    description="NeMo Hydra config (model.global_batch_size, model.micro_batch_size, trainer.devices × num_nodes)",
)

"""verl PPO/GRPO Hydra configs (and forks: TinyZero, simpleRL-reason).

`data.train_batch_size` counts prompts per iteration; one optimizer step consumes
`actor_rollout_ref.actor.ppo_mini_batch_size × actor_rollout_ref.rollout.n` sequences whatever the
GPU count (the global batch); `ppo_micro_batch_size_per_gpu` is the per-GPU forward chunk
(accumulation = per-GPU mini batch / micro), ignored under `use_dynamic_bsz`. GPUs:
`trainer.n_gpus_per_node × trainer.nnodes`. The many `*_micro_batch_size` and `val_batch_size`
keys of the rollout, reference and critic workers are not the optimizer batch."""

from __future__ import annotations

from batchlint.counts import positive_int
from batchlint.dialects.base import Dialect, FactDict, Signature
from batchlint.model import DialectKind, Fact, FactName, GlobalShape, Origin, Semantics


def _sequences_per_step(facts: FactDict) -> None:
    micro = facts.get(FactName.PER_DEVICE_BATCH)
    if micro is not None and micro.value is None and micro.unresolved is None:
        # verl's own ppo_trainer.yaml (and every fork's copy) leaves it null for the launch line's override to set:
        # not a value the run trains with, and the optimizer batch (mini × n) does not depend on it.
        facts.pop(FactName.PER_DEVICE_BATCH)
    mini, n = facts.get(FactName.MINI_BATCH), facts.get(FactName.ROLLOUT_N)
    m = positive_int(mini.value) if mini is not None else None
    k = positive_int(n.value) if n is not None else 1
    if mini is None or m is None or k is None:
        return
    facts[FactName.GLOBAL_BATCH] = Fact(
        FactName.GLOBAL_BATCH, m * k, Origin.DERIVED, mini.key, mini.span, note=f"{mini.key} {m} prompts × rollout.n {k} responses per optimizer step"
    )
    dyn = facts.get(FactName.DYNAMIC_BATCH)
    if dyn is not None and dyn.value is True:
        facts.pop(FactName.PER_DEVICE_BATCH, None)  # micro batches are packed by token count


DIALECT = Dialect(
    name="verl",
    kind=DialectKind.TRAINING,
    semantics=Semantics.OMEGACONF,
    keys={
        FactName.MINI_BATCH: ("actor_rollout_ref.actor.ppo_mini_batch_size",),
        FactName.ROLLOUT_N: ("actor_rollout_ref.rollout.n",),
        FactName.PER_DEVICE_BATCH: ("actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu",),
        FactName.DYNAMIC_BATCH: ("actor_rollout_ref.actor.use_dynamic_bsz",),
        FactName.GPUS_PER_NODE: ("trainer.n_gpus_per_node",),
        FactName.NUM_MACHINES: ("trainer.nnodes",),
    },
    signature=Signature(must=("actor_rollout_ref.actor.ppo_mini_batch_size", "trainer{}")),
    decoys=(
        "data.train_batch_size",
        "data.val_batch_size",
        "actor_rollout_ref.rollout.micro_rollout_batch_size",
        "actor_rollout_ref.ref.log_prob_micro_batch_size",
        "critic.ppo_micro_batch_size",
    ),
    derive=_sequences_per_step,
    global_shape=GlobalShape.MICRO,
    description="verl Hydra config (ppo_mini_batch_size × rollout.n per step, ppo_micro_batch_size_per_gpu)",
)

"""How a run shards its model states: ZeRO stage or FSDP strategy, offload, save-time gathers.

Built once by `derive.py` from every source that can say it (an accelerate `deepspeed_config` or
`fsdp_config`, the DeepSpeed JSON it or an HF Trainer `deepspeed:` key names, a Trainer `fsdp:` key,
the launch line's flags); read by the memory model. Each attribute keeps where it was read, so a
message can say "ZeRO-3 (zero_optimization.stage, ds_z3.json:22)". This module depends on nothing
else of batchlint's, so the memory stage can import it.
"""

from __future__ import annotations

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    from batchlint.record import dataclass


# FSDP strategies and the ZeRO stage each matches (memory-model.md §6.2: FULL_SHARD ≈ ZeRO-3,
# SHARD_GRAD_OP ≈ ZeRO-2); FSDP1 also accepts them by number (torch ShardingStrategy values + 1).
FSDP_STAGES = {"FULL_SHARD": 3, "SHARD_GRAD_OP": 2, "NO_SHARD": 0, "HYBRID_SHARD": 3, "HYBRID_SHARD_ZERO2": 2}
FSDP_NUMBERS = {"1": "FULL_SHARD", "2": "SHARD_GRAD_OP", "3": "NO_SHARD", "4": "HYBRID_SHARD", "5": "HYBRID_SHARD_ZERO2"}


@dataclass(frozen=True, slots=True)
class Sharding:
    """`kind` is "zero" (DeepSpeed) or "fsdp"; `stage` the ZeRO stage (for FSDP, the stage its
    strategy matches); `within_node` when a hybrid strategy shards over one node's ranks only."""

    kind: str
    stage: int
    strategy: str | None = None  # FSDP strategy, normalised (FULL_SHARD, ...)
    offload_optimizer: bool = False  # optimizer states (and, for ZeRO-1/2, gradients) live in CPU/NVMe memory
    offload_params: bool = False  # parameters live in CPU/NVMe memory between uses (ZeRO-3, FSDP)
    save_gather: str | None = None  # "full-state-dict" (FSDP, no offload) or "zero3-16bit": a gather on rank 0 at save
    within_node: bool = False
    sources: tuple[tuple[str, str], ...] = ()  # (attribute, where it was read)
    notes: tuple[str, ...] = ()  # settings that were read but do not apply (offload_param under ZeRO-2, ...)

    def source(self, attribute: str) -> str | None:
        return next((where for name, where in self.sources if name == attribute), None)

    @property
    def label(self) -> str:
        if self.kind == "zero":
            return f"ZeRO-{self.stage}"
        return f"FSDP {self.strategy or 'FULL_SHARD'}"

    def describe(self) -> str:
        """ "ZeRO-3 (zero_optimization.stage in ds.json:22), optimizer offload (…)" for messages."""
        parts = [self.label + (f" ({self.source('stage')})" if self.source("stage") else "")]
        for attribute, text in (("offload_optimizer", "optimizer offload"), ("offload_params", "parameter offload")):
            if getattr(self, attribute):
                where = self.source(attribute)
                parts.append(text + (f" ({where})" if where else ""))
        return ", ".join(parts)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "stage": self.stage,
            "strategy": self.strategy,
            "offload_optimizer": self.offload_optimizer,
            "offload_params": self.offload_params,
            "save_gather": self.save_gather,
            "within_node": self.within_node,
            "sources": dict(self.sources),
            "notes": list(self.notes),
        }

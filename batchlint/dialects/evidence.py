"""Training evidence: whether a config shows that it trains (an optimisation key and a duration key
outside evaluation sections). Shared by the generic reader and by dialects whose keys sampling
configs share (`needs_training_evidence`); it imports no dialect."""

from __future__ import annotations

import re
from collections.abc import Iterator

from batchlint.loading.nodes import Mapping, Node, Sequence, key_text

EXCLUDED = re.compile(
    r"(?:^|_)(?:val|vali|valid|validation|eval|evaluation|evaluate|test|tests|testing|sample|samples|sampling|sampler|infer|inference|"
    r"predict|prediction|generation|generate|gen|rollout|ref|reference|critic|reward|rm|teacher|demo|vis|visual|visualization|log|"
    r"logging|cache|caching|vae|latent|latents|preview|benchmark|bench|calib|calibration|export|serve|serving|deploy)(?:_|$|\d)",
    re.I,
)
_OPTIMISATION = {
    "learning_rate",
    "lr",
    "base_lr",
    "optimizer",
    "optim",
    "weight_decay",
    "lr_scheduler",
    "scheduler",
    "max_lr",
    "min_lr",
    "adam_beta1",
    "adam_epsilon",
    "momentum",
    "lr_warmup_steps",
    "warmup_steps",
    "warmup_ratio",
    "warmup_epochs",
    "clip_grad",
    "max_grad_norm",
    "gradient_clip_val",
    "grad_clip",
    "unet_lr",
    "text_encoder_lr",
}
_DURATION = {
    "max_steps",
    "max_train_steps",
    "num_train_epochs",
    "epochs",
    "max_epochs",
    "train_steps",
    "total_steps",
    "max_iters",
    "iterations",
    "num_epochs",
    "n_epochs",
    "total_iters",
    "max_iter",
    "num_steps",
    "training_steps",
    "steps",
    "epoch",
    "max_train_epochs",
    "total_epochs",
    "train_iters",
    "n_steps",
    "updates",
    "max_duration",
    "num_iterations",
    "checkpointing_steps",
    "save_steps",
    "save_every",
    "ckpt_every",
    "checkpoint_every",
    "max_update",
    "max_epoch",
    "total_num_update",
}


def walk(node: Node | None, path: tuple[str, ...], depth: int = 0, out: bool = False) -> Iterator[tuple[tuple[str, ...], Node, bool]]:
    """(key path, value, inside an excluded section) of every mapping entry; lists of mappings
    entered by their first item."""
    if depth > 6:
        return
    if isinstance(node, Mapping):
        for key, value in node.items:
            name = key_text(key)
            if name is None:
                continue
            excluded = out or EXCLUDED.search(name) is not None
            yield (*path, name), value, excluded
            if isinstance(value, (Mapping, Sequence)):
                yield from walk(value, (*path, name), depth + 1, excluded)
    elif isinstance(node, Sequence) and node.items and isinstance(node.items[0], Mapping):
        yield from walk(node.items[0], (*path[:-1], f"{path[-1]}[0]") if path else path, depth + 1, out)


def dotted(path: tuple[str, ...]) -> str:
    return ".".join(path).replace(".[", "[")


def training_evidence(root: Node | None) -> tuple[list[str], list[str]]:
    """Optimisation keys and duration keys outside evaluation sections."""
    optimisation: list[str] = []
    duration: list[str] = []
    for path, _node, excluded in walk(root, ()):
        if excluded:
            continue
        name = path[-1].lower().lstrip("-")
        if name in _OPTIMISATION:
            optimisation.append(dotted(path))
        elif name in _DURATION:
            duration.append(dotted(path))
    return optimisation, duration

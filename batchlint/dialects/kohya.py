"""kohya_ss GUI configs (JSON presets and the sectioned `config.toml`) for sd-scripts.

The GUI holds `train_batch_size` and `gradient_accumulation_steps` (sometimes the float `6.0`,
which the GUI writes as int) and the accelerate fields it turns into `accelerate launch
--num_processes N [--multi_gpu]`. Without `multi_gpu`, `--num_processes 8` starts **one** process
under the single-process default config kohya's setup installs, so a count above 1 is not the
world size unless `multi_gpu` is on. `batch_size` / `vae_batch_size` of finetune presets cache
latents: not the training batch. A `dataset_config` TOML, when set, decides the batch (sd-scripts
reads `[[datasets]] batch_size`, then `[general]`)."""

from __future__ import annotations

from batchlint.counts import positive_int
from batchlint.dialects.base import Dialect, FactDict, Link, Signature
from batchlint.model import DialectKind, Fact, FactName, Origin, Semantics

_MARKERS = (
    "pretrained_model_name_or_path",
    "LoRA_type",
    "save_model_as",
    "train_data_dir",
    "optimizer",
    "output_name",
    "cache_latents",
    "max_train_epochs",
    "network_dim",
    "model_list",
)


def _gui_reading(facts: FactDict) -> None:
    """What the GUI does with its fields: it writes `int(6.0)` for a float accumulation, and
    `--num_processes N` without `--multi_gpu` is one process under kohya's default accelerate config."""
    ga = facts.get(FactName.GRAD_ACCUM)
    if ga is not None and isinstance(ga.value, float) and ga.value.is_integer() and ga.value >= 1:
        facts[FactName.GRAD_ACCUM] = Fact(
            FactName.GRAD_ACCUM,
            int(ga.value),
            ga.origin,
            ga.key,
            ga.span,
            ga.node,
            note=f"{ga.value} in the file: the GUI passes int({ga.value}) = {int(ga.value)}",
        )
    procs = facts.get(FactName.NUM_PROCESSES)
    multi = facts.get(FactName.MULTI_GPU)
    n = positive_int(procs.value) if procs is not None else None
    if procs is not None and n is not None and n > 1 and (multi is None or multi.value is not True):
        facts[FactName.NUM_PROCESSES] = Fact(
            FactName.NUM_PROCESSES,
            None,
            Origin.FILE,
            procs.key,
            procs.span,
            unresolved=f"{procs.key} {n} without multi_gpu: accelerate decides from the machine's default config (one process under kohya's)",
        )


# Each GUI field: its fact, and the `config.toml` section that holds it (the JSON presets are flat).
_FIELDS = {
    FactName.PER_DEVICE_BATCH: ("basic", "train_batch_size"),
    FactName.GRAD_ACCUM: ("advanced", "gradient_accumulation_steps"),
    FactName.NUM_PROCESSES: ("accelerate_launch", "num_processes"),
    FactName.NUM_MACHINES: ("accelerate_launch", "num_machines"),
    FactName.MULTI_GPU: ("accelerate_launch", "multi_gpu"),
    FactName.GPU_IDS: ("accelerate_launch", "gpu_ids"),
    FactName.MIXED_PRECISION: ("accelerate_launch", "mixed_precision"),
    FactName.GRADIENT_CHECKPOINTING: ("advanced", "gradient_checkpointing"),
    FactName.DATASET_CONFIG: ("model", "dataset_config"),
}
_DATASET_LINK = (Link(FactName.DATASET_CONFIG, "kohya-dataset", (FactName.PER_DEVICE_BATCH,)),)


def _gui(name: str, keys: dict[FactName, tuple[str, ...]], signature: Signature, description: str) -> Dialect:
    return Dialect(
        name=name,
        kind=DialectKind.TRAINING,
        semantics=Semantics.JSON,
        keys=keys,
        signature=signature,
        decoys=("batch_size", "vae_batch_size"),
        defaults={FactName.GRAD_ACCUM: 1},
        derive=_gui_reading,
        links=_DATASET_LINK,
        description=description,
    )


DIALECT = _gui(
    "kohya",
    {fact: (key,) for fact, (_section, key) in _FIELDS.items()},
    Signature(must=("train_batch_size",), may=dict.fromkeys(_MARKERS, 1.0), min_score=3),
    "kohya_ss GUI JSON (train_batch_size, gradient_accumulation_steps, num_processes with multi_gpu)",
)
GUI_TOML = _gui(
    "kohya-toml",
    {fact: (f"{section}.{key}",) for fact, (section, key) in _FIELDS.items()},
    Signature(must=("basic.train_batch_size", "accelerate_launch{}")),
    "kohya_ss GUI config.toml ([basic] train_batch_size, [advanced], [accelerate_launch])",
)

DATASET = Dialect(
    name="kohya-dataset",
    kind=DialectKind.TRAINING,
    semantics=Semantics.JSON,
    keys={FactName.PER_DEVICE_BATCH: ("datasets[0].batch_size", "general.batch_size")},
    signature=Signature(
        must=("datasets[]",),
        one_of=(("datasets[0].batch_size", "general.batch_size"),),
        may={"datasets[0].subsets[]": 1.0, "datasets[0].resolution": 1.0, "general{}": 1.0},
        min_score=1,
    ),
    defaults={FactName.GRAD_ACCUM: 1},
    description="sd-scripts dataset TOML ([[datasets]] batch_size, then [general])",
)

"""Dialects as data: the signature language, why a file was (or was not) read, and the declared
extras (nested configs, formats, keys that depend on values, linked files, decoys)."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchlint.detect import detect_match, why_not
from batchlint.dialects.base import Dialect, Signature
from batchlint.loading import load_text
from batchlint.model import DialectKind, FactName, Semantics
from tests.helpers import check_json, inspect_json

MORE = Path(__file__).resolve().parent.parent / "fixtures" / "dialects" / "more"
GLOBAL = Path(__file__).resolve().parent.parent / "fixtures" / "dialects" / "global"


def _root(text: str):  # type: ignore[no-untyped-def]
    return load_text("t.yaml", text).root


@pytest.mark.parametrize(
    "signature, text, claimed",
    [
        (Signature(must=("a.b",)), "a:\n  b: 1\n", True),
        (Signature(must=("a.b",)), "a:\n  c: 1\n", False),
        (Signature(must=("a{}",)), "a: 1\n", False),  # `{}`: a mapping
        (Signature(must=("a[]",)), "a: [1, 2]\n", True),  # `[]`: a list
        (Signature(must=("mode=train",)), "mode: Train\n", True),  # `=v`: that scalar, any case
        (Signature(must=("mode=train",)), "mode: infer\n", False),
        (Signature(one_of=(("x", "y"),)), "y: 1\n", True),
        (Signature(one_of=(("x", "y"),)), "z: 1\n", False),
        (Signature(must=("x",), must_not=("y",)), "x: 1\ny: 2\n", False),
        (Signature(must=("x",), may={"p": 1.0, "q": 1.0}, min_score=2), "x: 1\np: 1\n", False),
        (Signature(must=("x",), may={"p": 1.0, "q": 1.0}, min_score=2), "x: 1\np: 1\nq: 1\n", True),
        (Signature(must=("l[0].k",)), "l:\n  - k: 1\n", True),  # list items by index
    ],
)
def test_signature_language(signature: Signature, text: str, claimed: bool) -> None:
    assert (signature.match("d", _root(text)) is not None) is claimed


def test_match_says_which_keys_it_found() -> None:
    sig = Signature(must=("train.batch",), one_of=(("optim", "lr"),), may={"steps": 1.0, "epochs": 1.0})
    found = sig.match("mine", _root("train:\n  batch: 4\nlr: 0.1\nsteps: 10\n"))
    assert found is not None and found.found == ("train.batch", "lr", "steps") and found.score == 1.0
    assert found.why() == "mine: train.batch, lr, steps"


def test_a_custom_detect_runs_with_the_signature() -> None:
    dialect = Dialect(
        "odd", DialectKind.TRAINING, Semantics.YAML11, {}, signature=Signature(must=("a",)), detect=lambda root: root is not None and len(root.keys()) == 1
    )  # type: ignore[union-attr]
    assert dialect.claims(_root("a: 1\n")) and not dialect.claims(_root("a: 1\nb: 2\n"))
    assert not Dialect("never", DialectKind.TRAINING, Semantics.SHELL, {}).claims(_root("a: 1\n"))  # no signature, no detect


def test_inspect_says_which_dialect_and_why() -> None:
    run = inspect_json(str(GLOBAL / "nemo_sft.yaml"))["runs"][0]
    assert (run["dialect"], run["kind"], run["confidence"]) == ("nemo", "training", "high")
    assert run["why"] == (
        "nemo: trainer{}, model{}, model.global_batch_size, model.data.train_ds.global_batch_size, model.micro_batch_size, model.data.train_ds.micro_batch_size"
    )
    from tests.helpers import run_cli

    _, text, _ = run_cli("inspect", str(GLOBAL / "nemo_sft.yaml"))
    assert "read as nemo: trainer{}, model{}" in text and "(high confidence)" in text


def test_inspect_says_why_a_file_was_not_read(tmp_path: Path) -> None:
    (tmp_path / "half.yaml").write_text("model:\n  micro_batch_size: 2\n  global_batch_size: 16\n", encoding="utf-8")
    result = inspect_json("half.yaml", cwd=tmp_path)
    assert result["runs"] == []
    assert result["unread"] == [
        {
            "file": "half.yaml",
            "why": (
                "no dialect claims it: nearest is nemo, which needs trainer{}; no training evidence (an optimizer or learning rate "
                "and a steps or epochs key) for the generic reader"
            ),
        }
    ]
    assert why_not(load_text("x.py", "def f(:\n")) == "Python config: not read (ast cannot parse it)"


def test_a_nested_trainer_config_keeps_its_full_key_paths_and_interpolation_root() -> None:
    """A MosaicML run YAML: the Composer config under `parameters:` (its `${name}` is parameters.name)."""
    run = inspect_json(str(GLOBAL / "mcli_run.yaml"))["runs"][0]
    facts = run["facts"]
    assert run["dialect"] == "mcli"
    assert (facts["global_batch"]["key"], facts["global_batch"]["line"]) == ("parameters.dataset.train_batch_size", 9)
    assert (facts["num_processes"]["value"], facts["num_processes"]["key"]) == (16, "compute.gpus")
    assert facts["per_device_batch"]["value"] == 64 and facts["microbatches"]["value"] == 4 and run["total_batch"] == 1024
    assert "BL004" not in [d["code"] for d in check_json(str(GLOBAL / "mcli_run.yaml"))[1]]  # ${name}, ${seed} resolve


def test_a_dialect_reads_only_the_formats_it_names() -> None:
    """mmengine reads Python configs; the same keys in a YAML file are not an mmengine config."""
    py = detect_match(load_text("cfg.py", (MORE / "mmengine_cfg.py").read_text(encoding="utf-8")))
    assert py is not None and py[0].name == "mmengine"
    yaml_twin = load_text("t.yaml", "train_dataloader:\n  batch_size: 4\noptim_wrapper:\n  accumulative_counts: 2\n")
    found = detect_match(yaml_twin)
    assert found is None or found[0].name != "mmengine"


def test_keys_that_depend_on_values_vgen() -> None:
    """Each rank takes batch_sizes[frame_lens[rank % n]]: one frame length gives one per-device batch."""
    single = inspect_json(str(MORE / "vgen_single.yaml"))["runs"][0]["facts"]
    assert (single["per_device_batch"]["value"], single["per_device_batch"]["key"], single["per_device_batch"]["line"]) == (4, "batch_sizes.16", 5)
    mixed = inspect_json(str(MORE / "vgen_mixed.yaml"))["runs"][0]
    assert "per_device_batch" not in mixed["facts"] and mixed["total_batch"] is None


def test_a_linked_file_decides_the_batch(tmp_path: Path) -> None:
    """kohya: the dataset TOML the GUI config names decides the batch; named but missing, the batch is unknown."""
    run = inspect_json(str(MORE / "kohya_with_dataset.json"))["runs"][0]
    pd = run["facts"]["per_device_batch"]
    assert (pd["value"], pd["key"], pd["line"], Path(pd["file"]).name) == (6, "datasets[0].batch_size", 6, "kohya_dataset.toml")
    assert run["total_batch"] == 12
    (tmp_path / "gui.json").write_text((MORE / "kohya_with_dataset.json").read_text(encoding="utf-8"), encoding="utf-8")
    lost = inspect_json("gui.json", cwd=tmp_path)["runs"][0]
    assert lost["facts"]["per_device_batch"]["value"] == 2 and "not found" in lost["facts"]["per_device_batch"]["unresolved"]
    assert lost["total_batch"] is None


def test_kohya_gui_fields_as_the_gui_passes_them() -> None:
    run = inspect_json(str(MORE / "kohya_gui.json"))["runs"][0]
    facts = run["facts"]
    assert run["dialect"] == "kohya"  # not a DeepSpeed JSON: most of its keys are not DeepSpeed's
    assert facts["grad_accum"]["value"] == 6 and "int(6.0)" in facts["grad_accum"]["note"]
    assert facts["num_processes"]["value"] is None and "without multi_gpu" in facts["num_processes"]["unresolved"]
    assert facts["per_device_batch"]["key"] == "train_batch_size"  # `batch_size` caches latents: a decoy
    assert check_json(str(MORE / "kohya_gui.json"))[0] == 0  # 6.0 is not an invalid accumulation here


@pytest.mark.parametrize(
    "name, dialect, per_device, accum",
    [
        ("lavis.yaml", "lavis", ("run.batch_size_train", 16), ("run.accum_grad_iters", 2)),
        ("aitoolkit.yaml", "ai-toolkit", ("config.process[0].train.batch_size", 2), ("config.process[0].train.gradient_accumulation_steps", 4)),
        ("xflux.yaml", "xflux", ("data_config.train_batch_size", 2), ("gradient_accumulation_steps", 3)),  # top-level train_batch_size: a decoy
        ("simpletuner.json", "simpletuner", ("--train_batch_size", 2), ("--gradient_accumulation_steps", 4)),  # keys spelt as flags
        ("sat_train.yaml", "sat", ("deepspeed.train_micro_batch_size_per_gpu", 2), ("deepspeed.gradient_accumulation_steps", 3)),
        ("lightning_cli.yaml", "lightning-cli", ("data.init_args.batch_size", 16), ("trainer.accumulate_grad_batches", 3)),
    ],
)
def test_more_trainer_families(name: str, dialect: str, per_device: tuple[str, int], accum: tuple[str, int]) -> None:
    run = inspect_json(str(MORE / name))["runs"][0]
    facts = run["facts"]
    assert run["dialect"] == dialect
    assert (facts["per_device_batch"]["key"], facts["per_device_batch"]["value"]) == per_device
    assert (facts["grad_accum"]["key"], facts["grad_accum"]["value"]) == accum


def test_a_python_config_is_read_through_the_launch_that_names_it(tmp_path: Path) -> None:
    """mmengine: `tools/train.py configs/x.py` on 8 GPUs; the literals only, nothing executed."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "det.py").write_text((MORE / "mmengine_cfg.py").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "dist_train.sh").write_text("torchrun --nproc_per_node 8 tools/train.py configs/det.py --launcher pytorch\n", encoding="utf-8")
    run = inspect_json("dist_train.sh", cwd=tmp_path)["runs"][0]
    facts = run["facts"]
    assert run["dialect"] == "mmengine"
    assert (facts["per_device_batch"]["key"], facts["per_device_batch"]["value"], facts["per_device_batch"]["line"]) == ("train_dataloader.batch_size", 4, 3)
    assert (facts["grad_accum"]["key"], facts["grad_accum"]["value"]) == ("optim_wrapper.accumulative_counts", 2)
    assert run["total_batch"] == 64
    assert [d["code"] for d in check_json("dist_train.sh", cwd=tmp_path)[1] if d["code"] == "BL102"] == []  # 8 × 4 × 2 = 64 agrees


def test_a_sampling_config_of_the_same_family_is_not_read(tmp_path: Path) -> None:
    assert inspect_json(str(MORE / "sat_sample.yaml"))["runs"] == []  # args.mode: inference
    (tmp_path / "eval.yaml").write_text((MORE / "lavis.yaml").read_text(encoding="utf-8") + "  evaluate: True\n", encoding="utf-8")
    assert inspect_json("eval.yaml", cwd=tmp_path)["runs"] == []  # LAVIS: an evaluation-only run
    assert check_json(str(MORE / "sat_sample.yaml")) == (0, [])


def test_declared_decoys_are_never_read() -> None:
    from batchlint.dialects.registry import BUILT_IN

    for dialect in BUILT_IN:
        read = {p for paths in dialect.keys.values() for p in paths}
        assert not set(dialect.decoys) & {
            p for n, paths in dialect.keys.items() for p in paths if n in (FactName.PER_DEVICE_BATCH, FactName.GRAD_ACCUM, FactName.GLOBAL_BATCH)
        }, dialect.name
        assert read or dialect.name == "shell-cli"

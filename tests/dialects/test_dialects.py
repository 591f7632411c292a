"""Each training dialect: detection by content, its key map, decoys, and the data-parallel size."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import inspect_json

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dialects"


@pytest.mark.parametrize(
    "name, dialect, per_device, accum, dp, total",
    [
        ("torchtune_lora.yaml", "torchtune", (2, 8), (8, 11), 16, 256),  # tensor_parallel_dim 2: 32 / 2
        ("neox_125m.yml", "gpt-neox", (4, 7), (2, 8), 8, 64),  # pipe 2 × model 2: 32 / 4
        ("basicsr_train.yml", "basicsr", (12, 7), (1, None), 32, 384),  # no accumulation key: 1
        ("composer_mpt.yaml", "composer", (8, 3), (1, None), 32, 256),  # the global batch is declared
        ("ldm_lightning.yaml", "ldm", (4, 12), (2, 23), 32, 256),  # data.params.batch_size × accumulate_grad_batches
        ("ldm_sd_v1.yaml", "ldm", (6, 11), (1, None), 32, 192),  # no accumulate_grad_batches: 1
        ("latte_train.yaml", "latte", (5, 11), (2, 13), 32, 320),  # local_batch_size per GPU
    ],
)
def test_dialect_on_32_processes(name: str, dialect: str, per_device: tuple[int, int | None], accum: tuple[int, int | None], dp: int, total: int) -> None:
    run = inspect_json(str(FIXTURES / name), "--num-processes", "32")["runs"][0]
    facts = run["facts"]
    assert run["dialect"] == dialect
    assert (facts["per_device_batch"]["value"], facts["per_device_batch"]["line"]) == per_device
    assert (facts["grad_accum"]["value"], facts["grad_accum"]["line"]) == accum
    assert facts["data_parallel_size"]["value"] == dp
    assert run["total_batch"] == total


def test_decoys_are_not_the_training_batch() -> None:
    run = inspect_json(str(FIXTURES / "torchtune_lora.yaml"))["runs"][0]
    assert run["facts"]["per_device_batch"]["key"] == "batch_size"  # not batch_size_val
    basicsr = inspect_json(str(FIXTURES / "basicsr_train.yml"))["runs"][0]
    assert basicsr["facts"]["per_device_batch"]["key"] == "datasets.train.batch_size_per_gpu"  # not datasets.val
    assert basicsr["facts"]["num_processes"]["value"] == "auto" and basicsr["total_batch"] is None
    composer = inspect_json(str(FIXTURES / "composer_mpt.yaml"))["runs"][0]
    assert "per_device_batch" not in composer["facts"]  # device_train_microbatch_size is a chunk, not a batch


def test_neox_flow_mapping_with_python_true_and_trailing_comma() -> None:
    run = inspect_json(str(FIXTURES / "neox_125m.yml"))["runs"][0]
    assert run["facts"]["gradient_checkpointing"]["value"] is True
    assert [i["gpus"] for i in run["stated_intent"]] == [96]


def test_musev_presets_only_for_musev_models(tmp_path: Path) -> None:
    """Another project's `train.train_batch_size` layout reads the same, but gets no MuseV target or memory figures."""
    layout = "output_dir:\n  dir: ./o\nmodel:\n  name: resnet\ndataset:\n  root: ./d\ntrain:\n  train_batch_size: 32\n  gradient_accumulation_steps: 1\n"
    (tmp_path / "other.yaml").write_text(layout, encoding="utf-8")
    other = inspect_json("other.yaml", "--num-processes", "8", "--gpu", "A100-80GB", cwd=tmp_path)["runs"][0]
    assert other["dialect"] == "musev" and other["target_total"] is None
    assert other["memory"] == {"missing": "no memory profile for this model (GPU: A100-80GB)"}
    (tmp_path / "musev.yaml").write_text(layout.replace("  name: resnet\n", "  use_referencenet: True\n"), encoding="utf-8")
    musev = inspect_json("musev.yaml", "--num-processes", "8", "--gpu", "A100-80GB", cwd=tmp_path)["runs"][0]
    assert musev["target_total"]["source"] == "preset" and musev["memory"]["profile"]["name"] == "preset musev_referencenet"


@pytest.mark.parametrize(
    "body, total",
    [
        ('"train_batch_size": 96, "train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 3', 96),  # W = 8 or no start
        ('"train_batch_size": 48, "gradient_accumulation_steps": 2', 48),  # DeepSpeed derives the micro batch from it
        ('"train_batch_size": "auto", "train_micro_batch_size_per_gpu": "auto"', None),  # the trainer fills it
        ('"train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 3', None),  # M x G x world: needs the world
    ],
)
def test_deepspeed_json_alone_states_its_integer_train_batch_size(tmp_path: Path, body: str, total: int | None) -> None:
    """accelerate-deepspeed.md §4.2-4.3: an integer train_batch_size is the total per optimizer step whatever the
    GPU count (DeepSpeed derives M or G from it, or stops on T != M x G x W); read alone, inspect says so."""
    from tests.helpers import run_cli

    (tmp_path / "ds.json").write_text("{" + body + ', "zero_optimization": {"stage": 2}}\n', encoding="utf-8")
    (run,) = inspect_json("ds.json", cwd=tmp_path)["runs"]
    assert (run["kind"], run["total_batch"]) == ("deepspeed", total)
    code, out, _ = run_cli("inspect", "ds.json", cwd=tmp_path)
    assert code == 0 and f"total_batch              {total if total is not None else 'unknown'}\n" in out

"""Model states per card against DeepSpeed's own estimators, and the sharding each source sets.

The numbers are DeepSpeed's documented examples (microsoft/DeepSpeed docs/code-docs/source/memory.rst,
"API To Estimate Memory Usage" and "Discussion"): t5-3b, 2851 M parameters, 32 M in the largest layer,
1 node × 8 GPUs; t5-large, 737.67 M parameters, 32.90 M largest layer, 4 GPUs. The estimators print
GiB (bytes / 2**30) as "GB" and the t5-large example MiB (bytes >> 20) as "MB".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchlint.memory.model import model_states
from batchlint.sharding import Sharding
from tests.helpers import inspect_json

GIB = 2**30
T5_3B, T5_3B_LAYER = 2851e6, 32e6


def _zero(stage: int, optimizer: bool = False, params: bool = False) -> Sharding:
    return Sharding("zero", stage, offload_optimizer=optimizer, offload_params=params)


def _gib(sharding: Sharding, params: float = T5_3B, layer: float = T5_3B_LAYER, ranks: int = 8) -> float:
    return model_states(params, layer, ranks, True, "adamw", sharding)[0] / GIB


def test_zero2_documented_estimates() -> None:
    """memory.rst, estimate_zero2_model_states_mem_needs_all_cold(total_params=2851e6, 8 GPUs):
    cpu_offload=1 → 5.31GB per GPU. cpu_offload=0 prints 15.93GB: the docs were generated before
    DeepSpeed 0.14.3, with 4P + 16P/N; the current code (stage_1_and_2.py, PR #5099) is 2P + 18P/N,
    which is what batchlint uses (memory-model.md §1.3)."""
    assert _gib(_zero(2, optimizer=True)) == pytest.approx(5.31, abs=0.005)
    assert (4 * T5_3B + 16 * T5_3B / 8) / GIB == pytest.approx(15.93, abs=0.005)  # the docs' (older) formula
    assert _gib(_zero(2)) == pytest.approx((2 * T5_3B + 18 * T5_3B / 8) / GIB)
    assert _gib(_zero(2)) == pytest.approx(11.28, abs=0.005)


@pytest.mark.parametrize(
    "optimizer, params, documented",
    [(True, True, 0.12), (True, False, 0.78), (False, False, 6.09)],
    ids=["optimizer+params offload", "optimizer offload", "no offload"],
)
def test_zero3_documented_estimates(optimizer: bool, params: bool, documented: float) -> None:
    """memory.rst, estimate_zero3_model_states_mem_needs_all_cold(total_params=2851e6,
    largest_layer_params=32e6, 8 GPUs): 0.12 / 0.78 / 6.09GB per GPU."""
    assert _gib(_zero(3, optimizer, params)) == pytest.approx(documented, abs=0.005)


def test_zero3_t5_large_discussion_example() -> None:
    """memory.rst "Discussion": t5-large on 4 GPUs, case1 3291MB, case2 125MB, case3 477MB (bytes >> 20)."""
    p, layer = 737.67e6, 32.90e6

    def mib(s: Sharding) -> int:
        return int(model_states(p, layer, 4, True, "adamw", s)[0]) >> 20

    assert (mib(_zero(3)), mib(_zero(3, True, True)), mib(_zero(3, True))) == (3291, 125, 477)


def test_zero_on_one_gpu_and_the_other_stages() -> None:
    """One rank: ZeRO-2 is 2 + 18 = 20 B/param (the estimator at N = 1), with offload 2; ZeRO-1 keeps the
    16-bit gradients whole (4P + 16P/N); FSDP FULL_SHARD is 16P/N plus the gathered unit."""
    p = 1e9
    assert model_states(p, 0, 1, True, "adamw", _zero(2))[0] == pytest.approx(20 * p)
    assert model_states(p, 0, 1, True, "adamw", _zero(2, optimizer=True))[0] == pytest.approx(2 * p)
    assert model_states(p, 0, 8, True, "adamw", _zero(1))[0] == pytest.approx(4 * p + 16 * p / 8)
    assert model_states(p, 1e8, 4, True, "adamw", Sharding("fsdp", 3, "FULL_SHARD"))[0] == pytest.approx(4e8 + 16 * p / 4)
    formula = model_states(p, 1e8, 8, True, "adamw", _zero(3))[1]
    assert "4·L + 18P/8" in formula and "estimate_zero3_model_states_mem_needs" in formula and "stage3.py" in formula


# --------------------------------------------------------------------------- every source of the sharding

TRAINER = "per_device_train_batch_size: 2\ngradient_accumulation_steps: 1\nlearning_rate: 1.0e-5\n"
DS_JSON = {
    "train_micro_batch_size_per_gpu": "auto",
    "gradient_accumulation_steps": "auto",
    "zero_optimization": {"stage": 3, "offload_optimizer": {"device": "cpu"}, "offload_param": {"device": "nvme"}},
}
ACCELERATE_DS = (
    "compute_environment: LOCAL_MACHINE\ndistributed_type: DEEPSPEED\nnum_processes: 8\n"
    "deepspeed_config:\n  zero_stage: 3\n  offload_optimizer_device: cpu\n  offload_param_device: none\n"
    "  zero3_save_16bit_model: true\n"
)
ACCELERATE_DS_FILE = "compute_environment: LOCAL_MACHINE\ndistributed_type: DEEPSPEED\nnum_processes: 8\ndeepspeed_config:\n  deepspeed_config_file: ds.json\n"
ACCELERATE_FSDP = (
    "compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nnum_processes: 8\nfsdp_config:\n"
    "  fsdp_sharding_strategy: HYBRID_SHARD\n  fsdp_offload_params: true\n  fsdp_state_dict_type: FULL_STATE_DICT\n"
)
ACCELERATE_FSDP2 = (
    "compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nnum_processes: 8\nfsdp_config:\n"
    "  fsdp_version: 2\n  fsdp_reshard_after_forward: false\n  fsdp_state_dict_type: FULL_STATE_DICT\n"
)

CASES = {
    "accelerate deepspeed_config": (
        {"train.yaml": TRAINER, "acc.yaml": ACCELERATE_DS},
        ["train.yaml", "--accelerate-config", "acc.yaml"],
        ("zero", 3, True, False, "zero3-16bit", "deepspeed_config.zero_stage, acc.yaml:5"),
    ),
    "accelerate deepspeed_config_file": (
        {"train.yaml": TRAINER, "acc.yaml": ACCELERATE_DS_FILE, "ds.json": json.dumps(DS_JSON, indent=1)},
        ["train.yaml", "--accelerate-config", "acc.yaml"],
        ("zero", 3, True, True, None, "zero_optimization.stage, ds.json:5"),
    ),
    "trainer deepspeed: key": (
        {"train.yaml": TRAINER + "deepspeed: ds.json\n", "ds.json": json.dumps(DS_JSON, indent=1)},
        ["train.yaml", "--num-processes", "8"],
        ("zero", 3, True, True, None, "zero_optimization.stage, ds.json:5"),
    ),
    "trainer fsdp: key": (
        {"train.yaml": TRAINER + "fsdp: full_shard offload auto_wrap\n"},
        ["train.yaml", "--num-processes", "8"],
        ("fsdp", 3, True, True, None, "fsdp, train.yaml:4"),
    ),
    "accelerate fsdp_config": (
        {"train.yaml": TRAINER, "acc.yaml": ACCELERATE_FSDP},
        ["train.yaml", "--accelerate-config", "acc.yaml"],
        ("fsdp", 3, True, True, None, "fsdp_config.fsdp_sharding_strategy, acc.yaml:5"),
    ),
    "accelerate fsdp2": (
        {"train.yaml": TRAINER, "acc.yaml": ACCELERATE_FSDP2},
        ["train.yaml", "--accelerate-config", "acc.yaml"],
        ("fsdp", 2, False, False, "full-state-dict", "fsdp_config.fsdp_reshard_after_forward, acc.yaml:6"),
    ),
    "launch --fsdp": (
        {
            "train.sh": "torchrun --nproc_per_node=4 train.py --per_device_train_batch_size 4 --gradient_accumulation_steps 8"
            ' --bf16 True --fsdp "shard_grad_op auto_wrap"\n'
        },
        ["train.sh"],
        ("fsdp", 2, False, False, None, "--fsdp, train.sh:1"),
    ),
    "launch --deepspeed": (
        {"train.sh": "deepspeed --num_gpus 8 train.py --deepspeed ds.json --per_device_train_batch_size 2\n", "ds.json": json.dumps(DS_JSON, indent=1)},
        ["train.sh"],
        ("zero", 3, True, True, None, "zero_optimization.stage, ds.json:5"),
    ),
    "accelerate launch flags": (
        {
            "train.sh": "accelerate launch --num_processes 8 --use_deepspeed --zero_stage 2 "
            "--offload_optimizer_device cpu --offload_param_device cpu train.py --train_batch_size 2\n"
        },
        ["train.sh"],
        ("zero", 2, True, False, None, "--zero_stage, train.sh:1"),
    ),
    "deepspeed-chat flags": (
        {"train.sh": "deepspeed --num_gpus 8 main.py --per_device_train_batch_size 4 --zero_stage 3 --offload\n"},
        ["train.sh"],
        ("zero", 3, True, False, None, "--zero_stage, train.sh:1"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sharding_from_every_source(case: str, tmp_path: Path) -> None:
    files, args, (kind, stage, offload_optimizer, offload_params, gather, where) = CASES[case]
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    runs = [r for r in inspect_json(*args, cwd=tmp_path)["runs"] if r["sharding"] is not None]
    assert len(runs) == 1, case
    sharding = runs[0]["sharding"]
    assert (sharding["kind"], sharding["stage"], sharding["offload_optimizer"], sharding["offload_params"], sharding["save_gather"]) == (
        kind,
        stage,
        offload_optimizer,
        offload_params,
        gather,
    )
    assert sharding["sources"]["stage"] == where


def test_offload_param_under_zero2_is_noted_and_ignored(tmp_path: Path) -> None:
    """The diffusers ControlNet 8 GB recipe sets offload_param_device: cpu with zero_stage: 2; DeepSpeed only
    offloads parameters at stage 3."""
    (tmp_path / "train.yaml").write_text(TRAINER, encoding="utf-8")
    (tmp_path / "acc.yaml").write_text(
        ACCELERATE_DS.replace("zero_stage: 3", "zero_stage: 2").replace("offload_param_device: none", "offload_param_device: cpu"), encoding="utf-8"
    )
    sharding = inspect_json("train.yaml", "--accelerate-config", "acc.yaml", cwd=tmp_path)["runs"][0]["sharding"]
    assert sharding["offload_params"] is False and "offload_params" not in sharding["sources"]
    assert sharding["notes"] == ["parameter offload (deepspeed_config.offload_param_device, acc.yaml:7) applies to ZeRO-3 only: ignored at stage 2"]
    assert sharding["save_gather"] is None  # a 16-bit gather on save is a ZeRO-3 thing


@pytest.mark.parametrize(
    "lines, precision", [("bf16: true\n", "bf16"), ("fp16: true\n", "fp16"), ("bf16: false\nfp16: true\n", "fp16"), ("bf16: false\n", "fp32")]
)
def test_trainer_precision_switches_are_read_as_the_precision(tmp_path: Path, lines: str, precision: str) -> None:
    """`bf16: true` is bf16 mixed precision (it was read as fp32)."""
    (tmp_path / "train.yaml").write_text(TRAINER + lines, encoding="utf-8")
    facts = inspect_json("train.yaml", "--num-processes", "8", cwd=tmp_path)["runs"][0]["facts"]
    assert facts["precision"]["value"] == precision


def _memory(tmp_path: Path, files: dict[str, str], *args: str) -> dict[str, object]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    memory = inspect_json(*args, cwd=tmp_path)["runs"][0]["memory"]
    assert isinstance(memory, dict) and "missing" not in memory, memory
    return memory


PROFILE = 'gpu = "A100-80GB"\n[memory]\ntrainable_params = 1.0e9\nlargest_layer_params = 1.0e8\nper_sample_gib = 2.0\n'


def test_save_time_gathers_are_main_card_transients(tmp_path: Path) -> None:
    """memory-model.md §3 #5: FSDP FULL_STATE_DICT without offload gathers the whole model (fp32) on cuda:0;
    a ZeRO-3 16-bit save about 2 B × the largest layer; with parameter offload, nothing on the GPU."""
    (tmp_path / "batchlint.toml").write_text(PROFILE, encoding="utf-8")
    fsdp = ACCELERATE_FSDP.replace("  fsdp_offload_params: true\n", "")
    memory = _memory(tmp_path, {"train.yaml": TRAINER, "acc.yaml": fsdp}, "train.yaml", "--accelerate-config", "acc.yaml")
    assert [(t["term"], t["gib"]) for t in memory["main_transient"]] == [("full state dict gathered on save", round(4e9 / GIB, 2))]
    memory = _memory(tmp_path, {"acc.yaml": ACCELERATE_FSDP}, "train.yaml", "--accelerate-config", "acc.yaml")
    assert memory["main_transient"] == []  # fsdp_offload_params: true
    memory = _memory(tmp_path, {"acc.yaml": ACCELERATE_DS}, "train.yaml", "--accelerate-config", "acc.yaml")
    assert [(t["term"], t["gib"]) for t in memory["main_transient"]] == [("16-bit weights gathered on save", round(2e8 / GIB, 2))]


def test_static_terms_cite_the_formula_in_inspect(tmp_path: Path) -> None:
    (tmp_path / "batchlint.toml").write_text(PROFILE, encoding="utf-8")
    memory = _memory(tmp_path, {"train.yaml": TRAINER + "bf16: true\n", "acc.yaml": ACCELERATE_DS}, "train.yaml", "--accelerate-config", "acc.yaml")
    terms = memory["static_terms"]
    assert isinstance(terms, list) and terms[0]["term"] == "model states"
    assert terms[0]["gib"] == round((4e8 + 2e9 / 8) / GIB, 2)  # ZeRO-3 + optimizer offload, 16-bit: 4L + 2P/N
    memory = _memory(tmp_path, {"train.yaml": TRAINER}, "train.yaml", "--accelerate-config", "acc.yaml")
    assert memory["static_terms"][0]["gib"] == round((8e8 + 4e9 / 8) / GIB, 2)  # fp32: 4-byte weights and gradients
    assert "estimate_zero3_model_states_mem_needs" in terms[0]["why"] and "deepspeed_config.zero_stage, acc.yaml:5" in terms[0]["why"]


# --------------------------------------------------------------------------- the main card, from evidence

MOORE = """data:
  train_bs: 4
  train_width: 768
  train_height: 768
solver:
  gradient_accumulation_steps: 1
  mixed_precision: 'fp16'
  enable_xformers_memory_efficient_attention: True
  gradient_checkpointing: False
  max_train_steps: 30000
  learning_rate: 1.0e-5
val:
  validation_steps: {steps}
"""


@pytest.mark.parametrize("steps, validates", [(200, True), (20000000000000, False)], ids=["Moore-AnimateAnyone", "MusePose"])
def test_animateanyone_validation_from_validation_steps(tmp_path: Path, steps: int, validates: bool) -> None:
    """Moore-AnimateAnyone configs/train/stage1.yaml validates every 200 steps on the main process
    (train_stage_1.py: `if global_step % cfg.val.validation_steps == 0` under is_main_process); MusePose
    sets 20000000000000, more than solver.max_train_steps, to turn it off."""
    (tmp_path / "stage1.yaml").write_text(MOORE.format(steps=steps), encoding="utf-8")
    (tmp_path / "batchlint.toml").write_text('gpu = "A100-80GB"\n[memory]\nstatic_gib = 20\nper_sample_gib = 4\n', encoding="utf-8")
    run = inspect_json("stage1.yaml", "--num-processes", "8", cwd=tmp_path)["runs"][0]
    assert run["facts"]["do_validation"]["value"] is validates
    transient = run["memory"]["main_transient"]
    if validates:
        assert [t["term"] for t in transient] == ["validation on the main process"]
        assert "val.validation_steps = 200 ≤ solver.max_train_steps = 30000: log_validation runs on the main process" in transient[0]["why"]
        assert transient[0]["gib"] == 4.0  # an image model (no frames): memory-model.md §6.2's default
    else:
        assert transient == []


def test_stray_contexts_only_when_declared(tmp_path: Path) -> None:
    """xformers on is no evidence of CUDA contexts on cuda:0 (memory-model.md §3 #2 names code, not config,
    as the cause): without `stray_contexts: true` the main card carries no such term."""
    (tmp_path / "stage1.yaml").write_text(MOORE.format(steps=200), encoding="utf-8")
    profile = 'gpu = "A100-80GB"\n[memory]\nstatic_gib = 20\nper_sample_gib = 4\n'
    (tmp_path / "batchlint.toml").write_text(profile, encoding="utf-8")
    assert inspect_json("stage1.yaml", "--num-processes", "8", cwd=tmp_path)["runs"][0]["memory"]["main_persist"] == []
    (tmp_path / "batchlint.toml").write_text(profile + "stray_contexts = true\n", encoding="utf-8")
    persist = inspect_json("stage1.yaml", "--num-processes", "8", cwd=tmp_path)["runs"][0]["memory"]["main_persist"]
    assert [(t["term"], t["gib"]) for t in persist] == [("stray CUDA contexts", 3.5)] and persist[0]["why"].startswith("declared")

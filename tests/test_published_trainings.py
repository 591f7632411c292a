"""Published trainings that ran: batchlint must not call them out of memory, and its plan must be
the authors' where the authors published one. The fixtures are written here, modelled on the
published commands and configs (cited in each test); the memory profiles give the parameter counts
of the published models and a per-sample figure derived as each docstring says.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import check_json, inspect_json, run_cli

GIB = 2**30


def _write(tmp: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _codes(diags: list[dict[str, object]]) -> list[str]:
    return [str(d["code"]) for d in diags]


QWEN = """### model
model_name_or_path: Qwen/Qwen3-4B-Instruct-2507
### method
stage: sft
do_train: true
finetuning_type: full
deepspeed: examples/deepspeed/ds_z3_config.json
### dataset
cutoff_len: 2048
### train
per_device_train_batch_size: 1
gradient_accumulation_steps: 2
learning_rate: 1.0e-5
bf16: true
"""
DS_Z3 = {
    "train_batch_size": "auto",
    "train_micro_batch_size_per_gpu": "auto",
    "gradient_accumulation_steps": "auto",
    "bf16": {"enabled": "auto"},
    "zero_optimization": {"stage": 3, "overlap_comm": False, "stage3_gather_16bit_weights_on_model_save": True},
}


def test_qwen3_4b_full_sft_zero3_on_8_a100_fits(tmp_path: Path) -> None:
    """hiyouga/LLaMA-Factory examples/train_full/qwen3_full_sft.yaml with examples/deepspeed/ds_z3_config.json
    on 8 × A100-80GB. Qwen3-4B: 4.02 B parameters, tied 151936 × 2560 embedding (389 M) the largest layer.
    DeepSpeed's estimate_zero3_model_states_mem_needs gives 4L + 18P/8 ≈ 9.9 GiB per GPU (memory-model.md
    §1.3); batchlint used to read no stage and say BL202 "76.4 GiB static". Per sample at cutoff_len 2048
    with gradient checkpointing (LLaMA-Factory's default): 2·s·h·L layer inputs (0.38 GB) + one layer
    recomputed, 34·s·h (0.18 GB) + fp32 logits and their gradient, s·V·10 B (3.1 GB) ≈ 3.5 GiB."""
    _write(
        tmp_path,
        {
            "qwen3_full_sft.yaml": QWEN,
            "examples/deepspeed/ds_z3_config.json": json.dumps(DS_Z3, indent=2),
            "batchlint.toml": 'gpu = "A100-80GB"\nnum-processes = 8\n[memory]\ntrainable_params = 4.02e9\n'
            "largest_layer_params = 3.89e8\nper_sample_gib = 3.5\n",
        },
    )
    _, diags = check_json("qwen3_full_sft.yaml", cwd=tmp_path)
    assert "BL202" not in _codes(diags) and "BL203" not in _codes(diags)
    run = inspect_json("qwen3_full_sft.yaml", cwd=tmp_path)["runs"][0]
    states = run["memory"]["static_terms"][0]
    assert states["gib"] == round((4 * 3.89e8 + 18 * 4.02e9 / 8) / GIB, 2) == 9.87
    assert "ZeRO-3 (zero_optimization.stage, examples/deepspeed/ds_z3_config.json" in states["why"]
    assert run["facts"]["precision"]["value"] == "bf16"
    assert run["memory"]["main_card_conservative_gib"] < run["memory"]["usable_gib"]


ALPACA = """#!/bin/bash
torchrun --nproc_per_node=4 --master_port=29500 train.py \\
    --model_name_or_path ./llama-7b \\
    --data_path ./alpaca_data.json \\
    --bf16 True \\
    --output_dir ./out \\
    --num_train_epochs 3 \\
    --per_device_train_batch_size 4 \\
    --per_device_eval_batch_size 4 \\
    --gradient_accumulation_steps 8 \\
    --evaluation_strategy "no" \\
    --learning_rate 2e-5 \\
    --fsdp "full_shard auto_wrap" \\
    --fsdp_transformer_layer_cls_to_wrap 'LLaMADecoderLayer' \\
    --tf32 True
"""


def test_alpaca_llama_7b_fsdp_on_4_a100_fits(tmp_path: Path) -> None:
    """tatsu-lab/stanford_alpaca README: LLaMA-7B "on a machine with 4 A100 80G GPUs in FSDP full_shard mode",
    `torchrun --nproc_per_node=4 ... --bf16 True --per_device_train_batch_size 4 --gradient_accumulation_steps 8
    --fsdp "full_shard auto_wrap"` (global batch 128). 6.74 B parameters, 131 M in the 32000 × 4096 embedding.
    batchlint used to ignore --fsdp and say BL202 "141 GiB". Per sample at model_max_length 512 without
    checkpointing: Korthikanti et al. (arXiv:2205.05198) s·h·(34 + 5·a·s/h) bytes per layer × 32 layers (3.6 GB)
    + fp32 logits (0.16 GB) ≈ 3.6 GiB."""
    _write(
        tmp_path,
        {
            "train.sh": ALPACA,
            "batchlint.toml": 'gpu = "A100-80GB"\ntarget-total = 128\n[memory]\n'
            "trainable_params = 6.74e9\nlargest_layer_params = 1.31e8\n"
            "per_sample_gib = 3.6\n",
        },
    )
    _, diags = check_json("train.sh", cwd=tmp_path)
    assert not {"BL101", "BL202", "BL203"} & set(_codes(diags)), diags
    run = inspect_json("train.sh", cwd=tmp_path)["runs"][0]
    assert run["total_batch"] == 128 and run["sharding"]["strategy"] == "FULL_SHARD"
    memory = run["memory"]
    assert memory["static_terms"][0]["gib"] == round((4 * 1.31e8 + 16 * 6.74e9 / 4) / GIB, 2)
    assert memory["main_card_conservative_gib"] < memory["usable_gib"]  # fits at the conservative end


CONTROLNET_ACCELERATE = """compute_environment: LOCAL_MACHINE
deepspeed_config:
  gradient_accumulation_steps: 4
  offload_optimizer_device: cpu
  offload_param_device: cpu
  zero3_init_flag: false
  zero_stage: 2
distributed_type: DEEPSPEED
mixed_precision: fp16
num_machines: 1
num_processes: 1
"""
CONTROLNET = """#!/bin/bash
export MODEL_DIR="runwayml/stable-diffusion-v1-5"
accelerate launch --config_file accelerate_ds2_offload.yaml train_controlnet.py \\
 --pretrained_model_name_or_path=$MODEL_DIR \\
 --output_dir=./out \\
 --dataset_name=fusing/fill50k \\
 --resolution=512 \\
 --train_batch_size=1 \\
 --gradient_accumulation_steps=4 \\
 --gradient_checkpointing \\
 --enable_xformers_memory_efficient_attention \\
 --set_grads_to_none \\
 --mixed_precision fp16
"""


def test_diffusers_controlnet_8gb_zero2_offload_fits(tmp_path: Path) -> None:
    """huggingface/diffusers examples/controlnet/README.md "Training on an 8 GB GPU": DeepSpeed stage 2 with
    parameter and optimizer offloading (the accelerate config quoted there), fp16, batch 1 × accumulation 4,
    one GPU. ControlNet SD1.5: 361 M trainable parameters; frozen UNet, VAE and text encoder, 1.07 B in fp16.
    ZeRO-2 with optimizer offload keeps 2 B per trainable parameter on the GPU (estimate_zero2_model_states_mem_needs,
    cpu_offload=True); parameter offload is a ZeRO-3 feature. batchlint used to ignore ZeRO on one GPU and the
    offload and said BL202 "not even 1 fits". Per sample: the same README's 38 GB at batch 4 and 20 GB at batch 1
    without checkpointing give ≈ 6 GB, a quarter with checkpointing (memory-model.md §2.4) ≈ 1.5 GiB."""
    _write(
        tmp_path,
        {
            "accelerate_ds2_offload.yaml": CONTROLNET_ACCELERATE,
            "train.sh": CONTROLNET,
            "batchlint.toml": 'gpu = "RTX-3070"\n[memory]\ntrainable_params = 3.61e8\nfrozen_params = 1.07e9\nfrozen_dtype = "fp16"\nper_sample_gib = 1.5\n',
        },
    )
    _, diags = check_json("train.sh", cwd=tmp_path)
    assert "BL202" not in _codes(diags), diags
    memory = inspect_json("train.sh", cwd=tmp_path)["runs"][0]["memory"]
    assert memory["static_terms"][0]["gib"] == round(2 * 3.61e8 / GIB, 2)  # ZeRO-2 + optimizer offload: 2P
    assert memory["main_card_conservative_gib"] < memory["usable_gib"] < 8


MUSEV = """output_dir:
  exp_dir: ./exp
  track_init: True
model:
  use_referencenet: True
train:
  train_batch_size: 1
  # estimated for 8 cards; actually used 16 cards × 2 accumulation × 7 per-card batch = 224
  gradient_accumulation_steps: 4
  learning_rate: 1.0e-5
  mixed_precision: fp16
  gradient_checkpointing: True
  enable_xformers_memory_efficient_attention: True
dataset:
  n_sample_frames: 12
  dataset:
    width: 512
    height: 320
validation_data:
  do_validation: True
"""


def test_musev_authors_7_by_2_on_16_a100_is_the_plan(tmp_path: Path) -> None:
    """TMElyralab/MuseV configs/train/musev_referencenet_train_template.yaml: "actually used 16 cards × 2
    accumulation × 7 per-card batch = 224", validation on (memory-model.md §7). The plan, BL101's help and
    its fix all give 7 × 2, as a safe fix with the target given."""
    _write(tmp_path, {"train.yaml": MUSEV})
    args = ("train.yaml", "--num-processes", "16", "--gpu", "A100-80GB", "--target-total", "224")
    code, out, _ = run_cli("plan", *args, "--format", "json", cwd=tmp_path)
    plan = json.loads(out)
    assert code == 0 and (plan["recommended"]["per_device_batch"], plan["recommended"]["grad_accum"]) == (7, 2) and plan["safe"]
    _, diags = check_json(*args, cwd=tmp_path)
    bl101 = next(d for d in diags if d["code"] == "BL101")
    assert bl101["help"].startswith("7 per device × 2 accumulation on 16 processes = 224")
    assert bl101["fix"]["applicability"] == "safe" and "7 × 16 × 2 = 224" in bl101["fix"]["message"]
    assert "train.learning_rate = 1e-05 was set for 64; rescaled it is 3.5e-05 (linear) or 1.87e-05 (square root)" in bl101["help"]
    # The authors' own setting is clean.
    _write(tmp_path, {"train.yaml": MUSEV.replace("train_batch_size: 1", "train_batch_size: 7").replace("steps: 4", "steps: 2")})
    assert check_json(*args, cwd=tmp_path)[1] == []


def test_three_gpus_consider_both_sides_with_the_largest_fitting_batch(tmp_path: Path) -> None:
    """224 on 3 GPUs is unreachable. With 8 per card the largest that fits, the plan shows 8 × 3 × 9 = 216 and
    8 × 3 × 10 = 240 and recommends 216 (3.6 % below), not 5 × 15 = 225 on 5 per card."""
    _write(tmp_path, {"profile.yaml": "static_gib: 25\nper_sample_gib: 5\n"})
    code, out, _ = run_cli(
        "plan", "--num-processes", "3", "--target-total", "224", "--gpu", "A100-80GB", "--memory-profile", "profile.yaml", "--format", "json", cwd=tmp_path
    )
    plan = json.loads(out)
    rows = {(r["per_device_batch"], r["grad_accum"], r["total"]): r["verdict"] for r in plan["rows"]}
    assert rows[(8, 9, 216)] == "fits" and rows[(8, 10, 240)] == "fits" and rows[(9, 8, 216)] != "fits"
    assert (plan["recommended"]["per_device_batch"], plan["recommended"]["total"]) == (8, 216)
    assert "224 is not reachable on 3 processes; 216 is the nearest total below it with 8 per device" in plan["reason"]


def test_nothing_fits_with_validation_on_but_fits_with_it_off(tmp_path: Path) -> None:
    """A "fits with validation off" tier: the plan names it instead of "no pair fits", BL203's help gives it,
    and no fix is proposed (turning validation off is the user's decision)."""
    _write(tmp_path, {"train.yaml": MUSEV, "profile.yaml": "static_gib: 60\nper_sample_gib: 5\nvalidation_gib: 20\n"})
    args = ("train.yaml", "--num-processes", "8", "--gpu", "A100-80GB", "--target-total", "16", "--memory-profile", "profile.yaml")
    plan = json.loads(run_cli("plan", *args, "--format", "json", cwd=tmp_path)[1])
    assert plan["recommended"]["verdict"] == "fits with validation off" and plan["safe"] is False
    assert plan["recommended"]["per_device_batch"] == 2 and plan["reason"].startswith("nothing fits with validation on")
    _, diags = check_json(*args, cwd=tmp_path)
    bl203 = next(d for d in diags if d["code"] == "BL203")
    assert "with validation off: 2 per device × 2 accumulation on 8 processes = 32" in bl203["help"] and bl203["fix"] is None

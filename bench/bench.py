"""Start-up and throughput of batchlint against yamllint and check-jsonschema, same run, same files.

Builds realistic MuseV-style training configs (with includes, interpolations, Chinese comments)
plus accelerate configs, installs the peers and this checkout of batchlint (a regular install,
not an editable one, whose import hook alone costs ~30 ms) into a private venv, and times every
command as a fresh process: one warm-up, then REPEATS runs, median reported. The runs of the
three tools are interleaved so that machine noise hits them alike.

    python bench/bench.py            # N=500 files, 5 repeats
    N=200 REPEATS=3 python bench/bench.py

Prints each median and batchlint's time as a fraction of each peer's (lower is better).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import tempfile
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Outside the repository: batchlint must not find this repository's own pyproject.toml.
WORK = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "batchlint-bench"))
N = int(os.environ.get("N", "500"))
REPEATS = int(os.environ.get("REPEATS", "5"))

TRAIN = """\
# generated training config {i}
# 总batch_size = train_batch_size * gpu_num * gradient_accumulation_steps
output_dir:
  exp_dir: "./experiments/run_{i}"
  log_dir: ${{.exp_dir}}/log
  checkpoints: ${{.exp_dir}}/checkpoints
  track_init: True
model:
  pretrained_model_path: "./checkpoints/sd1.5"
  pretrained_unet_path: "./checkpoints/motion/unet_{i}/"
  cross_attention_dim: 768
  trainable_modules: ["temp_convs", "temp_attentions", "transformer_in"]
  referencenet_params:
    pretrained_model_path: ${{..pretrained_unet_path}}/referencenet.bin
    is_train: True
  ip_adapter_params:
    cross_attention_dim: ${{..cross_attention_dim}}
    clip_embeddings_dim: 1024
train:
  train_batch_size: {bs} # 单卡
  checkpointing_steps: 500
  # 按{gpus}卡估计，实际使用了16卡*2accumulation*7单卡batch_size = 224 batch_size
  gradient_accumulation_steps: {ga}
  learning_rate: 1e-5 # 1e-4有时候能收敛，有时候会训崩
  scale_lr: false
  lr_scheduler: "constant"
  adam_beta1: 0.9
  adam_beta2: 0.999
  adam_weight_decay: 1e-2
  max_grad_norm: 1.0
  max_train_steps: 100000
  mixed_precision: fp16
  use_8bit_adam: False
  gradient_checkpointing: True
  enable_xformers_memory_efficient_attention: True
  seed: {i}
dataset:
  dataset: '${{include:dataset.yaml}}'
  vae_emb_key: "vae_w=${{.dataset.width}}_h=${{.dataset.height}}_emb"
  n_sample_frames: 12
  sample_frame_rate: 4
  shuffle: true
  prob_uncond: 0.1
diffusion:
  num_inference_steps: 10
  guidance_scale: 7.5
validation_data:
  do_validation: True
  validation_steps: "${{train.checkpointing_steps}}"
  width: "${{dataset.dataset.width}}"
  height: "${{dataset.dataset.height}}"
  n_sample_frames: "${{dataset.n_sample_frames}}"
  video_length: "${{.n_sample_frames}}"
  n_video_batch: 1
"""
DATASET = "dataset_dir: ./datasets/webvid/\nvideo_dir: ${.dataset_dir}/video\nwidth: 512\nheight: 320\n"
ACCEL = """\
compute_environment: LOCAL_MACHINE
debug: false
distributed_type: MULTI_GPU
gpu_ids: all
machine_rank: 0
main_training_function: main
mixed_precision: fp16
num_machines: 1
num_processes: {n}
rdzv_backend: static
same_network: true
use_cpu: false
"""
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"train": {"type": "object", "properties": {
        "train_batch_size": {"type": "integer", "minimum": 1},
        "gradient_accumulation_steps": {"type": "integer", "minimum": 1}}}},
}


def build() -> list[Path]:
    configs = WORK / "configs"
    if configs.exists():
        shutil.rmtree(configs)
    configs.mkdir(parents=True)
    rng = random.Random(7)
    files = []
    for i in range(N):
        d = configs / f"exp{i // 50:02d}"
        d.mkdir(exist_ok=True)
        (d / "dataset.yaml").write_text(DATASET, encoding="utf-8")
        if i % 10 == 9:
            path = d / f"accelerate_{i:04d}.yaml"
            path.write_text(ACCEL.format(n=rng.choice([1, 2, 4, 8, 16])), encoding="utf-8")
        else:
            path = d / f"train_{i:04d}.yaml"
            text = TRAIN.format(i=i, bs=rng.choice([1, 2, 4, 7]), ga=rng.choice([1, 2, 4, 8]), gpus=rng.choice([8, 16]))
            path.write_text(text, encoding="utf-8")
        files.append(path)
    (WORK / "schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    return files


def install() -> Path:
    env = WORK / "venv"
    bin_dir = env / "bin"
    if not (bin_dir / "yamllint").exists() or not (bin_dir / "check-jsonschema").exists():
        print("installing yamllint and check-jsonschema into", env, file=sys.stderr)
        venv.create(env, with_pip=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", "yamllint", "check-jsonschema"], check=True)
    print("installing batchlint from", REPO, file=sys.stderr)
    subprocess.run([str(bin_dir / "pip"), "install", "-q", "--force-reinstall", "--no-deps", str(REPO)], check=True)
    subprocess.run([str(bin_dir / "pip"), "install", "-q", str(REPO)], check=True)  # its dependencies, once
    return bin_dir


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=WORK, env=ENV)
    return time.perf_counter() - start


def medians(commands: dict[str, list[str]]) -> dict[str, float]:
    for cmd in commands.values():
        timed(cmd)  # warm-up: page cache, .pyc
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(REPEATS):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd))
    return {name: statistics.median(xs) * 1000 for name, xs in samples.items()}


ENV = dict(os.environ, NO_COLOR="1", XDG_CONFIG_HOME=str(WORK / "xdg"), XDG_CACHE_HOME=str(WORK / "cache"))


def main() -> None:
    WORK.mkdir(exist_ok=True)
    files = build()
    rel = [str(f.relative_to(WORK)) for f in files]
    one = rel[0]
    bin_dir = install()
    commands = {
        "batchlint": [str(bin_dir / "batchlint"), "check", "--format", "concise", "--exit-zero", "--no-cache"],
        "yamllint": [str(bin_dir / "yamllint"), "-f", "parsable"],
        "check-jsonschema": [str(bin_dir / "check-jsonschema"), "--schemafile", "schema.json"],
    }
    one_file = medians({name: cmd + [one] for name, cmd in commands.items()})
    all_files = medians({name: cmd + rel for name, cmd in commands.items()})
    results = {name: {"one": one_file[name], "all": all_files[name]} for name in commands}
    floor = medians({"pass": [str(bin_dir / "python"), "-c", "pass"]})["pass"]
    plan_cmd = [str(bin_dir / "batchlint"), "plan", "--num-processes", "16", "--target-total", "224",
                "--gpu", "A100-80GB", "--memory-preset", "musev_referencenet"]
    plan_ms = medians({"plan": plan_cmd})["plan"]
    accel = next(r for r in rel if "accelerate_" in r)
    accel_ms = medians({"accel": commands["batchlint"] + [accel]})["accel"]
    # The result cache: every cold run starts from an empty cache directory; warm runs reuse it.
    cache = WORK / "cache"
    cached_cmd = [str(bin_dir / "batchlint"), "check", "--format", "concise", "--exit-zero"] + rel
    ENV["BATCHLINT_CACHE_DIR"] = str(cache)
    cold_runs = []
    for _ in range(REPEATS):
        shutil.rmtree(cache, ignore_errors=True)
        cold_runs.append(timed(cached_cmd))
    cold_ms = statistics.median(cold_runs) * 1000
    warm_ms = medians({"warm": cached_cmd})["warm"]
    print(f"\n{N} files ({sum(f.stat().st_size for f in files) / 1e6:.1f} MB), median of {REPEATS} fresh processes; "
          f"python -c pass = {floor:.0f} ms\n")
    print(f"{'tool':<18}{'one file (ms)':>15}{'all files (ms)':>16}")
    for name, r in results.items():
        print(f"{name:<18}{r['one']:>15.0f}{r['all']:>16.0f}")
    print(f"{'batchlint plan':<18}{plan_ms:>15.0f}{'':>16}   (16 processes, target 224, A100-80GB, MuseV preset)")
    print(f"{'batchlint (accel)':<18}{accel_ms:>15.0f}{'':>16}   (one accelerate config)")
    print(f"{'cache cold / warm':<18}{'':>15}{cold_ms:>8.0f} / {warm_ms:.0f}   (all files; warm = {warm_ms / cold_ms:.2f} of cold, goal <= 0.30)")
    print("\nbatchlint's time as a fraction of each peer's (goal: one file <= 0.5, all files <= 0.1)")
    b = results["batchlint"]
    for name in ("yamllint", "check-jsonschema"):
        r = results[name]
        print(f"  vs {name:<16} one file {b['one'] / r['one']:.2f}   all files {b['all'] / r['all']:.2f}")


if __name__ == "__main__":
    main()

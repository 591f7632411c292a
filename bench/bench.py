"""Start-up and throughput of batchlint against yamllint and check-jsonschema, same run, same files.

Builds trees of realistic files — MuseV-style training configs (includes, interpolations, Chinese
comments), accelerate configs, launch scripts that pair them (so pairing is exercised), and the
non-training YAML/JSON a repository keeps next to them (CI workflows, Kubernetes manifests, dataset
lists, editor settings) — installs the peers and this checkout of batchlint (a regular install, not
an editable one, whose import hook alone costs ~30 ms) into a private venv, and times every command as
a fresh process: one warm-up, then REPEATS runs, median reported, peak RSS from the kernel. The runs of
the three tools are interleaved so that machine noise hits them alike.

    python bench/bench.py                       # one file, 500 files, 5,000 files, a monorepo, the scaling curve
    CASES=one,500 REPEATS=3 python bench/bench.py

Prints each median and batchlint's time as a fraction of each peer's (lower is better); the goals are
those of the throughput issue: one file <= 0.5 of yamllint, 500 and 5,000 files <= 0.1, per-file cost
at 5,000 within 20 % of 500, peak RSS at 5,000 under 100 MiB, warm cache <= 0.3 of cold.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Outside the repository: batchlint must not find this repository's own pyproject.toml.
WORK = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "batchlint-bench"))
REPEATS = int(os.environ.get("REPEATS", "5"))
CASES = os.environ.get("CASES", "one,500,5000,monorepo,curve,cache").split(",")

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
    "properties": {
        "train": {
            "type": "object",
            "properties": {"train_batch_size": {"type": "integer", "minimum": 1}, "gradient_accumulation_steps": {"type": "integer", "minimum": 1}},
        }
    },
}


NON_TRAINING = [
    (
        "ci_{i}.yaml",
        "name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: pytest -q\n",
    ),
    (
        "deploy_{i}.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\nspec:\n  replicas: 3\n"
        "  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.{i}\n",
    ),
    ("data_{i}.yaml", "# dataset list\nsources:\n" + "".join(f"  - path: s3://bucket/shard-{{i}}-{k}.tar\n    weight: 0.{k}\n" for k in range(20))),
    ("settings_{i}.json", '{{"editor.tabSize": 2, "files.exclude": {{"**/.git": true}}, "python.analysis.typeCheckingMode": "basic"}}\n'),
]
SCRIPT = """#!/bin/bash
export CUDA_VISIBLE_DEVICES=0,1,2,3
accelerate launch --config_file {accel} --num_processes {n} train.py --config {config}
"""


def build(root: Path, n: int, non_training_share: float) -> list[Path]:
    """`n` files under `root`: training configs with their accelerate configs and launch scripts,
    and `non_training_share` of files a repository keeps next to them."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = random.Random(7)
    files: list[Path] = []
    accel: Path | None = None
    for i in range(n):
        d = root / f"exp{i // 50:03d}"
        if not d.exists():
            d.mkdir()
            (d / "dataset.yaml").write_text(DATASET, encoding="utf-8")
            accel = d / "accelerate.yaml"
            accel.write_text(ACCEL.format(n=rng.choice([1, 2, 4, 8, 16])), encoding="utf-8")
            files.append(accel)
        if rng.random() < non_training_share:
            name, text = NON_TRAINING[i % len(NON_TRAINING)]
            path = d / name.format(i=i)
            path.write_text(text.format(i=i), encoding="utf-8")
        else:
            path = d / f"train_{i:05d}.yaml"
            path.write_text(TRAIN.format(i=i, bs=rng.choice([1, 2, 4, 7]), ga=rng.choice([1, 2, 4, 8]), gpus=rng.choice([8, 16])), encoding="utf-8")
            if i % 5 == 0 and accel is not None:  # a launch script pairs every fifth config
                (d / f"train_{i:05d}.sh").write_text(SCRIPT.format(accel=accel.name, n=rng.choice([4, 8]), config=path.name), encoding="utf-8")
        files.append(path)
    (WORK / "schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    return files[:n]


# Byte-compiled modules as a user has them (pip compiles at install); an environment that forbids
# writing them (PYTHONDONTWRITEBYTECODE) would time every tool's compiler instead.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.update(NO_COLOR="1", XDG_CONFIG_HOME=str(WORK / "xdg"), XDG_CACHE_HOME=str(WORK / "cache"))


def install() -> Path:
    env = WORK / "venv"
    bin_dir = env / "bin"
    if not (bin_dir / "yamllint").exists() or not (bin_dir / "check-jsonschema").exists():
        print("installing yamllint and check-jsonschema into", env, file=sys.stderr)
        venv.create(env, with_pip=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", "yamllint", "check-jsonschema"], check=True, env=ENV)
    print("installing batchlint from", REPO, file=sys.stderr)
    subprocess.run([str(bin_dir / "pip"), "install", "-q", "--force-reinstall", "--no-deps", str(REPO)], check=True, env=ENV)
    subprocess.run([str(bin_dir / "pip"), "install", "-q", str(REPO)], check=True, env=ENV)  # its dependencies, once
    # Every tool's modules compiled once, as an installed package's are.
    subprocess.run([str(bin_dir / "python"), "-m", "compileall", "-q", str(env / "lib")], check=False, env=ENV)
    return bin_dir


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=ENV)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def medians(commands: dict[str, list[str]], cwd: Path) -> dict[str, tuple[float, float]]:
    """name -> (median ms, peak RSS MiB), runs interleaved."""
    for cmd in commands.values():
        timed(cmd, cwd)  # warm-up: page cache, .pyc
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(REPEATS):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd, cwd))
    return {name: (statistics.median(t for t, _ in xs) * 1000, max(r for _, r in xs)) for name, xs in samples.items()}


def tools(bin_dir: Path) -> dict[str, list[str]]:
    return {
        "batchlint": [str(bin_dir / "batchlint"), "check", "--format", "concise", "--exit-zero", "--no-cache"],
        "yamllint": [str(bin_dir / "yamllint"), "-f", "parsable"],
        "check-jsonschema": [str(bin_dir / "check-jsonschema"), "--schemafile", str(WORK / "schema.json")],
    }


def compare(label: str, root: Path, files: list[Path], bin_dir: Path) -> dict[str, tuple[float, float]]:
    rel = [str(f.relative_to(root)) for f in files]
    results = medians({name: cmd + rel for name, cmd in tools(bin_dir).items()}, root)
    b = results["batchlint"][0]
    print(f"\n{label}: {len(files)} files")
    for name, (ms, rss) in results.items():
        print(f"  {name:<18}{ms:>10.0f} ms  {ms / len(files):>7.2f} ms/file  peak {rss:>6.0f} MiB")
    for name in ("yamllint", "check-jsonschema"):
        print(f"  batchlint / {name:<16} {b / results[name][0]:.3f}")
    return results


def main() -> None:
    WORK.mkdir(exist_ok=True)
    bin_dir = install()
    floor = medians({"pass": [str(bin_dir / "python"), "-c", "pass"]}, WORK)["pass"][0]
    print(f"median of {REPEATS} fresh processes; python -c pass = {floor:.0f} ms")
    per_file: dict[int, float] = {}
    if "one" in CASES or "500" in CASES:
        files = build(WORK / "t500", 500, 0.3)
        if "one" in CASES:
            train = next(f for f in files if f.name.startswith("train_"))
            compare("one MuseV file, cold", WORK / "t500", [train], bin_dir)
        if "500" in CASES:
            r = compare("500 files (training, launch, non-training)", WORK / "t500", files, bin_dir)
            per_file[500] = r["batchlint"][0] / 500
    if "5000" in CASES:
        files = build(WORK / "t5000", 5000, 0.3)
        r = compare("5,000 files", WORK / "t5000", files, bin_dir)
        per_file[5000] = r["batchlint"][0] / 5000
    if "monorepo" in CASES:
        files = build(WORK / "mono", 2545, 0.9)
        compare("a 2,545-file monorepo (90 % non-training YAML/JSON)", WORK / "mono", files, bin_dir)
    if "curve" in CASES:
        print("\nscaling curve (batchlint alone): files -> ms per file")
        for n in (1, 10, 100, 1000, 5000):
            root = WORK / f"curve{n}"
            files = build(root, n, 0.3)
            rel = [str(f.relative_to(root)) for f in files]
            ms, rss = medians({"b": tools(bin_dir)["batchlint"] + rel}, root)["b"]
            print(f"  {n:>6} files  {ms:>9.0f} ms  {ms / n:>7.2f} ms/file  peak {rss:>5.0f} MiB")
    if 500 in per_file and 5000 in per_file:
        print(f"\nper-file cost at 5,000 / at 500: {per_file[5000] / per_file[500]:.3f} (goal <= 1.20)")
    if "cache" in CASES:
        files = build(WORK / "t500", 500, 0.3)
        root = WORK / "t500"
        rel = [str(f.relative_to(root)) for f in files]
        cache = WORK / "cache"
        cached_cmd = [str(bin_dir / "batchlint"), "check", "--format", "concise", "--exit-zero"] + rel
        ENV["BATCHLINT_CACHE_DIR"] = str(cache)
        cold = []
        for _ in range(REPEATS):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(cached_cmd, root)[0])
        cold_ms = statistics.median(cold) * 1000
        warm_ms = medians({"warm": cached_cmd}, root)["warm"][0]
        print(f"\ncache on 500 files: cold {cold_ms:.0f} ms, warm {warm_ms:.0f} ms = {warm_ms / cold_ms:.3f} of cold (goal <= 0.30)")
    plan_cmd = [
        str(bin_dir / "batchlint"),
        "plan",
        "--num-processes",
        "16",
        "--target-total",
        "224",
        "--gpu",
        "A100-80GB",
        "--memory-preset",
        "musev_referencenet",
    ]
    print(f"batchlint plan: {medians({'plan': plan_cmd}, WORK)['plan'][0]:.0f} ms")


if __name__ == "__main__":
    main()

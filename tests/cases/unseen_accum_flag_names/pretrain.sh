#!/usr/bin/env bash
# MAE-style script: the accumulation flag is --accum_iter
python -m torch.distributed.run --nproc_per_node=2 main_pretrain.py \
  --batch_size 16 \
  --accum_iter 4 \
  --blr 1.5e-4 --epochs 400

#!/usr/bin/env bash
# a trainer with its own spelling
torchrun --nproc_per_node 4 train.py \
  --batch-size 1 \
  --accumulate-every-n 8 \
  --learning-rate 1e-5

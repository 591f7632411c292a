#!/bin/bash
# a launch line that never sets the accumulation (the script's default 1 applies)
accelerate launch --num_processes 8 train.py \
  --train_batch_size 1 \
  --learning_rate 1e-5

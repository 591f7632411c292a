#!/bin/bash
# tested on A100 GPUs and H100s
# written for 2 24GB L40 GPUs (the first run took ~2 hours w/ 8 80GB H100s)

deepspeed train/finetune.py \
    --deepspeed ./configs/zero2.json \
    --per_device_train_batch_size 8 \
    --gradient_accumulation_steps 2 \
    --learning_rate 1e-4

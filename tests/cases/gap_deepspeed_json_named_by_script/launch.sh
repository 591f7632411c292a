#!/bin/bash
# fine-tune on one node
torchrun --nproc_per_node 8 finetune.py \
    --model_name_or_path base-model \
    --per_device_train_batch_size 4 \
    --deepspeed ds_zero2.json \
    --output_dir out

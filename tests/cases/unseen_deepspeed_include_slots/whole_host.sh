#!/bin/bash
# every GPU of node1: the count is the machine's
deepspeed -i node1 sft.py \
    --deepspeed ds_zero2.json \
    --per_device_train_batch_size 4 \
    --gradient_accumulation_steps 2

#!/bin/bash
# SFT on two GPUs of each of two hosts listed in the hostfile
deepspeed --hostfile hostfile --include "localhost:0,2@node1:0,1" --master_port 29600 sft.py \
    --deepspeed ds_zero2.json \
    --per_device_train_batch_size 4 \
    --gradient_accumulation_steps 2 \
    --learning_rate 2e-5

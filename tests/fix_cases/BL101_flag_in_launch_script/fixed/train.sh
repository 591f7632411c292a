#!/bin/bash
# 8 GPUs x 16 per device x 2 accumulation = 256
accelerate launch --num_processes 8 train.py \
	--train_batch_size="16" \
	--gradient_accumulation_steps 2 \
	--mixed_precision bf16

#!/bin/bash
NCCL_P2P_DISABLE=1 deepspeed --num_gpus=8 train.py --deepspeed --config configs/wan_lora.toml

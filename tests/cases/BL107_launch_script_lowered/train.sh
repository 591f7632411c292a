#!/bin/bash
# the launch: 16 GPUs
accelerate launch --config_file accelerate.yaml --num_processes 8 train.py --config musev_train.yaml

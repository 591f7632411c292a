#!/bin/bash
# the launch: 16 GPUs
accelerate launch --config_file accelerate.yaml --num_processes 16 train.py --config musev_train.yaml

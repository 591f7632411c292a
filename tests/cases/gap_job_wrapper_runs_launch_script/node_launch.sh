#!/usr/bin/env bash
HEAD_IP=$1
shift
NODES=$1
RUN=$2
torchrun --nnodes ${NODES} --nproc_per_node 8 --rdzv_endpoint=$HEAD_IP:29500 \
  train.py --config configs/sft.yaml --run_name "$RUN"

#!/bin/bash
export CUDA_VISIBLE_DEVICES=0,1,2,3
accelerate launch train.py --config ac033_stage.yaml

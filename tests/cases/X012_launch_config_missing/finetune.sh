#! /bin/bash
run_cmd="torchrun --standalone --nproc_per_node=8 train_video.py --base configs/model.yaml configs/sft_s2.yaml --seed $RANDOM"
eval ${run_cmd}

#! /bin/bash
cmd="torchrun --standalone --nproc_per_node=4 tools/train_video.py --base configs/backbone.yaml configs/stage1.yaml --seed 42"
eval ${cmd}

#! /bin/bash
torchrun --standalone --nproc_per_node=2 tools/train_video.py --base conf/backbone.yaml sat/conf/stage2.yaml

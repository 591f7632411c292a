#!/bin/bash
# text-to-video sampling with the released checkpoint
CUDA_VISIBLE_DEVICES=0 python scripts/sample_video.py \
    --config configs/sample_512.yaml \
    --batch_size 4 \
    --num_sampling_steps 50 \
    --cfg_scale 7.0 \
    --save_dir samples/

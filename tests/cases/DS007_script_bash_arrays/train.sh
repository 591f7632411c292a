#!/usr/bin/env bash
MODEL_ARGS=(
    --model_path "some/video-model"
)
TRAIN_ARGS=(
    --train_epochs 10 # number of training epochs

    ######## keep consistent with the deepspeed config file ########
    --batch_size 2
    --gradient_accumulation_steps 8
    --mixed_precision "bf16"
)
accelerate launch --config_file acc.yaml train.py \
    "${MODEL_ARGS[@]}" \
    "${TRAIN_ARGS[@]}"

accelerate launch --num_processes 2 train_depth.py \
  --dataset_name depth-maps \
  --mixed_precision bf16 \
  --gradient_checkpointing

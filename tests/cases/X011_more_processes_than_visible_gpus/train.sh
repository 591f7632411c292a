CUDA_VISIBLE_DEVICES=2,3 accelerate launch --num_processes 3 --multi_gpu train.py \
  --train_batch_size 4 --gradient_accumulation_steps 2

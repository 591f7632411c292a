export CUDA_VISIBLE_DEVICES=4,5
deepspeed --num_gpus 2 train.py \
  --per_device_train_batch_size 4 --gradient_accumulation_steps 2

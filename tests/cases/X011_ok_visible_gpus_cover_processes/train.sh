export CUDA_VISIBLE_DEVICES=0,1,2,3
torchrun --nproc_per_node 4 train.py \
  --train_batch_size 4 --gradient_accumulation_steps 2

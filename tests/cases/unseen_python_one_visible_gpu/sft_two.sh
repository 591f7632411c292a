CUDA_VISIBLE_DEVICES=0,1 python scripts/sft_trainer.py \
  --train_batch_size 4 \
  --accumulation_steps 8 \
  --num_epochs 2

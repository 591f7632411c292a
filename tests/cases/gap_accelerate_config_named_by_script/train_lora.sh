accelerate launch --config_file multi_gpu.yaml train_lora.py \
  --resolution=512 \
  --train_batch_size=6 \
  --gradient_accumulation_steps=2 \
  --learning_rate=1e-4

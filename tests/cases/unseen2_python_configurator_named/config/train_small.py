# nanoGPT-style configurator: train.py exec()s this file and divides the accumulation over the ranks
# launch: torchrun --standalone --nproc_per_node=2 train.py config/train_small.py
# 8 batch size * 512 block size * 4 gradaccum * 2 GPUs = 32,768

out_dir = "out-small"
batch_size = 8
block_size = 512
gradient_accumulation_steps = 8

learning_rate = 6e-4
max_iters = 5000
weight_decay = 1e-1

# trains, then evaluates every epoch
torchrun --nproc_per_node 2 train_eval.py \
    --batch_size 32 \
    --lr 3e-4 \
    --epochs 10

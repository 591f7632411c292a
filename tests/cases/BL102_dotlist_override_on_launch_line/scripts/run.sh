config_file=configs/train.yaml
CUDA_VISIBLE_DEVICES=0,1,2,3 torchrun --nproc_per_node=4 --nnodes=1 \
  main/trainer.py --base $config_file --train --devices 4 \
  lightning.trainer.num_nodes=1 ++lightning.trainer.accumulate_grad_batches=4

import argparse


def parse_args():
    parser = argparse.ArgumentParser(description="depth-conditioned fine-tuning")
    parser.add_argument("--dataset_name", type=str, default=None)
    parser.add_argument("--eval_batch_size", type=int, default=16)
    parser.add_argument("--train_batch_size", type=int, default=6, help="Batch size (per device) for the training dataloader.")
    parser.add_argument("--gradient_accumulation_steps", type=int, default=2)
    parser.add_argument("--mixed_precision", type=str, default="no")
    parser.add_argument("--gradient_checkpointing", action="store_true")
    return parser.parse_args()

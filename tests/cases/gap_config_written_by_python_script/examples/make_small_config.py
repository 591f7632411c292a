"""Writes make_small_config.yaml next to this file."""

from nanotron.config import Config, ParallelismArgs, TokensArgs

parallelism = ParallelismArgs(dp=2, pp=1, tp=2, pp_engine="1f1b")
tokens = TokensArgs(sequence_length=512, train_steps=100, micro_batch_size=3, batch_accumulation_per_replica=4)
config = Config(parallelism=parallelism, tokens=tokens)
config.save_as_yaml("make_small_config.yaml")

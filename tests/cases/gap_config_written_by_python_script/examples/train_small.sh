#!/bin/bash
set -e
HERE=$(cd -- "$(dirname "$0")" >/dev/null 2>&1 ; pwd -P)
python $HERE/make_small_config.py

torchrun --nproc_per_node 4 run_train.py --config-file $HERE/make_small_config.yaml

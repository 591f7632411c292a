accelerate launch --config_file acc.yaml --num_processes 4 train.py --config x011_stage.yaml

accelerate launch --config_file acc.yaml --use_deepspeed train.py --config x010_stage.yaml

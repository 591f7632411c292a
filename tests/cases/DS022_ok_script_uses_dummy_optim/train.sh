accelerate launch --config_file acc.yaml train.py --config ds022_stage.yaml

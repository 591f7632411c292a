accelerate launch --config_file acc.yaml --mixed_precision fp8 --fp8_backend te train.py --config ac021_stage.yaml

python -m tools.extract_features \
    --backbone resnet50 \
    --batch-size 2048 \
    --num_workers 16 \
    --out feats/

"""batchlint: lint and fix the effective batch of deep-learning training configs."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/batchlint/batchlint"

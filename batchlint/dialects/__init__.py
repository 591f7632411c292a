"""Dialects: which file shape is this, and where do its batch numbers live.

`base` defines a dialect (a declaration), one module per trainer family declares its own, and
`registry` lists them in detection order. A file that matches no dialect is not a training or
launch config and gets no findings at all: pre-commit hands batchlint every YAML file.
"""

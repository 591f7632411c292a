"""Memory: how much a card needs for a per-device batch, and why the main card needs more.

`gpus` holds card capacities, `profile` the model's memory profile (measured points, declared
numbers, parameter counts or a preset), `model` turns both and a run into per-card estimates.
Specs: memory-model.md §0, §3, §5, §6, §7.
"""

# The three cases of an estimate (memory-model.md §5), here so that `plan` and the memory rules name them
# without importing `model` (a run without a GPU declared never builds one).
CENTRAL, OPTIMISTIC, CONSERVATIVE = "central", "optimistic", "conservative"

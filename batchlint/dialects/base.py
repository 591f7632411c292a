"""What a dialect is: a declaration of one trainer's config shape.

A dialect names how to recognise a file (`detect`), where its batch numbers live (`keys`: fact ->
candidate key paths, first present wins), what applies when a key is absent (`defaults`), how its
values are read (`semantics`), and optionally a `derive` hook for arithmetic that is not a lookup
(axolotl's `batch_size // micro_batch_size`, Composer's global batch over the processes). Adding a
trainer is adding a declaration and fixtures, not a branch in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from batchlint.loading.nodes import Mapping as MappingNode
from batchlint.loading.nodes import Node
from batchlint.model import DialectKind, Fact, FactName, Semantics

# The facts of a run while it is being derived: a hook reads and adds to them.
FactDict = dict[FactName, Fact[object]]
DeriveHook = Callable[[FactDict], None]


@dataclass(frozen=True)
class Dialect:
    name: str
    kind: DialectKind
    semantics: Semantics  # how values are read
    keys: Mapping[FactName, tuple[str, ...]]  # fact -> candidate key paths, first present wins
    detect: Callable[[Node | None], bool]
    defaults: Mapping[FactName, object] = field(default_factory=dict)  # fact -> value when the key is absent
    preset_target: int | None = None  # the family's own stated total batch, if any
    preset_source: str = ""
    preset_applies: Callable[[Node | None], bool] | None = None  # the preset speaks for this file (default: always)
    derive: DeriveHook | None = None  # arithmetic the key map cannot express
    description: str = ""

    @property
    def is_training(self) -> bool:
        return self.kind == DialectKind.TRAINING


def has_path(root: Node | None, dotted: str) -> bool:
    node = root
    for part in dotted.split("."):
        if not isinstance(node, MappingNode):
            return False
        node = node.get(part)
        if node is None:
            return False
    return True

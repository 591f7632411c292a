"""BL007: the file against its JSON Schema (`schemas/`), each error at the offending value."""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.loading.nodes import Mapping, Node, Scalar, Sequence
from batchlint.rules.base import Diagnostic, FileContext, Rule, file_start
from batchlint.run import Run

# Paths whose problems a dedicated rule reports with a better message.
_COVERED: dict[str, set[tuple[str, ...]]] = {
    "accelerate": {("distributed_type",), ("mixed_precision",), ("gpu_ids",)},
    "deepspeed": {("train_batch_size",), ("train_micro_batch_size_per_gpu",), ("gradient_accumulation_steps",)},
    "musev": {("train", "train_batch_size"), ("train", "gradient_accumulation_steps")},
    "animateanyone": {("data", "train_bs"), ("solver", "gradient_accumulation_steps")},
}


def instance_of(run: Run) -> object:
    """The file as its consumer reads it; OmegaConf interpolations resolved where they resolve."""
    from batchlint.resolve import scalar_value

    doc = run.documents[0]
    tree = run.tree
    # One Python object per node: aliases stay shared (an alias bomb stays small, a recursive alias
    # becomes a cycle), and validation only descends as deep as the schema does.
    memo: dict[int, object] = {}

    def walk(node: Node | None, path: tuple[str | int, ...], depth: int) -> object:
        if node is None or depth > 100:
            return None
        if id(node) in memo:
            return memo[id(node)]
        if isinstance(node, Mapping):
            out: dict[str, object] = {}
            memo[id(node)] = out
            for k in node.keys():
                out[k] = walk(node.get(k), (*path, k), depth + 1)
            return out
        if isinstance(node, Sequence):
            items: list[object] = []
            memo[id(node)] = items
            items.extend(walk(item, (*path, i), depth + 1) for i, item in enumerate(node.items))
            return items
        assert isinstance(node, Scalar)
        value = scalar_value(node, run.dialect.semantics)
        if tree is not None and isinstance(value, str) and "${" in value and run.dialect.semantics == "omegaconf":
            res = tree.resolve(path)
            if res.problem is None:
                return walk(res.container, path, depth + 1) if res.container is not None else res.value
        return value

    return walk(doc.root, (), 0)


class SchemaViolation(Rule):
    """A value breaks the file's JSON Schema (`schemas/<dialect>.schema.json`).

    Types, ranges and allowed values that no more specific rule reports — `num_processes: "8"`,
    `zero_optimization.stage: 4`, `solver.gradient_checkpointing: "yes"`. The schemas are also
    meant for editors: `# yaml-language-server: $schema=...` at the top of a YAML file (README).
    Problems a dedicated rule explains better (the batch values, `distributed_type`, unknown keys)
    are left to that rule.
    """

    code, name, severity = "BL007", "schema-violation", "warning"
    summary = "a value breaks the file's JSON Schema"

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        from batchlint.schema_check import SCHEMA_FOR_DIALECT, key_span, load_schema, node_at, violations

        run = ctx.run
        if run is None or run.dialect.name not in SCHEMA_FOR_DIALECT or ctx.doc is None or ctx.doc is not run.documents[0]:
            return
        covered = _COVERED.get(run.dialect.name, set())
        root = ctx.doc.root
        for v in violations(load_schema(SCHEMA_FOR_DIALECT[run.dialect.name]), instance_of(run)):
            if v.keyword in ("additionalProperties", "required") or any(v.path[: len(c)] == c for c in covered):
                continue
            node = node_at(root, v.path)
            span = node.span if node is not None else key_span(root, v.path) or file_start(ctx.path)
            dotted = ".".join(str(p) for p in v.path) or "(top level)"
            yield self.report(f"`{dotted}`: {v.message} ({run.dialect.name} schema)", span,
                              f"see schemas/{SCHEMA_FOR_DIALECT[run.dialect.name]}.schema.json")

"""Kubernetes training jobs (Kubeflow `PyTorchJob`, batch `Job`): the launch line is the container's
`command` + `args` (a list of words, or a `bash -c "torchrun ..."` string), read like a line of a
launch script, each word at its place in the YAML. A PyTorchJob starts `Worker.replicas` pods (plus
a Master, when it has one); torchrun without `--nnodes` gets that count from the operator."""

from __future__ import annotations

from batchlint.launch import Launch, parse_launch
from batchlint.loading.keypath import node_at
from batchlint.loading.nodes import Document, Mapping, Node, Scalar, Sequence
from batchlint.loading.shell import Command, Script, Word

_JOB_KINDS = ("PyTorchJob", "Job", "TrainJob", "JobSet")


def _containers(node: Node | None, depth: int = 0) -> list[Mapping]:
    """Every container spec under a node (`containers:` lists, any depth)."""
    if depth > 12:
        return []
    out: list[Mapping] = []
    if isinstance(node, Mapping):
        for key, value in node.items:
            if isinstance(key, Scalar) and key.value == "containers" and isinstance(value, Sequence):
                out.extend(c for c in value.items if isinstance(c, Mapping))
            else:
                out.extend(_containers(value, depth + 1))
    elif isinstance(node, Sequence):
        for item in node.items:
            out.extend(_containers(item, depth + 1))
    return out


def _word(item: Scalar) -> Word:
    quoted = item.style in ("'", '"')
    start, end = (item.span.start + 1, item.span.end - 1) if quoted else (item.span.start, item.span.end)
    return Word(str(item.value), start, end, "$" in str(item.value), quoted)


def replicas(root: Node | None) -> int | None:
    """Pods a PyTorchJob starts: Worker replicas, plus the Master's when it declares one."""
    total = 0
    for role in ("Master", "Worker"):
        node = node_at(root, f"spec.pytorchReplicaSpecs.{role}.replicas")
        if isinstance(node, Scalar) and isinstance(node.value, int) and not isinstance(node.value, bool):
            total += node.value
        elif node is not None:
            return None  # a placeholder ($NUM_NODES): filled in before `kubectl apply`
    return total or None


def job_launches(doc: Document, script_path: str) -> list[Launch]:
    """The launch lines of a Kubernetes training job's containers."""
    kind = node_at(doc.root, "kind")
    if not (isinstance(kind, Scalar) and kind.value in _JOB_KINDS):
        return []
    script = Script(doc.text)
    out: list[Launch] = []
    for container in _containers(doc.root.get("spec") if isinstance(doc.root, Mapping) else None):
        words: list[Word] = []
        for field in ("command", "args"):
            items = container.get(field)
            if isinstance(items, Sequence):
                words.extend(_word(item) for item in items.items if isinstance(item, Scalar) and item.value is not None)
            elif isinstance(items, Scalar) and isinstance(items.value, str):
                words.append(_word(items))
        if not words:
            continue
        launch = parse_launch(script_path, script, Command(words, {}, words[0].start and doc.text.count("\n", 0, words[0].start) + 1))
        if launch is not None:
            out.append(launch)
    return out

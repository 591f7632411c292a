"""Detect: which dialect a loaded document is, by its content, never by its file name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from batchlint.dialects.base import Dialect, SignatureMatch
from batchlint.dialects.registry import candidates
from batchlint.loading.nodes import Document
from batchlint.loading.nodes import Mapping as MappingNode


def detect_match(doc: Document, user_dialects: Iterable[Mapping[str, object]] = ()) -> tuple[Dialect, SignatureMatch] | None:
    """The first dialect whose signature the document matches, and why; None for any other file."""
    if not isinstance(doc.root, MappingNode):
        return None
    for dialect in candidates(user_dialects):
        if dialect.formats is not None and doc.format not in dialect.formats:
            continue
        found = dialect.match(doc.root)
        if found is not None:
            return dialect, found
    return None


def detect(doc: Document, user_dialects: Iterable[Mapping[str, object]] = ()) -> Dialect | None:
    """The first dialect whose signature the document matches; None for any other file."""
    hit = detect_match(doc, user_dialects)
    return hit[0] if hit is not None else None


def why_not(doc: Document, user_dialects: Iterable[Mapping[str, object]] = ()) -> str:
    """Why no dialect claims a document, for `inspect`: the nearest signature and what it lacks."""
    from batchlint.dialects.base import present
    from batchlint.dialects.evidence import training_evidence

    if doc.format == "python-unread":
        return "Python config: not read (ast cannot parse it)"
    if not isinstance(doc.root, MappingNode):
        return "not a mapping: no training or launch config"
    optimisation, duration = training_evidence(doc.root)
    evidence = bool(optimisation and duration)
    best: tuple[float, str, list[str]] | None = None
    for dialect in candidates(user_dialects):
        sig = dialect.signature
        if sig is None:
            continue
        root = doc.root
        have = sum(1 for k in sig.must if present(root, k)) + sum(1 for g in sig.one_of if any(present(root, k) for k in g))
        if not have:
            continue
        score = have + sum(w for k, w in sig.may.items() if present(root, k)) / 10
        lacking = [k for k in sig.must if not present(root, k)]
        lacking += [" or ".join(g) for g in sig.one_of if not any(present(root, k) for k in g)]
        if dialect.needs_training_evidence and not evidence:
            lacking.append("an optimizer or learning-rate key and a steps or epochs key")
        if any(present(root, k) for k in sig.must_not):
            lacking.append("none of " + ", ".join(k for k in sig.must_not if present(root, k)))
        if best is None or score > best[0]:
            best = (score, dialect.name, lacking or [f"marker keys worth {sig.min_score:g}"])
    training = "" if evidence else "; no training evidence (an optimizer or learning rate and a steps or epochs key) for the generic reader"
    if best is None:
        return "no batch or launch keys a dialect knows" + training
    return f"no dialect claims it: nearest is {best[1]}, which needs {', '.join(best[2])}" + training

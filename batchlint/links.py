"""Links: another file a run reads that decides some of its facts (a dialect declares them with
`Link`). sd-scripts reads the batch from the `dataset_config` TOML the GUI names, over the GUI's own
`train_batch_size`; when that file is named but missing, the batch is not known."""

from __future__ import annotations

import os

from batchlint.dialects.base import Dialect, FactDict
from batchlint.loading import Document, LoadError
from batchlint.model import Fact
from batchlint.paths import find_near
from batchlint.session import Session


def follow_links(session: Session, dialect: Dialect, facts: FactDict, fs_path: str, launch_dir: str | None) -> list[Document]:
    """Replace the facts the linked files decide; the documents read."""
    from batchlint.dialects.registry import by_name
    from batchlint.extract import extract_facts
    from batchlint.resolve import ConfigTree

    docs: list[Document] = []
    for link in dialect.links:
        named = facts.get(link.via)
        reader = by_name(link.dialect)
        if named is None or reader is None or not isinstance(named.value, str) or not named.value.strip():
            continue
        found = find_near(named.value, fs_path, launch_dir)
        fence = session.fence_for(fs_path)
        outside = found is not None and not fence.allows(found)
        if found is None or outside:
            why = fence.refusal("file", named.value, found) if found is not None and outside else f"{named.value}, which is not found"
            for name in link.facts:
                old = facts.get(name)
                if old is not None:
                    facts[name] = Fact(
                        name,
                        old.value,
                        old.origin,
                        old.key,
                        old.span,
                        old.node,
                        unresolved=(f"{named.key} names {why}: it decides this value when it sets it ({old.key} {old.value!r} is only the fallback)"),
                    )
            continue
        found = os.path.normpath(found)
        try:
            doc = session.load(found)
        except LoadError:
            continue
        docs.append(doc)
        linked = extract_facts(ConfigTree(doc, found, reader.semantics, session.load), reader)
        for name in link.facts:
            fact = linked.get(name)
            if fact is not None and fact.value is not None and fact.origin.value == "file":
                facts[name] = fact
    return docs

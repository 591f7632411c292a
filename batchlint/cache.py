"""Result cache: an unchanged file costs nothing on the next run.

One entry per checked file, keyed by its absolute path, valid while every file its result depended
on (the file, its includes, the paired accelerate config, DeepSpeed JSON and launch script) has the
same content hash, the launch scripts of the project are the same set, and the settings, options
and batchlint version are the same. Entries are written atomically (temporary file + rename), so
processes running at once (pre-commit shards) never read half an entry; a damaged entry is a miss.
Location: $BATCHLINT_CACHE_DIR, else $XDG_CACHE_HOME/batchlint, else ~/.cache/batchlint.
"""

from __future__ import annotations

import json
import os

from batchlint import __version__
from batchlint.digest import digest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from batchlint.rules import Diagnostic


def cache_dir() -> str:
    root = os.environ.get("BATCHLINT_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "batchlint")
    return os.path.join(root, __version__)


def file_hash(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return digest(fh.read())
    except OSError:
        return None


def _entry_path(path: str) -> str:
    return os.path.join(cache_dir(), digest(os.path.abspath(path).encode()) + ".json")


def load(path: str, context: str) -> list[dict[str, Any]] | None:
    """The cached diagnostics of `path`, or None when absent, stale or unreadable."""
    try:
        with open(_entry_path(path), encoding="utf-8") as fh:
            entry = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("context") != context:
        return None
    for dep, expected in entry.get("deps", {}).items():
        if file_hash(dep) != expected:
            return None
    diagnostics = entry.get("diagnostics")
    return diagnostics if isinstance(diagnostics, list) else None


def store(path: str, context: str, deps: list[str], diagnostics: list[Diagnostic]) -> None:
    hashes = {}
    for dep in {os.path.abspath(d) for d in deps}:
        digest = file_hash(dep)
        if digest is None:
            return  # a dependency that cannot be read: do not cache
        hashes[dep] = digest
    entry = {"context": context, "deps": hashes, "diagnostics": [to_dict(d) for d in diagnostics]}
    import tempfile

    directory = cache_dir()
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entry, fh, ensure_ascii=False)
        os.replace(tmp, _entry_path(path))
    except OSError:
        pass  # a cache that cannot be written is only slower


def to_dict(d: Diagnostic) -> dict[str, Any]:
    span = d.span
    out: dict[str, Any] = {
        "code": d.code, "name": d.name, "severity": str(d.severity), "message": d.message, "help": d.help,
        "span": [span.file, span.line, span.column, span.end_line, span.end_column, span.start, span.end],
        "related": [[r.span.file, r.span.line, r.span.column, r.span.end_line, r.span.end_column, r.span.start, r.span.end,
                     r.label] for r in d.related],
        "fix": None,
    }
    if d.fix is not None:
        out["fix"] = {"message": d.fix.message, "applicability": str(d.fix.applicability),
                      "edits": [[e.file, e.start, e.end, e.content] for e in d.fix.edits],
                      "expect": [[x.config, x.fact, x.value] for x in d.fix.expect]}
    return out


def from_dict(data: dict[str, Any]) -> Diagnostic:
    from batchlint.fixes import Edit, Expectation, Fix
    from batchlint.loading.nodes import Span
    from batchlint.model import Applicability, Severity
    from batchlint.rules.base import Diagnostic, Related

    fix = None
    if data["fix"] is not None:
        f = data["fix"]
        fix = Fix(f["message"], Applicability(f["applicability"]), [Edit(*e) for e in f["edits"]], [Expectation(*x) for x in f["expect"]])
        fix.applicability = Applicability(f["applicability"])
    related = [Related(Span(*r[:7]), r[7]) for r in data["related"]]
    return Diagnostic(data["code"], data["name"], Severity(data["severity"]), data["message"], Span(*data["span"]), data["help"],
                      related, fix)

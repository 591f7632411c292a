"""Result cache: an unchanged file costs nothing on the next run.

One entry per checked file, keyed by its absolute path, valid while every file its result depended
on has the same content, the launch scripts of the project have the same content, and the
settings, options and batchlint version are the same. An entry never lies:

- **Keyed by what the run read.** While a cached run works, the reader (loading/files.py) notes the
  digest of every file it reads and every path where it looked for a file and found none. An entry
  records those digests, never a re-read at store time: an edit landing while batchlint runs makes
  the entry a miss next time instead of storing the old result under the new content. A file read
  twice with different content during the run is not cached at all.
- **Absent files are dependencies too.** An include, accelerate config, DeepSpeed JSON, hostfile or
  memory profile that was missing when the entry was stored is recorded as absent; creating it
  invalidates the entry.
- **Checked.** The payload carries a checksum; a damaged entry, a wrong type anywhere, an entry for
  another path, or an entry that is not a regular file (a FIFO, a device) is a miss, never a
  traceback or a wrong answer.
- **Atomic.** Entries are written to a temporary file and renamed, so processes running at once
  (pre-commit shards) never read half an entry.

Location: $BATCHLINT_CACHE_DIR, else $XDG_CACHE_HOME/batchlint, else ~/.cache/batchlint.
"""

from __future__ import annotations

import json
import os

from batchlint import __version__
from batchlint.digest import digest
from batchlint.loading import files

TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextvars import Token
    from typing import Any

    from batchlint.rules import Diagnostic

FORMAT = 2  # the entry layout: {"format", "checksum", "payload"}
_SEVERITIES = ("error", "warning", "info")
_APPLICABILITY = ("safe", "unsafe", "display-only")


def cache_dir() -> str:
    root = os.environ.get("BATCHLINT_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "batchlint")
    return os.path.join(root, __version__)


def file_hash(path: str) -> str | None:
    """Digest of the file's bytes (through the bounded reader), None when it is not a readable regular file."""
    try:
        return digest(files.read_bytes(path))
    except OSError:
        return None


def _entry_path(path: str) -> str:
    return os.path.join(cache_dir(), digest(os.path.abspath(path).encode()) + ".json")


def begin() -> Token[files.Reads | None]:
    """A cached run starts: the reader records what it reads from now on (in this context)."""
    return files.start_recording()


def end(token: Token[files.Reads | None]) -> None:
    files.stop_recording(token)


def load(path: str, context: str) -> list[dict[str, Any]] | None:
    """The cached diagnostics of `path`, or None when absent, stale, damaged or unreadable. Also
    starts collecting what the analysis of `path` reads (for `store`)."""
    try:
        return _load(path, context)
    finally:
        reads = files.current_reads()
        if reads is not None:
            reads.window.clear()


def _load(path: str, context: str) -> list[dict[str, Any]] | None:
    try:
        raw = files.read_bytes(_entry_path(path), record=False)
        entry = json.loads(raw)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None
    payload, checksum = entry.get("payload"), entry.get("checksum")
    if not isinstance(payload, str) or not isinstance(checksum, str) or digest(payload.encode("utf-8", "surrogatepass")) != checksum:
        return None
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("path") != os.path.abspath(path) or data.get("context") != context:
        return None
    deps, diagnostics = data.get("deps"), data.get("diagnostics")
    if not isinstance(deps, dict) or not isinstance(diagnostics, list) or not all(_valid(d) for d in diagnostics):
        return None
    for dep, expected in deps.items():
        if not isinstance(expected, str | None) or file_hash(dep) != expected:
            return None  # changed, or (digest None) a file now exists where the run found none
    return diagnostics


def store(path: str, context: str, deps: list[str], diagnostics: list[Diagnostic]) -> None:
    """Store the result of `path`, keyed by the digests of what its analysis read (see `load`)."""
    reads = files.current_reads()
    if reads is None:
        return  # not a recorded run: what the result used is unknown
    seen = reads.seen
    wanted = {os.path.abspath(d) for d in deps} | reads.window | {p for p, known in seen.items() if known is None}
    hashes: dict[str, str | None] = {}
    for dep in wanted:
        if dep not in seen or seen[dep] == files.CHANGED:
            return  # not read in this run, or read twice differently: what the result used is unknown
        hashes[dep] = seen[dep]
    payload = json.dumps(
        {"path": os.path.abspath(path), "context": context, "deps": hashes, "diagnostics": [to_dict(d) for d in diagnostics]},
        ensure_ascii=False,
        sort_keys=True,
    )
    entry = json.dumps({"format": FORMAT, "checksum": digest(payload.encode("utf-8", "surrogatepass")), "payload": payload}, ensure_ascii=False)
    import tempfile

    directory = cache_dir()
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as fh:
                fh.write(entry)
            os.replace(tmp, _entry_path(path))
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a cache that cannot be written is only slower


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_span(span: object) -> bool:
    return isinstance(span, list) and len(span) == 7 and isinstance(span[0], str) and all(_is_int(v) for v in span[1:])


def _valid(d: object) -> bool:
    """Whether a stored diagnostic has every field with its type (and converts back)."""
    if not isinstance(d, dict) or not all(isinstance(d.get(k), str) for k in ("code", "name", "message")):
        return False
    if d.get("severity") not in _SEVERITIES or not (d.get("help") is None or isinstance(d.get("help"), str)):
        return False
    related = d.get("related")
    if (
        not _valid_span(d.get("span"))
        or not isinstance(related, list)
        or not all(isinstance(r, list) and len(r) == 8 and _valid_span(r[:7]) and isinstance(r[7], str) for r in related)
    ):
        return False
    fix = d.get("fix")
    if fix is not None:
        if not isinstance(fix, dict) or not isinstance(fix.get("message"), str) or fix.get("applicability") not in _APPLICABILITY:
            return False
        edits, expect = fix.get("edits"), fix.get("expect")
        if not isinstance(edits, list) or not all(
            isinstance(e, list) and len(e) == 4 and isinstance(e[0], str) and _is_int(e[1]) and _is_int(e[2]) and isinstance(e[3], str) for e in edits
        ):
            return False
        if not isinstance(expect, list) or not all(isinstance(x, list) and len(x) == 3 and isinstance(x[0], str) and isinstance(x[1], str) for x in expect):
            return False
    try:
        from_dict(d)
    except (KeyError, TypeError, ValueError, IndexError):
        return False
    return True


def to_dict(d: Diagnostic) -> dict[str, Any]:
    span = d.span
    out: dict[str, Any] = {
        "code": d.code,
        "name": d.name,
        "severity": str(d.severity),
        "message": d.message,
        "help": d.help,
        "span": [span.file, span.line, span.column, span.end_line, span.end_column, span.start, span.end],
        "related": [[r.span.file, r.span.line, r.span.column, r.span.end_line, r.span.end_column, r.span.start, r.span.end, r.label] for r in d.related],
        "fix": None,
    }
    if d.fix is not None:
        out["fix"] = {
            "message": d.fix.message,
            "applicability": str(d.fix.applicability),
            "edits": [[e.file, e.start, e.end, e.content] for e in d.fix.edits],
            "expect": [[x.config, x.fact, x.value] for x in d.fix.expect],
        }
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
    return Diagnostic(data["code"], data["name"], Severity(data["severity"]), data["message"], Span(*data["span"]), data["help"], related, fix)

"""Result cache: an unchanged file costs nothing on the next run.

One entry per checked file, keyed by its absolute path, valid while every file its result depended
on has the same content, every search it made finds the same files, the launch scripts of the
project have the same content, and the settings, options and batchlint version are the same. An
entry never lies:

- **Keyed by what the run read.** While a cached run works, the reader (loading/files.py) notes the
  digest of every file it reads and every path where it looked for a file and found none. An entry
  records those digests, never a re-read at store time: an edit landing while batchlint runs makes
  the entry a miss next time instead of storing the old result under the new content. A file read
  twice with different content during the run is not cached at all.
- **Absent files and searches are dependencies too.** An include, accelerate config, DeepSpeed JSON,
  hostfile or memory profile that was missing when the entry was stored is recorded as absent;
  creating it invalidates the entry. A search (a launch line's `configs/$STAGE.yaml` as a glob, the
  config folders of a Hydra app) is recorded with what it found; a new file it would find
  invalidates the entry.
- **Checked.** The payload carries a checksum; a damaged entry, a wrong type anywhere, an entry for
  another path, or an entry that is not a regular file (a FIFO, a device) is a miss, never a
  traceback or a wrong answer.
- **Atomic.** Entries are written to a temporary file in the same directory and renamed over the
  entry, so processes running at once (pre-commit shards) never read half an entry; a temporary file
  left by a killed process is removed by the next prune.
- **Per user.** The directories are created with mode 0700; a cache directory owned by another user,
  or writable by other users, is not used (one warning line, and the run goes on without the cache).
- **Bounded.** Entries unused for `MAX_AGE` are removed, then the least recently used beyond
  `MAX_ENTRIES` entries or `MAX_BYTES` bytes (an entry's modification time is its last use: a hit
  touches it). Pruning lists the directory, so it runs at most once a day (the `.pruned` stamp) and
  after every `PRUNE_EVERY` entries one process writes, never on every run.

Location: $BATCHLINT_CACHE_DIR, else $XDG_CACHE_HOME/batchlint, else ~/.cache/batchlint; entries in a
folder per batchlint version. `batchlint clean` removes them; $BATCHLINT_NO_CACHE or `--no-cache`
turns the cache off.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from contextvars import ContextVar

from batchlint import __version__
from batchlint.digest import digest
from batchlint.loading import files

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextvars import Token
    from typing import Any

    from batchlint.rules import Diagnostic

FORMAT = 4  # the entry layout: a header line "batchlint-cache FORMAT CHECKSUM", then the payload (JSON: path, context, deps, listings, diagnostics)
_SEVERITIES = ("error", "warning", "info")
_APPLICABILITY = ("safe", "unsafe", "display-only")

MAX_ENTRIES = 5000  # entries kept over all versions (a 5,000-file repository stays cached)
MAX_BYTES = 32 * 1024 * 1024  # bytes of entries kept
MAX_AGE = 30 * 86400  # seconds an entry may go unused
PRUNE_INTERVAL = 86400  # seconds between two prunes (the stamp's age)
PRUNE_EVERY = 500  # entries one process writes between two prunes
LEFTOVER_AGE = 3600  # a temporary entry this old belongs to a killed process
STAMP = ".pruned"
TAG = "CACHEDIR.TAG"
_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by batchlint (`batchlint clean` removes the cache).\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_TMP_PREFIX = ".entry-"


def cache_root() -> str:
    """The user's cache directory (the entries are in a folder per batchlint version under it)."""
    root = os.environ.get("BATCHLINT_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "batchlint")
    return os.path.abspath(root)


def cache_dir() -> str:
    return os.path.join(cache_root(), __version__)


def disabled() -> bool:
    """$BATCHLINT_NO_CACHE set to anything but empty, 0, false, no or off."""
    return os.environ.get("BATCHLINT_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no", "off")


def unsafe(path: str) -> str | None:
    """Why the directory `path` must not hold this user's cache, or None when it may (or does not exist yet)."""
    getuid = getattr(os, "getuid", None)  # (no owners to compare on Windows)
    uid = getuid() if getuid is not None else None
    try:
        link = os.lstat(path)
        st = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return f"cannot be used ({getattr(exc, 'strerror', None) or exc})"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if uid is not None and st.st_uid != uid:
        return f"is owned by another user (uid {st.st_uid})"
    if uid is not None and link.st_uid not in (uid, 0):
        return f"is a symbolic link made by another user (uid {link.st_uid})"
    if uid is not None and st.st_mode & 0o022:  # (Windows reports every directory as 0o777)
        return f"is writable by other users (mode {stat.S_IMODE(st.st_mode):o}; `chmod go-w` it)"
    return None


def _usable(warn: bool) -> str | None:
    """The version directory of the cache when it may be used (it may not exist yet), else None."""
    root = cache_root()
    directory = os.path.join(root, __version__)
    for path in (root, directory):
        why = unsafe(path)
        if why is not None:
            if warn:
                sys.stderr.write(
                    f"batchlint: warning: cache directory {path} {why}: checking without the cache "
                    "(set BATCHLINT_CACHE_DIR to a directory of your own, or pass --no-cache)\n"
                )
            return None
    return directory


def _create(directory: str) -> bool:
    """Create the cache root (with a CACHEDIR.TAG) and the version directory, mode 0700; whether they may be used."""
    root = os.path.dirname(directory)
    for path in (root, directory):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass  # made by another process at the same moment, or another user's: checked below
        except OSError:
            return False
        else:
            if path == root:
                try:
                    with open(os.path.join(root, TAG), "x", encoding="utf-8") as fh:
                        fh.write(_TAG_TEXT)
                except OSError:
                    pass
        if unsafe(path) is not None:
            return False
    return True


class _Run:
    """One cached check: where its entries are (None: not usable), how many it wrote, and the
    dependencies it verified already (path -> digest, or None for absent), each looked at once."""

    __slots__ = ("directory", "known", "listings", "served_bytes", "stores")

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self.stores = 0
        self.known: dict[str, str | None] = {}
        self.listings: dict[str, str | None] = {}
        self.served_bytes: tuple[str, bytes] | None = None  # the last served file's bytes, as verified (see `served_bytes`)


class Recording:
    """What `begin` started, for `end`."""

    __slots__ = ("reads", "run")

    def __init__(self, reads: Token[files.Reads | None], run: Token[_Run | None]) -> None:
        self.reads = reads
        self.run = run


_runs: ContextVar[_Run | None] = ContextVar("batchlint_cache_run", default=None)


def _bytes(path: str) -> bytes | None:
    """The file's bytes (through the bounded reader), None when it is not a readable regular file."""
    try:
        return files.read_bytes(path)
    except OSError:
        return None


def _entry_name(path: str) -> str:
    return digest(os.path.abspath(path).encode()) + ".json"


def _entry_path(path: str) -> str:
    return os.path.join(cache_dir(), _entry_name(path))


def begin() -> Recording:
    """A cached run starts: the reader records what it reads from now on (in this context), and the
    cache directory is checked once (a warning when it may not be used)."""
    return Recording(files.start_recording(), _runs.set(_Run(_usable(warn=True))))


def end(recording: Recording) -> None:
    run = _runs.get()
    files.stop_recording(recording.reads)
    _runs.reset(recording.run)
    if run is not None and run.directory is not None:
        _prune_when_due(os.path.dirname(run.directory))


def load(path: str, context: str) -> list[Diagnostic] | None:
    """The cached diagnostics of `path`, or None when absent, stale, damaged or unreadable. Also
    starts collecting what the analysis of `path` reads (for `store`)."""
    try:
        return _load(path, context)
    finally:
        reads = files.current_reads()
        if reads is not None:
            reads.window.clear()


def _load(path: str, context: str) -> list[Diagnostic] | None:
    run = _runs.get() or _Run(_usable(warn=False))
    if run.directory is None:
        return None
    entry_path = os.path.join(run.directory, _entry_name(path))
    try:
        payload = unseal(files.read_bytes(entry_path, record=False))
        data = json.loads(payload) if payload is not None else None
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("path") != os.path.abspath(path) or data.get("context") != context:
        return None
    deps, listings, stored = data.get("deps"), data.get("listings"), data.get("diagnostics")
    if not isinstance(deps, dict) or not isinstance(listings, dict) or not isinstance(stored, list):
        return None
    diagnostics = _converted(stored)
    if diagnostics is None:
        return None
    own = os.path.abspath(path)
    own_bytes = None
    for dep, expected in deps.items():
        if not isinstance(expected, str | None):
            return None
        if dep in run.known:
            now = run.known[dep]
        else:
            data = _bytes(dep)
            now = run.known[dep] = digest(data) if data is not None else None
            if dep == own:
                own_bytes = data
        if now != expected:
            return None  # changed, or (digest None) a file now exists where the run found none
    for key, expected in listings.items():
        if not isinstance(expected, str):
            return None
        now = run.listings[key] if key in run.listings else run.listings.setdefault(key, files.listing(key))
        if now != expected:
            return None  # the search finds other files now (one was created, or removed)
    try:
        os.utime(entry_path)  # used now: the least recently used entries are pruned first
    except OSError:
        pass
    run.served_bytes = (own, own_bytes) if own_bytes is not None else None
    return diagnostics


def served_bytes(path: str) -> bytes | None:
    """The bytes of `path` as `load` verified them just now, when it read them (once per run: a file
    verified earlier as another entry's dependency is read again by the caller). The report shows
    lines of the very bytes the cached answer was checked against, and the file is not read twice."""
    run = _runs.get()
    if run is None or run.served_bytes is None or run.served_bytes[0] != os.path.abspath(path):
        return None
    data = run.served_bytes[1]
    run.served_bytes = None
    return data


def store(path: str, context: str, deps: list[str], diagnostics: list[Diagnostic]) -> None:
    """Store the result of `path`, keyed by the digests of what its analysis read (see `load`)."""
    reads = files.current_reads()
    run = _runs.get()
    if reads is None or run is None or run.directory is None:
        return  # not a recorded run (what the result used is unknown), or no usable cache
    seen = reads.seen
    wanted = {os.path.abspath(d) for d in deps} | reads.window | {p for p, known in seen.items() if known is None}
    hashes: dict[str, str | None] = {}
    for dep in wanted:
        if dep not in seen or seen[dep] == files.CHANGED:
            return  # not read in this run, or read twice differently: what the result used is unknown
        hashes[dep] = seen[dep]
    if files.CHANGED in reads.listings.values():
        return  # a search found different files twice in this run
    payload = json.dumps(
        {
            "path": os.path.abspath(path),
            "context": context,
            "deps": hashes,
            "listings": reads.listings,  # every search of the run, as absent files are: what a session reuses is not seen again
            "diagnostics": [to_dict(d) for d in diagnostics],
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    if _write(run.directory, _entry_name(path), seal(payload)):
        run.stores += 1
        if run.stores % PRUNE_EVERY == 0:
            _prune_now(os.path.dirname(run.directory))


_HEADER = "batchlint-cache"


def seal(payload: str) -> str:
    """An entry: a header line naming the layout and the payload's checksum, then the payload. Read
    back by `unseal`; the payload is decoded once (it used to be a JSON string inside JSON)."""
    return f"{_HEADER} {FORMAT} {digest(payload.encode('utf-8', 'surrogatepass'))}\n{payload}"


def unseal(entry: bytes) -> str | None:
    """The payload of an entry `seal` wrote, None when the entry is of another layout, truncated or
    damaged (its checksum does not match)."""
    header, newline, body = entry.partition(b"\n")
    parts = header.split(b" ")
    if not newline or len(parts) != 3 or parts[0] != _HEADER.encode() or parts[1] != str(FORMAT).encode():
        return None
    try:
        payload = body.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    return payload if digest(body) == parts[2].decode("ascii", "replace") else None


def _write(directory: str, name: str, entry: str) -> bool:
    """Write the entry atomically (a temporary file in the same directory, renamed over the entry)."""
    import tempfile

    try:
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=_TMP_PREFIX, suffix=".tmp")  # mode 0600
        except FileNotFoundError:
            if not _create(directory):
                return False
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=_TMP_PREFIX, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as fh:
                fh.write(entry)
            os.replace(tmp, os.path.join(directory, name))
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False  # a cache that cannot be written is only slower
    return True


# ---------------------------------------------------------------------------------------------- bounds


def _is_entry(name: str) -> bool:
    """A name batchlint gives an entry: the digest of a path (hex) and `.json`."""
    stem = name[:-5] if name.endswith(".json") else ""
    return len(stem) >= 17 and all(c in "0123456789abcdef" for c in stem)


def _is_temporary(name: str) -> bool:
    return name.endswith(".tmp") and name.startswith((_TMP_PREFIX, "tmp"))  # (`tmp`: the prefix of earlier versions)


def _is_version(name: str) -> bool:
    return name[:1].isdigit() and all(c.isalnum() or c in ".+-_" for c in name)


def _files(root: str) -> Iterator[tuple[str, os.stat_result, bool]]:
    """(path, stat, is an entry) of every file batchlint wrote under `root`: entries and temporary
    entries in the version folders. Symbolic links are never followed."""
    try:
        folders = [e for e in os.scandir(root) if _is_version(e.name) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for folder in folders:
        try:
            found = list(os.scandir(folder.path))
        except OSError:
            continue
        for item in found:
            entry, temporary = _is_entry(item.name), _is_temporary(item.name)
            if (entry or temporary) and item.is_file(follow_symlinks=False):
                try:
                    yield item.path, item.stat(follow_symlinks=False), entry
                except OSError:
                    continue


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


def prune(root: str, now: float | None = None) -> tuple[int, int]:
    """Remove the entries unused for MAX_AGE, then the least recently used beyond MAX_ENTRIES or
    MAX_BYTES, and temporary entries of killed processes; empty folders of other versions go too.
    Returns (files removed, bytes removed)."""
    now = time.time() if now is None else now
    entries: list[tuple[float, int, str]] = []
    removed = size = 0
    for path, st, entry in _files(root):
        if entry:
            entries.append((st.st_mtime, st.st_size, path))
        elif now - st.st_mtime > LEFTOVER_AGE and _unlink(path):
            removed, size = removed + 1, size + st.st_size
    entries.sort(reverse=True)  # most recently used first
    kept = kept_bytes = 0
    full = False  # once an entry does not fit, every entry used before it goes too
    for mtime, bytes_, path in entries:
        full = full or now - mtime > MAX_AGE or kept >= MAX_ENTRIES or kept_bytes + bytes_ > MAX_BYTES
        if not full:
            kept, kept_bytes = kept + 1, kept_bytes + bytes_
        elif _unlink(path):
            removed, size = removed + 1, size + bytes_
    _remove_empty_folders(root, keep=__version__)
    return removed, size


def _remove_empty_folders(root: str, keep: str | None) -> None:
    try:
        names = [e.name for e in os.scandir(root) if _is_version(e.name) and e.name != keep and e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for name in names:
        try:
            os.rmdir(os.path.join(root, name))
        except OSError:
            pass  # not empty: another user's files, or entries kept


def _prune_when_due(root: str) -> None:
    """Prune when the stamp is older than PRUNE_INTERVAL (one stat per run otherwise)."""
    try:
        if time.time() - os.stat(os.path.join(root, STAMP)).st_mtime < PRUNE_INTERVAL:
            return
    except FileNotFoundError:
        if not os.path.isdir(root):
            return  # nothing stored yet
    except OSError:
        return
    _prune_now(root)


def _prune_now(root: str) -> None:
    stamp = os.path.join(root, STAMP)
    try:
        with open(stamp, "a", encoding="utf-8"):
            pass
        os.utime(stamp)  # first: processes finishing at the same moment do not all prune
    except OSError:
        return
    prune(root)


class CleanError(Exception):
    """The cache directory is not this user's: nothing was removed."""


def clean() -> tuple[str, int, int]:
    """Remove this user's cache (only what batchlint wrote there: entries, temporary entries, the
    stamp and the tag; then the folders when empty). Returns (directory, entries removed, bytes)."""
    root = cache_root()
    why = unsafe(root)
    if why is not None and not why.startswith("is writable"):
        raise CleanError(f"cache directory {root} {why}: nothing removed")
    removed = size = 0
    for path, st, _entry in _files(root):
        if _unlink(path):
            removed, size = removed + 1, size + st.st_size
    for name in (STAMP, TAG):
        path = os.path.join(root, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and _unlink(path):
            size += st.st_size
    _remove_empty_folders(root, keep=None)
    try:
        os.rmdir(root)
    except OSError:
        pass  # absent, or holding files that are not batchlint's
    return root, removed, size


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_span(span: object) -> bool:
    return isinstance(span, list) and len(span) == 7 and isinstance(span[0], str) and all(_is_int(v) for v in span[1:])


def _valid(d: object) -> bool:
    """Whether a stored diagnostic has every field with its type."""
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
    return True


def _converted(stored: list[object]) -> list[Diagnostic] | None:
    """The stored diagnostics as diagnostics, None when one lacks a field, has a field of the wrong
    type or does not convert back (an entry damaged, or written by another version)."""
    out = []
    for d in stored:
        if not _valid(d):
            return None
        try:
            out.append(from_dict(d))  # type: ignore[arg-type]  # _valid: a dict
        except (KeyError, TypeError, ValueError, IndexError):
            return None
    return out


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

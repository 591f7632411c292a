"""Reading files: the one bounded reader behind every file batchlint opens.

Configs, includes, launch configs, DeepSpeed JSON, hostfiles, launch scripts, memory profiles,
settings files and cache entries all come through `read_bytes`, which

- stats the path first and refuses anything but a regular file (a FIFO, a character or block
  device such as /dev/zero, a socket, a directory) without opening it: opening a FIFO for reading
  blocks until a writer appears, and reading a device may never end;
- opens with O_NONBLOCK and checks the opened file again (fstat), so a path swapped for a FIFO
  between the stat and the open cannot block either;
- reads at most `limit` + 1 bytes, so a file over the limit costs the limit, never the whole file;
- turns every failure (missing, permission denied, a symlink loop, a name too long, ...) into a
  `ReadError` with a one-line message. `ReadError` is an `OSError`, so `except OSError` still works.

The process's own standard input named as a path (`/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`:
`batchlint check /dev/stdin < x.yaml`, or `cat x.yaml | batchlint check /dev/stdin`) is read from
the open descriptor, pipe or not: the user asked for it, and it has a writer or an end.

While the result cache records a run (`start_recording`), the reader also notes the digest of every
file it read and every path it found missing, so an entry is keyed by the bytes the run used (an
edit landing during the run is never stored under the new content's hash) and a file created later
where the run looked for one invalidates it. Searches are dependencies too: `glob_files` (a config
path with variables in a launch script) and `list_dir` (the config folders of a Hydra app) note what
they found, so a file created later that the same search would find invalidates the entry.
"""

from __future__ import annotations

import io
import os
import stat

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextvars import ContextVar, Token

__all__ = [
    "CHANGED",
    "MAX_FILE_BYTES",
    "ReadError",
    "Reads",
    "current_reads",
    "digest",
    "glob_files",
    "is_file",
    "list_dir",
    "listing",
    "open_text",
    "own_stream",
    "read_bytes",
    "read_failure",
    "read_fd",
    "read_text",
    "start_recording",
    "stop_recording",
    "too_large",
]

MAX_FILE_BYTES = 10 * 1024 * 1024
_CHUNK = 1 << 20
_OWN_FD_PREFIXES = ("/dev/fd/", "/proc/self/fd/")
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)

CHANGED = "changed"  # read twice in one run with different results: nothing that used it may be cached


def digest(data: bytes) -> str:
    """`batchlint.digest.digest` (imported when a run records what it read: never under --no-cache)."""
    from batchlint.digest import digest

    return digest(data)


class ReadError(OSError):
    """A file that cannot be read. `message` is one line; `help` says what to do; `kind` is the
    LoadErrorKind value a loader reports it as (not-found, directory, special-file, unreadable, too-large)."""

    def __init__(self, path: str, message: str, help: str = "", kind: str = "unreadable") -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.help = help
        self.kind = kind

    def __str__(self) -> str:
        return self.message


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for the message; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(path: str, kind: str) -> ReadError:
    if kind == "a directory":
        return ReadError(path, "is a directory, not a file", "name a file, or pass the directory to `batchlint check` to walk it", "directory")
    return ReadError(
        path, f"is {kind}, not a regular file; batchlint reads only regular files", "exclude it, or pipe its content to `batchlint check -`", "special-file"
    )


def read_failure(path: str, exc: OSError | ValueError) -> ReadError:
    if isinstance(exc, ValueError):  # an embedded NUL byte in the name
        return ReadError(path, "the path contains a NUL character", "fix the path")
    import errno  # (only when a read failed)

    code = exc.errno
    if code == errno.ENOENT:
        return ReadError(path, "file not found", kind="not-found")
    if code == errno.ELOOP:
        return ReadError(path, "symlink loop (too many levels of symbolic links)", "fix or remove the symbolic link")
    if code in (errno.EACCES, errno.EPERM):
        return ReadError(path, "permission denied", "make the file readable by the user running batchlint")
    if code == errno.EISDIR:
        return _not_regular(path, "a directory")
    if code == errno.ENOTDIR:
        return ReadError(path, "a component of the path is not a directory", "fix the path")
    if code == errno.ENAMETOOLONG:
        return ReadError(path, "the file name is too long", "fix the path")
    return ReadError(path, f"cannot read: {exc.strerror or exc}")


def too_large(path: str, size: int | None, limit: int = MAX_FILE_BYTES) -> ReadError:
    shown = f"is {size / 1048576:.1f} MiB" if size is not None else f"has more than {limit / 1048576:g} MiB"
    return ReadError(
        path,
        f"file {shown}; batchlint reads at most {limit / 1048576:g} MiB",
        "a training config this large is almost certainly generated data: exclude it",
        "too-large",
    )


def _own_fd(path: str, st: os.stat_result) -> int | None:
    """The descriptor number when `path` names one of this process's own open descriptors."""
    if path == "/dev/stdin":
        number = 0
    elif path.startswith(_OWN_FD_PREFIXES) and path.rsplit("/", 1)[1].isdigit():
        number = int(path.rsplit("/", 1)[1])
    else:
        return None
    try:
        return number if os.path.samestat(os.fstat(number), st) else None
    except OSError:
        return None


def own_stream(path: str) -> bool:
    """Whether `path` names one of this process's open descriptors (`/dev/stdin`, `/dev/fd/N`): read as YAML."""
    try:
        return _own_fd(path, os.stat(path)) is not None
    except (OSError, ValueError):
        return False


def read_fd(fd: int, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most `limit` + 1 bytes from an open descriptor (a pipe, standard input)."""
    wanted = limit + 1
    first = os.read(fd, min(wanted, _CHUNK))
    if not first or len(first) == wanted:
        return first
    end = os.read(fd, min(wanted - len(first), _CHUNK))
    if not end:
        return first  # (a small file: all of it in one read, then the end)
    chunks = [first, end]
    wanted -= len(first) + len(end)
    while wanted > 0:
        chunk = os.read(fd, min(wanted, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def read_bytes(path: str, limit: int = MAX_FILE_BYTES, truncate: bool = False, record: bool = True) -> bytes:
    """The bytes of the regular file `path`; with `truncate`, only its first `limit` bytes, else a
    `ReadError` when it holds more than `limit`. `record=False`: not noted for the cache (its own entries)."""
    try:
        data = _read(path, limit, truncate)
    except ReadError:
        if record:
            _note(path, None)
        raise
    if record and current_reads() is not None:
        _note(path, digest(data))
    return data


def _read(path: str, limit: int, truncate: bool) -> bytes:
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:
        raise read_failure(path, exc) from None
    if not stat.S_ISREG(st.st_mode):
        kind = _kind(st.st_mode) or "not a regular file"
        own = _own_fd(path, st) if kind != "a directory" else None
        if own is None:
            raise _not_regular(path, kind)
        try:
            data = read_fd(own, limit)
        except OSError as exc:
            raise read_failure(path, exc) from None
        if len(data) > limit:
            if truncate:
                return data[:limit]
            raise too_large(path, None, limit)
        return data
    if st.st_size > limit and not truncate:
        raise too_large(path, st.st_size, limit)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise read_failure(path, exc) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # replaced between the stat and the open
            raise _not_regular(path, _kind(opened.st_mode) or "not a regular file")
        data = read_fd(fd, limit)
    except ReadError:
        raise
    except OSError as exc:
        raise read_failure(path, exc) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        if truncate:
            return data[:limit]
        raise too_large(path, None, limit)
    return data


def read_text(path: str, limit: int = MAX_FILE_BYTES, errors: str = "strict", truncate: bool = False) -> str:
    """`read_bytes` decoded as UTF-8 (a UnicodeDecodeError with errors="strict")."""
    return read_bytes(path, limit, truncate).decode("utf-8", errors)


def open_text(path: str, limit: int = MAX_FILE_BYTES) -> io.StringIO:
    """The file's UTF-8 text as a stream, for code written against `open(path)`."""
    return io.StringIO(read_text(path, limit))


def is_file(path: str) -> bool:
    """`os.path.isfile`, and, while the cache records, a note that a file was looked for here and
    not found: creating it later must invalidate the results that looked."""
    found = os.path.isfile(path)
    if not found:
        _note(path, None)
    return found


def _glob(pattern: str) -> list[str]:
    import glob

    return sorted(os.path.normpath(h) for h in glob.glob(pattern) if os.path.isfile(h))


def _listdir(directory: str) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except (OSError, ValueError):
        return []


def _listing_digest(found: list[str]) -> str:
    return digest("\0".join(sorted(os.path.abspath(f) for f in found)).encode("utf-8", "surrogateescape"))


def glob_files(pattern: str) -> list[str]:
    """The regular files matching the glob `pattern` (sorted), and, while the cache records, a note of
    what the search found: a file created later that matches must invalidate the results that searched."""
    found = _glob(pattern)
    reads = current_reads()
    if reads is not None:
        reads.note_listing("glob:" + os.path.abspath(pattern), _listing_digest(found))
    return found


def list_dir(directory: str) -> list[str]:
    """The names in `directory` (sorted; none when it is not a readable directory), noted like `glob_files`."""
    names = _listdir(directory)
    reads = current_reads()
    if reads is not None:
        reads.note_listing("dir:" + os.path.abspath(directory), _listing_digest([os.path.join(directory, n) for n in names]))
    return names


def listing(key: str) -> str | None:
    """What the search `key` (as noted: `glob:PATTERN`, `dir:DIRECTORY`) finds now, as its digest; None
    for a key that is neither (a damaged cache entry). Not noted."""
    kind, _, arg = key.partition(":")
    if kind == "glob":
        return _listing_digest(_glob(arg))
    if kind == "dir":
        return _listing_digest([os.path.join(arg, n) for n in _listdir(arg)])
    return None


# ---------------------------------------------------------------------------------------------- recording


class Reads:
    """What one cached check read (loading/files.py's docstring): absolute path -> digest of the bytes
    read, None where no regular file was found, CHANGED where two reads differed; the searches made
    (`listings`: key -> digest of what was found, or CHANGED); and the paths the current file's
    analysis touched (`window`)."""

    def __init__(self) -> None:
        self.seen: dict[str, str | None] = {}
        self.listings: dict[str, str] = {}
        self.window: set[str] = set()

    def note_listing(self, key: str, value: str) -> None:
        known = self.listings.get(key, value)
        self.listings[key] = value if known == value else CHANGED

    def note(self, path: str, value: str | None) -> None:
        key = os.path.abspath(path)
        self.window.add(key)
        known = self.seen.get(key, value)
        self.seen[key] = value if known == value else CHANGED


# The Reads of the check running in this context (a cached `check`), or None: per thread and task,
# so a check running beside another (an editor server) never sees the other's reads. The context
# variable is made by the first `start_recording` (`contextvars` is not imported by a --no-cache run);
# `setdefault` keeps one variable when two threads start at once.
_VARIABLE: dict[str, ContextVar[Reads | None]] = {}


def current_reads() -> Reads | None:
    variable = _VARIABLE.get("reads")
    return None if variable is None else variable.get()


def _note(path: str, value: str | None) -> None:
    reads = current_reads()
    if reads is not None:
        reads.note(path, value)


def start_recording() -> Token[Reads | None]:
    """Note every read and every missing file from now on, in this context; `stop_recording(token)` ends it."""
    from contextvars import ContextVar

    return _VARIABLE.setdefault("reads", ContextVar("batchlint_reads", default=None)).set(Reads())


def stop_recording(token: Token[Reads | None]) -> None:
    _VARIABLE["reads"].reset(token)

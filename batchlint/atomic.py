"""Writing files: all or nothing, keeping what the file was, never over an edit made meanwhile.

`write_atomic` replaces a file that batchlint read with new text:

- **All or nothing.** The new bytes go to a temporary file in the same directory, are fsynced,
  and are renamed over the file; a process killed at any point leaves the old file or the new one,
  whole. The directory is fsynced after the rename.
- **Never over an edit.** The file is read again and compared with what batchlint read *after* the
  temporary file is written and fsynced, immediately before the rename: an editor's save landing
  while batchlint worked is kept, and the fix is refused with a one-line error.
- **Symbolic links** are written through, as ruff does: the link stays, its target gets the new
  text (the temporary file is created next to the target, so the rename stays on one filesystem).
- **Hard links** cannot survive a rename (the new file would be a different inode, and the other
  names would keep the old text): a file with more than one link is refused with a one-line error.
- **Mode and owner** are kept: the temporary file gets the file's permission bits and, when the
  process may (as root), its owner and group. A file whose owner a rename would change (owned by
  another user, when not running as root) is refused; so is a read-only file (no write bit, e.g.
  0444): batchlint does not override a protection the user set.
- **Stale temporary files** are named `.<name>.<pid>.<random>.batchlint-tmp`. Each write removes,
  from the directory it writes in, the ones whose process no longer runs or that are older than
  STALE_SECONDS (a run killed by `kill -9` cannot remove its own).

`write_report` writes a report (`--output-file`) the same way when the target is a regular file or
does not exist yet, and writes straight into anything else (a pipe, /dev/stdout).

BATCHLINT_FAULT=<stage> kills the process at that stage (for tests): after-temp-write,
after-temp-fsync, after-chown, before-compare, before-replace, after-replace.
"""

from __future__ import annotations

import os
import stat

TEMP_SUFFIX = ".batchlint-tmp"
STALE_SECONDS = 60


class WriteError(OSError):
    """A file batchlint refused or failed to write; the message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _fault(stage: str) -> None:
    """Fault injection for tests: BATCHLINT_FAULT=<stage> kills the process at that point."""
    if os.environ.get("BATCHLINT_FAULT") == stage:
        os._exit(137)


def _target(path: str) -> str:
    """The regular file a path names, symbolic links followed (they are written through)."""
    try:
        target = os.path.realpath(path, strict=True)
        st = os.stat(target)
    except OSError as exc:
        from batchlint.loading.files import ReadError, read_failure

        failure = exc if isinstance(exc, ReadError) else read_failure(path, exc)
        raise WriteError(f"cannot write it: {failure.message}") from None
    if not stat.S_ISREG(st.st_mode):
        raise WriteError("cannot write it: not a regular file")
    return target


def _temp_name(target: str) -> str:
    return os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{os.getpid()}.{os.urandom(4).hex()}{TEMP_SUFFIX}")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale(directory: str, now: float | None = None) -> list[str]:
    """Remove the temporary files that killed runs left in `directory`; returns their names."""
    import time

    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
            continue
        parts = name[: -len(TEMP_SUFFIX)].rsplit(".", 2)
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
        full = os.path.join(directory, name)
        try:
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                continue
            age = now - st.st_mtime
            if age > STALE_SECONDS or (pid is not None and pid != os.getpid() and not _running(pid)):
                os.unlink(full)
                removed.append(name)
        except OSError:
            continue
    return removed


def _keep_metadata(fd: int, st: os.stat_result) -> None:
    """The file's owner, group and permission bits on the temporary file."""
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:
            if st.st_uid != os.geteuid():
                raise WriteError(f"is owned by uid {st.st_uid}; rewriting it would make it yours: nothing written (run batchlint as its owner)") from None
            # our own file in a group we are not in: the group cannot be kept either
            raise WriteError(f"has group gid {st.st_gid}, which a rewrite cannot keep: nothing written") from None
    os.fchmod(fd, stat.S_IMODE(st.st_mode))  # after fchown, which may clear set-id bits


def _replace(target: str, data: bytes, st: os.stat_result | None, expected: bytes | None) -> None:
    """Write `data` to a temporary file next to `target`, fsync, then (when `expected` is given,
    only if the target still holds it) rename it over the target."""
    directory = os.path.dirname(target)
    remove_stale(directory)
    tmp = _temp_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600 if st else 0o666)
    except OSError as exc:
        raise WriteError(f"cannot create a temporary file in {directory or '.'}: {exc.strerror or exc}") from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            _fault("after-temp-write")
            os.fsync(fd)
            _fault("after-temp-fsync")
            if st is not None:
                _keep_metadata(fd, st)
                _fault("after-chown")
        finally:
            os.close(fd)
        if expected is not None:
            _fault("before-compare")
            _unchanged(target, expected, st)
        _fault("before-replace")
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fault("after-replace")
    try:
        dir_fd = os.open(directory or ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass  # some filesystems cannot fsync a directory; the rename itself is atomic


def _unchanged(target: str, expected: bytes, st: os.stat_result | None) -> None:
    """The last look before the rename: the file still holds what batchlint read, and is still the same file."""
    from batchlint.loading.files import read_bytes

    try:
        current = read_bytes(target, max(len(expected), 1 << 20))
        now = os.stat(target)
    except OSError as exc:
        raise WriteError(f"cannot read it back before writing: {exc}") from None
    if current != expected:
        raise WriteError("changed on disk since batchlint read it; nothing written (run again)")
    if st is not None and (now.st_ino, now.st_dev, now.st_nlink) != (st.st_ino, st.st_dev, st.st_nlink):
        raise WriteError("was replaced or linked on disk since batchlint read it; nothing written (run again)")


def write_atomic(path: str, new_text: str, old_text: str) -> None:
    """Replace the file `path` (symbolic links followed) with `new_text` unless it no longer holds
    `old_text`; all or nothing, mode and owner kept, hard links and read-only files refused."""
    target = _target(path)
    st = os.stat(target)
    if st.st_nlink > 1:
        raise WriteError(
            f"has {st.st_nlink} hard links; an atomic rewrite would split them: nothing written (apply the fix by hand, or copy the file to break the link)"
        )
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WriteError(f"is read-only (mode {stat.S_IMODE(st.st_mode):04o}): nothing written (make it writable to fix it)")
    if os.geteuid() != 0 and not os.access(target, os.W_OK):
        raise WriteError("is not writable by you: nothing written")
    _replace(target, new_text.encode("utf-8"), st, old_text.encode("utf-8"))


def write_report(path: str, text: str) -> None:
    """`--output-file`: a regular or new file is replaced all at once; anything else (a pipe, a
    terminal, /dev/stdout) is written straight. Failures are one-line WriteErrors naming the path."""
    data = text.encode("utf-8")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteError(f"--output-file {path}: {exc.strerror or exc}") from None
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise WriteError(f"--output-file {path}: is a directory")
            with open(path, "wb") as fh:
                fh.write(data)
            return
        target = os.path.realpath(path)
        if st is None and not os.path.isdir(os.path.dirname(target) or "."):
            raise WriteError(f"--output-file {path}: the directory {os.path.dirname(path) or '.'} does not exist")
        _replace(target, data, st, None)
    except WriteError as exc:
        if exc.message.startswith("--output-file"):
            raise
        raise WriteError(f"--output-file {path}: {exc.message}") from None
    except OSError as exc:
        raise WriteError(f"--output-file {path}: {exc.strerror or exc}") from None

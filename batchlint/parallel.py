"""A map over forked worker processes, for the parallel walk: results in the order of the items.

Why not `multiprocessing.Pool`: importing it costs about 14 ms (it pulls in socket, subprocess,
tempfile, threading, selectors, traceback and more), a tenth of a 500-file run; it starts three
threads and pickles every task; and a worker that dies leaves `imap` waiting forever. Here the
items are inherited through the fork (nothing is pickled on the way in), each worker takes the next
item index from one shared pipe (indices written before the fork, 4 bytes each: a read of 4 bytes
from a pipe holding whole records returns one record, so no two workers take the same item), and
sends each result back, pickled and framed, on a pipe of its own. Items whose result never arrives
(a worker killed, a result that cannot be pickled) are mapped in the parent afterwards, so the
answer is always complete and the same as a serial map's. POSIX only (fork); callers check
`available()`.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    import select
    from collections.abc import Callable, Sequence
    from typing import TypeVar

    T = TypeVar("T")
    R = TypeVar("R")

_INDEX = 4  # bytes of an item index in the task pipe
_HEADER = 12  # bytes of a result frame's header: item index (4) and payload length (8)
# All indices are written before the fork, so they must fit in the pipe without a reader (Linux
# gives 64 KiB; POSIX promises at least 4 KiB): more items than this are mapped serially.
MAX_ITEMS = 1024


def available() -> bool:
    return hasattr(os, "fork") and hasattr(os, "waitpid")


def forked_map(function: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`[function(item) for item in items]`, the items spread over `workers` processes: the parent
    and `workers - 1` forked ones. The parent works too (it would otherwise wait), taking in the
    workers' results between its own items (where the result pipes can be widened: see `_widen`)."""
    if workers < 2 or len(items) < 2 or len(items) > MAX_ITEMS or not available():
        return [function(item) for item in items]
    import pickle
    import select

    tasks_read, tasks_write = os.pipe()
    os.write(tasks_write, b"".join(i.to_bytes(_INDEX, "little") for i in range(len(items))))
    os.close(tasks_write)
    children: dict[int, int] = {}  # result pipe's read end -> pid
    done: dict[int, R] = {}
    # The parent works too when the result pipes are wide enough to hold what a worker sends while
    # the parent checks one item; otherwise (not Linux) it only takes in results, as a pool would.
    parent_works = True
    processes = min(workers, len(items))
    try:
        for n in range(processes):
            if parent_works and n == processes - 1:  # (processes >= 2: the parent never works alone)
                break  # the parent is the last worker
            results_read, results_write = os.pipe()
            if not _widen(results_read) and n == 0:
                parent_works = False
            try:
                pid = os.fork()
            except OSError:  # no more processes: the workers started and the parent do the rest
                os.close(results_read)
                os.close(results_write)
                break
            if pid == 0:  # the worker
                os.close(results_read)
                for fd in children:
                    os.close(fd)
                _work(function, items, tasks_read, results_write, pickle.dumps)
            os.close(results_write)
            children[results_read] = pid
        poller = select.poll()
        buffers = {fd: bytearray() for fd in children}
        for fd in children:
            poller.register(fd, select.POLLIN)
        while parent_works and (index := os.read(tasks_read, _INDEX)) and len(index) == _INDEX:
            item = int.from_bytes(index, "little")
            try:
                done[item] = function(items[item])
            except Exception:  # noqa: BLE001 - mapped again below, in order, where it raises as a serial map would
                pass
            _take_in(poller, buffers, done, pickle.loads, 0)
        while buffers:
            _take_in(poller, buffers, done, pickle.loads, None)
    finally:
        os.close(tasks_read)
        _reap(children)
    # An item whose result did not arrive is mapped here: the same answer (or the same exception) as a serial map.
    return [done[i] if i in done else function(item) for i, item in enumerate(items)]


def _widen(fd: int) -> bool:
    """Whether the result pipe could be made as large as an unprivileged process may make it (Linux:
    1 MiB, not 64 KiB), so that a worker seldom waits for the parent, which reads results only
    between its own items."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        return False
    return True


def _work(function: Callable[[T], R], items: Sequence[T], tasks: int, results: int, dumps: Callable[[object], bytes]) -> None:
    """A worker's life: take indices until the task pipe is empty, send each result; never return.
    `os._exit`: the worker must not run the parent's cleanup (atexit handlers, `finally` blocks up
    the stack, buffered output flushed twice)."""
    status = 0
    try:
        while (index := os.read(tasks, _INDEX)) and len(index) == _INDEX:
            payload = dumps(function(items[int.from_bytes(index, "little")]))
            _write_all(results, index + len(payload).to_bytes(_HEADER - _INDEX, "little") + payload)
    except BaseException:  # noqa: BLE001 - the parent maps this worker's missing items itself
        status = 1
    finally:
        os._exit(status)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _take_in(poller: select.poll, buffers: dict[int, bytearray], done: dict[int, R], loads: Callable[[bytes], R], timeout: int | None) -> None:
    """The complete result frames the workers have sent so far (`timeout` 0), or at least one pipe's
    next bytes (`None`: waits), into `done` by item index; a pipe its worker closed is dropped."""
    for fd, _event in poller.poll(timeout):
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            poller.unregister(fd)
            del buffers[fd]
            continue
        buffer = buffers[fd]
        buffer += chunk
        while len(buffer) >= _HEADER:
            size = int.from_bytes(buffer[_INDEX:_HEADER], "little")
            if len(buffer) < _HEADER + size:
                break
            done[int.from_bytes(buffer[:_INDEX], "little")] = loads(bytes(buffer[_HEADER : _HEADER + size]))
            del buffer[: _HEADER + size]


def _reap(children: dict[int, int]) -> None:
    """Close the result pipes and wait for every worker; a worker still running (the parent was
    interrupted) is stopped first, so no process outlives the run."""
    import signal

    for fd, pid in children.items():
        try:
            os.close(fd)
        except OSError:
            pass
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
            if finished == 0:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass

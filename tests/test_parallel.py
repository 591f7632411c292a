"""The forked map of the parallel walk: the serial map's answer, whatever happens to a worker."""

from __future__ import annotations

import os
import threading

import pytest

from batchlint import parallel

pytestmark = pytest.mark.skipif(not parallel.available(), reason="needs fork")

PARENT = os.getpid()


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("items", [0, 1, 2, 3, 17, 200])
@pytest.mark.parametrize("workers", [1, 2, 5])
def test_same_answer_as_a_serial_map(items: int, workers: int) -> None:
    assert parallel.forked_map(square, list(range(items)), workers) == [x * x for x in range(items)]
    assert _no_children_left()


def test_the_parent_and_the_workers_share_the_items() -> None:
    import time

    def slow_pid(_: int) -> int:
        time.sleep(0.005)
        return os.getpid()

    pids = parallel.forked_map(slow_pid, list(range(60)), 3)
    assert PARENT in pids and len(set(pids)) >= 2  # a worker busy machine may start late, but not after 300 ms of items


def test_a_worker_that_dies_loses_nothing() -> None:
    def dies_on_seven(x: int) -> int:
        if x == 7 and os.getpid() != PARENT:
            os._exit(9)  # killed mid-run: its item (and any it had taken) never comes back
        return x + 1

    assert parallel.forked_map(dies_on_seven, list(range(30)), 3) == list(range(1, 31))
    assert _no_children_left()


def test_a_result_that_cannot_be_sent_is_made_in_the_parent() -> None:
    def lock_on_three(x: int) -> object:
        return threading.Lock() if x == 3 else x  # a lock cannot be pickled

    out = parallel.forked_map(lock_on_three, list(range(6)), 2)
    assert out[:3] == [0, 1, 2] and out[4:] == [4, 5] and hasattr(out[3], "acquire")


def test_an_exception_is_raised_as_a_serial_map_raises_it() -> None:
    def fails_on_four(x: int) -> int:
        if x == 4:
            raise ValueError(f"bad item {x}")
        return x

    with pytest.raises(ValueError, match="bad item 4"):
        parallel.forked_map(fails_on_four, list(range(10)), 2)
    assert _no_children_left()


def test_large_results_are_framed_whole() -> None:
    out = parallel.forked_map(lambda x: bytes([x % 256]) * 200_000, list(range(12)), 3)  # each larger than a pipe's buffer
    assert out == [bytes([x % 256]) * 200_000 for x in range(12)]


def test_more_items_than_the_task_pipe_holds_are_mapped_serially() -> None:
    items = list(range(parallel.MAX_ITEMS + 1))
    assert parallel.forked_map(lambda _: os.getpid(), items, 2) == [PARENT] * len(items)


class _Interrupted(BaseException):  # as KeyboardInterrupt is: not an error of the item being mapped
    pass


def test_an_interrupted_parent_leaves_no_worker_running() -> None:
    import signal
    import time

    def hangs_in_a_worker(x: int) -> int:
        time.sleep(20 if os.getpid() != PARENT else 0.05)  # the parent slow enough that the worker takes an item
        return x

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(_Interrupted):
            parallel.forked_map(hangs_in_a_worker, list(range(4)), 2)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 10
    assert _no_children_left()


def test_with_narrow_pipes_the_parent_only_takes_in_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a result pipe cannot be widened (not Linux), a worker would wait for the parent while it
    checks its own items: the parent then leaves all of them to the workers."""
    import time

    def slow_pid(_: int) -> int:
        time.sleep(0.002)
        return os.getpid()

    monkeypatch.setattr(parallel, "_widen", lambda fd: False)
    pids = parallel.forked_map(slow_pid, list(range(30)), 2)
    assert len(pids) == 30 and PARENT not in pids
    assert _no_children_left()

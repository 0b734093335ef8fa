"""Worker processes for checks, so that a crash costs only the input being checked.

python-calamine aborts the whole process when it cannot allocate memory (SIGABRT: no exception
to catch), and a native library may crash in other ways. So every check runs in a worker
process, a single file's too, under a memory ceiling, and each worker answers over a pipe of its
own, one task at a time. A worker that dies is known at once, with the one task it held: that
input is reported as crashed, a fresh worker takes over and the rest goes on.
(concurrent.futures cannot do this: one dead worker breaks its pool and fails every pending
task.)

Workers are forked on Linux (a few milliseconds: the parent's modules and configuration are
already in memory) and spawned on macOS and Windows (where fork is unsafe or missing; each worker
then imports nmr-xl once, about half a second). They print nothing: their stdout and stderr go
to the null device, so a library's warnings or a crash report, which may quote a cell, never
reach the terminal.

The memory ceiling is RLIMIT_AS, set in each worker where the OS enforces it (Linux; macOS
accepts but ignores it, Windows has no such limit): an allocation past it fails at once instead
of driving the computer into swap. A Python allocation then raises MemoryError (reported as
`too-large`); a native one aborts the worker (reported as `crashed`).
"""

from __future__ import annotations

import contextlib
import faulthandler
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # ForkContext is missing on Windows
    from multiprocessing.context import ForkContext, SpawnContext

K = TypeVar("K")

# multiprocessing.connection.wait waits on at most 63 handles on Windows (WaitForMultipleObjects)
MAX_WINDOWS_JOBS = 30
MIN_MEMORY_CEILING = 2 * 1024**3  # a 100,000-line export annotated needs about 0.9 GB
_STOP = None
_quieted: list[Any] = []  # the streams a worker inherited, kept from being finalized


@dataclass(frozen=True)
class Failure:
    """A task that produced no result: code and message are those of the input's error."""

    code: str  # "crashed", "too-large" (out of memory), "timed-out" or "internal-error"
    message: str
    pid: int  # the worker's process id (its temporary files are named after it)


def memory_ceiling(jobs: int) -> int | None:
    """Bytes each of `jobs` workers may use: an equal share of the computer's memory, and at
    least MIN_MEMORY_CEILING. None where the memory size is unknown."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if total <= 0:
        return None
    return max(MIN_MEMORY_CEILING, total // max(jobs, 1))


def gib(size: int) -> str:
    return f"{size / 1024**3:.1f} GiB"


def _context() -> ForkContext | SpawnContext:
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


# --- the worker side ------------------------------------------------------------------------------


def _limit_memory(limit: int | None) -> None:
    if limit is None:
        return
    try:
        import resource
    except ImportError:  # Windows
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY
                                                    else min(limit, hard), hard))
    except (ValueError, OSError):
        pass  # the OS does not take it (macOS): the pre-read limits still hold


def _quiet_streams() -> None:
    """Send the worker's stdout and stderr (Python's and the file descriptors native code
    writes to) to the null device."""
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)
    faulthandler.disable()  # it may write to a copy of the parent's stderr (pytest's does)
    _quieted.extend((sys.stdout, sys.stderr))
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115


def _stop_on_terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(1)  # run the finally blocks that remove temporary files


def _serve(conn: multiprocessing.connection.Connection, init: Callable[..., None] | None,
           initargs: tuple[Any, ...], memory_limit: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    _quiet_streams()
    _limit_memory(memory_limit)
    if init is not None:
        init(*initargs)
    parent = multiprocessing.parent_process()
    watch: list[Any] = [conn] + ([parent.sentinel] if parent is not None else [])
    while True:
        multiprocessing.connection.wait(watch)
        if not conn.poll():  # the parent is gone
            return
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is _STOP:
            return
        func, args = task
        try:
            answer: tuple[str, Any] = ("ok", func(*args))
        except MemoryError:
            answer = ("memory", None)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a native library's panic is a BaseException
            answer = ("error", type(exc).__name__)
        try:
            conn.send(answer)
        except Exception as exc:  # a result that cannot be pickled
            conn.send(("error", type(exc).__name__))


# --- the parent side ------------------------------------------------------------------------------


class _Worker:
    def __init__(self, process: BaseProcess, conn: multiprocessing.connection.Connection):
        self.process = process
        self.conn = conn
        self.deadline = float("inf")  # when the task it holds has run too long

    @property
    def pid(self) -> int:
        return self.process.pid or 0


class WorkerPool(Generic[K]):
    """Up to `jobs` worker processes, started as tasks need them. Use as a context manager."""

    def __init__(self, jobs: int, *, init: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = (), memory_limit: int | None = None,
                 task_seconds: float | None = None) -> None:
        self.jobs = max(1, jobs)
        if sys.platform == "win32":  # each worker is waited on through two handles, and
            self.jobs = min(self.jobs, MAX_WINDOWS_JOBS)  # Windows waits on 63 at most
        self.init = init
        self.initargs = initargs
        self.memory_limit = memory_limit
        # a task running longer is stopped (a file that makes a reader loop must not hang
        # the batch); None: no limit
        self.task_seconds = task_seconds
        self._context = _context()
        self._idle: list[_Worker] = []
        self._busy: dict[_Worker, K] = {}

    def __enter__(self) -> WorkerPool[K]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(target=_serve, daemon=True, name="nmr-xl-worker",
                                        args=(child_end, self.init, self.initargs,
                                              self.memory_limit))
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def run(self, func: Callable[..., Any], tasks: Iterable[tuple[K, tuple[Any, ...]]], *,
            tick: Callable[[], None] | None = None, tick_seconds: float = 0.25
            ) -> Iterator[tuple[K, Any]]:
        """Run func(*args) for every (key, args) in the workers; yield (key, result) as each
        finishes, the result being a Failure when the task produced none. `func` must be a
        module-level function. `tick` is called about every `tick_seconds` while waiting."""
        pending = deque(tasks)
        while pending or self._busy:
            while pending and (self._idle or len(self._busy) < self.jobs):
                worker = self._idle.pop() if self._idle else self._start()
                key, args = pending.popleft()
                try:
                    worker.conn.send((func, args))
                except (OSError, ValueError):  # it died idle: this task never started
                    self._bury(worker)
                    worker = self._start()
                    worker.conn.send((func, args))
                self._busy[worker] = key
                if self.task_seconds is not None:
                    worker.deadline = time.monotonic() + self.task_seconds
            watched = [w.conn for w in self._busy] + [w.process.sentinel for w in self._busy]
            ready = multiprocessing.connection.wait(watched, timeout=self._wait(tick_seconds
                                                                                if tick else None))
            if not ready and tick is not None:
                tick()
            for worker in [w for w in self._busy if w.conn in ready
                           or w.process.sentinel in ready]:
                key = self._busy.pop(worker)
                yield key, self._answer(worker)
            now = time.monotonic()
            for worker in [w for w in self._busy if w.deadline <= now]:
                key = self._busy.pop(worker)
                yield key, self._stop_overdue(worker)

    def _wait(self, tick: float | None) -> float | None:
        """How long to wait for an answer: until the next tick or the nearest deadline."""
        nearest = min((w.deadline for w in self._busy), default=float("inf"))
        if nearest == float("inf"):
            return tick
        left = max(0.0, nearest - time.monotonic())
        return left if tick is None else min(tick, left)

    def _stop_overdue(self, worker: _Worker) -> Failure:
        worker.process.terminate()  # SIGTERM: it removes its temporary files on the way out
        self._bury(worker)
        assert self.task_seconds is not None
        return Failure("timed-out", "the check of this file took longer than "
                                    f"{_duration(self.task_seconds)}, so it was stopped and the "
                                    "file was not checked; check it on its own, with a longer "
                                    "--timeout if it is a very large export", worker.pid)

    def _answer(self, worker: _Worker) -> Any:
        status, value = "crashed", None
        try:
            if worker.conn.poll():
                status, value = worker.conn.recv()
        except Exception:  # cut short while the worker died
            status = "crashed"
        if status == "ok":
            self._idle.append(worker)
            return value
        if status == "memory":
            self._idle.append(worker)
            limit = f"the {gib(self.memory_limit)} of" if self.memory_limit else "the"
            return Failure("too-large", f"checking this file needed more than {limit} memory "
                                        "one input may use; split it, or check it on its own "
                                        "with --jobs 1", worker.pid)
        if status == "error":
            self._idle.append(worker)
            return Failure("internal-error", f"nmr-xl failed on this file ({value}); please "
                                             "report it", worker.pid)
        self._bury(worker)
        return Failure("crashed", "the check of this file stopped unexpectedly (the process "
                                  f"checking it {_ended(worker.process.exitcode)}), so it was "
                                  "not checked; please report it", worker.pid)

    def _bury(self, worker: _Worker) -> None:
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def close(self) -> None:
        """Stop every worker: the idle ones when they read the stop, the busy ones (the run was
        interrupted) at once."""
        for worker in self._idle:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(_STOP)
        for worker in self._busy:
            worker.process.terminate()
        for worker in [*self._idle, *self._busy]:
            self._bury(worker)
        self._idle.clear()
        self._busy.clear()


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def _ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        reason = ", which often means it ran out of memory" if name in ("SIGABRT",
                                                                          "SIGKILL") else ""
        return f"was ended by {name}{reason}"
    return f"ended with exit status {exitcode}"

"""A progress bar for batch runs on a terminal: files done, findings so far, the last file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nmr_xl.batch import BatchEntry
from nmr_xl.inputs import LABEL_SEP

_NAME_CHARS = 40


def current_name(label: str) -> str:
    """The file an input label ends with (an attachment's or zip member's name), at most
    40 characters: a file name, never a cell's content."""
    name = label.rsplit(LABEL_SEP, 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1] + "…"


@dataclass
class Tracker:
    """What run_batch calls: `done` per finished input, `tick` now and then while it waits."""

    done: Callable[[BatchEntry], None]
    tick: Callable[[], None] | None = None


@contextmanager
def batch_progress(total: int, *, enabled: bool) -> Iterator[Tracker]:
    """Yield the callbacks for run_batch; no-ops when not on a terminal."""
    if not enabled or total < 2:
        yield Tracker(lambda entry: None)
        return
    findings = 0
    columns = (TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[findings]} findings"), TimeElapsedColumn(),
               # a file name is not markup: "[red]" in an attachment's name is shown as it is
               TextColumn("{task.fields[current]}", markup=False))
    # on stderr, so `nmr-xl check ... > report.txt` still shows it; transient: once done, only
    # the report remains on the screen. Redrawn by the batch's own loop (tick), not by a thread
    # of rich's: worker processes are forked, and a fork must not copy a lock a thread holds.
    with Progress(*columns, console=Console(stderr=True), transient=True,
                  auto_refresh=False) as progress:
        task = progress.add_task("batch", total=total, findings=0, current="")

        def done(entry: BatchEntry) -> None:
            nonlocal findings
            findings += entry.checked_counts.findings
            name = current_name(entry.item.label)
            progress.update(task, advance=1, findings=findings, current=name)
            progress.refresh()

        yield Tracker(done, progress.refresh)

"""A progress bar for batch runs on a terminal: files done, findings so far, the last file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nmr_xl.batch import BatchEntry


@contextmanager
def batch_progress(total: int, *, enabled: bool) -> Iterator[Callable[[BatchEntry], None]]:
    """Yield the callback run_batch calls per finished input; a no-op when not on a terminal."""
    if not enabled or total < 2:
        yield lambda entry: None
        return
    findings = 0
    columns = (TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[findings]} findings"), TimeElapsedColumn(),
               TextColumn("{task.fields[current]}"))
    # transient: once done, only the report remains on the screen
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("batch", total=total, findings=0, current="")

        def done(entry: BatchEntry) -> None:
            nonlocal findings
            findings += len(entry.result.findings)
            name = entry.item.label.rsplit("/", 1)[-1][-40:]  # a file name, not patient data
            progress.update(task, advance=1, findings=findings, current=name)

        yield done

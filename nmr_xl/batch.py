"""Check many inputs: collision-free output names, a state file for daily re-runs, parallel
worker processes, a progress bar on a terminal, and one disposition per input.

Dispositions: checked, skipped-unchanged, no-billing-table, error (with the error's code).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nmr_xl import __version__
from nmr_xl.config import Config
from nmr_xl.errors import InputError
from nmr_xl.inbox import LABEL_SEP, STATE_FILE, EmailInfo, InboxItem
from nmr_xl.read.sources import sniff
from nmr_xl.runner import FileResult, check_file, output_path

STATE_SCHEMA = "nmr-xl/state@1"


@dataclass
class BatchEntry:
    """One input of the batch and what became of it."""

    item: InboxItem
    result: FileResult
    disposition: str
    previous_output: str | None = None  # for skipped-unchanged: the copy written earlier

    @property
    def email(self) -> EmailInfo | None:
        return self.item.email


@dataclass
class BatchOptions:
    as_of: dt.date
    out_dir: Path | None
    annotate: bool = True
    jobs: int = 1
    force: bool = False
    sources: list[str] = field(default_factory=list)


def rules_fingerprint(config: Config) -> str:
    """Changes when anything that can change a finding changes: rules, reference data, version."""
    payload = json.dumps({"version": __version__, "rules": config.raw,
                          "mue": {c: (m.value, m.per_line) for c, m in config.mue.items()},
                          "ncci": sorted(repr(e) for es in config.ncci.values() for e in es)},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def disposition_of(result: FileResult) -> str:
    if result.error is None:
        return "checked"
    return "no-billing-table" if result.error.code == "no-billing-table" else "error"


# --- output names -------------------------------------------------------------------------------


def plan_outputs(items: list[InboxItem], out_dir: Path | None) -> dict[int, Path]:
    """A destination per checkable item (by index), never two the same."""
    taken: set[Path] = set()
    planned: dict[int, Path] = {}
    for index, item in enumerate(items):
        if item.error is not None:
            continue
        if out_dir is not None:
            base = out_dir / item.out_subdir
        elif item.out_subdir:  # from an e-mail or zip: beside it, in the message's folder
            base = Path(item.label.split(LABEL_SEP)[0]).parent / item.out_subdir
        else:
            base = item.path.parent
        dest = output_path(item.path, base, _is_macro_workbook(item.path))
        candidate, n = dest, 2
        while candidate in taken:  # e.g. a/jan.xlsx and b/jan.xlsx into one --out folder
            candidate = dest.with_name(f"{item.path.stem} ({n}).checked{dest.suffix}")
            n += 1
        taken.add(candidate)
        planned[index] = candidate
    return planned


def _is_macro_workbook(path: Path) -> bool:
    try:
        return sniff(path) == "xlsm"
    except InputError:
        return False  # check_file reports the problem


# --- state file -----------------------------------------------------------------------------------


def load_state(out_dir: Path | None) -> dict[str, Any]:
    if out_dir is None or not (out_dir / STATE_FILE).is_file():
        return {}
    try:
        data = json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged state file only costs a full re-run
    return data.get("inputs", {}) if data.get("schema") == STATE_SCHEMA else {}


def save_state(out_dir: Path, inputs: dict[str, Any]) -> None:
    """Atomically: a crash mid-write must not lose yesterday's state."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".nmr-xl-state-", dir=out_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"schema": STATE_SCHEMA, "inputs": inputs}, handle, indent=1, sort_keys=True)
    os.replace(tmp, out_dir / STATE_FILE)


def _unchanged(item: InboxItem, state: dict[str, Any], fingerprint: str, as_of: dt.date,
               annotate: bool) -> dict[str, Any] | None:
    seen = state.get(item.sha256 or "")
    if not seen or seen.get("rules") != fingerprint or seen.get("as_of") != as_of.isoformat():
        return None
    if annotate and seen.get("output") and not Path(seen["output"]).is_file():
        return None  # the copy was deleted since: write it again
    return seen


# --- running ------------------------------------------------------------------------------------

_WORKER_CONFIG: Config | None = None


def _init_worker(config: Config) -> None:
    global _WORKER_CONFIG
    _WORKER_CONFIG = config


def _check_in_worker(path: Path, as_of: dt.date, dest: Path | None, annotate: bool
                     ) -> FileResult:
    assert _WORKER_CONFIG is not None
    return safe_check(path, _WORKER_CONFIG, as_of, dest, annotate)


def safe_check(path: Path, config: Config, as_of: dt.date, dest: Path | None, annotate: bool
               ) -> FileResult:
    """check_file, but a bug in one file becomes that file's error, never the batch's end."""
    try:
        return check_file(path, config, as_of, dest=dest, annotate=annotate)
    except Exception as exc:
        result = FileResult(input=str(path))
        result.error = InputError("internal-error", f"nmr-xl failed on this file "
                                  f"({type(exc).__name__}); please report it")
        return result


Progress = Callable[[BatchEntry], None]


def run_batch(items: list[InboxItem], config: Config, options: BatchOptions,
              on_done: Progress | None = None) -> list[BatchEntry]:
    """Check every item; entries come back in input order."""
    fingerprint = rules_fingerprint(config)
    state = {} if options.force or not options.annotate else load_state(options.out_dir)
    outputs = plan_outputs(items, options.out_dir)
    entries: dict[int, BatchEntry] = {}
    todo: list[int] = []
    for index, item in enumerate(items):
        seen = None if item.error else _unchanged(item, state, fingerprint, options.as_of,
                                                  options.annotate)
        if item.error is not None:
            entry = BatchEntry(item, FileResult(input=item.label, error=item.error), "error")
        elif seen is not None:
            entry = BatchEntry(item, FileResult(input=item.label), "skipped-unchanged",
                               previous_output=seen.get("output"))
        else:
            todo.append(index)
            continue
        entries[index] = entry
        _describe(entry)
        if on_done:
            on_done(entry)

    for index, result in _results(items, todo, outputs, config, options):
        entry = BatchEntry(items[index], result, disposition_of(result))
        entries[index] = entry
        _describe(entry)
        if on_done:
            on_done(entry)

    if options.out_dir is not None and options.annotate:
        _remember(state, entries, fingerprint, options)
    return [entries[i] for i in range(len(items))]


def _describe(entry: BatchEntry) -> None:
    """Carry the batch's view of the input into its result, for the reports."""
    result, item = entry.result, entry.item
    result.input = item.label
    result.disposition = entry.disposition
    result.sources = list(item.sources)
    if item.email is not None:
        result.email = {"sender": item.email.sender, "subject": item.email.subject,
                        "date": item.email.date}
    if entry.disposition == "skipped-unchanged":
        result.output = entry.previous_output


def _results(items: list[InboxItem], todo: list[int], outputs: dict[int, Path], config: Config,
             options: BatchOptions) -> Iterator[tuple[int, FileResult]]:
    if options.jobs <= 1 or len(todo) <= 1:
        for index in todo:
            yield index, safe_check(items[index].path, config, options.as_of,
                                    outputs.get(index), options.annotate)
        return
    # One file per task and results that hold findings only: memory stays bounded by the
    # largest single workbook per worker, not by the batch.
    with ProcessPoolExecutor(max_workers=options.jobs, initializer=_init_worker,
                             initargs=(config,)) as pool:
        futures: dict[Future[FileResult], int] = {
            pool.submit(_check_in_worker, items[i].path, options.as_of, outputs.get(i),
                        options.annotate): i
            for i in todo
        }
        for future in as_completed(futures):
            yield futures[future], future.result()


def _remember(state: dict[str, Any], entries: dict[int, BatchEntry], fingerprint: str,
              options: BatchOptions) -> None:
    assert options.out_dir is not None
    for entry in entries.values():
        if entry.disposition in ("checked", "no-billing-table") and entry.item.sha256:
            state[entry.item.sha256] = {
                "rules": fingerprint,
                "as_of": options.as_of.isoformat(),
                "output": entry.result.output,
                "label": entry.item.label,
                "findings": len(entry.result.findings),
                "disposition": entry.disposition,
            }
    save_state(options.out_dir, state)


def default_jobs() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1

"""Check many inputs: collision-free output names, a state file for daily re-runs, worker
processes (nmr_xl.workers: a crash costs only its input), a progress bar on a terminal, and one
disposition per input (nmr_xl.inputs.Disposition).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nmr_xl import __version__
from nmr_xl.atomic import private_file
from nmr_xl.batch_totals import BatchInput, Counts
from nmr_xl.config.model import Config
from nmr_xl.errors import InputError
from nmr_xl.inbox import InboxItem
from nmr_xl.inputs import LABEL_SEP, STATE_FILE, Disposition, EmailInfo
from nmr_xl.outdir import remove_leftovers
from nmr_xl.read.sources import sniff
from nmr_xl.runner import NO_EXTRAS, Extras, FileResult, check_file, output_path
from nmr_xl.spool import SpooledFindings, write_findings
from nmr_xl.workers import Failure, WorkerPool, memory_ceiling

# @2: outputs relative to the --out folder (a run from another working folder still finds them)
# and the counts of the last check, so a skipped input still has its numbers in the summary.
STATE_SCHEMA = "nmr-xl/state@2"
# A 100,000-line export takes well under a minute; ten minutes means a file that hangs a reader.
DEFAULT_TASK_SECONDS = 600.0


@dataclass
class BatchEntry:
    """One input of the batch and what became of it: how it arrived (`item`), the file's
    result, and the batch's view of it."""

    item: InboxItem
    result: FileResult  # its findings are in findings_file once counted, not in memory
    disposition: Disposition
    checked_counts: Counts = field(default_factory=Counts)  # this run's check, if any
    # the batch moves the findings here once it has counted them (nmr_xl.spool), so that its
    # parent process never holds every finding of the batch at once
    findings_file: Path | None = None
    previous_output: str | None = None  # for skipped-unchanged: the copy written earlier
    previous: dict[str, Any] | None = None  # for skipped-unchanged: the state of its last check

    @property
    def email(self) -> EmailInfo | None:
        return self.item.email

    @property
    def findings(self) -> SpooledFindings:
        """This run's findings, read back one at a time."""
        return SpooledFindings(self.result.findings, self.findings_file)

    @property
    def status(self) -> str:
        """error, skipped or checked: for the JSON report."""
        if self.result.error:
            return "error"
        return "skipped" if self.disposition == Disposition.SKIPPED_UNCHANGED else "checked"

    @property
    def counts(self) -> Counts:
        """This run's numbers; for a skipped input, those of its last check."""
        if self.disposition == Disposition.SKIPPED_UNCHANGED and self.previous is not None:
            return Counts.from_json(self.previous.get("counts"))
        return self.checked_counts

    @property
    def previous_disposition(self) -> Disposition | None:
        """For a skipped input: what its last check found (checked or no-billing-table)."""
        if self.previous is None:
            return None
        value = self.previous.get("disposition")
        return Disposition(value) if value in tuple(Disposition) else None

    def as_input(self) -> BatchInput:
        """The input as the batch's totals and summary see it."""
        r = self.result
        checked_on = self.previous.get("checked_on") if self.previous else None
        return BatchInput(
            label=self.item.label, sources=tuple(self.item.sources), email=self.item.email,
            disposition=self.disposition, error=r.error,
            output=r.output or self.previous_output, counts=self.counts,
            checked_now=self.checked_counts, previous=self.previous_disposition,
            checked_on=checked_on if isinstance(checked_on, str) else None,
            cannot_check=tuple(r.cannot_check), warnings=tuple(r.warnings),
            not_run=frozenset(note for sheet in r.sheets for note in sheet.not_run),
            findings=self.findings)


@dataclass
class BatchOptions:
    as_of: dt.date
    out_dir: Path | None
    work_dir: Path  # private (0700), removed by the caller: the findings are spooled there
    annotate: bool = True
    jobs: int = 1
    force: bool = False
    sources: list[str] = field(default_factory=list)
    # why out_dir cannot be written (read-only, full, not allowed): the inputs are checked all
    # the same, each saying it has no annotated copy and why
    out_problem: str | None = None
    extras: Extras = field(default_factory=Extras)  # provider packets, PDFs
    # an input whose check runs longer is stopped and reported `timed-out` (None: no limit)
    task_seconds: float | None = DEFAULT_TASK_SECONDS

    @property
    def writes(self) -> bool:
        """Whether copies (and the state file) are written."""
        return self.annotate and self.out_problem is None


def rules_fingerprint(config: Config) -> str:
    """Changes when anything that can change a finding changes: rules, reference data, version."""
    payload = json.dumps({"version": __version__, "rules": config.raw,
                          "mue": repr(config.mue),
                          "ncci": sorted(repr(e) for es in config.ncci.values() for e in es)},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# --- output names -------------------------------------------------------------------------------


def plan_outputs(items: list[InboxItem], out_dir: Path | None, *,
                 keep: Mapping[int, Path] | None = None,
                 owners: Mapping[str, tuple[str, str]] | None = None) -> dict[int, Path]:
    """A destination per checkable item (by index), never two the same.

    `keep`: items whose copy goes (or stays) where an earlier run wrote it: an input keeps its
    copy's name from run to run, even when a new message with the same date and subject
    arrives before it in the folder.
    `owners`: copies earlier runs wrote that are still there (path key -> (content hash,
    label)). A new item never takes another input's copy (it may replace that of an earlier
    version of itself: same label, the file was corrected and saved again), nor puts its copy
    in a folder that holds another message's copies: it gets a folder of its own, "... (2)".
    Names are compared case-insensitively, as Windows and macOS file systems do.
    """
    keep = keep or {}
    owners = owners or {}
    # an input is never overwritten, even when it is a copy an earlier run wrote, named again
    taken: set[str] = {path_key(item.path) for item in items if item.path.is_file()}
    planned: dict[int, Path] = {}
    folder_users: dict[str, set[str]] = {}  # folder -> the inputs on disk its copies came from

    def use(index: int, path: Path) -> None:
        taken.add(path_key(path))
        folder_users.setdefault(path_key(path.parent), set()).add(_origin(items[index].label))
        planned[index] = path

    for key, (_, label) in owners.items():
        folder_users.setdefault(os.path.dirname(key), set()).add(_origin(label))
    for index, path in keep.items():
        if items[index].error is None and path_key(path) not in taken:
            use(index, path)
    for index, item in enumerate(items):
        if item.error is not None or index in planned:
            continue
        origin = _origin(item.label)
        if out_dir is not None:
            base, n = out_dir / item.out_subdir, 2
            while item.out_subdir and folder_users.get(path_key(base), {origin}) - {origin}:
                base = out_dir / f"{item.out_subdir} ({n})"  # another message's folder
                n += 1
        elif item.out_subdir:  # from an e-mail or zip: beside it, in the message's folder
            base = Path(origin).parent / item.out_subdir
        else:
            base = item.path.parent
        macro = _is_macro_workbook(item.path)
        candidate, n = output_path(item.path, base, macro), 2

        def free(path: Path, item: InboxItem = item) -> bool:
            key = path_key(path)
            owner = owners.get(key)
            return key not in taken and (owner is None or item.sha256 == owner[0]
                                         or item.label == owner[1])

        while not free(candidate):  # e.g. a/jan.xlsx and b/jan.xlsx into one --out folder
            candidate = output_path(item.path, base, macro, n)
            n += 1
        use(index, candidate)
    return planned


def _origin(label: str) -> str:
    """The input on disk a label starts with: the file, or the message or zip it came in."""
    return label.split(LABEL_SEP)[0]


def path_key(path: Path | str) -> str:
    """Two paths that name one file on a case-insensitive file system have the same key."""
    return os.path.normpath(str(path)).casefold()


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
    if not isinstance(data, dict) or data.get("schema") != STATE_SCHEMA:
        return {}
    inputs = data.get("inputs")
    if not isinstance(inputs, dict):
        return {}
    return {sha: seen for sha, seen in inputs.items() if isinstance(seen, dict)}


def save_state(out_dir: Path, inputs: dict[str, Any]) -> None:
    """Atomically and durably: a crash mid-write must not lose yesterday's state."""
    document = {"schema": STATE_SCHEMA, "inputs": inputs}
    text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a file name that is not UTF-8 (Linux allows any bytes):
        data = json.dumps(document, indent=1, sort_keys=True).encode()  # escaped, read back
    with private_file(out_dir / STATE_FILE) as tmp, tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _stored_output(seen: dict[str, Any], out_dir: Path) -> Path | None:
    """The copy a state entry names (stored relative to the --out folder), or None."""
    output = seen.get("output")
    if not isinstance(output, str) or not output:
        return None
    path = Path(output)
    if path.is_absolute() or ".." in path.parts:
        return None  # not ours: never trust a path in the state file outside --out
    return out_dir / path


def _unchanged(item: InboxItem, state: dict[str, Any], fingerprint: str, as_of: dt.date,
               out_dir: Path | None, annotate: bool, extras: Extras = NO_EXTRAS
               ) -> dict[str, Any] | None:
    seen = state.get(item.sha256 or "")
    if not seen or seen.get("rules") != fingerprint or seen.get("as_of") != as_of.isoformat():
        return None
    written = seen.get("extras") if isinstance(seen.get("extras"), dict) else {}
    if (extras.packets and not written.get("packets")) or (extras.pdf and not written.get("pdf")):
        return None  # asked for packets or PDFs the last check did not write
    if seen.get("disposition") not in (Disposition.CHECKED, Disposition.NO_BILLING_TABLE):
        return None
    if annotate and out_dir is not None and seen.get("output"):
        copy = _stored_output(seen, out_dir)
        if copy is None or not copy.is_file():
            return None  # the copy was deleted since: write it again
    return seen


def _owners(state: dict[str, Any], out_dir: Path | None) -> dict[str, tuple[str, str]]:
    """Copies earlier runs wrote that are still there: path key -> (content hash, label)."""
    if out_dir is None:
        return {}
    owners: dict[str, tuple[str, str]] = {}
    for sha, seen in state.items():
        copy = _stored_output(seen, out_dir)
        if copy is not None and copy.is_file():
            owners[path_key(copy)] = (sha, str(seen.get("label", "")))
    return owners


# --- running ------------------------------------------------------------------------------------

_WORKER_CONFIG: Config | None = None


def _init_worker(config: Config) -> None:
    global _WORKER_CONFIG
    _WORKER_CONFIG = config


Checked = tuple[FileResult, Counts, Path | None]  # the result, its numbers, its findings' file


def _check_in_worker(path: Path, as_of: dt.date, dest: Path | None, annotate: bool,
                     findings_file: Path, extras: Extras) -> Checked:
    assert _WORKER_CONFIG is not None
    return _check_and_spool(path, _WORKER_CONFIG, as_of, dest, annotate, findings_file, extras)


def _check_and_spool(path: Path, config: Config, as_of: dt.date, dest: Path | None,
                    annotate: bool, findings_file: Path, extras: Extras = NO_EXTRAS) -> Checked:
    """safe_check, then the result's numbers, with its findings moved to `findings_file`:
    what comes back to the batch's parent is small, however many findings the file had."""
    result = safe_check(path, config, as_of, dest, annotate, extras)
    counts = Counts.of(result.rows, result.findings, result.tally)
    spooled = None
    if result.findings:
        try:
            write_findings(findings_file, result.findings)
        except OSError:
            pass  # the work folder's disk is full: this input's findings stay in memory
        else:
            result.findings = []
            spooled = findings_file
    if annotate:
        # check_file pauses the cyclic collector, and the openpyxl workbooks of an annotated
        # copy are full of reference cycles: without this they pile up from file to file
        # (the fast read path makes next to none, and a collection costs 10-30 ms)
        gc.collect()
    return result, counts, spooled


def safe_check(path: Path, config: Config, as_of: dt.date, dest: Path | None, annotate: bool,
               extras: Extras = NO_EXTRAS) -> FileResult:
    """check_file, but a bug in one file becomes that file's error, never the batch's end.
    Running out of memory is the worker's to report (nmr_xl.workers)."""
    try:
        return check_file(path, config, as_of, dest=dest, annotate=annotate, extras=extras)
    except MemoryError:
        raise
    except Exception as exc:
        result = FileResult(input=str(path))
        result.error = InputError("internal-error", f"nmr-xl failed on this file "
                                  f"({type(exc).__name__}); please report it")
        return result


Progress = Callable[[BatchEntry], None]


def run_batch(items: list[InboxItem], config: Config, options: BatchOptions,
              on_done: Progress | None = None, tick: Callable[[], None] | None = None
              ) -> list[BatchEntry]:
    """Check every item; entries come back in input order. `on_done` is called as each input
    is done, `tick` now and then while waiting for workers. The state file is not saved here:
    remember() does that, once the caller holds the output folder."""
    fingerprint = rules_fingerprint(config)
    stateful = options.out_dir is not None and options.writes
    # --force checks everything again, but still reads the state: copies of earlier runs keep
    # their names, and inputs not in this run keep their entries
    state = load_state(options.out_dir) if stateful else {}
    skip: dict[int, dict[str, Any]] = {}
    if not options.force:
        for index, item in enumerate(items):
            seen = None if item.error else _unchanged(item, state, fingerprint, options.as_of,
                                                      options.out_dir, options.annotate,
                                                      options.extras)
            if seen is not None:
                skip[index] = seen
    keep: dict[int, Path] = {}  # an input checked before keeps its copy's name
    for index, item in enumerate(items):
        seen = state.get(item.sha256 or "") if item.error is None else None
        copy = _stored_output(seen, options.out_dir) if seen and options.out_dir else None
        if copy is not None:
            keep[index] = copy
    outputs = plan_outputs(items, options.out_dir, keep=keep,
                           owners=_owners(state, options.out_dir) if stateful else None)
    entries: dict[int, BatchEntry] = {}
    todo: list[int] = []
    for index, item in enumerate(items):
        if item.error is not None:
            entry = BatchEntry(item, FileResult(input=item.label, error=item.error),
                               Disposition.ERROR)
        elif index in skip:
            copy = keep.get(index)
            entry = BatchEntry(item, FileResult(input=item.label), Disposition.SKIPPED_UNCHANGED,
                               previous_output=str(copy) if copy else None,
                               previous=skip[index])
        else:
            todo.append(index)
            continue
        entries[index] = entry
        _describe(entry)
        if on_done:
            on_done(entry)

    try:
        for index, (result, counts, spooled) in _results(items, todo, outputs, config, options,
                                                         tick):
            disposition = Disposition.of_error(result.error.code if result.error else None)
            entry = BatchEntry(items[index], result, disposition, counts, spooled)
            entries[index] = entry
            _describe(entry)
            if options.annotate and options.out_problem and result.error is None:
                result.warnings.insert(0, f"No annotated copy: {options.out_problem}")
                result.write_error = options.out_problem
            if options.out_dir is None and result.write_error:  # beside the input: read-only?
                said = f"No annotated copy: {result.write_error}"
                result.warnings = [f"{w}; --out can name a folder to write the copies to"
                                   if w == said else w for w in result.warnings]
            if on_done:
                on_done(entry)
    except KeyboardInterrupt as stopped:  # Ctrl-C or a signal (nmr_xl.cli): what was done
        raise Interrupted(stopped, [entries[i] for i in sorted(entries)]) from None
    return [entries[i] for i in range(len(items))]


class Interrupted(KeyboardInterrupt):
    """The batch was stopped part way (`cause`: the KeyboardInterrupt); `done` holds the inputs
    finished before, whose copies are complete, for the state file. A KeyboardInterrupt still,
    for a caller that only knows those."""

    def __init__(self, cause: KeyboardInterrupt, done: list[BatchEntry]) -> None:
        super().__init__("interrupted")
        self.cause = cause
        self.done = done


def _describe(entry: BatchEntry) -> None:
    """The input as the reports name it, how it arrived, and for a skipped input the copy
    and the warning of its last check."""
    result, item = entry.result, entry.item
    result.input = item.label
    result.warnings[:0] = item.warnings
    if entry.disposition == Disposition.SKIPPED_UNCHANGED:
        result.output = entry.previous_output
        if entry.previous_disposition == Disposition.NO_BILLING_TABLE:
            result.warnings.append("no sheet had a billing table when it was last checked")


def _results(items: list[InboxItem], todo: list[int], outputs: dict[int, Path], config: Config,
             options: BatchOptions, tick: Callable[[], None] | None
             ) -> Iterator[tuple[int, Checked]]:
    """Every input checked in a worker process, a single file's too (a crash must cost only
    its input). One file per task, and results without their findings (spooled by the
    worker): memory stays bounded by the largest single workbook, in workers and parent."""
    if not todo:
        return
    spool = options.work_dir / "findings"
    spool.mkdir(mode=0o700, exist_ok=True)
    jobs = min(options.jobs, len(todo))
    tasks = ((i, (items[i].path, options.as_of, outputs.get(i), options.writes,
                  spool / f"{i}.jsonl", options.extras)) for i in todo)
    with WorkerPool[int](jobs, init=_init_worker, initargs=(config,),
                         memory_limit=memory_ceiling(jobs),
                         task_seconds=options.task_seconds) as pool:
        for index, outcome in pool.run(_check_in_worker, tasks, tick=tick):
            if isinstance(outcome, Failure):
                dest = outputs.get(index)
                if dest is not None:  # a copy it was writing when it died
                    remove_leftovers(dest.parent, pid=outcome.pid)
                failed = FileResult(input=str(items[index].path),
                                    error=InputError(outcome.code, outcome.message))
                yield index, (failed, Counts(), None)
            else:
                yield index, outcome


def remember(entries: list[BatchEntry], config: Config, options: BatchOptions) -> None:
    """Record every input checked in this run (by content hash) in the state file of
    options.out_dir: read again, merged, and written atomically. The caller holds the folder
    (nmr_xl.outdir.claim), so no other run's entries are lost. Only counts, names of rules,
    payers and providers, and file names: never a cell's content. Raises OSError when the
    state cannot be written."""
    assert options.out_dir is not None
    state = load_state(options.out_dir)
    fingerprint = rules_fingerprint(config)
    today = dt.date.today().isoformat()
    holder = {path_key(copy): sha for sha, seen in state.items()
              if (copy := _stored_output(seen, options.out_dir)) is not None}
    for entry in entries:
        if (entry.disposition not in (Disposition.CHECKED, Disposition.NO_BILLING_TABLE)
                or not entry.item.sha256):
            continue
        output = None
        if entry.result.output:
            output = os.path.relpath(entry.result.output, options.out_dir).replace(os.sep, "/")
            previous = holder.get(path_key(entry.result.output))
            if previous is not None and previous != entry.item.sha256:
                state.pop(previous, None)  # a copy this run replaced is no longer theirs
        state[entry.item.sha256] = {
            "rules": fingerprint,
            "as_of": options.as_of.isoformat(),
            "checked_on": today,
            "output": output,
            "label": entry.item.label,
            "disposition": entry.disposition.value,
            "counts": entry.counts.as_json(),
            "extras": {"packets": options.extras.packets, "pdf": options.extras.pdf},
        }
    save_state(options.out_dir, state)


def default_jobs() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1

"""A batch's entries -> the linter-style text report and the versioned JSON report; their
totals are drawn from nmr_xl.batch_totals.

Both read each input's findings back one input at a time (BatchEntry.findings): a batch keeps
its findings on disk (nmr_xl.spool), and a report never needs all of them in memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from nmr_xl.batch import BatchEntry
from nmr_xl.batch_totals import BatchInput, BatchTotals
from nmr_xl.inbox.names import shown
from nmr_xl.inputs import LABEL_SEP, Disposition
from nmr_xl.model import FIELD_LABELS as LABELS
from nmr_xl.model import Severity, column_letter
from nmr_xl.read.rows import sentence as not_charges_sentence
from nmr_xl.runner import SheetReport

SCHEMA = "nmr-xl/report@1"


def write_report_json(out: TextIO, entries: Iterable[BatchEntry], as_of: dt.date,
                      totals: BatchTotals) -> None:
    """The JSON report, laid out as json.dumps(report, indent=2) would, written input by input
    (so only one input's findings are in memory); the totals, this run's, come last."""
    out.write(f'{{\n  "schema": {json.dumps(SCHEMA)},\n  "as_of": '
              f'{json.dumps(as_of.isoformat())},\n  "files": [')
    files = 0
    for entry in entries:
        out.write(("," if files else "") + "\n    " + _indented(_file_json(entry), 2))
        files += 1
    now = totals.now
    document = {"files": files, "rows": now.rows, "findings": now.findings,
                "by_severity": {s.value: now.by_severity[s.value] for s in Severity},
                "by_rule": dict(sorted(now.by_rule.items()))}
    close = "\n  ]" if files else "]"
    out.write(f'{close},\n  "totals": {_indented(document, 1)}\n}}\n')


def _indented(value: object, level: int) -> str:
    """json.dumps(value, indent=2) for a value nested `level` deep in the document."""
    return json.dumps(value, indent=2).replace("\n", "\n" + "  " * level)


def _file_json(entry: BatchEntry) -> dict[str, Any]:
    r, email = entry.result, entry.email
    return {
        "input": r.input,
        "output": r.output,
        "status": entry.status,
        "error": {"code": r.error.code, "message": r.error.message} if r.error else None,
        # "cannot be fully checked" warnings first (also in sheets[].missing_fields)
        "warnings": r.cannot_check + r.warnings,
        "sheets": [_sheet_json(s) for s in r.sheets],
        "skipped_sheets": [{"name": s.name, "reason": s.reason} for s in r.skipped],
        "payers": r.payers,
        # payer names no profile matched (they fall back to `default`): add them to a profile
        "unmatched_payers": sorted(p for p, pid in r.payers.items() if pid == "default"),
        "findings": [f.as_dict() for f in entry.findings],
        "suppressed": r.suppressed,
        # checked / skipped-unchanged / no-billing-table / error, where else the same content
        # arrived from, and the e-mail it came with
        "disposition": entry.disposition.value,
        "sources": entry.item.sources,
        "email": None if email is None else {"sender": email.sender, "subject": email.subject,
                                             "date": email.date},
    }


def _sheet_json(s: SheetReport) -> dict[str, Any]:
    return {
        "name": s.name, "header_row": s.header_row, "rows": s.rows, "columns": s.columns,
        "rules_not_run": s.not_run,
        # added within report@1 (new keys only): how every heading was read, the critical
        # fields with no column, the rows that were not charge lines, notes on the reading
        "column_map": [{"column": column_letter(c.column), "heading": c.heading,
                        "field": c.field.value if c.field else None,
                        "confidence": c.confidence, "why": c.why} for c in s.reads],
        "missing_fields": s.missing,
        "not_charge_rows": s.not_charges,
        "reading_notes": s.notes,
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


def _severity_counts(counts: Counter[Severity]) -> str:
    parts = [_plural(counts[s], s.value) for s in Severity if counts[s]]
    return f" ({', '.join(parts)})" if parts else ""


def short_name(label: str) -> str:
    """An input's label without the folder it was found in: `billing.xlsx`; for an attachment
    the message's file name, then the attachment's (a zip member keeps its folder in the zip:
    two members may share a file name)."""
    first, sep, rest = label.partition(LABEL_SEP)
    return Path(first).name + sep + rest


def report_text(entries: Iterable[BatchEntry], *, batch: bool = False, quiet: bool = False
                ) -> Iterable[str]:
    """Linter-style lines: `file:sheet!F4: NMR102 error  message`, then a summary per file.

    `batch`: rules not run for want of a column are left to batch_footer, which lists each
    once for all the files instead of once per file. `quiet`: the summary line and the
    warnings of each file only, not each finding nor how its sheets were read."""
    entries = list(entries)
    # two inputs of one name (jan.xlsx from two practices' folders) keep their folders
    shared = Counter(short_name(entry.result.input) for entry in entries)
    for entry in entries:
        r = entry.result
        name = short_name(r.input)
        if shared[name] > 1:
            name = r.input
        if r.error:
            yield f"{r.input}: error [{r.error.code}] {r.error.message}"
            continue
        if entry.disposition == Disposition.SKIPPED_UNCHANGED:
            then = f"; {'; '.join(r.warnings)}" if r.warnings else ""
            yield (f"{r.input}: unchanged since the last check with these rules{then}; "
                   f"skipped (--force checks it again) -> {shown(r.output or 'no copy')}")
            continue
        for text in r.cannot_check:
            yield f"{r.input}: warning: {text}"
        counts: Counter[Severity] = Counter()
        for f in entry.findings:
            counts[f.severity] += 1
            if not quiet:
                yield f"{r.input}:{f.sheet}!{f.cell}: {f.rule} {f.severity.value}  {f.message}"
        sheets = _plural(len(r.sheets), "sheet")
        summary = (f"{name}: {_plural(r.rows, 'billing line')} on {sheets}, "
                   f"{_plural(counts.total(), 'finding')}{_severity_counts(counts)}")
        if r.suppressed:
            summary += f", {r.suppressed} suppressed"
        if r.output:
            summary += f" -> {shown(r.output)}"
        yield summary
        for source in entry.item.sources[1:]:
            yield f"  also received as {source} (same content, checked once)"
        for s in [] if quiet else r.sheets:
            yield from _reading_lines(s, r.input)
            for note in [] if batch else s.not_run:
                yield f"  {s.name}: not run: {note}"
        for skipped in [] if quiet else r.skipped:
            yield f"  skipped sheet {skipped.name}: {skipped.reason}"
        for w in r.warnings:
            yield f"  warning: {w}"


def _reading_lines(s: SheetReport, name: str) -> Iterable[str]:
    """What a biller should know about how a sheet was read: columns guessed, columns that look
    like a field but were not read, rows that were not charge lines, notes."""
    for c in s.guessed:
        assert c.field is not None
        yield (f"  {s.name}: read '{c.heading}' ({column_letter(c.column)}) as "
               f"{LABELS[c.field]} (guessed: {c.why})")
    suspect = [c for c in s.reads if c.field is None and c.looks_like is not None]
    if suspect:
        shown = ", ".join(f"'{c.heading}' ({column_letter(c.column)})" for c in suspect)
        yield (f"  {s.name}: not read: {shown}; `nmr-xl columns {short_name(name)}` says why "
               "and how to pin a column")
    if s.not_charges:
        yield f"  {s.name}: {not_charges_sentence(s.not_charges)}"
    for note in s.notes:
        yield f"  {s.name}: {note}"


def batch_footer(inputs: Sequence[BatchInput], totals: BatchTotals,
                 summary: Path | None = None) -> Iterable[str]:
    """After a batch's per-file lines: what happened to every input, what could not be checked
    and why, the rules that could not run, and where the batch summary is."""
    dispositions = totals.dispositions
    checked = dispositions[Disposition.CHECKED]
    skipped = dispositions[Disposition.SKIPPED_UNCHANGED]
    parts = []
    if checked or not skipped:
        parts.append(f"{checked} checked")
    if skipped:
        parts.append(f"{skipped} skipped (unchanged since the last run)")
    if dispositions[Disposition.NO_BILLING_TABLE]:
        parts.append(f"{dispositions[Disposition.NO_BILLING_TABLE]} without a billing table")
    if dispositions[Disposition.ERROR]:
        parts.append(f"{dispositions[Disposition.ERROR]} could not be checked")
    if totals.duplicates:
        parts.append(f"{_plural(totals.duplicates, 'duplicate')} checked once")
    yield ""
    # every input that arrived, a duplicate too: the parts add up to it
    yield f"{_plural(totals.received, 'input')}: {', '.join(parts)}"
    if checked:
        now = totals.now
        severities = ", ".join(_plural(now.by_severity[s.value], s.value) for s in Severity)
        when = " checked now" if skipped else ""
        yield (f"{_plural(now.findings, 'finding')} ({severities}) in "
               f"{_plural(now.rows, 'billing line')}{when}")
    partial = [item for item in inputs if item.cannot_check]
    if partial:
        yield "Not fully checked (a sheet lacks a column whole rule families need):"
        for item in partial:
            n = len(item.cannot_check)
            yield f"  {item.label}: {n} warning{'s' if n > 1 else ''} (see above)"
    failed = [(item, item.error) for item in inputs if item.error]
    if failed:
        yield "Not checked:"
        for item, error in failed:
            yield f"  {item.label}: {error.code}: {error.message}"
    if totals.not_run:
        yield "Rules not run for want of a column:"
        for note, n in totals.not_run:
            yield f"  {note} ({_plural(n, 'file')})"
    if summary is not None:
        yield f"Batch summary: {summary}"

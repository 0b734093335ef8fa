"""Results -> the linter-style text report and the versioned JSON report.

Both read each file's findings through FileResult.all_findings(), one file at a time: a batch
keeps its findings on disk (nmr_xl.spool), and a report never needs all of them in memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from nmr_xl.inbox import LABEL_SEP
from nmr_xl.model import FIELD_LABELS as LABELS
from nmr_xl.model import Severity, column_letter
from nmr_xl.read.rows import sentence as not_charges_sentence
from nmr_xl.runner import FileResult, SheetReport

SCHEMA = "nmr-xl/report@1"


def write_report_json(out: TextIO, results: Iterable[FileResult], as_of: dt.date) -> None:
    """The JSON report, laid out as json.dumps(report, indent=2) would, written file by file
    (so only one file's findings are in memory); the totals come last, as they always have."""
    out.write(f'{{\n  "schema": {json.dumps(SCHEMA)},\n  "as_of": '
              f'{json.dumps(as_of.isoformat())},\n  "files": [')
    files = rows = 0
    by_severity: Counter[str] = Counter({s.value: 0 for s in Severity})
    by_rule: Counter[str] = Counter()
    for r in results:
        document = _file_json(r)
        out.write(("," if files else "") + "\n    " + _indented(document, 2))
        files += 1
        rows += r.rows
        for finding in document["findings"]:
            by_severity[finding["severity"]] += 1
            by_rule[finding["rule"]] += 1
    totals = {"files": files, "rows": rows, "findings": by_severity.total(),
              "by_severity": dict(by_severity), "by_rule": dict(sorted(by_rule.items()))}
    close = "\n  ]" if files else "]"
    out.write(f'{close},\n  "totals": {_indented(totals, 1)}\n}}\n')


def _indented(value: object, level: int) -> str:
    """json.dumps(value, indent=2) for a value nested `level` deep in the document."""
    return json.dumps(value, indent=2).replace("\n", "\n" + "  " * level)


def _file_json(r: FileResult) -> dict[str, Any]:
    return {
        "input": r.input,
        "output": r.output,
        "status": r.status,
        "error": {"code": r.error.code, "message": r.error.message} if r.error else None,
        # "cannot be fully checked" warnings first (also in sheets[].missing_fields)
        "warnings": r.cannot_check + r.warnings,
        "sheets": [_sheet_json(s) for s in r.sheets],
        "skipped_sheets": [{"name": s.name, "reason": s.reason} for s in r.skipped],
        "payers": r.payers,
        # payer names no profile matched (they fall back to `default`): add them to a profile
        "unmatched_payers": sorted(p for p, pid in r.payers.items() if pid == "default"),
        "findings": [f.as_dict() for f in r.all_findings()],
        "suppressed": r.suppressed,
        # batch runs: checked / skipped-unchanged / no-billing-table / error, where else the
        # same content arrived from, and the e-mail it came with
        "disposition": r.disposition or ("error" if r.error else "checked"),
        "sources": r.sources or [r.input],
        "email": r.email,
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


def report_text(results: Iterable[FileResult], *, batch: bool = False, quiet: bool = False
                ) -> Iterable[str]:
    """Linter-style lines: `file:sheet!F4: NMR102 error  message`, then a summary per file.

    `batch`: rules not run for want of a column are left to batch_footer, which lists each
    once for all the files instead of once per file. `quiet`: the summary line and the
    warnings of each file only, not each finding nor how its sheets were read."""
    for r in results:
        name = short_name(r.input)
        if r.error:
            yield f"{r.input}: error [{r.error.code}] {r.error.message}"
            continue
        if r.status == "skipped":
            then = f"; {'; '.join(r.warnings)}" if r.warnings else ""
            yield (f"{r.input}: unchanged since the last check with these rules{then}; "
                   f"skipped (--force checks it again) -> {r.output or 'no copy'}")
            continue
        for text in r.cannot_check:
            yield f"{r.input}: warning: {text}"
        counts: Counter[Severity] = Counter()
        for f in r.all_findings():
            counts[f.severity] += 1
            if not quiet:
                yield f"{r.input}:{f.sheet}!{f.cell}: {f.rule} {f.severity.value}  {f.message}"
        sheets = _plural(len(r.sheets), "sheet")
        summary = (f"{name}: {_plural(r.rows, 'billing line')} on {sheets}, "
                   f"{_plural(counts.total(), 'finding')}{_severity_counts(counts)}")
        if r.suppressed:
            summary += f", {r.suppressed} suppressed"
        if r.output:
            summary += f" -> {r.output}"
        yield summary
        for source in r.sources[1:]:
            yield f"  also received as {source} (same content, checked once)"
        for s in [] if quiet else r.sheets:
            yield from _reading_lines(s, r.input)
            for note in [] if batch else s.not_run:
                yield f"  {s.name}: not run: {note}"
        for s in [] if quiet else r.skipped:
            yield f"  skipped sheet {s.name}: {s.reason}"
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


def batch_footer(results: list[FileResult], summary: Path | None = None) -> Iterable[str]:
    """After a batch's per-file lines: what happened to every input, what could not be checked
    and why, the rules that could not run, and where the batch summary is."""
    dispositions = Counter(r.disposition or ("error" if r.error else "checked") for r in results)
    skipped = dispositions["skipped-unchanged"]
    parts = []
    if dispositions["checked"] or not skipped:
        parts.append(f"{dispositions['checked']} checked")
    if skipped:
        parts.append(f"{skipped} skipped (unchanged since the last run)")
    if dispositions["no-billing-table"]:
        parts.append(f"{dispositions['no-billing-table']} without a billing table")
    if dispositions["error"]:
        parts.append(f"{dispositions['error']} could not be checked")
    duplicates = sum(max(len(r.sources) - 1, 0) for r in results)
    if duplicates:
        parts.append(f"{_plural(duplicates, 'duplicate')} checked once")
    yield ""
    yield f"{_plural(len(results), 'input')}: {', '.join(parts)}"
    if dispositions["checked"]:
        counts = Counter(f.severity for r in results for f in r.all_findings())
        severities = ", ".join(_plural(counts[s], s.value) for s in Severity)
        now = " checked now" if skipped else ""
        yield (f"{_plural(counts.total(), 'finding')} ({severities}) in "
               f"{_plural(sum(r.rows for r in results), 'billing line')}{now}")
    partial = [r for r in results if r.cannot_check]
    if partial:
        yield "Not fully checked (a sheet lacks a column whole rule families need):"
        for r in partial:
            n = len(r.cannot_check)
            yield f"  {r.input}: {n} warning{'s' if n > 1 else ''} (see above)"
    failed = [r for r in results if r.error]
    if failed:
        yield "Not checked:"
        for r in failed:
            assert r.error is not None
            yield f"  {r.input}: {r.error.code}: {r.error.message}"
    not_run: Counter[str] = Counter()
    for r in results:
        for note in {note for s in r.sheets for note in s.not_run}:
            not_run[note] += 1
    if not_run:
        yield "Rules not run for want of a column:"
        for note, n in sorted(not_run.items(), key=lambda kv: (-kv[1], kv[0])):
            yield f"  {note} ({_plural(n, 'file')})"
    if summary is not None:
        yield f"Batch summary: {summary}"

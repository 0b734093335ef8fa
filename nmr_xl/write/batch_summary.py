"""batch-summary.xlsx: one row per input, every finding of the batch, totals and a chart.

Text that came from a sheet or an e-mail (subjects, sender names, payer names) is written as
text, so "=HYPERLINK(...)" in a subject line can never become a formula here.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl.batch import BatchEntry
from nmr_xl.inbox import LABEL_SEP, SUMMARY_FILE
from nmr_xl.model import Severity
from nmr_xl.plan import STYLES
from nmr_xl.write.cells import set_text

_BOLD = Font(bold=True)
_INPUT_COLUMNS = ("Input", "Also received as", "From", "Subject", "E-mail date", "Disposition",
                  "Note", "Billing lines", "Errors", "Warnings", "Info", "Top rules",
                  "Annotated copy")
_FINDING_COLUMNS = ("Input", "Sheet", "Cell", "Row", "Rule", "Name", "Severity", "Message",
                    "What to do")
_DISPOSITION_FILL = {"checked": None, "skipped-unchanged": "EDEDED",
                     "no-billing-table": "FFEB9C", "error": "FFC7CE"}


def practice_of(entry: BatchEntry) -> str:
    """Who sent it: the e-mail's sender, or the folder a file was found in."""
    if entry.email and entry.email.sender:
        return entry.email.sender
    return Path(entry.item.label.split(LABEL_SEP)[0]).parent.name or "(files)"


def _write_row(ws: Worksheet, row: int, values: tuple[object, ...]) -> None:
    for col, value in enumerate(values, start=1):
        if isinstance(value, str):
            set_text(ws, row, col, value)
        else:
            ws.cell(row=row, column=col, value=value)


def _table(ws: Worksheet, name: str, header: tuple[str, ...], rows: list[tuple[object, ...]],
           top: int = 1) -> None:
    _write_row(ws, top, header)
    for offset, values in enumerate(rows, start=1):
        _write_row(ws, top + offset, values)
    if rows:  # an Excel table needs at least one data row
        last_col = ws.cell(row=top, column=len(header)).column_letter
        table = Table(displayName=name, ref=f"A{top}:{last_col}{top + len(rows)}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(table)
    else:
        for col in range(1, len(header) + 1):
            ws.cell(row=top, column=col).font = _BOLD


def _relative(target: str | None, base: Path) -> str | None:
    if not target:
        return None
    try:
        return os.path.relpath(target, base).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return target


def _inputs_sheet(ws: Worksheet, entries: list[BatchEntry], out_dir: Path) -> None:
    rows = []
    for entry in entries:
        r, email = entry.result, entry.email
        counts = Counter(f.severity for f in r.findings)
        top = ", ".join(f"{code} ({n})" for code, n in
                        Counter(f.rule for f in r.findings).most_common(3))
        note = r.error.message if r.error else "; ".join(r.warnings)
        rows.append((
            entry.item.label, "; ".join(entry.item.sources[1:]),
            email.sender or "" if email else "", email.subject or "" if email else "",
            email.date or "" if email else "", entry.disposition, note, r.rows,
            counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.INFO], top,
            _relative(r.output or entry.previous_output, out_dir) or "",
        ))
    _table(ws, "nmr_xl_inputs", _INPUT_COLUMNS, rows)
    link_col = len(_INPUT_COLUMNS)
    for offset, entry in enumerate(entries, start=2):
        fill = _DISPOSITION_FILL.get(entry.disposition)
        if fill:
            ws.cell(row=offset, column=6).fill = PatternFill("solid", fgColor=fill)
        link = ws.cell(row=offset, column=link_col)
        if link.value:
            link.hyperlink = str(link.value)
            link.style = "Hyperlink"
    for letter, width in zip("ABCDEFGHIJKLM", (40, 30, 28, 36, 20, 18, 50, 8, 7, 9, 6, 30, 45),
                             strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "B2"


def _findings_sheet(ws: Worksheet, entries: list[BatchEntry], out_dir: Path) -> None:
    rows = []
    links = []
    for entry in entries:
        copy = _relative(entry.result.output, out_dir)
        for f in entry.result.findings:
            rows.append((entry.item.label, f.sheet, f.cell, f.row, f.rule, f.name,
                         f.severity.value, f.message, f.suggestion))
            links.append((copy, f))
    _table(ws, "nmr_xl_batch_findings", _FINDING_COLUMNS, rows)
    for offset, (copy, f) in enumerate(links, start=2):
        severity = ws.cell(row=offset, column=7)
        style = STYLES[f.severity]
        severity.fill = PatternFill("solid", fgColor=style.fill)
        severity.font = Font(color=style.font)
        if copy:
            quoted = f.sheet.replace("'", "''")
            cell = ws.cell(row=offset, column=3)
            cell.hyperlink = f"{copy}#'{quoted}'!{f.cell}"
            cell.style = "Hyperlink"
    for letter, width in zip("ABCDEFGHI", (40, 16, 8, 6, 8, 28, 9, 70, 70), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def _totals_sheet(ws: Worksheet, entries: list[BatchEntry]) -> None:
    dispositions = Counter(e.disposition for e in entries)
    severities = Counter(f.severity.value for e in entries for f in e.result.findings)
    rules = Counter(f.rule for e in entries for f in e.result.findings)
    practices: Counter[str] = Counter()
    payers: Counter[str] = Counter()
    providers: Counter[str] = Counter()
    for entry in entries:
        practices[practice_of(entry)] += len(entry.result.findings)
        payers.update(entry.result.findings_by_payer)
        providers.update(entry.result.findings_by_provider)
    set_text(ws, 1, 1, "nmr-xl batch summary")
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    row = 3
    sections: list[tuple[str, tuple[str, str], list[tuple[str, int]]]] = [
        ("Inputs", ("Disposition", "Inputs"), sorted(dispositions.items())),
        ("Findings by severity", ("Severity", "Findings"),
         [(s.value, severities.get(s.value, 0)) for s in Severity]),
        ("Findings by practice (sender)", ("Practice", "Findings"), practices.most_common()),
        ("Findings by payer", ("Payer", "Findings"), payers.most_common()),
        ("Findings by rendering provider", ("Provider", "Findings"), providers.most_common()),
    ]
    for title, header, data in sections:
        set_text(ws, row, 1, title)
        ws.cell(row=row, column=1).font = _BOLD
        _write_row(ws, row + 1, header)
        for col in (1, 2):
            ws.cell(row=row + 1, column=col).font = _BOLD
        for offset, values in enumerate(data, start=2):
            _write_row(ws, row + offset, values)
        row += len(data) + 3
    set_text(ws, row, 1, "Findings by rule")
    ws.cell(row=row, column=1).font = _BOLD
    header_row = row + 1
    _write_row(ws, header_row, ("Rule", "Findings"))
    for offset, (code, n) in enumerate(sorted(rules.items()), start=1):
        _write_row(ws, header_row + offset, (code, n))
    if rules:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Findings by rule, whole batch"
        chart.legend = None
        chart.height = max(6.0, 0.6 * len(rules) + 2)
        values = Reference(ws, min_col=2, min_row=header_row, max_row=header_row + len(rules))
        labels = Reference(ws, min_col=1, min_row=header_row + 1,
                           max_row=header_row + len(rules))
        chart.add_data(values, titles_from_data=True)
        chart.set_categories(labels)
        ws.add_chart(chart, "D3")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 12
    for cell in ws["A"]:
        cell.alignment = Alignment(vertical="top")


def write_batch_summary(entries: list[BatchEntry], out_dir: Path) -> Path:
    """Write batch-summary.xlsx atomically in out_dir and return its path."""
    book = Workbook()
    totals = book.active
    totals.title = "Totals"
    _totals_sheet(totals, entries)
    _inputs_sheet(book.create_sheet("Inputs"), entries, out_dir)
    _findings_sheet(book.create_sheet("Findings"), entries, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / SUMMARY_FILE
    fd, tmp = tempfile.mkstemp(prefix=".batch-summary-", suffix=".xlsx", dir=out_dir)
    os.close(fd)
    try:
        book.save(tmp)
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dest

"""The batch summary's Totals sheet: the headline, what could not be checked, findings by
practice (with a chart), payer, rendering provider and rule. Laid out in memory: its size grows
with the practices, payers, providers and rules, never with the findings."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from nmr_xl import __version__
from nmr_xl.batch_totals import BatchInput, BatchTotals
from nmr_xl.inputs import Disposition
from nmr_xl.model import Severity
from nmr_xl.write.batch_summary import tables
from nmr_xl.write.batch_summary.cells import (
    BOLD,
    FONT,
    HEADER_BORDER,
    HEADER_FILL,
    NOT_CHECKED_FILL,
    QUIET,
    SEVERITIES,
    TOP,
    WRAP,
    Grid,
    Value,
    as_sheet,
)

_TITLE = Font(name=FONT, bold=True, size=14)
_SECTION = Font(name=FONT, bold=True, size=12, color="1F4E78")
_HEADLINE = Font(name=FONT, bold=True, size=12)
_CM_PER_ROW = 0.53  # a default row: 15 points
_SEVERITY_HEADERS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings",
                     Severity.INFO: "Info"}
_TOTALS_WIDTHS = (44, 30, 9, 9, 9, 9, 9, 9, 9, 9)  # A: names; B: senders, codes; C..J: numbers
_PRACTICE_SECTION = "By practice (sender's mail domain; files not e-mailed, by folder)"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _headline(totals: BatchTotals, max_links: int) -> list[str]:
    skipped = totals.dispositions[Disposition.SKIPPED_UNCHANGED]
    errors = totals.dispositions[Disposition.ERROR]
    earlier = f" ({totals.earlier:,} of them in an earlier run)" if totals.earlier else ""
    parts = [f"{totals.with_numbers:,} checked{earlier}"]
    if totals.without_table:
        parts.append(f"{totals.without_table:,} without a billing table")
    if errors:
        parts.append(f"{errors:,} could not be checked")
    if totals.duplicates:
        parts.append(f"{_plural(totals.duplicates, 'duplicate')} checked once")
    # every input that arrived, a duplicate too: the parts add up to it
    lines = [f"{_plural(totals.received, 'input')}: {', '.join(parts)}"]
    overall = totals.overall
    severities = ", ".join(_plural(overall.by_severity.get(s.value, 0), s.value,
                                   "info" if s is Severity.INFO else None)
                           for s in SEVERITIES)
    lines.append(f"{_plural(overall.findings, 'finding')} ({severities}) in "
                 f"{_plural(overall.rows, 'billing line')}")
    if skipped:
        lines.append(f"{_plural(skipped, 'input was', 'inputs were')} unchanged since an "
                     "earlier run and not checked again: their numbers are from that check and "
                     "their findings are in their annotated copies, not on the Findings sheet "
                     "(--force checks them again).")
    if totals.now.findings > max_links:
        lines.append(f"The first {max_links:,} rows of the Findings sheet link to their "
                     "cell in the annotated copy (a sheet holds only so many links); every copy "
                     "is linked on the Inputs sheet, and its own summary sheet links each of "
                     "its findings.")
    if totals.duplicates:
        was = "was" if totals.duplicates == 1 else "were"
        lines.append(f"{_plural(totals.duplicates, 'attachment or file', 'attachments or files')} "
                     f"arrived again with the same content and {was} checked once (see 'Also "
                     "received as' on the Inputs sheet).")
    return lines


def _section(grid: Grid, row: int, title: str) -> int:
    grid.text(row, 1, title).font = _SECTION
    return row + 1


def _header(grid: Grid, row: int, header: tuple[str, ...], widths: tuple[int, ...] | None = None
            ) -> None:
    grid.values(row, header)
    for col in range(1, len(header) + 1):
        cell = grid.cell(row, col)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = WRAP
    if widths:
        grid.fit(row, [(text, width - 1) for text, width in zip(header, widths, strict=False)])


def _not_checked(grid: Grid, row: int, inputs: Sequence[BatchInput]) -> int:
    failed = [item for item in inputs if not item.has_numbers]
    if not failed:
        return row
    last_col = len(_TOTALS_WIDTHS)
    row = _section(grid, row, "Could not be checked")
    _header(grid, row, ("Input", "Reason", "What happened, and what to do"))
    grid.merge(row, 3, last_col)
    message_width = sum(_TOTALS_WIDTHS[2:])
    for item in failed:
        row += 1
        reason = item.reason or ""
        message = item.note  # the error's message, or why an unchanged input has no numbers
        sender = item.sender_name
        label = item.label + (f"\n(from {sender})" if sender else "")
        grid.values(row, (label, reason, message))
        grid.merge(row, 3, last_col)
        for col in (1, 2, 3):
            grid.cell(row, col).alignment = WRAP
        fill = NOT_CHECKED_FILL[Disposition.NO_BILLING_TABLE if reason ==
                                 Disposition.NO_BILLING_TABLE else Disposition.ERROR]
        grid.cell(row, 2).fill = PatternFill("solid", fgColor=fill)
        grid.fit(row, [(label, _TOTALS_WIDTHS[0]), (reason, _TOTALS_WIDTHS[1]),
                       (message, message_width)])
    return row + 2


def _practice_table(grid: Grid, row: int, totals: BatchTotals) -> tuple[int, int, int]:
    """Returns (header row, last row, next free row)."""
    row = _section(grid, row, _PRACTICE_SECTION)
    header = ("Practice", "Senders", "Inputs", "Checked", "Not checked", "Billing lines",
              *(_SEVERITY_HEADERS[s] for s in SEVERITIES), "Findings")
    _header(grid, row, header, widths=_TOTALS_WIDTHS)
    header_row = row
    for p in totals.practices:
        row += 1
        senders = ", ".join(p.senders)
        grid.values(row, (p.name, senders, p.inputs, p.checked, p.not_checked, p.counts.rows,
                          *(p.counts.by_severity.get(s.value, 0) for s in SEVERITIES),
                          p.counts.findings))
        grid.cell(row, 2).alignment = WRAP
        if p.not_checked:
            grid.cell(row, 5).fill = PatternFill("solid", fgColor="FFC7CE")
        grid.fit(row, [(senders, _TOTALS_WIDTHS[1]), (p.name, _TOTALS_WIDTHS[0])])
    return header_row, row, row + 2


def _count_table(grid: Grid, row: int, title: str, header: tuple[str, ...],
                 data: Sequence[Sequence[Value]]) -> tuple[int, int]:
    """Returns (first data row, next free row)."""
    row = _section(grid, row, title)
    _header(grid, row, header)
    first = row + 1
    if not data:
        grid.text(first, 1, "none").font = QUIET
        return first, first + 2
    for offset, values in enumerate(data):
        grid.values(first + offset, values)
    return first, first + len(data) + 1


_CHART_COLOURS = {Severity.ERROR: "C00000", Severity.WARNING: "FFC000",
                  Severity.INFO: "5B9BD5"}


def _practice_chart(ws: WriteOnlyWorksheet, header_row: int, last_row: int) -> BarChart:
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Findings by practice"
    first_severity_col = 7  # G: Errors, H: Warnings, I: Info
    for offset, severity in enumerate(SEVERITIES):
        values = Reference(ws, min_col=first_severity_col + offset, min_row=header_row,
                           max_row=last_row)
        chart.add_data(values, titles_from_data=True)
        series = chart.series[-1]
        series.graphicalProperties.solidFill = _CHART_COLOURS[severity]
        series.graphicalProperties.line.solidFill = _CHART_COLOURS[severity]
    chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.y_axis.title = "Findings"
    chart.x_axis.scaling.orientation = "maxMin"  # the practice with most findings on top
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend.position = "b"
    chart.height = max(6.0, 0.8 * (last_row - header_row) + 3)
    chart.width = 12.5  # type: ignore[assignment]  # D..J; centimetres, int in the stubs
    return chart


def _rule_chart(ws: WriteOnlyWorksheet, first: int, last: int) -> BarChart:
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Findings by rule"
    chart.legend = None
    chart.add_data(Reference(ws, min_col=3, min_row=first - 1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.series[0].graphicalProperties.solidFill = "1F4E78"
    chart.x_axis.scaling.orientation = "maxMin"
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.height = max(6.0, 0.6 * (last - first + 1) + 3)
    chart.width = 12.5  # type: ignore[assignment]
    return chart


def totals_sheet(ws: WriteOnlyWorksheet, inputs: Sequence[BatchInput], totals: BatchTotals,
                 as_of: dt.date | None, max_links: int) -> None:
    """The Totals sheet; its headline says when findings past the first `max_links` are not
    linked on the Findings sheet."""
    tables.print_setup(ws, landscape=False)
    for col, width in enumerate(_TOTALS_WIDTHS, start=1):
        as_sheet(ws).column_dimensions[get_column_letter(col)].width = width
    grid = Grid(ws)
    grid.text(1, 1, "nmr-xl batch summary").font = _TITLE
    written = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    facts = f"written {written} by nmr-xl {__version__}"
    if as_of is not None:
        facts = f"Checked as of {as_of.isoformat()}; " + facts
    grid.text(2, 1, facts).font = QUIET
    row = 4
    for index, line in enumerate(_headline(totals, max_links)):
        cell = grid.text(row, 1, line)
        cell.font = _HEADLINE if index < 2 else QUIET
        cell.alignment = WRAP
        grid.merge(row, 1, len(_TOTALS_WIDTHS))
        grid.fit(row, [(line, sum(_TOTALS_WIDTHS) * (0.85 if index < 2 else 1.0))])
        row += 1
    row = _not_checked(grid, row + 1, inputs)

    header_row, last_row, row = _practice_table(grid, row, totals)
    chart_top, chart_rows = row, 0
    if last_row > header_row and totals.overall.findings:
        chart = _practice_chart(ws, header_row, last_row)
        as_sheet(ws).add_chart(chart, f"D{row}")
        chart_rows = math.ceil(chart.height / _CM_PER_ROW) + 1

    overall = totals.overall
    _, row = _count_table(grid, row, "By payer", ("Payer", "Findings"),
                          overall.by_payer.most_common())
    _, row = _count_table(grid, row, "By rendering provider", ("Provider", "Findings"),
                          overall.by_provider.most_common())
    row = max(row, chart_top + chart_rows + 1)
    first, row = _count_table(grid, row, "By rule", ("Rule", "Name", "Findings"), totals.by_rule)
    if totals.by_rule:
        as_sheet(ws).add_chart(_rule_chart(ws, first, first + len(totals.by_rule) - 1),
                              f"D{first - 1}")
    for (r, col), cell in grid.cells.items():
        if r >= 4 and col == 1 and cell.alignment.wrap_text is not True:
            cell.alignment = TOP
    grid.write()

"""batch-summary.xlsx: the billing manager's overview of a batch, drawn from its totals and
inputs as plain data (nmr_xl.batch_totals).

- Totals (opens first): what the batch was, what could not be checked and why, findings by
  practice (sender domain; files not e-mailed by their folder) with a chart, by payer, by
  rendering provider and by rule.
- Inputs: one row per input (source, e-mail sender/subject/date, disposition, reason, counts,
  top rules, a link to the annotated copy), a filterable table.
- Findings: every finding of the inputs checked in this run, a filterable table whose cell
  links open the annotated copy at the flagged cell.

An input skipped as unchanged keeps the numbers of its last check (from the state file), so a
daily re-run still gives the whole inbox's totals; its findings are in its annotated copy.

Text that came from a sheet or an e-mail (subjects, sender names, payer names) is written as
text, so "=HYPERLINK(...)" in a subject line can never become a formula here.

Written with openpyxl's write-only mode: the Inputs and Findings sheets are streamed row by row
(the findings read back from the batch's spool one input at a time), so the summary of a batch
with 100,000 findings needs little more memory than one of a dozen. Only the Totals sheet, whose
size grows with the practices, payers, providers and rules but not with the findings, is laid
out in memory first.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from copy import copy
from pathlib import Path
from typing import cast

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl import __version__
from nmr_xl.atomic import private_file
from nmr_xl.batch_totals import BatchInput, BatchTotals, Counts
from nmr_xl.inputs import SUMMARY_FILE, Disposition
from nmr_xl.model import Finding, Severity
from nmr_xl.plan import STYLES
from nmr_xl.print_layout import SCALE_BOUND, Margins, column_points, usable_points
from nmr_xl.write.summary import fit_to_page

# A cell's font replaces the workbook's default entirely: without a name, LibreOffice draws
# these cells in a serif font
_FONT = "Calibri"
_BOLD = Font(name=_FONT, size=11, bold=True)
_TITLE = Font(name=_FONT, bold=True, size=14)
_SECTION = Font(name=_FONT, bold=True, size=12, color="1F4E78")
_HEADLINE = Font(name=_FONT, bold=True, size=12)
_QUIET = Font(name=_FONT, size=11, italic=True, color="595959")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="8EA9DB"))
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)
_NUMBER = Alignment(vertical="top", horizontal="center")
_DATE = Alignment(vertical="top", horizontal="left")  # not run into the Disposition beside it
_DATE_FORMAT = "yyyy-mm-dd hh:mm"
_POINTS_PER_LINE = 15.0
_CM_PER_ROW = 0.53  # a default row: 15 points
_FINDING_TOOLTIP = "Open the annotated copy at this cell"
# Findings whose Cell links to the copy. Excel takes at most 65,530 links on a sheet, and
# openpyxl holds every link of a sheet in memory until the sheet is written (about 1 KB each):
# past this many, the Cell is plain text (the Inputs sheet links every copy, and each copy's
# summary sheet links each of its findings), so memory stays bounded however large the batch.
MAX_FINDING_LINKS = 20_000

_INPUT_COLUMNS = ("Input", "Also received as", "From", "Subject", "Sent", "Disposition",
                  "Reason", "Note", "Billing lines", "Errors", "Warnings", "Info", "Top rules",
                  "Annotated copy")
_INPUT_WIDTHS = (36, 26, 34, 26, 17, 17, 18, 42, 8, 7, 9, 6, 22, 30)
_INPUT_WRAPPED = {"Input", "Also received as", "From", "Subject", "Note", "Top rules",
                  "Annotated copy"}
# Printed across then down: the first page of a row holds where, what and the message; the
# second (after a manual column break, with the Input repeated) what to do and the rest.
_FINDING_COLUMNS = ("Input", "Cell", "Rule", "Severity", "Message", "What to do", "Name",
                    "Sheet", "Row", "Practice")
_FINDING_WIDTHS = (30, 7, 8, 9, 55, 55, 24, 12, 6, 20)
_FINDING_WRAPPED = {1, 5, 6, 7, 10}
_FINDING_FIRST_PAGE = 5  # columns A..E print on a row's first page
_NOT_CHECKED_FILL = {Disposition.NO_BILLING_TABLE: "FFEB9C", Disposition.ERROR: "FFC7CE"}
_DISPOSITION_FILL = {Disposition.CHECKED: None, Disposition.SKIPPED_UNCHANGED: "EDEDED",
                     **_NOT_CHECKED_FILL}
_SEVERITIES = tuple(Severity)
_SEVERITY_HEADERS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings",
                     Severity.INFO: "Info"}
_Value = str | int | float | dt.datetime | None  # what a cell of the summary holds


# --- cells ---------------------------------------------------------------------------------------


class _Formats:
    """Cell formats by name, made once and then copied onto each cell: openpyxl looks every
    font, fill and alignment set on a cell up in the workbook's style tables, which costs more
    than writing the cell when a batch has 100,000 findings."""

    def __init__(self) -> None:
        self._made: dict[str, StyleArray] = {}

    def apply(self, cell: Cell, name: str, *, style: str | None = None, **attrs: object
              ) -> None:
        made = self._made.get(name)
        if made is not None:
            cell._style = copy(made)  # type: ignore[attr-defined]  # private in the stubs
            return
        cell._style = StyleArray()  # type: ignore[attr-defined]
        if style is not None:
            cell.style = style
        for attr, value in attrs.items():
            setattr(cell, attr, value)
        self._made[name] = copy(cell._style)  # type: ignore[attr-defined]


def _layout(ws: WriteOnlyWorksheet) -> Worksheet:
    """The sheet's dimensions, merged cells, print settings, tables and charts: a write-only
    sheet has a worksheet's (openpyxl sets them up alike), which its type stubs leave out."""
    return cast(Worksheet, ws)


def _cell(ws: WriteOnlyWorksheet, value: _Value) -> Cell:
    """A cell for a write-only sheet. Text stays text: "=..." from a sheet or an e-mail must
    never become a formula."""
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _lines(text: str, width: float) -> int:
    """Lines `text` takes wrapped in a column `width` characters wide (an estimate)."""
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(len(part) / usable)) for part in text.split("\n"))


def _height(texts: Iterable[tuple[object, float]]) -> float | None:
    """The height a row with wrapped text in merged or narrow cells needs; None for one line.
    Not every program fits rows to their text when it opens a file."""
    lines = max((_lines(text, width) for text, width in texts if isinstance(text, str) and text),
                default=1)
    return _POINTS_PER_LINE * lines if lines > 1 else None


class _Rows:
    """Rows appended to a write-only sheet, numbered. A row's height is set only while the row
    is written (openpyxl reads it then) and dropped after: no object per row stays behind."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.count = 0

    def append(self, cells: list[Cell | None], height: float | None = None) -> None:
        self.count += 1
        if height:
            _layout(self.ws).row_dimensions[self.count].height = height
        self.ws.append(cells)
        if height:
            del _layout(self.ws).row_dimensions[self.count]


class _Grid:
    """A small sheet laid out cell by cell in any order, then written row by row (a write-only
    sheet takes its rows in order only). For the Totals sheet, whose size grows with the
    practices, payers, providers and rules, never with the findings."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.cells: dict[tuple[int, int], Cell] = {}

    def cell(self, row: int, column: int) -> Cell:
        cell = self.cells.get((row, column))
        if cell is None:
            cell = self.cells[row, column] = WriteOnlyCell(self.ws)
        return cell

    def text(self, row: int, column: int, text: str) -> Cell:
        cell = self.cell(row, column)
        cell.value = text
        cell.data_type = "s"  # never a formula
        return cell

    def values(self, row: int, values: Sequence[_Value], column: int = 1) -> None:
        for offset, value in enumerate(values):
            if value is None or value == "":
                continue  # a blank cell, not an empty string
            if isinstance(value, str):
                self.text(row, column + offset, value)
            else:
                self.cell(row, column + offset).value = value

    def merge(self, row: int, first: int, last: int) -> None:
        _layout(self.ws).merged_cells.add(f"{get_column_letter(first)}{row}:"
                                 f"{get_column_letter(last)}{row}")

    def fit(self, row: int, texts: Iterable[tuple[object, float]]) -> None:
        height = _height(texts)
        if height:
            _layout(self.ws).row_dimensions[row].height = height

    @property
    def max_row(self) -> int:
        return max((row for row, _ in self.cells), default=0)

    def write(self) -> None:
        width = max((column for _, column in self.cells), default=0)
        for row in range(1, self.max_row + 1):
            self.ws.append([self.cells.get((row, column)) for column in range(1, width + 1)])


def _header_cells(ws: WriteOnlyWorksheet, formats: _Formats, header: tuple[str, ...]
                  ) -> list[Cell | None]:
    cells: list[Cell | None] = []
    for title in header:
        cell = _cell(ws, title)
        formats.apply(cell, "header", font=_BOLD, fill=_HEADER_FILL, border=_HEADER_BORDER,
                      alignment=_WRAP)
        cells.append(cell)
    return cells


def _header_height(header: tuple[str, ...], widths: tuple[int, ...]) -> float | None:
    # bold text is wider: a little room
    return _height((text, width - 1) for text, width in zip(header, widths, strict=True))


def _data_cell(ws: WriteOnlyWorksheet, formats: _Formats, value: _Value, wrapped: bool
               ) -> Cell | None:
    """A table cell: wrapped text, or counts and row numbers centred apart from the text."""
    if value is None or value == "":
        return None  # a blank cell, not an empty string
    cell = _cell(ws, value)
    if wrapped:
        formats.apply(cell, "wrap", alignment=_WRAP)
    elif isinstance(value, int):
        formats.apply(cell, "number", alignment=_NUMBER)
    else:
        formats.apply(cell, "top", alignment=_TOP)
    return cell


def _table_rows(ws: WriteOnlyWorksheet, formats: _Formats, header: tuple[str, ...],
                widths: tuple[int, ...], wrapped: set[int],
                rows: Iterable[list[Cell | _Value]]) -> int:
    """A filterable table's rows from A1, streamed: the header (also styled by hand, for
    programs that do not draw table styles, such as LibreOffice's PDF export), then `rows`,
    whose items are values or ready cells; columns in `wrapped` (1-based) wrap, and every row
    gets the height its text needs. Returns the number of data rows."""
    for col, width in enumerate(widths, start=1):  # before the first row: openpyxl writes
        _layout(ws).column_dimensions[get_column_letter(col)].width = width  # the columns first
    writer = _Rows(ws)
    writer.append(_header_cells(ws, formats, header), _header_height(header, widths))
    for values in rows:
        cells = [value if isinstance(value, Cell) or value is None
                 else _data_cell(ws, formats, value, col in wrapped)
                 for col, value in enumerate(values, start=1)]
        writer.append(cells, _height((cell.value, widths[col - 1])
                                     for col, cell in enumerate(cells, start=1)
                                     if col in wrapped and cell is not None))
    return writer.count - 1


def _add_table(ws: WriteOnlyWorksheet, name: str, header: tuple[str, ...], rows: int) -> None:
    """The Excel table over the header and `rows` data rows (it needs at least one)."""
    ref = f"A1:{get_column_letter(len(header))}{rows + 1}"
    table = Table(displayName=name, ref=ref, autoFilter=AutoFilter(ref=ref),
                  tableColumns=[TableColumn(id=i, name=title)
                                for i, title in enumerate(header, start=1)])
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    with warnings.catch_warnings():
        # openpyxl warns that write-only tables need their columns named by hand: they are
        warnings.simplefilter("ignore", UserWarning)
        _layout(ws).add_table(table)


def _empty_note(ws: WriteOnlyWorksheet, text: str) -> None:
    cell = _cell(ws, text)
    cell.font = _QUIET
    ws.append([cell])


def _print_setup(ws: WriteOnlyWorksheet, *, landscape: bool = True, wide: bool = False) -> None:
    """`wide` tables: two pages wide, the header row and the Input column on every page; else
    one page wide. As many pages long as needed. Before the first row: openpyxl writes the
    sheet's properties (fit to page) first."""
    sheet = _layout(ws)
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 2 if wide else 1
    sheet.page_setup.fitToHeight = 0
    fit_to_page(sheet, True)
    if wide:
        ws.print_title_rows = "1:1"
        ws.print_title_cols = "A:A"
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def _print_across(ws: WriteOnlyWorksheet, widths: tuple[int, ...], first_page: int) -> None:
    """Two pages wide, across then down: columns 1..`first_page` on a row's first page, the
    rest on the next with column A repeated, at the largest scale (up to 100%) at which each
    page's columns fit (Letter or A4)."""
    _print_setup(ws)
    sheet = _layout(ws)
    fit_to_page(sheet, False)
    points = [column_points(w) for w in widths]
    page = usable_points("landscape", Margins(left=0.4, right=0.4))[0] * 0.95
    widest = max(sum(points[:first_page]), points[0] + sum(points[first_page:]))
    sheet.page_setup.scale = max(SCALE_BOUND, min(100, int(100 * page / widest)))
    sheet.page_setup.pageOrder = "overThenDown"
    ws.print_title_rows = "1:1"
    ws.print_title_cols = "A:A"
    sheet.col_breaks.append(Break(id=first_page))


def _link_target(relative: str) -> str:
    """A relative path as a hyperlink target: the characters a URI reads specially (space,
    %, #, ?) escaped; Excel and LibreOffice unescape them when opening the link."""
    return (relative.replace("%", "%25").replace(" ", "%20").replace("#", "%23")
            .replace("?", "%3F"))


def _relative(target: str | None, base: Path) -> str | None:
    if not target:
        return None
    try:
        return os.path.relpath(target, base).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return target


def _sent(date: str | None) -> dt.datetime | None:
    """The e-mail's date as the sender's local time (Excel has no time zones)."""
    if not date:
        return None
    try:
        return dt.datetime.fromisoformat(date).replace(tzinfo=None)
    except ValueError:
        return None


# --- Inputs --------------------------------------------------------------------------------------


def _top_rules(counts: Counts) -> str:
    ranked = sorted(counts.by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{code} ({n})" for code, n in ranked[:3])


def _input_rows(ws: WriteOnlyWorksheet, formats: _Formats, inputs: Sequence[BatchInput],
                out_dir: Path) -> Iterator[list[Cell | _Value]]:
    for item in inputs:
        email, counts, numbers = item.email, item.counts, item.has_numbers
        sent = _sent(email.date) if email else None
        row: list[Cell | _Value] = [
            item.label, "\n".join(item.sources[1:]),
            email.sender if email else None, email.subject if email else None,
            _date_cell(ws, formats, sent) if sent else None,
            *_disposition_cells(ws, formats, item),
            item.note,
            counts.rows if numbers else None,
            *((counts.by_severity.get(s.value, 0) if numbers else None) for s in _SEVERITIES),
            _top_rules(counts),
            _copy_link(ws, formats, _relative(item.output, out_dir)),
        ]
        yield row


def _date_cell(ws: WriteOnlyWorksheet, formats: _Formats, value: dt.datetime) -> Cell:
    cell = _cell(ws, value)
    formats.apply(cell, "date", alignment=_DATE, number_format=_DATE_FORMAT)
    return cell


def _disposition_cells(ws: WriteOnlyWorksheet, formats: _Formats, item: BatchInput
                       ) -> tuple[Cell, Cell | None]:
    """Disposition and Reason, filled by what became of the input."""
    fill = _DISPOSITION_FILL.get(item.disposition)
    cells = []
    for value in (item.disposition.value, item.reason):
        cell = _cell(ws, value)
        if fill:
            formats.apply(cell, f"disposition-{fill}", alignment=_TOP,
                          fill=PatternFill("solid", fgColor=fill))
        else:
            formats.apply(cell, "top", alignment=_TOP)
        cells.append(cell)
    return cells[0], cells[1]


def _copy_link(ws: WriteOnlyWorksheet, formats: _Formats, relative: str | None
               ) -> Cell | None:
    """A link to the annotated copy, showing the copy's file name (the row says which message
    it came with): short enough for the column, as programs that draw links do not wrap them."""
    if relative is None:
        return None
    cell = _cell(ws, relative.rsplit("/", 1)[-1])
    cell.hyperlink = Hyperlink(ref="", target=_link_target(relative), tooltip=relative)
    formats.apply(cell, "link-wrap", style="Hyperlink", alignment=_WRAP)
    return cell


def _inputs_sheet(ws: WriteOnlyWorksheet, formats: _Formats, inputs: Sequence[BatchInput],
                  out_dir: Path) -> None:
    ws.freeze_panes = "B2"
    _print_setup(ws, wide=True)
    column = {name: index for index, name in enumerate(_INPUT_COLUMNS, start=1)}
    rows = _table_rows(ws, formats, _INPUT_COLUMNS, _INPUT_WIDTHS,
                       {column[name] for name in _INPUT_WRAPPED},
                       _input_rows(ws, formats, inputs, out_dir))
    if rows:
        _add_table(ws, "nmr_xl_inputs", _INPUT_COLUMNS, rows)
    else:
        _empty_note(ws, "No inputs.")


# --- Findings ------------------------------------------------------------------------------------


def _finding_rows(ws: WriteOnlyWorksheet, formats: _Formats, inputs: Sequence[BatchInput],
                  out_dir: Path) -> Iterator[list[Cell | _Value]]:
    """One row per finding, read back from the batch's spool one input at a time; the first
    MAX_FINDING_LINKS with a link to their cell."""
    links = 0
    for item in inputs:
        copy_target = _relative(item.output, out_dir)
        target = _link_target(copy_target) if copy_target else None  # one string per input
        practice = item.practice
        for f in item.findings:
            if links == MAX_FINDING_LINKS:
                target = None
            links += target is not None
            yield [item.label, _finding_link(ws, formats, target, f), f.rule,
                   _severity_cell(ws, formats, f.severity), f.message, f.suggestion, f.name,
                   f.sheet, f.row, practice]


def _finding_link(ws: WriteOnlyWorksheet, formats: _Formats, target: str | None, f: Finding
                  ) -> Cell:
    """The flagged cell's reference, a link that opens the annotated copy at that cell."""
    cell = _cell(ws, f.cell)
    if target is None:
        formats.apply(cell, "top", alignment=_TOP)
        return cell
    quoted = f.sheet.replace("'", "''")
    cell.hyperlink = Hyperlink(ref="", target=target, location=f"'{quoted}'!{f.cell}",
                               tooltip=_FINDING_TOOLTIP)
    formats.apply(cell, "link-top", style="Hyperlink", alignment=_TOP)
    return cell


_SEVERITY_FORMATS = {  # made once: a batch has a severity cell per finding
    severity: (PatternFill("solid", fgColor=STYLES[severity].fill),
               Font(name=_FONT, size=11, color=STYLES[severity].font))
    for severity in Severity}


def _severity_cell(ws: WriteOnlyWorksheet, formats: _Formats, severity: Severity) -> Cell:
    cell = _cell(ws, severity.value)
    fill, font = _SEVERITY_FORMATS[severity]
    formats.apply(cell, severity.value, alignment=_TOP, fill=fill, font=font)
    return cell


def _findings_sheet(ws: WriteOnlyWorksheet, formats: _Formats, inputs: Sequence[BatchInput],
                    skipped: int, out_dir: Path) -> None:
    ws.freeze_panes = "B2"
    _print_across(ws, _FINDING_WIDTHS, _FINDING_FIRST_PAGE)
    rows = _table_rows(ws, formats, _FINDING_COLUMNS, _FINDING_WIDTHS, _FINDING_WRAPPED,
                       _finding_rows(ws, formats, inputs, out_dir))
    if rows:
        _add_table(ws, "nmr_xl_batch_findings", _FINDING_COLUMNS, rows)
        return
    _empty_note(ws, "No findings in the inputs checked in this run." + (
        f" {skipped} unchanged inputs were not checked again: their findings are in their "
        "annotated copies." if skipped else ""))


# --- Totals --------------------------------------------------------------------------------------

_TOTALS_WIDTHS = (44, 30, 9, 9, 9, 9, 9, 9, 9, 9)  # A: names; B: senders, codes; C..J: numbers
_PRACTICE_SECTION = "By practice (sender's mail domain; files not e-mailed, by folder)"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _headline(totals: BatchTotals) -> list[str]:
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
                           for s in _SEVERITIES)
    lines.append(f"{_plural(overall.findings, 'finding')} ({severities}) in "
                 f"{_plural(overall.rows, 'billing line')}")
    if skipped:
        lines.append(f"{_plural(skipped, 'input was', 'inputs were')} unchanged since an "
                     "earlier run and not checked again: their numbers are from that check and "
                     "their findings are in their annotated copies, not on the Findings sheet "
                     "(--force checks them again).")
    if totals.now.findings > MAX_FINDING_LINKS:
        lines.append(f"The first {MAX_FINDING_LINKS:,} rows of the Findings sheet link to their "
                     "cell in the annotated copy (a sheet holds only so many links); every copy "
                     "is linked on the Inputs sheet, and its own summary sheet links each of "
                     "its findings.")
    if totals.duplicates:
        was = "was" if totals.duplicates == 1 else "were"
        lines.append(f"{_plural(totals.duplicates, 'attachment or file', 'attachments or files')} "
                     f"arrived again with the same content and {was} checked once (see 'Also "
                     "received as' on the Inputs sheet).")
    return lines


def _section(grid: _Grid, row: int, title: str) -> int:
    grid.text(row, 1, title).font = _SECTION
    return row + 1


def _header(grid: _Grid, row: int, header: tuple[str, ...], widths: tuple[int, ...] | None = None
            ) -> None:
    grid.values(row, header)
    for col in range(1, len(header) + 1):
        cell = grid.cell(row, col)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        cell.alignment = _WRAP
    if widths:
        grid.fit(row, [(text, width - 1) for text, width in zip(header, widths, strict=False)])


def _not_checked(grid: _Grid, row: int, inputs: Sequence[BatchInput]) -> int:
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
            grid.cell(row, col).alignment = _WRAP
        fill = _NOT_CHECKED_FILL[Disposition.NO_BILLING_TABLE if reason ==
                                 Disposition.NO_BILLING_TABLE else Disposition.ERROR]
        grid.cell(row, 2).fill = PatternFill("solid", fgColor=fill)
        grid.fit(row, [(label, _TOTALS_WIDTHS[0]), (reason, _TOTALS_WIDTHS[1]),
                       (message, message_width)])
    return row + 2


def _practice_table(grid: _Grid, row: int, totals: BatchTotals) -> tuple[int, int, int]:
    """Returns (header row, last row, next free row)."""
    row = _section(grid, row, _PRACTICE_SECTION)
    header = ("Practice", "Senders", "Inputs", "Checked", "Not checked", "Billing lines",
              *(_SEVERITY_HEADERS[s] for s in _SEVERITIES), "Findings")
    _header(grid, row, header, widths=_TOTALS_WIDTHS)
    header_row = row
    for p in totals.practices:
        row += 1
        senders = ", ".join(p.senders)
        grid.values(row, (p.name, senders, p.inputs, p.checked, p.not_checked, p.counts.rows,
                          *(p.counts.by_severity.get(s.value, 0) for s in _SEVERITIES),
                          p.counts.findings))
        grid.cell(row, 2).alignment = _WRAP
        if p.not_checked:
            grid.cell(row, 5).fill = PatternFill("solid", fgColor="FFC7CE")
        grid.fit(row, [(senders, _TOTALS_WIDTHS[1]), (p.name, _TOTALS_WIDTHS[0])])
    return header_row, row, row + 2


def _count_table(grid: _Grid, row: int, title: str, header: tuple[str, ...],
                 data: Sequence[Sequence[_Value]]) -> tuple[int, int]:
    """Returns (first data row, next free row)."""
    row = _section(grid, row, title)
    _header(grid, row, header)
    first = row + 1
    if not data:
        grid.text(first, 1, "none").font = _QUIET
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
    for offset, severity in enumerate(_SEVERITIES):
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


def _totals_sheet(ws: WriteOnlyWorksheet, inputs: Sequence[BatchInput], totals: BatchTotals,
                  as_of: dt.date | None) -> None:
    _print_setup(ws, landscape=False)
    for col, width in enumerate(_TOTALS_WIDTHS, start=1):
        _layout(ws).column_dimensions[get_column_letter(col)].width = width
    grid = _Grid(ws)
    grid.text(1, 1, "nmr-xl batch summary").font = _TITLE
    written = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    facts = f"written {written} by nmr-xl {__version__}"
    if as_of is not None:
        facts = f"Checked as of {as_of.isoformat()}; " + facts
    grid.text(2, 1, facts).font = _QUIET
    row = 4
    for index, line in enumerate(_headline(totals)):
        cell = grid.text(row, 1, line)
        cell.font = _HEADLINE if index < 2 else _QUIET
        cell.alignment = _WRAP
        grid.merge(row, 1, len(_TOTALS_WIDTHS))
        grid.fit(row, [(line, sum(_TOTALS_WIDTHS) * (0.85 if index < 2 else 1.0))])
        row += 1
    row = _not_checked(grid, row + 1, inputs)

    header_row, last_row, row = _practice_table(grid, row, totals)
    chart_top, chart_rows = row, 0
    if last_row > header_row and totals.overall.findings:
        chart = _practice_chart(ws, header_row, last_row)
        _layout(ws).add_chart(chart, f"D{row}")
        chart_rows = math.ceil(chart.height / _CM_PER_ROW) + 1

    overall = totals.overall
    _, row = _count_table(grid, row, "By payer", ("Payer", "Findings"),
                          overall.by_payer.most_common())
    _, row = _count_table(grid, row, "By rendering provider", ("Provider", "Findings"),
                          overall.by_provider.most_common())
    row = max(row, chart_top + chart_rows + 1)
    first, row = _count_table(grid, row, "By rule", ("Rule", "Name", "Findings"), totals.by_rule)
    if totals.by_rule:
        _layout(ws).add_chart(_rule_chart(ws, first, first + len(totals.by_rule) - 1),
                              f"D{first - 1}")
    for (r, col), cell in grid.cells.items():
        if r >= 4 and col == 1 and cell.alignment.wrap_text is not True:
            cell.alignment = _TOP
    grid.write()


def write_batch_summary(inputs: Sequence[BatchInput], totals: BatchTotals, out_dir: Path,
                        as_of: dt.date | None = None) -> Path:
    """Write batch-summary.xlsx atomically in out_dir and return its path. `totals` are
    batch_totals(inputs)."""
    book = Workbook(write_only=True)
    _totals_sheet(book.create_sheet("Totals"), inputs, totals, as_of)  # opens first
    formats = _Formats()
    _inputs_sheet(book.create_sheet("Inputs"), formats, inputs, out_dir)
    _findings_sheet(book.create_sheet("Findings"), formats, inputs,
                    totals.dispositions[Disposition.SKIPPED_UNCHANGED], out_dir)
    dest = out_dir / SUMMARY_FILE
    with private_file(dest) as tmp:
        book.save(tmp)
    return dest

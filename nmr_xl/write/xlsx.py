"""Apply an AnnotationPlan to a copy of the workbook with openpyxl. The input is never touched:
the copy is written to a temporary file beside the destination and moved into place. A CSV
input gets a new workbook holding its cells as text, annotated the same way.
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from copy import copy
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, cast
from xml.sax.saxutils import escape as xml_escape

import openpyxl
from lxml import etree
from openpyxl.cell import _writer as _cell_writer
from openpyxl.cell import rich_text as _rich_text_module
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import Text
from openpyxl.comments import Comment
from openpyxl.compat import safe_string as openpyxl_safe_string
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook as XlWorkbook
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import XML_NS

from nmr_xl.atomic import private_file
from nmr_xl.errors import InputError
from nmr_xl.model import Severity, column_letter
from nmr_xl.packet import Packet
from nmr_xl.plan import (
    FINDINGS_HEADER,
    FINDINGS_SHEET,
    NOTE_AUTHOR,
    NOTE_SEPARATOR,
    STYLES,
    AnnotationPlan,
    CellMark,
    FindingsColumn,
    SheetExtent,
    findings_column_at,
)
from nmr_xl.print_layout import PageSetup
from nmr_xl.summary_layout import NOTICE_ROWS
from nmr_xl.write.cells import set_text
from nmr_xl.write.fidelity import (
    NOTE,
    copy_blocker,
    inventory,
    known_changes,
    lost_parts,
    package_sheets,
)
from nmr_xl.write.package import Unsupported, probe_package, write_package_copy
from nmr_xl.write.package.packet import write_packet
from nmr_xl.write.summary import (
    DEFAULT_FONT,
    WrittenSummary,
    apply_page_setup,
    write_losses,
    write_summary,
)

# What one Excel sheet holds
_MAX_ROWS, _MAX_COLUMNS, _MAX_CELL_TEXT = 1_048_576, 16_384, 32_767
_FORMULA_LIKE = ("=", "+", "-", "@")
# openpyxl writes every cell's text out in full (no shared strings): a workbook that points
# 12,000 cells at one 1 MiB text would become a 12 GiB file and never finish saving.
MAX_TEXT_CHARS = 256 * 1024 * 1024


def _mark(ws: Worksheet, mark: CellMark) -> bool:
    """Colour the cell and add the note; True when the cell had no note of its own."""
    style = STYLES[mark.severity]
    cell = ws.cell(row=mark.row, column=mark.col)
    cell.fill = PatternFill("solid", fgColor=style.fill)
    font = cast(Font, copy(cell.font))  # a style proxy copies to the font it wraps
    font.color = style.font
    cell.font = font
    text, author = mark.note, NOTE_AUTHOR
    own = cell.comment
    if own is not None:  # keep the sheet's own note, and its author
        text, author = own.text + NOTE_SEPARATOR + text, own.author
    lines = text.count("\n") + 1 + len(text) // 60
    cell.comment = Comment(text, author, width=420, height=min(600, 16 * lines + 20))
    return own is None


def _extent(ws: Worksheet, table_last: int) -> SheetExtent:
    """What openpyxl sees of the sheet right of its table (ws._cells holds only the cells the
    sheet has; ws.cell() would create empty ones)."""
    taken = frozenset(col for (_, col), cell in ws._cells.items()
                      if col > table_last and cell.value is not None)
    ends = frozenset(CellRange(table.ref).max_col + 1 for table in ws.tables.values())
    return SheetExtent(ws.max_column, taken, ends)


def _findings_column(book: XlWorkbook, column: FindingsColumn) -> None:
    """Where the plan puts it, unless openpyxl sees something there the plan's reader did not
    (a formula without a stored result): then where the plan's rule puts it given that."""
    if column.on_sheet is None:
        ws = book[column.sheet]
        extent = _extent(ws, column.col - 1)
        if column.col in extent.taken:
            col = findings_column_at(column.col - 1, extent)
            column = replace(column, col=col or 1,
                             on_sheet=None if col else _free_title(book, FINDINGS_SHEET))
    if column.on_sheet is not None:
        ws = book.create_sheet(column.on_sheet, book.sheetnames.index(column.sheet) + 1)
        header = f"{FINDINGS_HEADER} ({column.sheet})"
    else:
        ws, header = book[column.sheet], FINDINGS_HEADER
    col, name, size = column.col, column.font.name or DEFAULT_FONT, column.font.size
    set_text(ws, column.header_row, col, header)
    header_cell = ws.cell(row=column.header_row, column=col)
    header_cell.font = Font(name=name, size=size, bold=True)
    for row, (severity, text) in column.entries.items():
        style = STYLES[severity]
        set_text(ws, row, col, text)
        cell = ws.cell(row=row, column=col)
        cell.fill = PatternFill("solid", fgColor=style.fill)
        cell.font = Font(name=name, size=size, color=style.font)
        cell.alignment = _WRAP  # at the row's foot, as the line's own values
    for row, height in column.heights.items():
        if height > (ws.row_dimensions[row].height or 0):
            ws.row_dimensions[row].height = height
    ws.column_dimensions[column_letter(col)].width = column.width


_WRAP = Alignment(wrap_text=True)


def _free_title(book: XlWorkbook, wanted: str) -> str:
    taken = {name.lower() for name in book.sheetnames}
    title, n = wanted, 2
    while title.lower() in taken:
        title, n = f"{wanted} ({n})", n + 1
    return title


def apply_plan(book: XlWorkbook, plan: AnnotationPlan, losses: list[str] | None = None
               ) -> WrittenSummary:
    """Annotate the workbook: cell marks, findings columns, print settings and the summary
    sheet (`losses`: what the copy cannot carry, as far as known)."""
    notes = sum(_mark(book[mark.sheet], mark) for mark in plan.cells)
    for column in plan.columns:
        _findings_column(book, column)
    for sheet, page in plan.pages.items():
        apply_page_setup(book[sheet], _without_kept(book[sheet], page))
    layout = write_summary(book, plan.summary, losses)
    layout.added[NOTE] += notes
    return layout


def _without_kept(ws: Worksheet, page: PageSetup) -> PageSetup:
    """The plan read the sheet's print titles from the package; openpyxl's own reading of them
    decides here (the openpyxl path also writes files the package writer could not read)."""
    return replace(page, title_rows=None if ws.print_title_rows else page.title_rows,
                   title_cols=None if ws.print_title_cols else page.title_cols)


# --- openpyxl 3.1 bugs that would alter values in the copy, mended while we load and save -----


def _whitespace(node: Any) -> None:
    """openpyxl marks text with xml:space="preserve" only when it has something besides
    whitespace, so a cell or rich-text run holding just " " comes back empty."""
    if node.text and node.text != node.text.strip():
        node.set(f"{{{XML_NS}}}space", "preserve")


def _number_text(value: Any) -> str:
    """openpyxl writes numbers with 16 significant digits ("%.16g"); Excel writes 17 where the
    16th is not enough, and so do we: the copy holds the very same double."""
    if type(value) is float and math.isfinite(value):
        text = f"{value:.16g}"
        return text if float(text) == value else repr(value)
    if type(value) is int:
        return str(value)
    return _safe_string(value)


def _rich_text_from_tree(cls: type[CellRichText], node: Any) -> Any:
    """openpyxl keeps only the plain part of a text made of a plain part and formatted runs."""
    text: Text | None = Text.from_tree(node)
    if text is None or text.t is None or not text.r:
        return _RICH_FROM_TREE(node)
    parts: list[str | TextBlock] = [text.t.replace("x005F_", "")]
    for run in text.r:
        t = (run.t or "").replace("x005F_", "")
        parts.append(TextBlock(run.rPr, t) if run.rPr else t)
    return cls(parts)


_safe_string = openpyxl_safe_string  # what _cell_writer.safe_string is until _FIXES patch it
_RICH_FROM_TREE = CellRichText.from_tree
_FIXES: list[tuple[object, str, object]] = [
    (_cell_writer, "safe_string", _number_text),
    (_cell_writer, "whitespace", _whitespace),
    (_rich_text_module, "whitespace", _whitespace),
    (CellRichText, "from_tree", classmethod(_rich_text_from_tree)),
]


@contextmanager
def _openpyxl_fixed() -> Iterator[None]:
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in _FIXES]
    try:
        for owner, name, fixed in _FIXES:
            setattr(owner, name, fixed)
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def load_for_copy(source: Path, macro: bool) -> XlWorkbook:
    try:
        # openpyxl warns about every extension it drops, and prints some errors on stdout
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()), _openpyxl_fixed():
            warnings.simplefilter("ignore")
            # In memory: openpyxl reads pictures and the VBA project from the file again when
            # saving. A file object, because openpyxl refuses a path by its extension.
            return openpyxl.load_workbook(io.BytesIO(source.read_bytes()), keep_vba=macro,
                                          keep_links=True, rich_text=True)
    except Exception as exc:  # openpyxl raises many unrelated types for odd files
        raise InputError("write-failed", f"openpyxl cannot open the file to write an "
                                         f"annotated copy ({type(exc).__name__})") from None


def findings_extents(source: Path, tables: dict[str, int]) -> dict[str, SheetExtent]:
    """What the findings columns of these sheets (name -> the table's last column) must avoid,
    read from the package; {} when the package writer cannot read it (the plan then places
    each column right of its table, and the openpyxl path checks that column itself)."""
    try:
        return probe_package(source, tables)
    except (*PACKAGE_FAILURES, InputError):
        return {}


def write_copy(source: Path, dest: Path, plan: AnnotationPlan, macro: bool,
               sheets: list[str]) -> list[str]:
    """Write the annotated copy atomically; return what the copy could not carry over.

    The package writer edits the workbook's package and carries everything; a package it does
    not handle goes through openpyxl, and the notes say so and what that path lost."""
    try:
        with private_file(dest) as tmp:
            return write_package_copy(source, tmp, plan).notes
    except PACKAGE_FAILURES as exc:
        reason = str(exc) if isinstance(exc, Unsupported) else f"{type(exc).__name__}"
    blocker = copy_blocker(source)  # what openpyxl would misread (Strict Open XML among them)
    if blocker:
        raise InputError("write-failed", blocker)
    path_note = (f"This copy was written by re-saving the whole workbook through openpyxl, as "
                 f"nmr-xl's package writer cannot edit this file ({reason}).")
    return [path_note, *_openpyxl_copy(source, dest, plan, macro, sheets, path_note)]


def write_packet_file(source: Path, dest: Path, packet: Packet) -> str | None:
    """Write a provider's packet atomically; None, or why it could not be written (packets are
    made by the package writer only: a file it cannot edit gets none)."""
    try:
        with private_file(dest) as tmp:
            write_packet(source, tmp, packet)
    except PACKAGE_FAILURES as exc:
        reason = str(exc) if isinstance(exc, Unsupported) else type(exc).__name__
        return f"nmr-xl cannot take this file apart safely ({reason})"
    except InputError as exc:
        return exc.message
    except OSError as exc:  # the output folder: read-only or full
        return f"cannot write {dest.name} in {dest.parent} ({exc.strerror or type(exc).__name__})"
    return None


# What sends a package to the openpyxl path: parts the package writer cannot read or handle.
PACKAGE_FAILURES = (Unsupported, etree.LxmlError, zipfile.BadZipFile, EOFError, zlib.error)


def _openpyxl_copy(source: Path, dest: Path, plan: AnnotationPlan, macro: bool,
                   sheets: list[str], path_note: str) -> list[str]:
    book = load_for_copy(source, macro)
    missing = [s for s in [*package_sheets(source), *sheets] if s not in book.sheetnames]
    if missing:
        raise InputError("write-failed", "openpyxl cannot read the sheet(s) "
                                         f"{', '.join(dict.fromkeys(missing))} of this file, "
                                         "so a copy would lack them")
    before = inventory(source)
    losses = save_annotated(book, dest, plan, notes=[path_note, *known_changes(before)],
                            compare=partial(lost_parts, before),
                            reload=partial(load_for_copy, source, macro))
    return losses[1:]


def write_rows_copy(rows: Sequence[Sequence[str | None]], sheet: str, dest: Path,
                    plan: AnnotationPlan) -> list[str]:
    """Write a new workbook whose one sheet holds `rows` (a CSV file's cells) as text, annotated.

    Every cell is text, exactly as in the file: "=HYPERLINK(...)", "+1" or "@SUM(...)" from a CSV
    must never become a formula (CSV injection), and "00123" keeps its zeros. Returns notes on
    anything a sheet cannot hold as the file had it.
    """
    width = max((len(r) for r in rows), default=0)
    if len(rows) > _MAX_ROWS or width > _MAX_COLUMNS:
        raise InputError("write-failed", f"the file has {len(rows):,} rows and {width:,} "
                                         f"columns, more than an Excel sheet holds "
                                         f"({_MAX_ROWS:,} rows, {_MAX_COLUMNS:,} columns), so "
                                         "no annotated copy was written")
    book = openpyxl.Workbook()
    ws = book.worksheets[0]
    ws.title = sheet
    cleaned = cut = 0
    for r, cells in enumerate(rows, start=1):
        for c, text in enumerate(cells, start=1):
            if text is None:
                continue
            if ILLEGAL_CHARACTERS_RE.search(text):
                text = ILLEGAL_CHARACTERS_RE.sub("", text)
                cleaned += 1
            if len(text) > _MAX_CELL_TEXT:
                text = text[:_MAX_CELL_TEXT]
                cut += 1
            set_text(ws, r, c, text)
            if text[:1] in _FORMULA_LIKE:  # stays text even when edited in Excel
                ws.cell(row=r, column=c).quotePrefix = True
    notes = []
    if cleaned:
        notes.append(f"{_cells(cleaned)} held control characters a spreadsheet cannot store; "
                     "the copy leaves them out. The original file still has them.")
    if cut:
        notes.append(f"{_cells(cut)} held more than {_MAX_CELL_TEXT:,} characters, the most "
                     "an Excel cell holds; the copy keeps the first "
                     f"{_MAX_CELL_TEXT:,}. The original file still has the rest.")
    return save_annotated(book, dest, plan, notes=notes)


def _refuse_huge_text(book: XlWorkbook) -> None:
    """Refuse before saving what would take openpyxl hours and gigabytes to write."""
    chars = cells = 0
    for ws in book.worksheets:
        for cell in ws._cells.values():  # the cells the sheet has; ws.iter_rows() fills gaps
            value = cell.value
            if isinstance(value, str | CellRichText):
                chars += len(str(value)) if isinstance(value, CellRichText) else len(value)
                cells += 1
    if chars > MAX_TEXT_CHARS:
        raise InputError("too-large", f"the copy would have to write out {chars / 2**30:.1f} GiB "
                                      f"of cell text ({_cells(cells)}; the workbook stores long "
                                      "texts once and refers to them from many cells), over "
                                      f"the {MAX_TEXT_CHARS // 2**20:,} MiB limit")


def _cells(n: int) -> str:
    return "1 cell" if n == 1 else f"{n:,} cells"


def save_annotated(book: XlWorkbook, dest: Path, plan: AnnotationPlan, *,
                   notes: Sequence[str] = (),
                   compare: Callable[[Path, Counter[str]], list[str]] | None = None,
                   reload: Callable[[], XlWorkbook] | None = None) -> list[str]:
    """Apply the plan and save the book to `dest` atomically (a temporary file beside it, moved
    into place). `notes` are known losses; `compare(saved, added)` finds more in the saved file.
    Every note is also written on the summary sheet. Returns all the notes.

    openpyxl cannot save a loaded workbook twice (pictures and a macro project's parts are read
    from the input once), so the notes `compare` finds are written into the saved summary sheet;
    should that fail, the book is loaded again with `reload` (when given), annotated and saved."""
    layout = apply_plan(book, plan, list(notes))
    _refuse_huge_text(book)
    found = list(notes)
    if found:
        write_losses(book, layout, found)
    summary = book[layout.title]
    for offset in range(max(len(found), 1), NOTICE_ROWS):  # the style later notes will need
        summary.cell(row=layout.warnings_row + offset, column=1).font = _LOSS_FONT
    with private_file(dest) as tmp:
        _save(book, tmp)
        more = compare(tmp, layout.added) if compare else []
        if more:  # say so on the summary sheet too
            found += more
            if not _write_losses_into(tmp, summary.path.lstrip("/"), layout.warnings_row,
                                      found):
                if reload is not None:
                    book = reload()
                    layout = apply_plan(book, plan, found)
                write_losses(book, layout, found)
                _save(book, tmp)
    return found


_LOSS_FONT = Font(color=STYLES[Severity.ERROR].font)  # as write_losses colours them


def _write_losses_into(path: Path, part: str, first_row: int, losses: Sequence[str]) -> bool:
    """Put `losses` into the summary sheet's loss rows of the copy openpyxl saved at `path`.
    False (and the file untouched) when the sheet is not as openpyxl writes it."""
    with zipfile.ZipFile(path) as archive:
        if part not in archive.namelist():
            return False
        xml = archive.read(part).decode("utf-8")
    rows = range(first_row, first_row + NOTICE_ROWS)
    cells = [re.search(rf'<c r="A{row}"([^>]*?)(?:/>|>.*?</c>)', xml, re.S) for row in rows]
    style = re.search(r'\bs="(\d+)"', cells[-1].group(1)) if cells[-1] else None
    if style is None or not all(cells):
        return False
    for offset in reversed(range(NOTICE_ROWS)):
        cell = cells[offset]
        assert cell is not None
        text = losses[offset] if offset < len(losses) else ""
        new = f'<c r="A{rows[offset]}" s="{style.group(1)}"'
        if text:
            keep = ' xml:space="preserve"' if text != text.strip() else ""
            new += f' t="inlineStr"><is><t{keep}>{xml_escape(text)}</t></is></c>'
        else:
            new += "/>"
        xml = xml[:cell.start()] + new + xml[cell.end():]
    patched = path.with_name(path.name + ".losses")
    try:
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(patched, "w") as zout:
            for info in zin.infolist():
                zout.writestr(info, xml.encode("utf-8") if info.filename == part
                              else zin.read(info))
        os.replace(patched, path)
    finally:
        patched.unlink(missing_ok=True)
    return True


def _save(book: XlWorkbook, path: Path) -> None:
    try:
        with redirect_stdout(io.StringIO()), _openpyxl_fixed():
            book.save(path)
    except OSError:
        raise  # the output folder (full, read-only): the caller says so
    except Exception as exc:  # openpyxl fails in many ways on what it read from odd files
        raise InputError("write-failed", f"openpyxl could not save the annotated copy "
                                         f"({type(exc).__name__})") from None

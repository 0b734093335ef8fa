"""An .xls or .ods workbook as a new .xlsx holding its values, so the annotated copy can be
written as for any .xlsx. openpyxl reads neither format: python-calamine reads the values (the
cached results of formulas), and this writes them, sheet by sheet, as they were shown.

What such a copy cannot carry (formulas, formatting, comments, charts, pictures) is said in the
run's warnings by the caller.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import openpyxl
import python_calamine as calamine
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from nmr_xl.errors import InputError
from nmr_xl.read.error_cells import error_cells, overlay

FORMAT_NAMES = {"xls": "Excel 97-2003 (.xls)", "ods": "OpenDocument (.ods)"}
_NUMBER_FORMATS = {dt.datetime: "mm/dd/yyyy hh:mm", dt.date: "mm/dd/yyyy", dt.time: "h:mm:ss",
                   dt.timedelta: "[h]:mm:ss"}


def values_workbook(source: Path, kind: str, folder: Path) -> Path:
    """A private temporary .xlsx in `folder` with every worksheet's values; the caller removes
    it."""
    errors = error_cells(str(source), kind)
    book = openpyxl.Workbook(write_only=True)
    with source.open("rb") as handle:
        reader = calamine.CalamineWorkbook.from_filelike(handle)
        try:
            for meta in reader.sheets_metadata:
                if meta.typ != calamine.SheetTypeEnum.WorkSheet:
                    continue
                sheet = book.create_sheet(meta.name[:31])
                if meta.visible == calamine.SheetVisibleEnum.Hidden:
                    sheet.sheet_state = "hidden"
                elif meta.visible == calamine.SheetVisibleEnum.VeryHidden:
                    sheet.sheet_state = "veryHidden"
                rows = reader.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
                # overlay() puts texts into the rows: any cell's value, as far as it cares
                for cells in overlay(rows, errors.get(meta.name)):
                    sheet.append([_cell(sheet, value) for value in cells])
        finally:
            reader.close()
    fd, name = tempfile.mkstemp(prefix=".nmr-xl-", suffix=".xlsx", dir=folder)
    os.close(fd)
    path = Path(name)
    try:
        book.save(path)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise InputError("write-failed", f"cannot write the copy ({exc.strerror})") from None
    return path


def _cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    """A cell for `value`, or the value itself where openpyxl needs no more."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = WriteOnlyCell(sheet, text)
        if text.startswith("=") or cell.data_type == "f":
            cell.data_type = "s"  # a text that looks like a formula stays text
        return cell
    fmt = _NUMBER_FORMATS.get(type(value))
    if fmt is None or not isinstance(value, dt.date | dt.time | dt.timedelta):
        return value
    cell = WriteOnlyCell(sheet)
    cell.value = value
    cell.number_format = fmt
    return cell

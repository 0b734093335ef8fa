"""Values as xlwings hands them over -> rows of cells the reader (build_table) understands.

Shared by the worksheet functions and the in-place check; nothing here imports xlwings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

# COM passes a cell error as the HRESULT of CVErr(n): 0x800A0000 (as a signed int) + n. xlwings
# turns the ones it knows into None, or into their text with err_to_str=True; others stay ints.
_CVERR_BASE = -2146828288
EXCEL_ERRORS: dict[int, str] = {
    _CVERR_BASE + number: text
    for number, text in ((2000, "#NULL!"), (2007, "#DIV/0!"), (2015, "#VALUE!"),
                         (2023, "#REF!"), (2029, "#NAME?"), (2036, "#NUM!"), (2042, "#N/A"),
                         (2045, "#SPILL!"))
}
_CVERR_RANGE = range(_CVERR_BASE + 2000, _CVERR_BASE + 2100)  # newer errors with no fixed text
# Excel's day 0: a time of day without a date arrives from COM as a datetime on this day.
_EXCEL_DAY_ZERO = dt.date(1899, 12, 30)


def rows_from_excel(value: object) -> list[list[object]]:
    """Any argument shape -> rows of cells: a single value -> [[value]], a flat list (one row)
    -> [row], a list of lists -> rows (list or tuple at either level).

    Cells are passed through except:
    - an Excel error as a COM int -> its text ("#N/A"), which the reader reports as an error in
      the cell (NMR002) rather than reading the cell as blank and, in the code column, dropping
      the line; an error with no known text (newer Excel) -> None. Error texts (xlwings'
      err_to_str=True, which callers should use) already are what the reader expects.
    - a time of day (a datetime on 1899-12-30, as COM sends it) -> datetime.time, as openpyxl and
      calamine read it: the minutes column accepts "0:30".
    Blanks (None, ""), numbers as floats, serial dates and datetimes are left to the reader.
    Types are matched exactly (xlwings' converted values), which keeps a 10,000-line table fast.
    """
    if not isinstance(value, list | tuple):
        return [_row([value])]
    if not value:
        return []
    if not isinstance(value[0], list | tuple):
        return [_row(value)]
    return [_row(row) for row in value]


def _error_text(value: int) -> object:
    # COM sends numbers as floats: an int in the CVErr range is a cell error.
    return EXCEL_ERRORS.get(value) if value in _CVERR_RANGE else value


def _time_of_day(value: dt.datetime) -> object:
    return value.time() if value.date() == _EXCEL_DAY_ZERO else value


_CONVERT: dict[type, Callable[[Any], object]] = {int: _error_text, dt.datetime: _time_of_day}


def _row(cells: Sequence[object]) -> list[object]:
    convert = _CONVERT.get
    return [cell if (fix := convert(type(cell))) is None else fix(cell) for cell in cells]

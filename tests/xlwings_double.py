"""A test double of the small part of xlwings' object model the in-place check uses, behaving as
Excel does where the adapter depends on it:

- a written string is read as typed: "'..." is text (the apostrophe is not kept), "=..." a
  formula, "12" a number; numbers read back as floats;
- formulas that refer to a sheet follow it when it is renamed and become #REF! when it is
  deleted (the undo sheet finds the checked cells that way); =ISREF(...) and =HYPERLINK(...)
  have values;
- the used range covers every cell holding a value, a note or a format;
- a new sheet becomes the active sheet; a note is added once per cell;
- a value written right of an Excel table (ListObject), in its rows, makes the table one column
  wider (Excel's AutoExpand);
- a protected sheet refuses every change;
- deleting a row or column (double_delete_row/column, as the biller does it in Excel) moves the
  cells below or right of it and rewrites the references to them: a reference to a deleted cell
  becomes 'Sheet'!#REF!, a whole column follows its column, a whole-sheet reference stays;
- merged cells (loaded from the file, or merged through the API): merge_cells is True, False,
  or None for a range with some; a value written to, or cleared from, part of a merged cell is
  refused ("Cannot change part of a merged cell"), as Excel refuses it;
- hidden rows and columns (hidden, or filtered out: loaded from the file) read as hidden through
  rows.hidden / columns.hidden (None when some are); Range.end moves as Ctrl+Arrow does;
- a workbook whose structure is protected (Book.double_structure_protected) refuses new and
  deleted sheets; book.api answers ProtectStructure (COM) or protect structure (AppleScript);
- on Windows, book.api.SaveCopyAs(path) keeps the workbook as it is then under `path`, and
  app.books.open(path) opens that copy; a dynamic-array formula's result spills from its cell
  (Cell.spill), which rng.api answers with HasSpill, SpillParent and SpillingToRange, and
  writing over the formula takes the spilled values away.

Where real Excel differs between platforms or ranges (the fill or font of a range whose cells
differ, ranges of several areas), the double refuses, so the adapter must not rely on it. Where
xlwings itself differs, `Book(name, platform="mac")` behaves as on macOS (default "win"):
app.hwnd is None; several cells read with err_to_str=True fail with a TypeError (xlwings 0.37's
_xlmac ensure_2d returns None for a 2-D reply); threaded comments raise NotImplementedError; the
sheet's .api is AppleScript's (protect_contents.get()) rather than COM's (ProtectContents); and
on Windows, a sheet added after the last one moves that last sheet (xlwings' workaround, recorded
in Book.double_moved). On both, a cell error reads as None unless err_to_str=True, and the font
colour of a cell whose characters differ fails with a TypeError (int_to_rgb(None) on Windows,
tuple(missing value) on macOS).
tests/test_in_place.py checks that every public name here exists on the real xlwings classes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import column_index_from_string, get_column_letter

DEFAULT_WIDTH = 8.43
DEFAULT_HEIGHT = 15.0
_BLACK = (0, 0, 0)
_ADDRESS = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")
_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?")
_HYPERLINK = re.compile(r'=HYPERLINK\("(?:[^"]|"")*","((?:[^"]|"")*)"\)')
_ROWS = 1_048_576
_COLUMNS = 16_384
# A reference on a sheet: a cell, a whole column ($O:$O) or whole rows ($1:$1048576).
_REFERENCE = r"\$?[A-Z]{1,3}\$?\d+|\$?[A-Z]{1,3}:\$?[A-Z]{1,3}|\$?\d+:\$?\d+|#REF!"
_WHOLE_SHEET = f"$1:${_ROWS}"


@dataclass(frozen=True)
class CellError:
    """A cell error (#N/A, #DIV/0! ...) as Excel holds it."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Cell:
    value: object = None
    formula: str | None = None
    fill: tuple[int, int, int] | None = None
    font_color: tuple[int, int, int] | None = _BLACK  # None: its characters differ
    bold: bool = False
    size: float = 11.0
    wrap: bool = False
    valign: str = "bottom"
    note: str | None = None
    thread: str | None = None  # a threaded comment (Excel 365)
    spill: tuple[int, int] | None = None  # a formula's array result: (rows, columns) from here
    spill_parent: tuple[int, int] | None = None  # the cell whose formula this value spills from

    def used(self) -> bool:
        return self != Cell()


def rgb(colour: tuple[int, int, int] | str | None) -> tuple[int, int, int] | None:
    """A colour as xlwings takes it (a tuple, "#RRGGBB" or None) -> as it reads it."""
    if isinstance(colour, str):
        colour = colour.removeprefix("#")
        return (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16))
    return None if colour is None else tuple(colour)  # type: ignore[return-value]


def _typed(value: object) -> tuple[object, str | None]:
    """(value, formula) of a value written to a cell: as Excel takes what is typed."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:] or None, None
        if value.startswith("="):
            return _evaluate(value), value
        if _NUMBER.fullmatch(value.strip()):
            return float(value), None
        return (value or None), None
    if isinstance(value, bool) or value is None:
        return value, None
    if isinstance(value, int):
        return float(value), None
    return value, None


def _evaluate(formula: str) -> object:
    if formula.upper().startswith("=ISREF("):
        return "#REF!" not in formula
    link = _HYPERLINK.fullmatch(formula)
    return link.group(1).replace('""', '"') if link else None


def _read_only(attr: str) -> property:
    return property(lambda self: getattr(self, attr))


def _settable(attr: str) -> property:
    return property(lambda self: getattr(self, attr),
                    lambda self, value: setattr(self, attr, value))


def _cell_format(name: str, convert: Any = None, via: str = "") -> property:
    """A format: read from one cell, set on every cell of the range (self, or self.<via>)."""

    def rng(self: Any) -> Range:
        return getattr(self, via) if via else self

    def read(self: Any) -> object:
        value = getattr(rng(self)._one(), name)
        if value is None and name == "font_color":  # as xlwings fails on a mixed colour
            raise TypeError("int() argument must be a string or a number, not 'NoneType'")
        return value

    return property(read,
                    lambda self, value: rng(self)._set(
                        **{name: convert(value) if convert else value}))


class App:
    def __init__(self, platform: str) -> None:
        assert platform in ("win", "mac")
        self.double_platform = platform
        self.double_alerts: list[tuple[str, str | None, str | None]] = []
        self.double_files: dict[str, Book] = {}  # what was saved where, as it was then
        self.double_books: list[Book] = []
        self.double_active_book: Book | None = None
        self._screen_updating = True
        self._status_bar: str | bool = False

    @property
    def books(self) -> Books:
        return Books(self)

    screen_updating = _settable("_screen_updating")
    status_bar = _settable("_status_bar")

    @property
    def hwnd(self) -> int | None:
        return 4242 if self.double_platform == "win" else None  # "Windows-only"

    @contextmanager
    def properties(self, **kwargs: Any) -> Iterator[App]:
        before = {name: getattr(self, name) for name in kwargs}
        for name, value in kwargs.items():
            setattr(self, name, value)
        try:
            yield self
        finally:
            for name, value in before.items():
                setattr(self, name, value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok",
              mode: str | None = None, callback: str | None = None) -> str:
        self.double_alerts.append((prompt, title, mode))
        return "ok"


class Book:
    def __init__(self, name: str, platform: str = "win", app: App | None = None) -> None:
        self._name = name
        self._fullname = name  # a workbook never saved has no folder
        self._app = app or App(platform)
        self._app.double_books.append(self)
        self._sheets: list[Sheet] = []
        self._active: Sheet | None = None
        self._tables = 0
        self.double_moved: list[str] = []  # sheets xlwings moved to add one after the last
        self.double_structure_protected = False

    name = _read_only("_name")
    fullname = _read_only("_fullname")
    app = _read_only("_app")

    @property
    def api(self) -> Any:
        """Excel's own workbook object: COM's on Windows, AppleScript's on macOS."""
        if self._app.double_platform == "win":
            return _ComBook(self)
        return _AppleScriptBook(self)

    def save(self, path: str | None = None) -> None:
        if path is not None:
            raise NotImplementedError("save as another file: not in the double")
        self._app.double_files[self._fullname] = self.double_snapshot()

    def activate(self, steal_focus: bool = False) -> None:
        self._app.double_active_book = self

    def double_refuse_structure_change(self) -> None:
        if self.double_structure_protected:
            raise RuntimeError("Workbook is protected and cannot be changed.")

    def double_snapshot(self) -> Book:
        """The workbook as a file would hold it (the same Excel application)."""
        return copy.deepcopy(self, memo={id(self._app): self._app})

    @property
    def sheets(self) -> Sheets:
        return Sheets(self)

    def _rewrite_formulas(self, old: str, new: str | None) -> None:
        """Excel's own bookkeeping: references to sheet `old` now name `new`, or are #REF!."""
        target = None if new is None else "'" + new.replace("'", "''") + "'!"
        self._rewrite_references(old, lambda ref: "#REF!" if target is None else target + ref,
                                 whole=True)

    def _rewrite_references(self, sheet: str, rewrite: Any, *, whole: bool = False) -> None:
        """Every reference to `sheet` in a formula -> rewrite(reference): the sheet's part and
        all (whole=True), or the reference after the "!"."""
        quoted = re.escape(sheet.replace("'", "''"))
        plain = re.escape(sheet)
        pattern = re.compile(rf"((?:'{quoted}'|(?<![\w.']){plain})!)({_REFERENCE})")
        for each in self._sheets:
            for cell in each._cells.values():
                if cell.formula:
                    cell.formula = pattern.sub(
                        lambda m: rewrite(m.group(2)) if whole
                        else m.group(1) + rewrite(m.group(2)), cell.formula)
                    cell.value = _evaluate(cell.formula)


class Books:
    def __init__(self, app: App) -> None:
        self._app = app

    def __len__(self) -> int:
        return len(self._app.double_books)

    def __iter__(self) -> Iterator[Book]:
        return iter(list(self._app.double_books))

    def open(self, fullname: str) -> Book:
        """The file saved under `fullname`, opened as a workbook of its own."""
        saved = self._app.double_files[fullname]
        book = copy.deepcopy(saved, memo={id(self._app): self._app})
        book._fullname = fullname
        book._name = fullname.replace("\\", "/").rsplit("/", 1)[-1]
        self._app.double_books.append(book)
        self._app.double_active_book = book
        return book


class Sheets:
    def __init__(self, book: Book) -> None:
        self._book = book

    @property
    def active(self) -> Sheet:
        assert self._book._active is not None
        return self._book._active

    def __len__(self) -> int:
        return len(self._book._sheets)

    def __iter__(self) -> Iterator[Sheet]:
        return iter(list(self._book._sheets))

    def __contains__(self, key: str) -> bool:
        return any(s.name.lower() == key.lower() for s in self._book._sheets)

    def __getitem__(self, key: int | str) -> Sheet:
        if isinstance(key, int):
            return self._book._sheets[key]
        for sheet in self._book._sheets:
            if sheet.name.lower() == key.lower():
                return sheet
        raise KeyError(key)

    def add(self, name: str | None = None, before: Sheet | None = None,
            after: Sheet | None = None) -> Sheet:
        self._book.double_refuse_structure_change()
        sheets = self._book._sheets
        if name is None:
            name = f"Sheet{len(sheets) + 1}"
        if name.lower() in (s.name.lower() for s in sheets):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        sheet = Sheet(self._book, name)
        if after is not None:
            if after is sheets[-1] and self._book.app.double_platform == "win":
                self._book.double_moved.append(after.name)  # _xlwindows.Sheets.add
            sheets.insert(sheets.index(after) + 1, sheet)
        else:
            anchor = before or self._book._active
            sheets.insert(sheets.index(anchor) if anchor else 0, sheet)
        self._book._active = sheet
        return sheet


class Sheet:
    def __init__(self, book: Book, name: str) -> None:
        self._book = book
        self._name = name
        self._cells: dict[tuple[int, int], Cell] = {}
        self._widths: dict[int, float] = {}
        self._heights: dict[int, float] = {}
        self._visible = True
        self.double_protected = False
        self.double_merges: list[tuple[int, int, int, int]] = []
        self.double_hidden_rows: set[int] = set()  # hidden, or filtered out
        self.double_hidden_columns: set[int] = set()
        self.double_charts: list[Chart] = []
        self.double_tables: list[Table] = []

    def __repr__(self) -> str:
        return f"<Sheet {self._name}>"

    @property
    def name(self) -> str:
        if self not in self._book._sheets:
            raise RuntimeError("the sheet was deleted")  # as COM says, less politely
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        old, self._name = self._name, value
        self._book._rewrite_formulas(old, value)

    book = _read_only("_book")
    visible = _settable("_visible")

    def activate(self) -> None:
        self._book._active = self

    def delete(self) -> None:
        self._book.double_refuse_structure_change()
        self._book._sheets.remove(self)
        if self._book._active is self:
            self._book._active = next(s for s in self._book._sheets if s.visible)
        self._book._rewrite_formulas(self._name, None)

    def range(self, cell1: tuple[int, int] | str | Range,
              cell2: tuple[int, int] | Range | None = None) -> Range:
        if isinstance(cell1, str):
            if "," in cell1:
                raise NotImplementedError("ranges of several areas: xlwings does not support "
                                          "them on every platform")
            first, _, last = cell1.partition(":")
            return self.range(_cell(first), _cell(last) if last else None)
        top = (cell1.row, cell1.column) if isinstance(cell1, Range) else cell1
        if cell2 is None:
            bottom = (top[0] + cell1.shape[0] - 1, top[1] + cell1.shape[1] - 1) \
                if isinstance(cell1, Range) else top
        else:
            bottom = (cell2.last_cell.row, cell2.last_cell.column) \
                if isinstance(cell2, Range) else cell2
        return Range(self, min(top[0], bottom[0]), min(top[1], bottom[1]),
                     max(top[0], bottom[0]), max(top[1], bottom[1]))

    @property
    def used_range(self) -> Range:
        used = [place for place, cell in self._cells.items() if cell.used()]
        if not used:
            return Range(self, 1, 1, 1, 1)
        rows, cols = [r for r, _ in used], [c for _, c in used]
        return Range(self, min(rows), min(cols), max(rows), max(cols))

    @property
    def charts(self) -> Charts:
        return Charts(self)

    @property
    def comments(self) -> Comments:
        return Comments(self)

    @property
    def api(self) -> Any:
        """Excel's own sheet object: COM's on Windows, AppleScript's on macOS (the protection
        state only)."""
        if self._book.app.double_platform == "win":
            return _ComSheet(self)
        return _AppleScriptSheet(self)

    @property
    def tables(self) -> Tables:
        return Tables(self)

    # --- for the tests (double_*: not xlwings API) ----------------------------------------

    def double_cell(self, row: int, col: int) -> Cell:
        return self._cells.get((row, col), Cell())

    def double_state(self) -> dict[str, object]:
        """Everything a biller could see on the sheet, for before/after comparisons."""
        cells = {place: replace(cell) for place, cell in self._cells.items() if cell.used()}
        last = max((max(r, c) for r, c in cells), default=1) + 2
        return {
            "cells": cells,
            "widths": {c: self._widths.get(c, DEFAULT_WIDTH) for c in range(1, last)},
            "heights": {r: self._heights.get(r, DEFAULT_HEIGHT) for r in range(1, last)},
            "merges": list(self.double_merges),
            "hidden": (sorted(self.double_hidden_rows), sorted(self.double_hidden_columns)),
        }

    def double_auto_expand(self, row: int, col: int) -> None:
        """Excel's AutoExpand: a value right of a table, in its rows, widens the table."""
        for table in self.double_tables:
            top, right = table.range.row, table.range.last_cell.column
            if col == right + 1 and top <= row <= table.range.last_cell.row:
                table.double_resize(self.range(table.range, self.range((row, col))))

    def double_delete_row(self, row: int) -> None:
        """The biller deletes the row: the cells below move up."""
        self._cells = {(r - (r > row), c): cell for (r, c), cell in self._cells.items()
                       if r != row}
        self._heights = {r - (r > row): h for r, h in self._heights.items() if r != row}
        self._book._rewrite_references(self._name, lambda ref: _without_row(ref, row))

    def double_delete_column(self, col: int) -> None:
        """The biller deletes the column: the cells right of it move left."""
        self._cells = {(r, c - (c > col)): cell for (r, c), cell in self._cells.items()
                       if c != col}
        self._widths = {c - (c > col): w for c, w in self._widths.items() if c != col}
        self._book._rewrite_references(self._name, lambda ref: _without_column(ref, col))

    def double_spill(self, row: int, col: int, values: list[list[object]]) -> None:
        """A dynamic-array formula at (row, col) whose result spills: `values` from there."""
        anchor = self._cells[(row, col)]
        anchor.spill = (len(values), len(values[0]))
        anchor.value = values[0][0]
        for r, line in enumerate(values, start=row):
            for c, value in enumerate(line, start=col):
                if (r, c) != (row, col):
                    self._cells[(r, c)] = Cell(value=value, spill_parent=(row, col))

    def double_unspill(self, row: int, col: int) -> None:
        """A value written over a cell: a spilled value stops being one; a formula's result no
        longer spills from it (its spilled values go)."""
        cell = self._cells.get((row, col))
        if cell is None:
            return
        cell.spill_parent = None
        if cell.spill:
            for place, other in list(self._cells.items()):
                if other.spill_parent == (row, col):
                    self._cells[place] = replace(other, value=None, spill_parent=None)
            cell.spill = None

    def _get(self, row: int, col: int) -> Cell:
        if self.double_protected:
            raise RuntimeError("The cell or chart you're trying to change is on a protected "
                               "sheet.")
        return self._cells.setdefault((row, col), Cell())


class _ComSheet:
    def __init__(self, sheet: Sheet) -> None:
        self.ProtectContents = sheet.double_protected


class _AppleScriptProperty:
    def __init__(self, value: object) -> None:
        self._value = value

    def get(self) -> object:
        return self._value


class _AppleScriptSheet:
    def __init__(self, sheet: Sheet) -> None:
        self.protect_contents = _AppleScriptProperty(sheet.double_protected)


class _ComBook:
    def __init__(self, book: Book) -> None:
        self._book = book
        self.ProtectStructure = book.double_structure_protected

    def SaveCopyAs(self, Filename: str) -> None:
        app = self._book.app
        if any(b.fullname == Filename for b in app.double_books):
            raise RuntimeError("Cannot access the file: it is open in Excel.")
        app.double_files[Filename] = self._book.double_snapshot()
        Path(Filename).touch()  # the file exists now (its content is double_files')


class _AppleScriptBook:
    def __init__(self, book: Book) -> None:
        self.protect_structure = _AppleScriptProperty(book.double_structure_protected)


class _Count:
    def __init__(self, count: int) -> None:
        self.Count = count


class _ComRange:
    """COM's Range: where a dynamic array's result spills (Excel 365)."""

    def __init__(self, rng: Range) -> None:
        self._range = rng
        self.Row, self.Column = rng.row, rng.column
        self.Rows, self.Columns = _Count(rng.shape[0]), _Count(rng.shape[1])

    def _cell(self) -> Cell:
        return self._range.sheet.double_cell(self._range.row, self._range.column)

    @property
    def HasSpill(self) -> bool:
        cell = self._cell()
        return cell.spill is not None or cell.spill_parent is not None

    @property
    def SpillParent(self) -> _ComRange:
        cell = self._cell()
        row, col = cell.spill_parent or (self.Row, self.Column)
        return _ComRange(self._range.sheet.range((row, col)))

    @property
    def SpillingToRange(self) -> _ComRange:
        rows, cols = self._cell().spill or (1, 1)
        return _ComRange(self._range.sheet.range(
            (self.Row, self.Column), (self.Row + rows - 1, self.Column + cols - 1)))


def _without_row(ref: str, row: int) -> str:
    """A reference after `row` is deleted, as Excel rewrites it."""
    if ref == _WHOLE_SHEET or (":" in ref and not ref[-1].isdigit()):
        return ref  # the whole sheet stays the whole sheet; whole columns keep every row
    if ":" in ref:
        raise NotImplementedError("ranges of rows other than the whole sheet")
    if ref == "#REF!":
        return ref
    place = _cell(ref)
    if place[0] == row:
        return "#REF!"
    return f"${get_column_letter(place[1])}${place[0] - (place[0] > row)}"


def _without_column(ref: str, col: int) -> str:
    """A reference after column `col` is deleted, as Excel rewrites it."""
    if ref == "#REF!" or (":" in ref and ref[-1].isdigit()):
        return ref  # whole rows keep every column
    if ":" in ref:
        first, last = (column_index_from_string(part.strip("$")) for part in ref.split(":"))
        if first != last:
            raise NotImplementedError("ranges of several columns")
        place = (1, first)
    else:
        place = _cell(ref)
    if place[1] == col:
        return "#REF!"
    letter = get_column_letter(place[1] - (place[1] > col))
    return f"${letter}:${letter}" if ":" in ref else f"${letter}${place[0]}"


def _cell(address: str) -> tuple[int, int]:
    found = _ADDRESS.fullmatch(address.strip().upper())
    if not found:
        raise ValueError(f"not a cell address: {address}")
    return int(found.group(2)), column_index_from_string(found.group(1))


class Range:
    def __init__(self, sheet: Sheet, row1: int, col1: int, row2: int, col2: int,
                 ndim: int | None = None, err_to_str: bool = False) -> None:
        if min(row1, col1) < 1:
            raise IndexError("xlwings/Excel Ranges are 1-based.")
        self._sheet = sheet
        self._box = (row1, col1, row2, col2)
        self._ndim = ndim
        self._err_to_str = err_to_str

    def __repr__(self) -> str:
        return f"<Range {self._sheet.name}!{self.address}>"

    def _places(self) -> Iterator[tuple[int, int]]:
        row1, col1, row2, col2 = self._box
        for row in range(row1, row2 + 1):
            for col in range(col1, col2 + 1):
                yield row, col

    def _one(self) -> Cell:
        if self.shape != (1, 1):
            raise NotImplementedError("formats of several cells at once differ between "
                                      "Windows and macOS Excel: read one cell at a time")
        return self._sheet.double_cell(self.row, self.column)

    def _set(self, **changes: object) -> None:
        for row, col in self._places():
            self._sheet._cells[(row, col)] = replace(self._sheet._get(row, col), **changes)

    @property
    def sheet(self) -> Sheet:
        return self._sheet

    @property
    def row(self) -> int:
        return self._box[0]

    @property
    def column(self) -> int:
        return self._box[1]

    @property
    def shape(self) -> tuple[int, int]:
        row1, col1, row2, col2 = self._box
        return row2 - row1 + 1, col2 - col1 + 1

    @property
    def last_cell(self) -> Range:
        _, _, row2, col2 = self._box
        return Range(self._sheet, row2, col2, row2, col2)

    @property
    def address(self) -> str:
        row1, col1, row2, col2 = self._box
        first = f"${get_column_letter(col1)}${row1}"
        return first if self.shape == (1, 1) else f"{first}:${get_column_letter(col2)}${row2}"

    def options(self, convert: Any = None, **options: Any) -> Range:
        unknown = set(options) - {"ndim", "err_to_str"}
        if convert is not None or unknown:
            raise NotImplementedError(f"options not in the double: {unknown or convert}")
        return Range(self._sheet, *self._box, ndim=options.get("ndim"),
                     err_to_str=options.get("err_to_str", False))

    @property
    def value(self) -> object:
        row1, col1, row2, col2 = self._box
        if self._err_to_str and self.shape != (1, 1) \
                and self._sheet.book.app.double_platform == "mac":
            raise TypeError("'NoneType' object is not iterable")  # _xlmac ensure_2d
        grid = [[self._read(self._sheet.double_cell(r, c).value)
                 for c in range(col1, col2 + 1)] for r in range(row1, row2 + 1)]
        if self._ndim == 2:
            return grid
        if self.shape == (1, 1):
            return grid[0][0]
        if self.shape[0] == 1 or self.shape[1] == 1:
            return [v for row in grid for v in row]
        return grid

    def _read(self, value: object) -> object:
        if isinstance(value, CellError):
            return value.text if self._err_to_str else None
        return value

    @value.setter
    def value(self, data: object) -> None:
        self._write(data, formulas=False)

    @property
    def formula(self) -> str | tuple[tuple[str, ...], ...]:
        row1, col1, row2, col2 = self._box
        cell = self._sheet.double_cell
        grid = tuple(tuple(_formula_text(cell(r, c)) for c in range(col1, col2 + 1))
                     for r in range(row1, row2 + 1))
        return grid[0][0] if self.shape == (1, 1) else grid  # as COM hands it over

    @formula.setter
    def formula(self, data: object) -> None:
        self._write(data, formulas=True)

    def _write(self, data: object, *, formulas: bool) -> None:
        self._refuse_part_of_a_merge()
        if not isinstance(data, list | tuple):
            rows: list[list[object]] = [[data] * self.shape[1]] * self.shape[0]
        elif data and isinstance(data[0], list | tuple):
            rows = [list(row) for row in data]
        else:
            rows = [list(data)]
        for r, values in enumerate(rows, start=self.row):
            for c, value in enumerate(values, start=self.column):
                if formulas and isinstance(value, str) and value.startswith("'"):
                    raise NotImplementedError("a formula write keeps the apostrophe")
                stored, formula = _typed(value)
                cell = self._sheet._get(r, c)
                self._sheet.double_unspill(r, c)
                cell.value, cell.formula = stored, formula
                if stored is not None:
                    self._sheet.double_auto_expand(r, c)

    def clear_contents(self) -> None:
        self._refuse_part_of_a_merge()
        self._set(value=None, formula=None)

    def _merges(self) -> list[tuple[int, int, int, int]]:
        """The merged areas overlapping this range."""
        row1, col1, row2, col2 = self._box
        return [m for m in self._sheet.double_merges
                if m[0] <= row2 and row1 <= m[2] and m[1] <= col2 and col1 <= m[3]]

    def _refuse_part_of_a_merge(self) -> None:
        row1, col1, row2, col2 = self._box
        for top, left, bottom, right in self._merges():
            if not (row1 <= top and bottom <= row2 and col1 <= left and right <= col2):
                raise RuntimeError("Cannot change part of a merged cell.")

    @property
    def merge_cells(self) -> bool | None:
        merged = {place for top, left, bottom, right in self._merges()
                  for place in Range(self._sheet, top, left, bottom, right)._places()}
        inside = [place in merged for place in self._places()]
        return True if all(inside) else (False if not any(inside) else None)

    @property
    def merge_area(self) -> Range:
        box = next(iter(Range(self._sheet, self.row, self.column, self.row,
                              self.column)._merges()), None)
        return Range(self._sheet, *box) if box else self.last_cell

    @property
    def rows(self) -> RangeRows:
        return RangeRows(self)

    @property
    def columns(self) -> RangeColumns:
        return RangeColumns(self)

    def end(self, direction: str) -> Range:
        """As Ctrl+Arrow moves: along a run of filled cells to its last, else to the next filled
        cell, else to the sheet's edge."""
        step = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}[direction]
        filled = {place for place, cell in self._sheet._cells.items()
                  if cell.value is not None or cell.formula}
        row, col = self.row, self.column
        ahead = (row + step[0], col + step[1])
        if (row, col) in filled and ahead in filled:
            while (row + step[0], col + step[1]) in filled:
                row, col = row + step[0], col + step[1]
        else:
            line = [p for p in filled if (p[1] == col if step[1] == 0 else p[0] == row)
                    and (p[0] - row) * step[0] + (p[1] - col) * step[1] > 0]
            if line:
                row, col = min(line, key=lambda p: abs(p[0] - row) + abs(p[1] - col))
            elif step[0]:
                row = 1 if step[0] < 0 else _ROWS
            else:
                col = 1 if step[1] < 0 else _COLUMNS
        return Range(self._sheet, row, col, row, col)

    @property
    def has_array(self) -> bool:
        return False  # legacy CSE array formulas are not in the double

    @property
    def api(self) -> Any:
        """Excel's own range object (COM, Windows only here)."""
        if self._sheet.book.app.double_platform != "win":
            raise NotImplementedError("AppleScript ranges are not in the double")
        return _ComRange(self)

    color = _cell_format("fill", rgb)

    @property
    def font(self) -> Font:
        return Font(self)

    @property
    def note(self) -> Note | None:
        """As Windows Excel shows it, a cell's threaded comment is a note too."""
        cell = self._one()
        return Note(self) if cell.note is not None or cell.thread is not None else None

    @property
    def comment(self) -> Comment | None:
        if self._sheet.book.app.double_platform == "mac":
            raise NotImplementedError("Threaded comments are not available through Excel for "
                                      "Mac AppleScript")
        return Comment(self) if self._one().thread is not None else None

    def add_note(self, text: str) -> Note:
        if not text:
            raise ValueError("Note text must not be empty")
        if self.note is not None:
            raise ValueError("This cell already has a note")
        self._set(note=text)
        return Note(self)

    @property
    def column_width(self) -> float:
        return self._sheet._widths.get(self.column, DEFAULT_WIDTH)

    @column_width.setter
    def column_width(self, value: float) -> None:
        for col in range(self._box[1], self._box[3] + 1):
            self._sheet._widths[col] = value

    @property
    def row_height(self) -> float:
        return self._sheet._heights.get(self.row, DEFAULT_HEIGHT)

    @row_height.setter
    def row_height(self, value: float) -> None:
        for row in range(self._box[0], self._box[2] + 1):
            self._sheet._heights[row] = value

    def merge(self, across: bool = False) -> None:
        self._sheet.double_merges.append(self._box)

    wrap_text = _cell_format("wrap")
    vertical_alignment = _cell_format("valign")


class _Lines:
    """A range's rows or columns (RangeRows, RangeColumns): hidden or not."""

    _hidden_attr: str
    _index: int  # 0: rows, 1: columns

    def __init__(self, rng: Range) -> None:
        self.rng = rng

    def __len__(self) -> int:
        return self.rng.shape[self._index]

    @property
    def hidden(self) -> bool | None:
        first, last = self.rng._box[self._index], self.rng._box[self._index + 2]
        kept = getattr(self.rng.sheet, self._hidden_attr)
        hidden = [n in kept for n in range(first, last + 1)]
        return True if all(hidden) else (False if not any(hidden) else None)


class RangeRows(_Lines):
    _hidden_attr, _index = "double_hidden_rows", 0


class RangeColumns(_Lines):
    _hidden_attr, _index = "double_hidden_columns", 1


def _formula_text(cell: Cell) -> str:
    if cell.formula:
        return cell.formula
    if cell.value is None:
        return ""
    if isinstance(cell.value, float) and cell.value.is_integer():
        return str(int(cell.value))
    return str(cell.value)


class Font:
    def __init__(self, rng: Range) -> None:
        self._range = rng

    bold = _cell_format("bold", via="_range")
    size = _cell_format("size", via="_range")
    color = _cell_format("font_color", rgb, via="_range")


class Note:
    def __init__(self, rng: Range) -> None:
        self._range = rng

    @property
    def text(self) -> str:
        cell = self._range._one()
        text = cell.note if cell.thread is None else f"[Threaded comment] {cell.thread}"
        assert text is not None
        return text

    @text.setter
    def text(self, value: str) -> None:
        if self._range._one().thread is not None:
            raise RuntimeError("a threaded comment's note cannot be edited")
        self._range._set(note=value)

    def delete(self) -> None:
        self._range._set(note=None, thread=None)


class Comment:
    """A threaded comment (Excel 365's "New Comment")."""

    def __init__(self, rng: Range) -> None:
        self._range = rng

    @property
    def text(self) -> str:
        text = self._range._one().thread
        assert text is not None
        return text

    @property
    def location(self) -> Range:
        return self._range


class Comments:
    def __init__(self, sheet: Sheet) -> None:
        self._sheet = sheet

    def __iter__(self) -> Iterator[Comment]:
        if self._sheet.book.app.double_platform == "mac":
            raise NotImplementedError("Threaded comments are not available through Excel for "
                                      "Mac AppleScript")
        return iter([Comment(self._sheet.range(place)) for place, cell in
                     sorted(self._sheet._cells.items()) if cell.thread is not None])


class ChartLegend:
    def __init__(self) -> None:
        self._visible = True

    visible = _settable("_visible")


class Chart:
    def __init__(self, chart_type: str | None, width: float, height: float) -> None:
        self._chart_type = chart_type
        self._width, self._height = width, height
        self._title: str | None = None
        self._legend = ChartLegend()
        self.double_source: Range | None = None
        self.double_anchor: Range | None = None
        self.double_x_axis: Range | None = None

    chart_type = _read_only("_chart_type")
    width = _read_only("_width")
    height = _read_only("_height")
    title = _settable("_title")
    legend = _read_only("_legend")

    def set_x_axis_values(self, source: Range) -> None:
        self.double_x_axis = source


class _SheetCollection:
    """A sheet's charts or tables (the sheet keeps the list, in the attribute `_kept`)."""

    _kept: str

    def __init__(self, sheet: Sheet) -> None:
        self._sheet = sheet

    def __len__(self) -> int:
        return len(getattr(self._sheet, self._kept))

    def __iter__(self) -> Iterator[Any]:
        return iter(getattr(self._sheet, self._kept))


class Charts(_SheetCollection):
    _kept = "double_charts"

    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211,
            chart_type: str | None = None, source: Range | None = None,
            plot_by: str | None = None, anchor: Range | None = None) -> Chart:
        chart = Chart(chart_type, width, height)
        chart.double_source, chart.double_anchor = source, anchor
        self._sheet.double_charts.append(chart)
        return chart


class Table:
    def __init__(self, name: str, rng: Range, style: str) -> None:
        self._name = name
        self._range = rng
        self.double_style = style

    name = _read_only("_name")
    range = _read_only("_range")

    def double_resize(self, rng: Range) -> None:
        top, left = self._range.row, self._range.column
        bottom, right = rng.last_cell.row, rng.last_cell.column
        self._range = Range(self._range.sheet, top, left, max(bottom, self._range.last_cell.row),
                            right)


class Tables(_SheetCollection):
    _kept = "double_tables"

    def add(self, source: Range | None = None, name: str | None = None,
            table_style_name: str = "TableStyleMedium2") -> Table:
        assert source is not None
        book = self._sheet.book
        taken = {t.name.lower() for s in book.sheets for t in s.tables}
        if name is None:
            book._tables += 1
            name = f"Table{book._tables}"
        if name.lower() in taken:
            raise ValueError(f"a table named {name} exists")  # Excel refuses a second one
        table = Table(name, source, table_style_name)
        self._sheet.double_tables.append(table)
        return table


# --- loading a workbook file into the double ------------------------------------------------


def load_book(path: Path, platform: str = "win") -> Book:
    """The workbook as Excel would show it: cached formula results, fills, font colours and bold,
    notes and column widths (openpyxl reads them; theme colours count as no colour), and its
    tables."""
    source = openpyxl.load_workbook(path, data_only=True)
    book = Book(path.name, platform)
    book._fullname = str(path)
    for ws in source.worksheets:
        sheet = book.sheets.add(ws.title, after=book._sheets[-1] if book._sheets else None)
        sheet.visible = ws.sheet_state == "visible"
        for row in ws.iter_rows():
            for xl_cell in row:
                cell = _loaded(xl_cell)
                if cell.used():
                    sheet._cells[(xl_cell.row, xl_cell.column)] = cell
        for letter, dimension in ws.column_dimensions.items():
            if dimension.customWidth and dimension.width:
                sheet._widths[column_index_from_string(letter)] = dimension.width
        for table in ws.tables.values():
            sheet.double_tables.append(Table(table.name, sheet.range(table.ref), "loaded"))
        sheet.double_merges = [(m.min_row, m.min_col, m.max_row, m.max_col)
                               for m in ws.merged_cells.ranges]
        sheet.double_hidden_rows = {r for r, d in ws.row_dimensions.items() if d.hidden}
        sheet.double_hidden_columns = {c for d in ws.column_dimensions.values() if d.hidden
                                       for c in range(d.min, d.max + 1)}
    book._active = book._sheets[source.index(source.active)]
    book.double_moved.clear()  # the file was opened, not built through xlwings
    return book


def _loaded(xl_cell: Any) -> Cell:
    value = xl_cell.value
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # Excel holds every number as a double
    if xl_cell.data_type == "e":
        value = CellError(value)
    fill = xl_cell.fill
    solid = fill.fill_type == "solid" and isinstance(fill.fgColor.rgb, str)
    font_colour = xl_cell.font.color.rgb if xl_cell.font.color is not None else None
    return Cell(
        value=None if value == "" else value,
        fill=rgb(fill.fgColor.rgb[-6:]) if solid else None,
        font_color=rgb(font_colour[-6:]) if isinstance(font_colour, str) else _BLACK,
        bold=bool(xl_cell.font.b),
        note=xl_cell.comment.text if xl_cell.comment else None,
    )

"""Helpers for writing cells through xlwings: text that stays text, colours, rectangles of cells
written in one call, free sheet names.

Every call on an xlwings object crosses to Excel (COM on Windows, Apple events on macOS), so the
writers group cells into rectangles and set each rectangle's value, fill or font at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xlwings import Book, Range, Sheet

Block = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based)


def as_text(value: object) -> object:
    """A value to write: Excel reads a written string as if typed, so "=..." would become a
    formula, "00123" a number and "3/4" a date. A leading apostrophe keeps it text (Excel does not
    make it part of the value)."""
    return f"'{value}" if isinstance(value, str) else value


def hex_colour(rgb: tuple[int, int, int] | None) -> str | None:
    """An RGB tuple as xlwings reads a colour -> "#RRGGBB", as xlwings writes one."""
    return None if rgb is None else "#{:02X}{:02X}{:02X}".format(*rgb)


def blocks(cells: Iterable[tuple[int, int]]) -> list[Block]:
    """Rectangles covering exactly `cells` (row, column): runs along each row, then runs of
    consecutive rows over the same columns."""
    by_row: dict[int, list[int]] = defaultdict(list)
    for row, col in set(cells):
        by_row[row].append(col)
    growing: dict[tuple[int, int], list[int]] = {}  # (first col, last col) -> [first, last row]
    done: list[Block] = []
    for row in sorted(by_row):
        for first, last in _runs(sorted(by_row[row])):
            rows = growing.get((first, last))
            if rows is not None and rows[1] == row - 1:
                rows[1] = row
                continue
            if rows is not None:
                done.append((rows[0], first, rows[1], last))
            growing[(first, last)] = [row, row]
    done.extend((rows[0], first, rows[1], last) for (first, last), rows in growing.items())
    return sorted(done)


def _runs(sorted_numbers: Sequence[int]) -> Iterable[tuple[int, int]]:
    start = previous = sorted_numbers[0]
    for n in sorted_numbers[1:]:
        if n != previous + 1:
            yield start, previous
            start = n
        previous = n
    yield start, previous


def block_range(sheet: Sheet, block: Block) -> Range:
    first_row, first_col, last_row, last_col = block
    return sheet.range((first_row, first_col), (last_row, last_col))


def column_texts(rng: Range) -> list[str]:
    """The formulas (or constants, as text) of a one-column range, top to bottom: xlwings gives
    one cell as a string and several as rows of one."""
    value = rng.formula
    if isinstance(value, str):
        return [value]
    return [row[0] if isinstance(row, list | tuple) else row for row in value]


def free_sheet_name(book: Book, base: str) -> str:
    """`base`, or `base (2)`, `base (3)` ... whichever no sheet has (Excel ignores case)."""
    taken = {sheet.name.lower() for sheet in book.sheets}
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base} ({n})", n + 1
    return name

"""How the annotated sheets print, decided once as data: the findings column's width and row
heights, the fonts of the cells nmr-xl adds, and each sheet's page setup (orientation, scale,
print titles, header and footer, frozen header, page breaks). Every writer only applies it.

Pages are laid out for Letter and A4 alike: the width of the narrower (A4) and the height of the
shorter (Letter). Sizes are estimates from column widths in characters and font sizes (a sheet's
text is not measured): they err on the large side, so text fits.

Policy for a checked sheet's own print settings: what the sheet sets is kept, and only what is
missing is added (margins, print title rows and columns, header and footer, a frozen header),
with two exceptions: a fit-to-page setting that would now shrink the sheet (with its findings
column) below SCALE_BOUND percent is replaced by a scale at or above it, printing several pages
wide, across then down; and a portrait sheet that no longer fits a portrait page at the bound
turns landscape. A scale the sheet sets itself is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SCALE_BOUND = 80  # percent: no checked sheet prints smaller, unless it says so itself
PAGE_SHORT_IN, PAGE_LONG_IN = 8.27, 11.0  # A4's width, Letter's height
FINDINGS_MIN_WIDTH, FINDINGS_MAX_WIDTH = 30, 60  # the findings column, in characters
DEFAULT_WIDTH = 8.43  # a column Excel has not been told the width of, in characters
_LETTERS_PER_DIGIT = 1.1
_TITLE_COLUMNS_SHARE = 0.4  # print title columns take at most this much of a page's width
_LONG_BLOCK_START = 0.4  # a block longer than a page starts on a new one past this much of one


@dataclass(frozen=True)
class Margins:
    """In inches, as a sheet's pageMargins holds them."""

    left: float = 0.7
    right: float = 0.7
    top: float = 0.75
    bottom: float = 0.75
    header: float = 0.3
    footer: float = 0.3


DEFAULT_MARGINS = Margins()  # Excel's "Normal" margins


@dataclass(frozen=True)
class SheetFont:
    """The font a sheet's data is written in; the cells nmr-xl adds take it."""

    name: str | None = None  # None: the workbook's default font
    size: float = 11.0


@dataclass(frozen=True)
class OwnPrint:
    """What a sheet sets itself for printing (read by the writer), as far as the layout needs."""

    widths: tuple[float, ...] = ()  # columns 1..n, in characters (defaults filled in)
    orientation: str | None = None  # "landscape" / "portrait" / None: not set
    fit: tuple[int, int] | None = None  # fit to (pages wide, pages tall; 0: any), when on
    scale: int | None = None  # a scale it sets (fit-to-page off)
    margins: Margins | None = None
    title_rows: bool = False  # it has print title rows
    title_cols: bool = False  # it has print title columns
    header_footer: bool = False  # it has a page header or footer of its own
    frozen: tuple[int, int] | None = None  # rows and columns it keeps frozen (None: no pane)
    rows: int = 0  # its last row
    font: SheetFont = SheetFont()


@dataclass(frozen=True)
class PageSetup:
    """What a writer sets on a sheet; None (or empty) leaves the sheet's own as it is."""

    orientation: str | None = None
    scale: int | None = None  # and fit-to-page off
    title_rows: tuple[int, int] | None = None  # print title rows to add (first, last)
    title_cols: tuple[int, int] | None = None  # print title columns to add
    across_then_down: bool = False  # page order, for sheets several pages wide
    header: str | None = None  # Excel header codes (&L &C &R &F &A &P &N), to add
    footer: str | None = None
    freeze: tuple[int, int] | None = None  # rows and columns to freeze, when none are
    margins: Margins | None = None  # to add (the sheet has none)
    row_breaks: tuple[int, ...] = ()  # a page ends after each of these rows


# --- sizes --------------------------------------------------------------------------------------


def digit_pixels(size: float) -> int:
    """The width of a digit in pixels (96 dpi): 7 for the usual 10-11 point fonts."""
    return max(7, round(7 * size / 11))


def column_points(width: float, size: float = 11.0) -> float:
    """A column `width` characters wide, in points, as Excel converts it (5 pixels padding)."""
    return (width * digit_pixels(size) + 5) * 0.75


def line_points(size: float) -> float:
    """The height of one line of text: 15 points for 11-point text, as Excel's rows."""
    return math.ceil(size * 1.3 / 0.75) * 0.75


def text_lines(text: str, width: float) -> int:
    """Lines `text` takes wrapped at word boundaries in a column `width` characters wide. A
    width counts digits; letters average a little narrower (_LETTERS_PER_DIGIT, measured on
    Calibri text), with room left for capitals and bold."""
    usable = max(int(width * _LETTERS_PER_DIGIT), 1)
    lines = 0
    for paragraph in text.split("\n"):
        count, used = 1, 0
        for word in paragraph.split(" "):
            length = len(word)
            if used and used + 1 + length > usable:
                count, used = count + 1, 0
            while length > usable:  # a word longer than a line is broken
                count, length = count + 1, length - usable
            used = used + (1 if used else 0) + length
        lines += count
    return lines


def row_points(text: str, width: float, size: float) -> float:
    return text_lines(text, width) * line_points(size) + 2


def findings_width(texts: Sequence[str]) -> float:
    """The findings column: as wide as its longest line needs, between the bounds."""
    longest = max((len(part) for text in texts for part in text.split("\n")), default=0)
    return float(min(max(longest + 2, FINDINGS_MIN_WIDTH), FINDINGS_MAX_WIDTH))


def header_text(checked_as_of: str | None) -> str:
    """File name left, sheet name centre, the check's date right (Excel's header codes; a
    literal & is written &&)."""
    right = f"Checked as of {checked_as_of} by nmr-xl" if checked_as_of else "nmr-xl"
    return f"&L&F&C&A&R{right.replace('&', '&&')}"


FOOTER = "&CPage &P of &N"


# --- the page -----------------------------------------------------------------------------------


def page_inches(orientation: str) -> tuple[float, float]:
    """(width, height) of the page laid out for, Letter and A4 alike."""
    if orientation == "landscape":
        return PAGE_LONG_IN, PAGE_SHORT_IN
    return PAGE_SHORT_IN, PAGE_LONG_IN


def usable_points(orientation: str, margins: Margins) -> tuple[float, float]:
    width, height = page_inches(orientation)
    return ((width - margins.left - margins.right) * 72,
            (height - margins.top - margins.bottom) * 72)


def pages_wide(widths: Sequence[float], page: float, titles: int = 0) -> int:
    """Pages a row of columns `widths` (points) takes on pages `page` points wide, every page
    starting with the first `titles` columns (print title columns). A column wider than a page
    gets a page."""
    repeated = sum(widths[:titles])
    pages, used = 1, sum(widths[:titles])
    for width in widths[titles:]:
        if used > repeated and used + width > page:
            pages, used = pages + 1, repeated
        used += width
    return pages


def best_scale(widths: Sequence[float], page: float, titles: int = 0,
               bound: int = SCALE_BOUND) -> tuple[int, int]:
    """(scale, pages wide): as few pages wide as the bound allows, at the largest scale (up to
    100%) that still takes no more."""
    fewest = pages_wide(widths, page * 100 / bound, titles)
    for scale in range(100, bound, -1):
        if pages_wide(widths, page * 100 / scale, titles) <= fewest:
            return scale, fewest
    return bound, fewest


def fitted_scale(fit: tuple[int, int], width: float, height: float, page: tuple[float, float]
                 ) -> float:
    """The scale a fit-to-page setting prints at (about: page breaks fall between columns)."""
    wide, tall = fit
    scale = 100.0
    if wide:
        scale = min(scale, 100 * wide * page[0] / max(width, 1))
    if tall:
        scale = min(scale, 100 * tall * page[1] / max(height, 1))
    return scale


def sheet_page_setup(own: OwnPrint, last_column: int, findings: tuple[int, float] | None,
                     header_row: int, id_columns: Sequence[int], checked_as_of: str | None
                     ) -> PageSetup:
    """The page setup of a checked sheet whose table ends at `last_column` and whose findings
    column (column, width) is `findings` (None: on a sheet of its own)."""
    size = own.font.size
    widths = [own.widths[c - 1] if c <= len(own.widths) else DEFAULT_WIDTH
              for c in range(1, last_column + 1)]
    if findings is not None:
        col, width = findings
        widths += [DEFAULT_WIDTH] * (col - 1 - len(widths)) + [width]
    points = [column_points(w, size) for w in widths]
    total = sum(points)
    margins = own.margins or DEFAULT_MARGINS
    portrait = usable_points("portrait", margins)
    orientation = own.orientation or "portrait"
    if orientation == "portrait" and total * SCALE_BOUND / 100 > portrait[0]:
        orientation = "landscape"
    page = usable_points(orientation, margins)
    height = max(own.rows, header_row) * line_points(size)
    if own.fit:  # replaced only when it shrinks the sheet below the bound
        replace = fitted_scale(own.fit, total, height, page) < SCALE_BOUND
    else:  # a scale of its own is kept; without one, a wide sheet gets a readable one
        replace = own.scale is None and total > page[0]
    scale: int | None = None
    title_cols = None
    across = False
    if replace:
        frozen_cols = own.frozen[1] if own.frozen else 0
        titles = frozen_cols or max(id_columns, default=0)
        if own.title_cols or sum(points[:titles]) > page[0] * _TITLE_COLUMNS_SHARE:
            titles = 0
        scale, wide = best_scale(points, page[0], titles)
        if wide > 1:
            across = True
            title_cols = (1, titles) if titles else None
    return PageSetup(
        orientation=orientation if orientation != own.orientation else None,
        scale=scale,
        title_rows=None if own.title_rows else (header_row, header_row),
        title_cols=title_cols,
        across_then_down=across,
        header=None if own.header_footer else header_text(checked_as_of),
        footer=None if own.header_footer else FOOTER,
        freeze=None if own.frozen else (header_row, 0),
        margins=None if own.margins else DEFAULT_MARGINS,
    )


def page_breaks(heights: Sequence[float], blocks: Sequence[tuple[int, int]], page: float
                ) -> tuple[int, ...]:
    """Rows (1-based) after which a page must end so that no block (first row, last row) is
    split when it fits on a page of `page` points; `heights` are the rows' heights. A block
    longer than a page starts on a new page unless most of the page is still free, and its
    rows break where they fall."""
    breaks: list[int] = []
    ends = dict(blocks)
    used = 0.0
    row = 1
    while row <= len(heights):
        last = max(ends.get(row, row), row)
        size = sum(heights[row - 1:last])
        if size > page:
            if used > page * _LONG_BLOCK_START:
                breaks.append(row - 1)
                used = 0.0
            last, size = row, heights[row - 1]
        elif used and used + size > page and last > row:
            breaks.append(row - 1)  # the block goes to the next page whole
            used = 0.0
        if used + size > page:  # where the program breaks the page itself
            used = 0.0
        used += size
        row = last + 1
    return tuple(breaks)

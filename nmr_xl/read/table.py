"""Rows of raw cell values -> a billing Table: find the header, map columns, parse lines.

Every source (openpyxl, python-calamine, CSV, an xlwings range) ends here, so a sheet reads the
same whichever adapter opened it. Which column is which field is decided in
nmr_xl.read.columns; which rows are charge lines in nmr_xl.read.rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from statistics import median
from typing import Any

from nmr_xl.config.model import Config
from nmr_xl.model import Field, Line, SkippedSheet, Table, column_letter
from nmr_xl.normalize import norm
from nmr_xl.read import content
from nmr_xl.read import values as v
from nmr_xl.read.columns import ColumnPlan, heading_fields, plan_columns
from nmr_xl.read.diagnoses import link_diagnoses
from nmr_xl.read.groups import carry_down, fill_down, labelled, unlabelled
from nmr_xl.read.headings import HeadingMatch
from nmr_xl.read.payer_codes import payer_codes
from nmr_xl.read.providers import credentials_from_names
from nmr_xl.read.rows import (
    DIAGNOSIS,
    HEADER,
    HEADING,
    REVERSAL,
    TOTAL,
    VOID,
    RowSorter,
    is_negative,
)
from nmr_xl.read.visit_time import minutes_per_visit

# A header row must name the code column and at least this many fields in all, one of them the
# date of service or the patient (a fee schedule names codes and fees, not billing lines).
MIN_FIELDS = 3
# The fields that make a row look like the header of billing lines (the others, such as a
# description or a status, are read too but do not make a table).
BILLING_FIELDS = frozenset({
    Field.PATIENT, Field.PATIENT_NAME, Field.DOS, Field.CODE, Field.MODIFIERS, Field.UNITS,
    Field.MINUTES, Field.DIAGNOSES, Field.PROVIDER, Field.PROVIDER_TYPE, Field.DISCIPLINE,
    Field.ONE_ON_ONE, Field.PAYER, Field.NOTES, Field.CHARGE, Field.GOAL, Field.POC_START,
    Field.POC_END, Field.CERTIFIER, Field.PROGRESS_REPORT, Field.DX_POINTER, Field.TOTAL_TIME,
    Field.VISIT_MINUTES,
})
_ANCHORS = frozenset({Field.DOS, Field.PATIENT, Field.PATIENT_NAME})
# The start of the reason a sheet whose rows each hold a claim's service lines is not read.
SEVERAL_LINES_A_ROW = "one row holds several service lines"


@dataclass(frozen=True)
class HeaderMatch:
    row: int  # 1-based worksheet row
    columns: dict[Field, list[int]]
    headers: dict[int, str]
    cells: Sequence[object]  # the headings as read (two rows joined for a two-row header)


def _qualifies(fields: set[Field], code_by_heading: bool = True) -> bool:
    """A header row: the code column (named by a heading, or, on the second look, found by its
    values), at least MIN_FIELDS billing fields in all, the date of service or the patient."""
    billing = fields & BILLING_FIELDS
    return ((Field.CODE in billing or not code_by_heading)
            and len(billing | {Field.CODE}) >= MIN_FIELDS and not billing.isdisjoint(_ANCHORS))


def summary_sheets(tables: list[Table]) -> tuple[list[Table], list[SkippedSheet]]:
    """A workbook's summary sheets set apart from its billing lines: when one sheet's table has
    the patient and the date of service (columns, or rows above its lines that name them), a
    table on another sheet with no patient or no date at all is a summary (totals by date, code,
    patient or provider), not lines to check."""
    def full(t: Table) -> bool:
        return Field.PATIENT in t.columns and Field.DOS in t.columns

    lines = next((t for t in tables if full(t)), None)
    if lines is None:
        return tables, []
    keep = [t for t in tables if full(t)]
    skipped = [SkippedSheet(t.sheet, f"a summary, not billing lines: it names no "
                                     f"{'patient' if Field.PATIENT not in t.columns else 'date'}"
                                     f", and the sheet '{lines.sheet}' holds the lines")
               for t in tables if not full(t)]
    return keep, skipped


def fill_merged_down(rows: list[list[Any]], merged: Sequence[tuple[int, int, int, int]]
                     ) -> list[list[Any]]:
    """A cell merged down over several rows shows its value on each of them: a patient or a
    date of service merged over a visit's lines belongs to every line (the workbook stores it
    in the first row only). Only the first column of a merged range is filled, and only rows
    the range covers that hold nothing there. `merged` is (first row, first column, last row,
    last column), 0-based."""
    for r0, c0, r1, _last_column in merged:
        if r1 <= r0 or r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if value is None or value == "":
            continue
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if c0 < len(row) and (row[c0] is None or row[c0] == ""):
                rows[r] = row = list(row)
                row[c0] = value
    return rows


def _joined(upper: Sequence[object], lower: Sequence[object]) -> list[object] | None:
    """A two-row header read as one ("Service" over "Date"), or None when the upper row holds
    fewer than two headings."""
    if sum(1 for c in upper if isinstance(c, str) and c.strip()) < 2:
        return None
    if any(_value_like(c) for c in lower):
        return None  # the row under a header is its first line, not a second header row
    width = max(len(upper), len(lower))
    out: list[object] = []
    for index in range(width):
        top = upper[index] if index < len(upper) else None
        bottom = lower[index] if index < len(lower) else None
        parts = [str(p).strip() for p in (top, bottom) if isinstance(p, str) and p.strip()]
        if len(parts) == 2 and parts[0] == parts[1]:  # one heading merged down over both rows
            parts = parts[:1]
        out.append(" ".join(parts) if parts else bottom)
    return out


_NUMBER_TEXT = re.compile(r"\$?-?\d[\d,]*(?:\.\d+)?")


def _value_like(cell: object) -> bool:
    """A cell no heading holds: a number, a date, or text that is a date, an amount or a code
    ("02/03/2026", "96.00", "97112", "CPT 97112")."""
    if cell is None or isinstance(cell, bool):
        return False
    if not isinstance(cell, str):
        return True
    text = cell.strip()
    if not text:
        return False
    if v.DATE_SHAPE.fullmatch(text) or _NUMBER_TEXT.fullmatch(text):
        return True
    try:
        return v.parse_code(text) is not None
    except v.Unreadable:
        return False


def find_header(rows: Sequence[Sequence[object]], config: Config) -> HeaderMatch | None:
    """The row, among the first rows, whose headings name the most billing fields (the first
    such row on a tie); a row holding a pinned layout's headings wins outright."""
    search = rows[: config.header_search_rows]
    above = _named_above(search, config)
    for code_by_heading in (True, False):  # then a row whose code column only values name
        best: tuple[int, int, Sequence[object]] | None = None  # (fields, row, cells)
        for index, cells in enumerate(search):
            options: list[Sequence[object]] = [cells]
            if index:
                joined = _joined(search[index - 1], cells)
                if joined is not None:
                    options.append(joined)
            for option in options:
                fields = heading_fields(option, config)
                if not _qualifies(fields | above[index], code_by_heading):
                    continue
                score = len(fields & BILLING_FIELDS) + (100 if _pinned(option, config) else 0)
                if best is None or score > best[0]:
                    best = (score, index + 1, option)
        if best is not None:
            sample = _sample(rows[best[1]:], best[2])
            plan = plan_columns(best[2], sample, config)
            if Field.CODE in plan.columns:
                return HeaderMatch(best[1], plan.columns, plan.headers, best[2])
    return None


def _named_above(search: Sequence[Sequence[object]], config: Config) -> list[set[Field]]:
    """Row index -> the patient or date of service a labelled row above it names ("Patient: Doe,
    Jane   DOS: 03/02/2026" over a claim's charge table): a header under such a row needs no
    patient or date column of its own, the block row gives them to its lines."""
    found: list[set[Field]] = []
    named: set[Field] = set()
    for cells in search:
        found.append(set(named))
        named |= _ANCHORS.intersection(_block_fields(cells, config))
    return found


def _block_fields(cells: Sequence[object], config: Config) -> dict[Field, str]:
    """What a row above the header names for the lines under it. A date there is the report's
    period ("From: 03/01/2026"), never a date of service, unless the same row names the patient:
    then it is a claim or visit block's header ("Patient: Doe, Jane   DOS: 03/02/2026")."""
    found = labelled(cells, config)
    if Field.PATIENT not in found and Field.PATIENT_NAME not in found:
        found.pop(Field.DOS, None)
    return found


def _pinned(cells: Sequence[object], config: Config) -> bool:
    from nmr_xl.read.columns import layout_for

    return layout_for(cells, config) is not None


class _Cached:
    """Memoise a parser per raw value: billing columns repeat the same few values endlessly."""

    __slots__ = ("_cache", "_parse", "_shape")

    def __init__(self, parse: Callable[[object], object], shape: re.Pattern[str] | None = None
                 ) -> None:
        self._parse = parse
        self._shape = shape  # values of this shape are named in the reason (v.with_value)
        self._cache: dict[object, tuple[object, str | None]] = {}

    def __call__(self, raw: object) -> tuple[object, str | None]:
        # True == 1 for dict keys, but a bool cell is not the number 1.
        key = ("bool", raw) if raw is True or raw is False else raw
        hit = self._cache.get(key)
        if hit is None:
            try:
                hit = (self._parse(raw), None)
            except v.Unreadable as exc:
                reason = str(exc)
                hit = (None, v.with_value(reason, raw, self._shape) if self._shape else reason)
            except TypeError:  # an object no parser knows (a reader's error type, say)
                hit = (None, "not a value this column can hold")
            if len(self._cache) < 100_000:
                self._cache[key] = hit
        return hit


def _parsers(config: Config) -> dict[Field, Callable[[object], tuple[object, str | None]]]:
    text = _Cached(v.parse_text)
    return {
        Field.PATIENT: text,
        Field.PATIENT_NAME: text,
        Field.DOS: _Cached(partial(v.parse_date, day_first=config.day_first), v.DATE_SHAPE),
        Field.UNITS: _Cached(v.parse_units),
        Field.MINUTES: _Cached(v.parse_minutes),
        Field.TOTAL_TIME: _Cached(v.parse_minutes),
        Field.VISIT_MINUTES: _Cached(v.parse_minutes),
        Field.PROVIDER: text,
        Field.PROVIDER_TYPE: text,
        Field.DISCIPLINE: text,
        Field.ONE_ON_ONE: _Cached(
            partial(v.parse_yes_no, yes=config.attendance_yes, no=config.attendance_no)),
        Field.PAYER: text,
        Field.NOTES: text,
        Field.CHARGE: _Cached(v.parse_money),
        Field.ALLOWED: _Cached(v.parse_money),
        Field.GOAL: text,
        Field.POC_START: _Cached(partial(v.parse_date, day_first=config.day_first),
                                 v.DATE_SHAPE),
        Field.POC_END: _Cached(partial(v.parse_date, day_first=config.day_first), v.DATE_SHAPE),
        Field.CERTIFIER: text,
        Field.PROGRESS_REPORT: _Cached(partial(
            v.parse_progress_report, yes=config.attendance_yes, no=config.attendance_no,
            day_first=config.day_first), v.DATE_SHAPE),
    }


def _sample(rows: Sequence[Sequence[object]], header: Sequence[object]
            ) -> list[Sequence[object]]:
    """The rows under the header whose values confirm the headings: the first non-blank ones,
    less the header repeated (a printed report's next page or block) and those that fill far
    fewer cells than the lines do (group headings, subtotals, page headers), whose label in a
    "Date" column is not a reason to doubt it."""
    again = _texts(header)
    filled = [(r, n) for r in rows if (n := _filled(r)) and _texts(r) != again
              ][: content.SAMPLE_ROWS]
    if not filled:
        return []
    typical = median(n for _, n in filled)
    return [r for r, n in filled if 2 * n >= typical]


def _service_line_groups(plan: ColumnPlan) -> list[str]:
    """The headings of a claim row that holds several service lines ("Line 1 CPT" ..
    "Line 6 CPT", as a CMS-1500's 24A-24J flattened to one row), or []: the code column's
    heading numbered, and the same heading with another number beside it. Diagnoses and
    modifiers may be numbered (Dx 1..Dx 12); a line has one code."""
    cols = plan.columns.get(Field.CODE)
    if not cols:
        return []
    key = re.sub(r"\d+", "#", norm(plan.headers[cols[0]]))
    if "#" not in key:
        return []
    same = [r.heading for r in plan.reads if re.sub(r"\d+", "#", norm(r.heading)) == key]
    return [f"'{t}'" for t in same[:2]] if len(same) > 1 else []


def date_order(rows: Sequence[Sequence[object]]) -> bool | None:
    """Whether the sheet's text dates show their order: True when dates can only be read day
    first (17/02/2026; two at least) and none only month first (02/17/2026), False for the
    reverse, None
    when the dates do not tell (every day and month 12 or under) or contradict each other. A
    clinic outside the US exports its dates day first whatever the rules file says."""
    day, month = _telling_dates(c for cells in rows for c in cells)
    if day >= _TELLING_DATES and not month:
        return True
    if month >= _TELLING_DATES and not day:
        return False
    return None


def _telling_dates(cells: Iterable[object]) -> tuple[int, int]:
    """How many text dates can be read only day first, and how many only month first."""
    day = month = 0
    for c in cells:
        if not isinstance(c, str):
            continue
        m = v.NUMERIC_DATE.fullmatch(c.strip())
        if m is None:
            continue
        first, second = int(m.group(1)), int(m.group(2))
        if 12 < first <= 31 and 1 <= second <= 12:
            day += 1
        elif 12 < second <= 31 and 1 <= first <= 12:
            month += 1
    return day, month


class _LaterDates:
    """Counts, while the rows after the first look are read, the dates of service that tell
    the order (date_order): a sheet sorted by date may show it only after the first look,
    and is then not read again but told to the biller (DAY_FIRST_HINT)."""

    def __init__(self, column: int | None) -> None:
        self.column = column  # 0-based, or None: nothing counted
        self.day = self.month = 0

    def count(self, rows: Iterator[Sequence[object]]) -> Iterator[Sequence[object]]:
        col = self.column
        for cells in rows:
            if col is not None and col < len(cells):
                day, month = _telling_dates((cells[col],))
                self.day += day
                self.month += month
            yield cells


DAY_FIRST_HINT = ('the sheet\'s dates look day first: set settings.date_order = "day-first" '
                  'in the rules file')


# Dates that can be read only one way, needed before a sheet's order is decided by them: one
# alone may be a typing slip (13/02/2026 in a US export), which is reported, not obeyed.
_TELLING_DATES = 2


def _texts(cells: Sequence[object]) -> list[str]:
    return [c.strip().casefold() for c in cells if isinstance(c, str) and c.strip()]


def _filled(cells: Sequence[object]) -> int:
    return sum(1 for c in cells if c is not None and not (isinstance(c, str) and not c.strip()))


def build_table(
    sheet: str, rows: Iterable[Sequence[object]], config: Config, width: int = 0
) -> Table | SkippedSheet:
    """Read one sheet's rows (row 1 first) into a Table, or say why it holds no billing table.

    `width` is the sheet's used width, so the findings column lands right of every used cell.
    """
    iterator = iter(rows)
    head: list[Sequence[object]] = []
    for cells in iterator:
        head.append(cells)
        if len(head) >= config.header_search_rows + content.SAMPLE_ROWS:
            break
    if not any(any(c not in (None, "") for c in cells) for cells in head):
        return SkippedSheet(sheet, "empty")
    order_note = None
    day_first = date_order(head)
    if day_first is not None and day_first != config.day_first:
        config = replace(config, day_first=day_first)
        order_note = (
            "Text dates on this sheet are read day first (03/02/2026 is 3 February): a date "
            "such as 17/02/2026 shows the day comes first and none shows the "
            "month first." if day_first else
            "Text dates on this sheet are read month first (03/02/2026 is March 2), although the "
            "rules file says day-first: a date such as 02/17/2026 shows the month comes first "
            "and none shows the day first.")
    header = find_header(head, config)
    if header is None:
        return SkippedSheet(sheet, "no header row naming a CPT/procedure code column, the date "
                                   "of service or the patient, and at least "
                                   f"{MIN_FIELDS - 1} other billing columns in the first "
                                   f"{config.header_search_rows} rows")
    plan = plan_columns(header.cells, _sample(head[header.row:], header.cells), config)
    wide = _service_line_groups(plan)
    if wide:
        return SkippedSheet(sheet, (
            f"{SEVERAL_LINES_A_ROW} (column groups {', '.join(wide)} ...): nmr-xl "
            "reads one service line a row, so it cannot check this layout without misreading "
            "it; export the claims' service lines one a row"))
    columns = dict(plan.columns)
    table = Table(sheet=sheet, header_row=header.row, columns=columns, headers=plan.headers,
                  lines=[], last_column=max(max(plan.headers), width), reads=plan.reads)
    if Field.PATIENT not in columns and Field.PATIENT_NAME in columns:
        columns[Field.PATIENT] = columns[Field.PATIENT_NAME]  # the name is the visit key
    later = _LaterDates(columns[Field.DOS][0] - 1 if Field.DOS in columns and
                        not config.day_first and day_first is None else None)
    remaining = _chain(head[header.row:], later.count(iterator))
    # Title rows may name the patient or provider of the whole sheet, or head a claim's block.
    titles: list[tuple[int, dict[Field, str]]] = [
        (row, _block_fields(cells, config)) for row, cells in enumerate(head[:header.row - 1], 1)]
    _read_lines(table, remaining, config, plan, titles)
    if order_note:
        table.notes.append(order_note)
    if later.day >= _TELLING_DATES and not later.month and not _telling_dates(
            c for cells in head for c in cells)[1]:
        _day_first_later(table, later.day)
    starts = [row for row, moved in table.moved if moved]
    if starts:
        rows_text = ", ".join(str(row) for row in starts)
        table.notes.append(
            f"The header row repeated at row{'s' if len(starts) > 1 else ''} {rows_text} names "
            "the same columns in another order: the lines under it were read by their own "
            "header's columns.")
    return table


def _day_first_later(table: Table, count: int) -> None:
    """Dates only a day-first reading makes real, all after the first look at the sheet (which
    read it month first): the sheet is not read again; the biller is told, and each such
    date's NMR002 says what to set."""
    table.notes.append(
        f"The sheet was read month first, as its first rows allow, but {count} text dates "
        "below them can be read only day first (such as 17/02/2026) and none only month "
        f"first: {DAY_FIRST_HINT}, and check the sheet again.")
    for line in table.lines:
        for f, reason in line.unreadable.items():
            if "read as month/day/year" in reason:
                line.unreadable[f] = f"{reason} ({DAY_FIRST_HINT})"


class _Sections:
    """Sections under a later header row that names the same fields in another order
    ("Physical Therapy" then "Chiropractic", each with its own header, its headings in another
    order or spelled otherwise): their rows are put back into the first header's order, so one
    column map reads them all, and the table keeps where each section's values really are
    (Table.moved) for the findings' cells. A header row repeated in the first order (a page
    break) ends such a section. Only rows whose code cell holds no code are looked at, so
    charge lines cost nothing."""

    def __init__(self, table: Table, config: Config) -> None:
        self.table = table
        self.match = config.headings.match
        self.main: dict[Field, list[int]] = {}  # field -> its header columns, 0-based
        for read in table.reads:
            if read.field is not None and read.column in table.headers:
                self.main.setdefault(read.field, []).append(read.column - 1)
        self.width = max(table.headers, default=0)
        self.order: dict[int, int] | None = None  # header column -> the section's, 0-based

    def starts(self, row: int, cells: Sequence[object]) -> bool:
        """Whether `cells` (as the sheet holds them) is a header row that starts or ends a
        section; the order to read the next rows by is then self.order."""
        found = _section_header(cells, self.main, self.match)
        if found is None or not (found or self.order):
            return False
        self.order = found or None
        self.table.moved.append((row, {c + 1: p + 1 for c, p in found.items()}))
        return True

    def reorder(self, cells: Sequence[object]) -> Sequence[object]:
        return _reorder(cells, self.order, self.width) if self.order else cells


def _section_header(cells: Sequence[object], main: dict[Field, list[int]],
                    match: Callable[[str], HeadingMatch | None]) -> dict[int, int] | None:
    """For a row whose headings name the code and at least two more of the header's fields:
    each header column -> the column of this row that names the same field ({} when every
    field named is where the header has it); None for any other row."""
    found: dict[Field, list[int]] = {}
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and cell.strip():
            heading = match(cell)
            if heading is not None:
                found.setdefault(heading.field, []).append(index)
    if Field.CODE not in found or len(found.keys() & main.keys()) < 3:
        return None
    order: dict[int, int] = {}
    for f, cols in main.items():
        for col, index in zip(cols, found.get(f, ()), strict=False):
            order.setdefault(col, index)
    if all(col == index for col, index in order.items()):
        return {}
    return order


def _reorder(cells: Sequence[object], order: dict[int, int], width: int) -> list[object]:
    out: list[object] = [None] * max(width, len(cells))
    for col, index in order.items():
        if index < len(cells):
            out[col] = cells[index]
    return out


def _chain(first: list[Sequence[object]], rest: Iterator[Sequence[object]]
           ) -> Iterator[Sequence[object]]:
    yield from first
    yield from rest


def _read_lines(table: Table, rows: Iterable[Sequence[object]], config: Config,
                plan: ColumnPlan, groups: list[tuple[int, dict[Field, str]]]) -> None:
    """Sort the rows (charge lines and the rest), then parse the charge lines column by column:
    tight loops over cached parsers keep big sheets fast."""
    columns = table.columns
    _notes_from_description(table)
    code_index = columns[Field.CODE][0] - 1
    width = max(c for cols in columns.values() for c in cols)
    sorter = RowSorter(config, columns, plan.headers)
    code_of = _Cached(partial(v.parse_code, known=config.known_modifiers), v.CODE_SHAPE)
    billing: list[tuple[int, Sequence[object]]] = []
    others: Counter[str] = Counter()
    diagnosis_rows: list[tuple[int, Sequence[object]]] = []
    reversals: list[tuple[int, Sequence[object]]] = []
    codeless: list[tuple[int, Sequence[object]]] = []
    negative_cols = [columns[f][0] - 1 for f in (Field.UNITS, Field.CHARGE) if f in columns]
    simple = sorter.simple
    sections = _Sections(table, config)
    for row, cells in enumerate(rows, start=table.header_row + 1):
        sheet_cells = cells
        if sections.order is not None:
            cells = sections.reorder(cells)
        if len(cells) < width:
            cells = [*cells, *([None] * (width - len(cells)))]
        raw = cells[code_index]
        readable = raw is not None and raw != "" and code_of(raw)[1] is None
        if not readable and sections.starts(row, sheet_cells):
            others[HEADER] += 1  # the header of a section: its lines follow
            continue
        if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
            kind = sorter.codeless(cells)
            if kind == HEADING:
                codeless.append((row, cells))
            elif kind == DIAGNOSIS:
                diagnosis_rows.append((row, cells))
            elif kind is not None:
                others[kind] += 1
            continue
        first = cells[0]
        if readable and simple and first is not None and first != "":
            # the common line: only a total label in its first cell could make it another row
            kind = sorter.total_label(first, cells) if first.__class__ is str else None
        else:
            kind = sorter.coded(cells, readable)
        if kind == DIAGNOSIS:
            diagnosis_rows.append((row, cells))
        elif kind == HEADING:  # a group heading written in the code column
            codeless.append((row, cells))
        elif kind is not None:
            others[kind] += 1
        elif negative_cols and _negative(cells, negative_cols):
            reversals.append((row, cells))
        else:
            billing.append((row, cells))
    codeless_lines = _missing_code(codeless, billing, columns)
    others[HEADING] += len(codeless) - len(codeless_lines)
    billing.extend(codeless_lines)
    billing.sort(key=lambda item: item[0])
    table.lines = _parse(billing, columns, config, code_of)
    if reversals:
        unmatched = _reverse(table, reversals, config, code_of)
        others[REVERSAL] += 2 * (len(reversals) - len(unmatched))
        if unmatched:  # negative, but reversing nothing: a charge line NMR002 reports
            billing.extend(unmatched)
            billing.sort(key=lambda item: item[0])
            table.lines = sorted(table.lines + _parse(unmatched, columns, config, code_of),
                                 key=lambda line: line.row)
    others[DIAGNOSIS] += len(diagnosis_rows)
    link_diagnoses(table, diagnosis_rows, billing, config)
    _check_modifiers(table.lines, config.known_modifiers)
    _modifiers_in_code_cells(table)
    taken = {row for row, _ in codeless_lines}
    groups += [(row, labelled(cells, config) or unlabelled(cells, config))
               for row, cells in codeless if row not in taken]
    fill_down(table, others[TOTAL] + others[HEADING] > 0)
    carry_down(table, groups, config)
    credentials_from_names(table, config)
    minutes_per_visit(table, config)
    payer_codes(table, config)
    table.not_charges = {k: n for k, n in others.items() if n}
    _mostly_void(table, others[VOID], sorter)


def _mostly_void(table: Table, voids: int, sorter: RowSorter) -> None:
    """Every line, or nearly every one, left out as voided: more likely a column misread as a
    void mark (a "Void Date" filled for every line) than a month of voids. The sheet says so,
    naming the column, rather than passing with nothing checked."""
    kept = len(table.lines)
    if not voids or not sorter.void_by or (
            kept and (voids <= _HANDFUL or voids < _MOSTLY * (voids + kept))):
        return
    col = sorter.void_by.most_common(1)[0][0] + 1
    heading = table.headers.get(col, "")
    table.not_read.append(
        f"{voids} of {voids + kept} lines with a code were read as voided or deleted and left "
        f"out, because column {column_letter(col)} (\"{heading}\") marks them so; if that "
        "column does not mark voided lines, set it to \"ignore\" in a [[layouts]] column map "
        "(`nmr-xl columns` prints one)")


_HANDFUL, _MOSTLY = 5, 0.9  # more voided lines than this, and at least this share of them


def _modifiers_in_code_cells(table: Table) -> None:
    """No modifier column, but codes written with their modifiers ("97112-GP"): the code column
    is the modifier column. With neither, the rules that need modifiers do not run."""
    if Field.MODIFIERS in table.columns or not any(line.modifiers for line in table.lines):
        return
    table.columns[Field.MODIFIERS] = table.columns[Field.CODE]


def _notes_from_description(table: Table) -> None:
    """No notes column: the description column (a therapy grid's "Description" holds what was
    done) is what the notes rules read; the table says so."""
    cols = table.columns
    if Field.NOTES in cols or Field.DESCRIPTION not in cols:
        return
    cols[Field.NOTES] = cols[Field.DESCRIPTION]
    index = cols[Field.DESCRIPTION][0]
    table.notes.append(f"No notes column: the notes rules read \"{table.headers[index]}\" "
                       f"({column_letter(index)}).")


def _negative(cells: Sequence[object], cols: list[int]) -> bool:
    for col in cols:
        value = cells[col]
        kind = value.__class__
        if kind is float or kind is int:
            if value < 0:  # type: ignore[operator]
                return True
        elif kind is str and value and is_negative(value):
            return True
    return False


def _missing_code(codeless: list[tuple[int, Sequence[object]]],
                  billing: list[tuple[int, Sequence[object]]],
                  columns: dict[Field, list[int]]) -> list[tuple[int, Sequence[object]]]:
    """Rows with no code that are charge lines all the same (patient, date and units filled,
    and about as many cells as the table's charge lines): NMR001 reports the missing code.
    Group headings and visit subtotals fill fewer cells, and stay out."""
    keys = [columns[f][0] - 1 for f in (Field.PATIENT, Field.DOS, Field.UNITS) if f in columns]
    if len(keys) < 3 or not codeless or not billing:
        return []
    units = _Cached(v.parse_units)
    mapped = sorted({c - 1 for cols in columns.values() for c in cols})

    def filled(cells: Sequence[object]) -> int:
        return sum(1 for c in mapped if cells[c] not in (None, ""))

    def billed(cells: Sequence[object]) -> bool:  # 0 units: a visit with nothing billed
        value = units(cells[keys[2]])[0]
        return isinstance(value, int | float) and value > 0

    typical = median(filled(cells) for _, cells in billing[:200])
    return [(row, cells) for row, cells in codeless
            if all(cells[k] not in (None, "") for k in keys) and filled(cells) >= typical - 1
            and billed(cells)]


def _parse(billing: list[tuple[int, Sequence[object]]], columns: dict[Field, list[int]],
           config: Config, code_of: _Cached) -> list[Line]:
    lines = [Line(row=row) for row, _ in billing]

    def column(col: int) -> list[object]:
        return [cells[col - 1] for _, cells in billing]

    for line, raw in zip(lines, column(columns[Field.CODE][0]), strict=True):
        if raw is None or raw == "":
            continue  # a charge line whose code is missing (NMR001)
        parsed, problem = code_of(raw)
        if problem is not None:
            line.unreadable[Field.CODE] = problem
        elif parsed is not None:
            line.code, line.modifiers = parsed  # type: ignore[misc]
    for f, parse in _parsers(config).items():
        if f not in columns:
            continue
        name = f.value
        for line, (value, problem) in zip(lines, map(parse, column(columns[f][0])), strict=True):
            if problem is not None:
                line.unreadable[f] = problem
            elif value is not None:
                setattr(line, name, value)
    if Field.PATIENT_NAME in columns and len(columns[Field.PATIENT_NAME]) > 1:
        _join_names(lines, [column(c) for c in columns[Field.PATIENT_NAME]])
    if Field.PATIENT_NAME in columns and columns[Field.PATIENT] != columns[Field.PATIENT_NAME]:
        for line in lines:  # no account number, but a name: the name identifies the visit
            if line.patient is None and Field.PATIENT not in line.unreadable:
                line.patient = line.patient_name
    elif columns.get(Field.PATIENT) == columns.get(Field.PATIENT_NAME):
        for line in lines:
            line.patient = line.patient_name
    _join_columns(lines, [column(c) for c in columns.get(Field.DIAGNOSES, [])],
                  _Cached(v.parse_diagnoses), "diagnoses", Field.DIAGNOSES)
    _join_columns(lines, [column(c) for c in columns.get(Field.MODIFIERS, [])],
                  _Cached(v.parse_modifiers), "modifiers", Field.MODIFIERS)
    return lines


def _join_names(lines: list[Line], parts: list[list[object]]) -> None:
    """A name given in parts (last name and first name columns) joined, in column order."""
    for index, line in enumerate(lines):
        words = [str(p[index]).strip() for p in parts if p[index] not in (None, "")]
        line.patient_name = " ".join(words) or None


def _reverse(table: Table, reversals: list[tuple[int, Sequence[object]]], config: Config,
             code_of: _Cached) -> list[tuple[int, Sequence[object]]]:
    """A ledger's reversal (the same patient, date and code with negative units or amount)
    cancels the charge it reverses: both are left out. Returns the reversals that found no
    charge to cancel."""
    columns = table.columns
    text = _Cached(v.parse_text)
    date = _Cached(partial(v.parse_date, day_first=config.day_first))

    def cell(cells: Sequence[object], f: Field) -> object:
        return cells[columns[f][0] - 1] if f in columns else None

    def key(cells: Sequence[object]) -> tuple[object, ...]:
        patient = text(cell(cells, Field.PATIENT))[0]
        parsed = code_of(cell(cells, Field.CODE))[0]
        return (str(patient).casefold() if patient else None, date(cell(cells, Field.DOS))[0],
                parsed[0] if parsed else None)  # type: ignore[index]

    by_key: dict[tuple[object, ...], list[Line]] = {}
    for line in table.lines:
        by_key.setdefault((line.patient.casefold() if line.patient else None, line.dos,
                           line.code), []).append(line)
    gone: set[int] = set()
    unmatched = []
    for row, cells in reversals:
        original = next((line for line in by_key.get(key(cells), ()) if id(line) not in gone),
                        None)
        if original is None:
            unmatched.append((row, cells))
        else:
            gone.add(id(original))
    table.lines = [line for line in table.lines if id(line) not in gone]
    return unmatched


def _check_modifiers(lines: list[Line], known: frozenset[str]) -> None:
    """An unknown modifier is reported (NMR002), not silently kept."""
    for line in lines:
        if not line.modifiers or known.issuperset(line.modifiers):
            continue
        line.modifiers = v.split_joined(line.modifiers, known)
        if known.issuperset(line.modifiers):
            continue
        bad = [m for m in line.modifiers if m not in known]
        line.modifiers = tuple(m for m in line.modifiers if m in known)
        line.unreadable[Field.MODIFIERS] = _unknown_modifiers(bad)


def _unknown_modifiers(bad: list[str]) -> str:
    """Why modifiers were not accepted: not two characters, or two but not in the known list."""
    # a longer word is not shown: it may be a name typed into the wrong column
    malformed = [m if len(m) <= 3 else "a longer word" for m in bad if len(m) != 2]
    unknown = [m for m in bad if len(m) == 2]
    parts = []
    if malformed:
        parts.append(f"{', '.join(dict.fromkeys(malformed))} "
                     f"{'is' if len(malformed) == 1 else 'are'} not a modifier (modifiers are "
                     "two characters, such as GP, 59 or XS)")
    if unknown:
        parts.append(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                     "in nmr-xl's list of CPT and HCPCS modifiers")
    return "; ".join(parts)


def _join_columns(lines: list[Line], columns: list[list[object]],
                  parse: Callable[[object], tuple[object, str | None]], name: str,
                  f: Field) -> None:
    """Fields spread over several columns (Dx1..Dx4, Mod1..Mod4) joined, first column first.
    Modifiers also keep those written in the code cell, without repeats. A cell showing an
    error (#N/A) is reported, not read as blank."""
    if not columns:
        return
    for index, line in enumerate(lines):
        found: tuple[str, ...] = getattr(line, name)
        for col in columns:
            value, problem = parse(col[index])
            if problem is not None:
                line.unreadable.setdefault(f, problem)
            elif value:
                found += value  # type: ignore[operator]
        setattr(line, name, tuple(dict.fromkeys(found)))

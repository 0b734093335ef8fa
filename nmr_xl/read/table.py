"""Rows of raw cell values -> a billing Table: find the header, map columns, parse lines.

Every source (openpyxl, python-calamine, CSV, an xlwings range) ends here, so a sheet reads the
same whichever adapter opened it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from nmr_xl.config import Config
from nmr_xl.model import Field, Line, SkippedSheet, Table
from nmr_xl.normalize import norm
from nmr_xl.read import values as v

# Fields that may span several columns (Dx1..Dx4, Mod1..Mod4).
MULTI_COLUMN = (Field.DIAGNOSES, Field.MODIFIERS)
# A header row must name the code column and at least this many fields in all.
MIN_FIELDS = 3
_TRAILING_NUMBER = re.compile(r"\s*\d+$")


@dataclass(frozen=True)
class HeaderMatch:
    row: int  # 1-based worksheet row
    columns: dict[Field, list[int]]
    headers: dict[int, str]


def _synonym_index(config: Config) -> dict[str, Field]:
    index: dict[str, Field] = {}
    for f, spellings in config.columns.items():
        for spelling in spellings:
            index.setdefault(spelling, f)
    return index


def match_header(cells: Sequence[object], synonyms: dict[str, Field]) -> HeaderMatch | None:
    columns: dict[Field, list[int]] = {}
    headers: dict[int, str] = {}
    for col, cell in enumerate(cells, start=1):
        if not isinstance(cell, str):
            continue
        key = norm(cell)
        f = synonyms.get(key)
        if f is None:
            base = synonyms.get(_TRAILING_NUMBER.sub("", key))
            f = base if base in MULTI_COLUMN else None
        if f is None or (f in columns and f not in MULTI_COLUMN):
            continue  # the first column for a field wins
        columns.setdefault(f, []).append(col)
        headers[col] = cell.strip()
    if Field.CODE not in columns or len(columns) < MIN_FIELDS:
        return None
    return HeaderMatch(row=0, columns=columns, headers=headers)


def find_header(rows: Sequence[Sequence[object]], config: Config) -> HeaderMatch | None:
    """The row, among the first rows, that maps the most fields (the first such row on a tie)."""
    synonyms = _synonym_index(config)
    best: HeaderMatch | None = None
    for index, cells in enumerate(rows[: config.header_search_rows]):
        found = match_header(cells, synonyms)
        if found and (best is None or len(found.columns) > len(best.columns)):
            best = HeaderMatch(row=index + 1, columns=found.columns, headers=found.headers)
    return best


class _Cached:
    """Memoise a parser per raw value: billing columns repeat the same few values endlessly."""

    __slots__ = ("_cache", "_parse")

    def __init__(self, parse: Callable[[object], object]) -> None:
        self._parse = parse
        self._cache: dict[object, tuple[object, str | None]] = {}

    def __call__(self, raw: object) -> tuple[object, str | None]:
        # True == 1 for dict keys, but a bool cell is not the number 1.
        key = ("bool", raw) if raw is True or raw is False else raw
        hit = self._cache.get(key)
        if hit is None:
            try:
                hit = (self._parse(raw), None)
            except v.Unreadable as exc:
                hit = (None, str(exc))
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
        Field.DOS: _Cached(partial(v.parse_date, day_first=config.day_first)),
        Field.UNITS: _Cached(v.parse_units),
        Field.MINUTES: _Cached(v.parse_minutes),
        Field.PROVIDER: text,
        Field.PROVIDER_TYPE: text,
        Field.ONE_ON_ONE: _Cached(
            partial(v.parse_yes_no, yes=config.attendance_yes, no=config.attendance_no)),
        Field.PAYER: text,
        Field.NOTES: text,
        Field.CHARGE: _Cached(v.parse_money),
        Field.GOAL: text,
        Field.POC_START: _Cached(partial(v.parse_date, day_first=config.day_first)),
        Field.POC_END: _Cached(partial(v.parse_date, day_first=config.day_first)),
        Field.CERTIFIER: text,
        Field.PROGRESS_REPORT: _Cached(partial(
            v.parse_progress_report, yes=config.attendance_yes, no=config.attendance_no,
            day_first=config.day_first)),
    }


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
        if len(head) >= config.header_search_rows:
            break
    if not any(any(c not in (None, "") for c in cells) for cells in head):
        return SkippedSheet(sheet, "empty")
    header = find_header(head, config)
    if header is None:
        return SkippedSheet(sheet, "no header row naming a CPT/procedure code column and at "
                                   f"least {MIN_FIELDS - 1} other billing columns in the first "
                                   f"{config.header_search_rows} rows")
    columns = dict(header.columns)
    if Field.PATIENT not in columns and Field.PATIENT_NAME in columns:
        columns[Field.PATIENT] = columns[Field.PATIENT_NAME]  # the name is the visit key
    remaining = _chain(head[header.row:], iterator)
    lines = _lines(remaining, header.row + 1, columns, config)
    return Table(
        sheet=sheet,
        header_row=header.row,
        columns=columns,
        headers=header.headers,
        lines=lines,
        last_column=max(max(header.headers), width),
    )


def _chain(first: list[Sequence[object]], rest: Iterator[Sequence[object]]
           ) -> Iterator[Sequence[object]]:
    yield from first
    yield from rest


def _lines(rows: Iterable[Sequence[object]], first_row: int, columns: dict[Field, list[int]],
           config: Config) -> list[Line]:
    """Parse column by column: tight loops over cached parsers keep big sheets fast."""
    code_index = columns[Field.CODE][0] - 1
    width = max(c for cols in columns.values() for c in cols)
    billing: list[tuple[int, Sequence[object]]] = []
    repeated_header = set(config.columns[Field.CODE])
    for row, cells in enumerate(rows, start=first_row):
        if len(cells) < width:
            cells = [*cells, *([None] * (width - len(cells)))]
        raw = cells[code_index]
        if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
            continue  # no code: a blank, total or comment row, not a billing line
        if isinstance(raw, str) and norm(raw) in repeated_header:
            continue  # the header again: exports repeat it on every printed page
        billing.append((row, cells))
    lines = [Line(row=row) for row, _ in billing]

    def column(col: int) -> list[object]:
        return [cells[col - 1] for _, cells in billing]

    for line, (parsed, problem) in zip(lines, map(_Cached(v.parse_code), column(code_index + 1)),
                                       strict=True):
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
    if Field.PATIENT_NAME in columns and columns[Field.PATIENT] != columns[Field.PATIENT_NAME]:
        for line in lines:  # no account number, but a name: the name identifies the visit
            if line.patient is None and Field.PATIENT not in line.unreadable:
                line.patient = line.patient_name
    _join_columns(lines, [column(c) for c in columns.get(Field.DIAGNOSES, [])],
                  _Cached(v.parse_diagnoses), "diagnoses")
    _join_columns(lines, [column(c) for c in columns.get(Field.MODIFIERS, [])],
                  _Cached(v.parse_modifiers), "modifiers")
    _check_modifiers(lines, config.known_modifiers)
    return lines


def _check_modifiers(lines: list[Line], known: frozenset[str]) -> None:
    """An unknown modifier is reported (NMR002), not silently kept."""
    for line in lines:
        if not line.modifiers or known.issuperset(line.modifiers):
            continue
        bad = [m for m in line.modifiers if m not in known]
        line.modifiers = tuple(m for m in line.modifiers if m in known)
        shown = ", ".join(bad)
        line.unreadable[Field.MODIFIERS] = (
            f"{shown} {'is not a known modifier' if len(bad) == 1 else 'are not known modifiers'}"
            " (modifiers are two characters, such as GP, 59 or XS)")


def _join_columns(lines: list[Line], columns: list[list[object]],
                  parse: Callable[[object], tuple[object, str | None]], name: str) -> None:
    """Fields spread over several columns (Dx1..Dx4, Mod1..Mod4) joined, first column first.
    Modifiers also keep those written in the code cell, without repeats."""
    if not columns:
        return
    for index, line in enumerate(lines):
        found: tuple[str, ...] = getattr(line, name)
        for col in columns:
            found += parse(col[index])[0]  # type: ignore[operator]
        setattr(line, name, tuple(dict.fromkeys(found)))

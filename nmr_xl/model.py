"""The values that flow through nmr-xl: fields, lines, tables, findings.

Nothing here knows about openpyxl, python-calamine or xlwings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1}


class Field(StrEnum):
    """Canonical columns a billing sheet is mapped onto."""

    PATIENT = "patient"
    PATIENT_NAME = "patient_name"
    DOS = "dos"
    CODE = "code"
    MODIFIERS = "modifiers"
    UNITS = "units"
    MINUTES = "minutes"
    DIAGNOSES = "diagnoses"
    PROVIDER = "provider"
    PROVIDER_TYPE = "provider_type"
    ONE_ON_ONE = "one_on_one"
    PAYER = "payer"
    NOTES = "notes"
    CHARGE = "charge"
    GOAL = "goal"
    POC_START = "poc_start"
    POC_END = "poc_end"
    CERTIFIER = "certifier"
    PROGRESS_REPORT = "progress_report"


@dataclass(slots=True)
class Line:
    """One billing line: the parsed values of one worksheet row.

    A value is None when its cell is blank *or* unreadable; `unreadable` tells the two apart
    (field -> the cell's text), so NMR001 and NMR002 never report the same cell twice.
    """

    row: int
    patient: str | None = None
    patient_name: str | None = None
    dos: dt.date | None = None
    code: str | None = None
    modifiers: tuple[str, ...] = ()
    units: float | None = None
    minutes: float | None = None
    diagnoses: tuple[str, ...] = ()
    provider: str | None = None
    provider_type: str | None = None
    one_on_one: bool | None = None
    payer: str | None = None
    notes: str | None = None
    charge: float | None = None
    goal: str | None = None
    poc_start: dt.date | None = None
    poc_end: dt.date | None = None
    certifier: str | None = None
    # a progress report was written on this visit (True), or the date of the last one
    progress_report: bool | dt.date | None = None
    unreadable: dict[Field, str] = field(default_factory=dict)

    def get(self, f: Field) -> object:
        # `diagnoses` and `modifiers` are tuples; an empty tuple counts as blank. 0 units or
        # minutes and a "no" attendance are values, not blanks.
        value = getattr(self, f.value)
        return None if value == () else value


@dataclass(slots=True)
class Table:
    """A billing table found on one sheet.

    `columns` maps a field to the 1-based worksheet column(s) it was read from; diagnoses may
    span several columns (Dx1..Dx4). `headers` holds the header text of every mapped column.
    """

    sheet: str
    header_row: int
    columns: dict[Field, list[int]]
    headers: dict[int, str]
    lines: list[Line]
    last_column: int

    def has(self, f: Field) -> bool:
        return f in self.columns

    def column_of(self, f: Field) -> int | None:
        cols = self.columns.get(f)
        return cols[0] if cols else None

    def mapping(self) -> dict[str, str]:
        """field -> header text, for reports (several Dx columns are joined)."""
        return {
            f.value: ", ".join(self.headers[c] for c in cols) for f, cols in self.columns.items()
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem on one cell. Carries no patient data beyond what locates the cell."""

    rule: str
    name: str
    severity: Severity
    sheet: str
    row: int
    column: str  # header text of the column the finding points at
    cell: str  # A1 reference, e.g. "F12"
    col_index: int
    message: str
    suggestion: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity.value,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "cell": self.cell,
            "message": self.message,
            "suggestion": self.suggestion,
        }


@dataclass(slots=True)
class SkippedSheet:
    name: str
    reason: str


@dataclass(slots=True)
class Workbook:
    """What a reader hands the engine: the billing tables and the sheets it passed over."""

    tables: list[Table]
    skipped: list[SkippedSheet]


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA (kept here so the core needs no spreadsheet library)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters

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
    # the visit's total treatment time: timed and untimed minutes (Pub. 100-02 ch. 15 §220.3)
    TOTAL_TIME = "total_time"
    # the visit's timed minutes, in a column that gives them per visit (repeated on every line
    # of the visit, or on its first line only), not per line: see nmr_xl.read.visit_time
    VISIT_MINUTES = "visit_minutes"
    # Read to tell charge lines from other rows and to link diagnoses; no rule checks them.
    DISCIPLINE = "discipline"  # PT / OT / SLP / chiropractic / massage: not the credential
    DX_POINTER = "dx_pointer"  # letters A-L or numbers 1-12 pointing at the claim's diagnoses
    ROW_TYPE = "row_type"  # status, activity or record type: charge, diagnosis, void, payment
    VOIDED = "voided"  # a yes/no void or deleted flag
    ACTIVE = "active"  # a yes/no (1/0, Active/Inactive) active flag: no means deleted
    CLAIM = "claim"  # claim, encounter or ticket number: groups a claim dump's rows
    DESCRIPTION = "description"  # procedure / transaction description (payment, void words)
    CREDIT = "credit"  # payment or adjustment amounts of a ledger
    ALLOWED = "allowed"  # the payer's allowed amount of a line (known once the claim is paid)


# Fields read beside the line's own values: to tell charge lines from other rows, to link
# diagnoses, (discipline) to stand in for a credential, and (allowed) the amounts a paid
# claim's remittance adds, and (visit minutes) an export's minutes given per visit where the
# template has each line's. The billing template has none.
SUPPORT_FIELDS = frozenset({Field.DISCIPLINE, Field.DX_POINTER, Field.ROW_TYPE, Field.VOIDED,
                            Field.ACTIVE, Field.CLAIM, Field.DESCRIPTION, Field.CREDIT,
                            Field.ALLOWED, Field.VISIT_MINUTES})

FIELD_LABELS = {
    Field.PATIENT: "patient",
    Field.PATIENT_NAME: "patient name",
    Field.DOS: "date of service",
    Field.CODE: "code",
    Field.MODIFIERS: "modifier",
    Field.UNITS: "units",
    Field.MINUTES: "minutes",
    Field.DIAGNOSES: "diagnosis",
    Field.PROVIDER: "rendering provider",
    Field.PROVIDER_TYPE: "credential",
    Field.ONE_ON_ONE: "one-on-one",
    Field.PAYER: "payer",
    Field.NOTES: "notes",
    Field.CHARGE: "charge",
    Field.GOAL: "functional goal",
    Field.POC_START: "plan-of-care start",
    Field.POC_END: "plan-of-care end",
    Field.CERTIFIER: "certifier",
    Field.PROGRESS_REPORT: "progress report",
    Field.TOTAL_TIME: "total treatment time",
    Field.VISIT_MINUTES: "visit's timed minutes",
    Field.DISCIPLINE: "discipline",
    Field.DX_POINTER: "diagnosis pointer",
    Field.ROW_TYPE: "row type or status",
    Field.VOIDED: "void flag",
    Field.ACTIVE: "active flag",
    Field.CLAIM: "claim number",
    Field.DESCRIPTION: "description",
    Field.CREDIT: "payment or adjustment",
    Field.ALLOWED: "allowed amount",
}


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
    total_time: float | None = None  # minutes
    visit_minutes: float | None = None  # the visit's timed minutes (every line of the visit)
    discipline: str | None = None
    allowed: float | None = None
    unreadable: dict[Field, str] = field(default_factory=dict)

    def get(self, f: Field) -> object:
        # `diagnoses` and `modifiers` are tuples; an empty tuple counts as blank. 0 units or
        # minutes and a "no" attendance are values, not blanks.
        value = getattr(self, f.value)
        return None if value == () else value


# How a heading was read: pinned by a rules file's layout, a known heading, a guess (a known
# heading with other words, or the column's content), or not read.
PINNED, EXACT, GUESS, NOT_READ = "pinned", "exact", "guess", "not read"


@dataclass(frozen=True, slots=True)
class ColumnRead:
    """How one heading of the header row was read, and why (for reports and `nmr-xl columns`)."""

    column: int  # 1-based
    heading: str
    field: Field | None
    confidence: str  # PINNED, EXACT, GUESS or NOT_READ
    why: str
    # for a column not read: the field its heading or values suggest (a hint for messages)
    looks_like: Field | None = None

    @property
    def guessed(self) -> bool:
        return self.field is not None and self.confidence == GUESS


@dataclass(slots=True)
class Table:
    """A billing table found on one sheet.

    `columns` maps a field to the 1-based worksheet column(s) it was read from; diagnoses may
    span several columns (Dx1..Dx4); an empty list means every line has the field from no
    column of its own (a group row "Provider: ..." above the lines). `headers` holds the header
    text of every mapped column.
    `reads` says how every heading was read; `not_charges` counts the rows inside the table
    that are not charge lines, by kind (see nmr_xl.read.rows); `notes` are plain sentences
    about the reading (a credential taken from the providers' names, say).
    """

    sheet: str
    header_row: int
    columns: dict[Field, list[int]]
    headers: dict[int, str]
    lines: list[Line]
    last_column: int
    reads: list[ColumnRead] = field(default_factory=list)
    not_charges: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # where provider_type came from: "column" (a credential column) or "name" (the suffix of
    # the rendering provider's name, "Dana Cole, LMT"); None when there is no credential
    credential_source: str | None = None
    # parts of the layout recognised but not read, because no reading of them is safe (minutes
    # printed once per visit, pointers at diagnoses the sheet does not list): each is said as
    # "The sheet ... cannot be fully checked: <text>."
    not_read: list[str] = field(default_factory=list)
    # sections under a later header row with the same headings in another order: (first row,
    # header column -> the column that section holds it in), by first row; an empty map ends a
    # section (the header's own order again)
    moved: list[tuple[int, dict[int, int]]] = field(default_factory=list)

    def has(self, f: Field) -> bool:
        return f in self.columns

    def column_of(self, f: Field) -> int | None:
        cols = self.columns.get(f)
        return cols[0] if cols else None

    def cell_column(self, row: int, col: int) -> int:
        """The worksheet column that holds header column `col`'s value on `row` (another one in a
        section whose header has the same headings in another order)."""
        columns: dict[int, int] = {}
        for first, moved in self.moved:
            if first > row:
                break
            columns = moved
        return columns.get(col, col)

    def mapping(self) -> dict[str, str]:
        """field -> header text, for reports (several Dx columns are joined)."""
        return {
            f.value: ", ".join(self.headers[c] for c in cols) or "(from the rows above the lines)"
            for f, cols in self.columns.items()
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

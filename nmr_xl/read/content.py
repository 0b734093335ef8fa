"""What a column's values look like: dates, CPT/HCPCS codes, ICD-10 codes, modifiers, NPIs,
small whole numbers, money, credentials, disciplines. nmr_xl.read.columns uses this to confirm
a heading's reading, to choose between columns competing for one field, and to say what an
unread column holds.

Only a sample of the rows under the header is looked at (SAMPLE_ROWS): reading stays as fast
as the sheet is long.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nmr_xl.config.model import Config
from nmr_xl.model import Field
from nmr_xl.normalize import norm
from nmr_xl.read import values as v

SAMPLE_ROWS = 100  # non-blank rows under the header whose values are looked at
AGREES = 0.6  # share of a column's values that must fit a guessed field ...
JUDGED = 3  # ... once it has this many values (fewer say too little to reject a heading)
_SERIAL_DATES = (25569, 73051)  # Excel serials of 1970-01-01 and 2099-12-31
_NPI = re.compile(r"\d{10}")
_ONE_POINTER = r"(?:[A-L]|1[0-2]|[1-9])"
_POINTER = re.compile(rf"[A-L]{{1,12}}|{_ONE_POINTER}(?:\s*[,:;/ -]\s*{_ONE_POINTER})*")
_LETTERS = re.compile(r"[A-Za-z]")


@dataclass(frozen=True, slots=True)
class Share:
    """How many of a column's sampled values fit a kind, of how many that are not blank."""

    fits: int
    values: int

    @property
    def ratio(self) -> float:
        return self.fits / self.values if self.values else 0.0

    def agrees(self) -> bool:
        """Mostly of the kind, or too few values to judge by."""
        return self.values < JUDGED or self.ratio >= AGREES

    def describe(self, kind: str) -> str:
        if not self.values:
            return "no values under it to confirm"
        return f"{self.fits} of {self.values} values are {kind}"


def _fits(check: Callable[[object], object]) -> Callable[[object], bool]:
    def fits(value: object) -> bool:
        try:
            return check(value) is not None
        except (v.Unreadable, TypeError):
            return False

    return fits


def is_date(value: object, day_first: bool = False) -> bool:
    if isinstance(value, dt.date):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return _SERIAL_DATES[0] <= value <= _SERIAL_DATES[1] or v.yyyymmdd(value) is not None
    try:
        return v.parse_date(value, day_first=day_first) is not None
    except (v.Unreadable, TypeError):
        return False


def is_npi(value: object) -> bool:
    """A 10-digit NPI whose check digit is right (Luhn over 80840 and the first nine digits)."""
    text = str(int(value)) if isinstance(value, int | float) and not isinstance(
        value, bool) and float(value).is_integer() else str(value).strip()
    if not _NPI.fullmatch(text):
        return False
    total = 24  # the digits of the 80840 prefix, as the NPI standard has it
    for index, digit in enumerate(reversed(text[:9])):
        d = int(digit) * (2 if index % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(text[9])


def is_pointer(value: object) -> bool:
    """Diagnosis pointers: letters A-L ("AB", "A,C") or numbers 1-12 ("1", "1:2")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value).is_integer() and 1 <= value <= 12
    return isinstance(value, str) and _POINTER.fullmatch(value.strip().upper()) is not None


def _has_letters(value: object) -> bool:
    return isinstance(value, str) and _LETTERS.search(value) is not None


def _small_count(value: object) -> bool:
    if isinstance(value, str) and value.strip().startswith(("-", "(")):
        return True  # a reversal: still a number of units
    try:
        number = v.parse_units(value)
    except (v.Unreadable, TypeError):
        return False
    return number is not None and number <= 99


def _money(value: object) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value not in (0, 1)  # negative amounts are money too; 0 / 1 is a flag
    if isinstance(value, str) and value.strip().startswith(("-", "(")):
        return v.negative_amount(value) is not None
    return _fits(v.parse_money)(value)


def checks(config: Config) -> dict[Field, Callable[[object], bool]]:
    """Field -> whether a value fits it. Fields with free text accept any text."""
    modifiers = config.known_modifiers
    kinds = frozenset().union(*config.row_kinds.values())

    def modifier(value: object) -> bool:
        try:
            found = v.parse_modifiers(value)
        except v.Unreadable:
            return False
        return bool(found) and modifiers.issuperset(v.split_joined(found, modifiers))

    def date(value: object) -> bool:
        return is_date(value, config.day_first)

    def code(value: object) -> bool:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return 10000 <= value <= 99999 and float(value).is_integer()  # not a count or fee
        return _fits(v.parse_code)(value)

    def diagnosis(value: object) -> bool:
        return _fits(lambda x: v.parse_diagnoses(x) or None)(value)

    def yes_no(value: object) -> bool:
        return v.parse_yes_no(value, config.attendance_yes, config.attendance_no) is not None

    def row_kind(value: object) -> bool:
        return isinstance(value, str) and norm(value) in kinds

    def anything(value: object) -> bool:
        return True

    return {
        Field.PATIENT: anything,
        Field.PATIENT_NAME: _has_letters,
        Field.DOS: date,
        Field.CODE: code,
        Field.MODIFIERS: modifier,
        Field.UNITS: _small_count,
        Field.MINUTES: _fits(v.parse_minutes),
        Field.TOTAL_TIME: _fits(v.parse_minutes),
        Field.DIAGNOSES: diagnosis,
        Field.PROVIDER: anything,  # a name, an NPI or a staff number: each tells providers apart
        Field.PROVIDER_TYPE: lambda value: isinstance(value, str) and config.role_of(value)
        is not None,
        Field.DISCIPLINE: lambda value: isinstance(value, str) and config.discipline_of(value)
        is not None,
        Field.ONE_ON_ONE: yes_no,
        Field.PAYER: _has_letters,
        Field.NOTES: anything,
        Field.CHARGE: _money,
        Field.GOAL: anything,
        Field.POC_START: date,
        Field.POC_END: date,
        Field.CERTIFIER: _has_letters,
        Field.PROGRESS_REPORT: lambda value: yes_no(value) or date(value),
        Field.DX_POINTER: is_pointer,
        Field.ROW_TYPE: row_kind,
        Field.VOIDED: lambda value: yes_no(value) or date(value),  # a flag, or a void date
        Field.ACTIVE: lambda value: yes_no(value) or active_flag(value) is not None,
        Field.CLAIM: anything,
        Field.DESCRIPTION: anything,
        Field.CREDIT: _money,
        Field.ALLOWED: _money,
    }


_ACTIVE = {"active": True, "inactive": False, "a": True, "i": False}


def active_flag(value: object) -> bool | None:
    """An active flag's text: Active / Inactive (a yes / no is read with the attendance words)."""
    return _ACTIVE.get(norm(value)) if isinstance(value, str) else None


def share(values: Sequence[object], fits: Callable[[object], bool]) -> Share:
    present = [x for x in values if not _blank(x)]
    return Share(sum(1 for x in present if fits(x)), len(present))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# What an unread column holds, for the messages that name candidates ("columns holding dates:
# 'Posted' (C)"): the first kind most of its values fit.
_KINDS: tuple[tuple[str, Field], ...] = (
    ("CPT/HCPCS codes", Field.CODE), ("dates", Field.DOS), ("ICD-10 codes", Field.DIAGNOSES),
    ("modifiers", Field.MODIFIERS), ("credentials", Field.PROVIDER_TYPE),
    ("disciplines", Field.DISCIPLINE), ("NPIs", Field.PROVIDER),
)


def describe_values(values: Sequence[object], config: Config) -> tuple[str, Field] | None:
    """("dates", Field.DOS) when most sampled values are dates, and so on; None otherwise."""
    fits = {**checks(config), Field.PROVIDER: is_npi}
    for kind, f in _KINDS:
        found = share(values, fits[f])
        if found.values >= 2 and found.ratio >= 0.8:
            return kind, f
    return None

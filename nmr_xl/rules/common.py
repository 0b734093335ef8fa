"""Small helpers the rule families share: grouping lines into visits, labels for messages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from nmr_xl.model import Field, Line

VisitKey = tuple[str, object]

LABELS = {
    Field.PATIENT: "patient",
    Field.PATIENT_NAME: "patient name",
    Field.DOS: "date of service",
    Field.CODE: "code",
    Field.MODIFIERS: "modifier",
    Field.UNITS: "units",
    Field.MINUTES: "minutes",
    Field.DIAGNOSES: "diagnosis",
    Field.PROVIDER: "rendering provider",
    Field.PROVIDER_TYPE: "provider type",
    Field.ONE_ON_ONE: "one-on-one",
    Field.PAYER: "payer",
    Field.NOTES: "notes",
    Field.CHARGE: "charge",
    Field.GOAL: "functional goal",
    Field.POC_START: "plan-of-care start",
    Field.POC_END: "plan-of-care end",
    Field.CERTIFIER: "certifier",
    Field.PROGRESS_REPORT: "progress report",
}


def visits(lines: Iterable[Line]) -> dict[VisitKey, list[Line]]:
    """Lines grouped by visit (one patient on one date of service), in sheet order."""
    grouped: dict[VisitKey, list[Line]] = defaultdict(list)
    for line in lines:
        if line.patient is not None and line.dos is not None:
            grouped[(line.patient.casefold(), line.dos)].append(line)
    return grouped


def rows_text(lines: Iterable[Line]) -> str:
    rows = [str(line.row) for line in lines]
    return rows[0] if len(rows) == 1 else ", ".join(rows[:-1]) + " and " + rows[-1]


def units_text(n: int | float) -> str:
    n = int(n)
    return f"{n} unit" if n == 1 else f"{n} units"


def billed_text(n: int | float) -> str:
    n = int(n)
    return "1 unit is billed" if n == 1 else f"{n} units are billed"

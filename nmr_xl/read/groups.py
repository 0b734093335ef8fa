"""Values a report prints once for a group of lines instead of on every line: a group row
"Rendering Provider: Mark Ortiz DC" above a provider's charges, a title row "Patient: Doe, Jane"
above a patient's ledger, or the patient's name on the first line of its group only (a report
that suppresses repeated values). The lines take the group's value, and the table says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from nmr_xl.config.model import Config
from nmr_xl.model import FIELD_LABELS, Field, Line, Table
from nmr_xl.read import values as v
from nmr_xl.read.providers import credential_in_name

# Fields a group or title row may give for every line under it.
CARRIED = (Field.PATIENT, Field.PATIENT_NAME, Field.DOS, Field.PROVIDER, Field.PROVIDER_TYPE,
           Field.PAYER, Field.DISCIPLINE)
_LABEL = r"[A-Za-z][A-Za-z .#/&'-]{0,40}?"
_PAIR = re.compile(rf"({_LABEL})\s*:\s*(.+?)(?=\s{{2,}}{_LABEL}\s*:|\s+\|\s+|$)")
# Rows are read from their first cells only: a note further right is not a group label.
_LOOK_CELLS = 6


def labelled(cells: Sequence[object], config: Config) -> dict[Field, str]:
    """The fields a group or title row names: "Provider: Dana Cole, LMT", or a label cell
    ("Patient:") followed by its value in the next cell."""
    found: dict[Field, str] = {}
    texts = [(i, c.strip()) for i, c in enumerate(cells[:_LOOK_CELLS])
             if isinstance(c, str) and c.strip()]
    for position, (index, text) in enumerate(texts):
        if text.endswith(":") and position + 1 < len(texts) and texts[position + 1][0] == index + 1:
            _add(found, text[:-1], texts[position + 1][1], config)
            continue
        for label, value in _PAIR.findall(text):
            _add(found, label, value, config)
    return found


def unlabelled(cells: Sequence[object], config: Config) -> dict[Field, str]:
    """A group heading printed with no label: its one text cell names a discipline ("Massage
    Therapy") or a provider whose name ends in a credential ("Kim Lee, LMT"). Anything else on
    its own row (a clinic, a patient, a comment) says too little to be carried to the lines."""
    texts = [c.strip() for c in cells if isinstance(c, str) and c.strip()]
    if len(texts) != 1 or any(c is not None and not isinstance(c, str) for c in cells):
        return {}
    text = texts[0]
    if config.discipline_of(text) is not None:
        return {Field.DISCIPLINE: text}
    if credential_in_name(text, config.role_of) is not None:
        return {Field.PROVIDER: text}
    return {}


def _add(found: dict[Field, str], label: str, value: str, config: Config) -> None:
    match = config.headings.match(label)
    value = value.strip().rstrip(",;")
    if (match is not None and match.field in CARRIED and value and match.rank == 0
            and not _CRITERIA.match(value)):
        found.setdefault(match.field, value)


# A report's selection criteria ("Providers: All", "Payer: (All)"), not a group's value.
_CRITERIA = re.compile(r"\W*(all|any|none|n/?a|various|multiple|\*)\b", re.IGNORECASE)


def carry_down(table: Table, groups: list[tuple[int, dict[Field, str]]], config: Config
               ) -> None:
    """Give each line the values of the labelled rows above it, for fields with no column."""
    wanted = [f for f in CARRIED if f not in table.columns]
    events = sorted((row, {f: value for f, value in found.items() if f in wanted})
                    for row, found in groups)
    events = [(row, found) for row, found in events if found]
    if not events or not table.lines:
        return
    parse = {Field.DOS: partial(v.parse_date, day_first=config.day_first)}
    current: dict[Field, str] = {}
    filled: dict[Field, int] = {}
    position = 0
    for line in table.lines:
        while position < len(events) and events[position][0] < line.row:
            current.update(events[position][1])
            position += 1
        for f, text in current.items():
            if _apply(line, f, text, parse):
                filled[f] = filled.get(f, 0) + 1
    if Field.PATIENT_NAME in filled and Field.PATIENT not in table.columns:
        table.columns[Field.PATIENT] = []  # the name identifies the visit
    for f, n in filled.items():
        table.columns[f] = []  # known on every line, from no column of its own
        table.notes.append(
            f"No {FIELD_LABELS[f]} column: the {FIELD_LABELS[f]} of {n} of {len(table.lines)} "
            f"lines was taken from the labelled row above them (group or title rows).")


def _apply(line: Line, f: Field, text: str, parse: dict) -> bool:
    if f in parse:
        try:
            value = parse[f](text)
        except v.Unreadable:
            return False
        line.dos = value
        return value is not None
    setattr(line, f.value, text)
    if f is Field.PATIENT_NAME and line.patient is None:
        line.patient = text
    return True


# Columns a grouped report prints on a group's first line only; the others need the same
# patient on the line above before they are taken from it.
_FILLED = (Field.PATIENT, Field.PATIENT_NAME, Field.DOS, Field.PROVIDER, Field.PAYER)
_BLANK_SHARE = 0.25  # a column blank on this share of the lines, each right below a line ...
_FOLLOW_SHARE = 0.7  # ... for most of its blanks, in a report with groups, is printed once per
#                      group


def fill_down(table: Table, grouped: bool) -> None:
    """In a report with groups (`grouped`: it has subtotal or group heading rows), a column
    blank on a good part of the lines, mostly right below another line (a group's later
    lines), takes the value of the line above. A blank on a line that starts a group (below a
    subtotal, a heading or a blank row) stays blank: NMR001 reports it."""
    if not grouped:
        return
    by_row = {line.row: line for line in table.lines}
    for f in _FILLED:
        cols = table.columns.get(f)
        if not cols or (f is Field.PATIENT and cols == table.columns.get(Field.PATIENT_NAME)):
            continue
        name = f.value
        blanks = [line for line in table.lines
                  if getattr(line, name) is None and f not in line.unreadable]
        if len(blanks) < max(2, _BLANK_SHARE * len(table.lines)):
            continue
        follow = sum(1 for line in blanks if line.row - 1 in by_row)
        if follow < _FOLLOW_SHARE * len(blanks):
            continue
        filled = 0
        for line in table.lines:  # in row order: a group's lines fill one after another
            above = by_row.get(line.row - 1)
            if (above is None or getattr(line, name) is not None or f in line.unreadable
                    or getattr(above, name) is None):
                continue
            if f not in (Field.PATIENT, Field.PATIENT_NAME) and not _same_patient(line, above):
                continue
            setattr(line, name, getattr(above, name))
            if f is Field.PATIENT_NAME and line.patient is None:
                line.patient = line.patient_name
            filled += 1
        if filled:
            table.notes.append(
                f"The {FIELD_LABELS[f]} is printed once per group in this export: it was taken "
                f"from the line above on {filled} line{'s' if filled > 1 else ''}.")


def _same_patient(line: Line, above: Line) -> bool:
    return (line.patient is not None and above.patient is not None
            and line.patient.casefold() == above.patient.casefold())

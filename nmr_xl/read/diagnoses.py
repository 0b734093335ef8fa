"""Diagnoses given by pointer, resolved to codes. A claim lists its diagnoses once (in columns
Dx A..Dx L / Dx 1..Dx 12 on each line, or, in a claims-table dump, on rows of their own) and
each service line points at the ones it treats: letters A-L as on the CMS-1500 form ("AB"),
numbers 1-12 as in an 837 file ("1:2"), or the codes themselves ("ICD10|G20:ICD10|R26.81:").
A line's diagnoses are the ones it points at, first pointer first (the primary diagnosis).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nmr_xl.config.model import Config
from nmr_xl.model import Field, Line, Table, column_letter
from nmr_xl.read import values as v

_POINTER_TOKEN = re.compile(r"1[0-2]|[1-9]|[A-L]")
_LETTERS = "ABCDEFGHIJKL"


def pointers(value: object) -> list[int] | None:
    """1-based positions a pointer cell names ("AB" -> [1, 2], "1:3" -> [1, 3]), or None when
    the cell holds no pointers (blank, or diagnosis codes themselves)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return [int(value)] if float(value).is_integer() and 1 <= value <= 12 else None
    text = str(value).strip().upper()
    if not text or v.is_error(text):
        return None
    tokens = [t for t in re.split(r"[\s,:;/|-]+", text) if t]
    if len(tokens) == 1 and tokens[0].isalpha():
        tokens = list(tokens[0])  # "ABD"
    found = []
    for token in tokens:
        if not _POINTER_TOKEN.fullmatch(token):
            return None
        found.append(_LETTERS.index(token) + 1 if token.isalpha() else int(token))
    return found


def link_diagnoses(table: Table, diagnosis_rows: list[tuple[int, Sequence[object]]],
                   billing: list[tuple[int, Sequence[object]]], config: Config) -> None:
    """Give each charge line the diagnoses it points at (or its claim's, when it points at
    none). Diagnosis rows of a claim dump belong to the claim of the same claim number, else
    to the same patient and date, else to the charge lines that follow them."""
    columns = table.columns
    pointer_cols = [c - 1 for c in columns.get(Field.DX_POINTER, [])]
    if not pointer_cols and not diagnosis_rows:
        return
    cells_of = {row: cells for row, cells in billing}
    dx_cols = [c - 1 for c in columns.get(Field.DIAGNOSES, [])]
    keys, blocks = _claim_keys(table, diagnosis_rows, billing)
    claim_lists = _claim_diagnoses(table, diagnosis_rows, keys, blocks)
    block_patients = _block_patients(table, diagnosis_rows, blocks)
    unlisted = 0  # lines pointing at diagnoses nothing on the sheet lists
    for line in table.lines:
        cells = cells_of.get(line.row)
        if cells is None:
            continue
        own = [code for c in dx_cols for code in _codes(cells[c])]
        block = blocks.get(line.row)
        listed = own or claim_lists.get(keys.get(line.row)) or (
            claim_lists.get(block, []) if _same_patient(line, block_patients.get(block)) else [])
        raws = [cells[c] for c in pointer_cols if cells[c] not in (None, "")]
        if not raws:
            if not line.diagnoses and listed:
                line.diagnoses = tuple(dict.fromkeys(listed))
            continue
        errors = [str(raw).strip() for raw in raws if v.is_error(raw)]
        if errors:
            line.unreadable[Field.DX_POINTER] = f"the cell shows the error {errors[0]}"
            continue
        named = [p for raw in raws for p in pointers(raw) or ()]
        codes = [c for raw in raws if pointers(raw) is None for c in _codes(raw)]
        if codes:  # the pointer column holds the codes themselves
            line.diagnoses = tuple(dict.fromkeys(codes))
        elif named:
            _resolve(line, named, listed)
            unlisted += not listed
        elif not line.diagnoses and listed:
            line.diagnoses = tuple(dict.fromkeys(listed))
        elif not line.diagnoses:
            line.unreadable[Field.DX_POINTER] = "it is not a diagnosis pointer (A-L or 1-12)"
    if unlisted and not diagnosis_rows and Field.DIAGNOSES not in columns:
        _pointers_elsewhere(table, pointer_cols[0] + 1, unlisted)
    if diagnosis_rows and Field.DIAGNOSES not in columns:
        # Findings about diagnoses point at the pointer, or at the code column.
        columns[Field.DIAGNOSES] = [pointer_cols[0] + 1] if pointer_cols else columns[Field.CODE]
        table.headers.setdefault(columns[Field.DIAGNOSES][0], "diagnoses")
    if diagnosis_rows:
        table.notes.append(f"Diagnoses were read from {len(diagnosis_rows)} diagnosis row"
                           f"{'' if len(diagnosis_rows) == 1 else 's'} and linked to the charge "
                           "lines of the same claim" + (" by their pointers."
                                                        if pointer_cols else "."))


def _pointers_elsewhere(table: Table, col: int, lines: int) -> None:
    """Pointers at a claim's diagnoses that the sheet lists nowhere (on the claim form, or on
    another sheet): what they point at is unknown, so the diagnosis rules cannot run, and the
    table says so rather than checking lines as if they had no diagnosis."""
    heading = table.headers.get(col, "diagnosis pointers")
    table.not_read.append(
        f"{lines} line{'s' if lines > 1 else ''} point at diagnoses by letter or number "
        f"(\"{heading}\", {column_letter(col)}), but the sheet does not list the diagnoses "
        "they point at (no diagnosis column and no diagnosis rows): the rules that need "
        "diagnoses did not run (see the rules not run)")


def _resolve(line: Line, named: list[int], listed: list[str]) -> None:
    pointed = [listed[n - 1] for n in named if n <= len(listed)]
    missing = [n for n in named if n > len(listed)]
    if missing and listed:  # a claim with no diagnoses at all is NMR205's to report
        shown = ", ".join(_LETTERS[n - 1] for n in missing)
        line.unreadable[Field.DX_POINTER] = (
            f"it points at diagnosis {shown}, but the claim lists only {len(listed)}")
    line.diagnoses = tuple(dict.fromkeys(pointed))


def _codes(value: object) -> list[str]:
    if v.is_error(value):
        return []
    return list(v.parse_diagnoses(value))


# Columns of a diagnosis row that never hold its codes (an account "A100" looks like one).
_NOT_CODES = (Field.PATIENT, Field.PATIENT_NAME, Field.PROVIDER, Field.PAYER, Field.CLAIM,
              Field.NOTES, Field.GOAL, Field.CERTIFIER, Field.DOS, Field.UNITS, Field.CHARGE,
              Field.ALLOWED)


def _claim_diagnoses(table: Table, diagnosis_rows: list[tuple[int, Sequence[object]]],
                     keys: dict[int, object], blocks: dict[int, object]
                     ) -> dict[object, list[str]]:
    """Claim -> its diagnoses, in the order its diagnosis rows list them (left to right), under
    the claim's key and its block's."""
    skip = {c - 1 for f in _NOT_CODES for c in table.columns.get(f, [])}
    lists: dict[object, list[str]] = {}
    for row, cells in diagnosis_rows:
        codes = [c for col, cell in enumerate(cells) if col not in skip for c in _codes(cell)]
        lists.setdefault(keys[row], []).extend(codes)
        if blocks[row] != keys[row]:
            lists.setdefault(blocks[row], []).extend(codes)
    return lists


def _block_patients(table: Table, diagnosis_rows: list[tuple[int, Sequence[object]]],
                    blocks: dict[int, object]) -> dict[object, set[str]]:
    """Block -> the patients its diagnosis rows name (none when they name none)."""
    patient = table.columns.get(Field.PATIENT, [0])[0] - 1
    found: dict[object, set[str]] = {}
    for row, cells in diagnosis_rows:
        named = found.setdefault(blocks[row], set())
        if patient >= 0 and cells[patient] not in (None, ""):
            named.add(str(cells[patient]).strip().casefold())
    return found


def _same_patient(line: Line, patients: set[str] | None) -> bool:
    """Whether a block's diagnoses may go to `line` by position: never to another patient's
    line (a dump whose diagnosis rows name their patient links by patient, not by place)."""
    if not patients:
        return True
    return line.patient is not None and line.patient.strip().casefold() in patients


def _claim_keys(table: Table, diagnosis_rows: list[tuple[int, Sequence[object]]],
                billing: list[tuple[int, Sequence[object]]]
                ) -> tuple[dict[int, object], dict[int, object]]:
    """Row -> the claim it belongs to: its claim number; else its patient and date; else the
    block of diagnosis rows above it (a new block starts where diagnosis rows follow lines).
    Also row -> its block, the fallback when a claim number finds no diagnosis rows."""
    columns = table.columns
    rows = sorted([(row, cells, True) for row, cells in diagnosis_rows]
                  + [(row, cells, False) for row, cells in billing], key=lambda r: r[0])
    claim = columns.get(Field.CLAIM, [0])[0] - 1
    patient = columns.get(Field.PATIENT, [0])[0] - 1
    dos = columns.get(Field.DOS, [0])[0] - 1
    by_visit = patient >= 0 and dos >= 0 and all(
        cells[patient] not in (None, "") and cells[dos] not in (None, "")
        for _, cells in diagnosis_rows)
    keys: dict[int, object] = {}
    blocks: dict[int, object] = {}
    block, previous_dx = 0, False
    for row, cells, is_dx in rows:
        if is_dx and not previous_dx:
            block += 1
        previous_dx = is_dx
        blocks[row] = ("block", max(block, 1))
        if claim >= 0 and cells[claim] not in (None, ""):
            keys[row] = ("claim", str(cells[claim]).strip().casefold())
        elif by_visit:
            keys[row] = ("visit", str(cells[patient]).strip().casefold(), str(cells[dos]))
        else:
            keys[row] = blocks[row]
    return keys, blocks

"""Rows inside a billing table that are not charge lines: a claim dump's diagnosis rows,
voided or deleted lines, payments and adjustments, subtotals and totals, repeated header rows
and page headers or footers. They are left out of the checks and counted, so a report can say
"7 diagnosis rows, 1 voided line and 3 subtotal rows were not charge lines".

The words that mark each kind are data ([row_kinds] in rules.toml). Every test here is cheap
and cached per distinct cell text: a 100,000-line sheet repeats the same few values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from nmr_xl.config.model import Config
from nmr_xl.model import Field
from nmr_xl.normalize import Phrases, norm
from nmr_xl.read import values as v
from nmr_xl.read.content import active_flag, is_date

DIAGNOSIS, VOID, NOT_BILLED, REVERSAL, PAYMENT, ADJUSTMENT = (
    "diagnosis", "void", "not_billed", "reversal", "payment", "adjustment")
TOTAL, HEADER, PAGE, HEADING = "total", "header", "page", "heading"

# kind -> (one, several), in the order reports list them
_LABELS = {
    DIAGNOSIS: ("diagnosis row", "diagnosis rows"),
    VOID: ("voided or deleted line", "voided or deleted lines"),
    NOT_BILLED: ("line marked not billed", "lines marked not billed"),
    REVERSAL: ("reversed charge row (a charge and its reversal)",
               "reversed charge rows (charges and their reversals)"),
    PAYMENT: ("payment row", "payment rows"),
    ADJUSTMENT: ("adjustment row", "adjustment rows"),
    TOTAL: ("subtotal or total row", "subtotal or total rows"),
    HEADER: ("repeated header row", "repeated header rows"),
    PAGE: ("page header or footer row", "page header or footer rows"),
    HEADING: ("row without a code (a group heading or comment)",
              "rows without a code (group headings or comments)"),
}
ROW_KINDS = tuple(_LABELS)
# Dates a database or spreadsheet writes for "no date": SQL Server's and Excel's day 0 / 1
# (1900-01-01, 1899-12-30, 1899-12-31), the smallest and largest dates (0001-01-01, 9999-12-31).
# In a void-date column they mean "not voided".
PLACEHOLDER_DATES = frozenset({dt.date(1900, 1, 1), dt.date(1899, 12, 30), dt.date(1899, 12, 31),
                               dt.date(1, 1, 1), dt.date(9999, 12, 31)})
_DIAGNOSIS_LIST = re.compile(r"\s*(dx|diag\w*|icd\w*)\s*(codes?|list)?\s*[:#]\s*\S", re.IGNORECASE)


def sentence(counts: Mapping[str, int]) -> str:
    """'7 diagnosis rows and 1 voided or deleted line were not charge lines'."""
    one = sum(counts.values()) == 1
    return f"{describe(counts)} {'was not a charge line' if one else 'were not charge lines'}"


def describe(counts: Mapping[str, int]) -> str:
    """'7 diagnosis rows, 1 voided or deleted line and 3 subtotal or total rows', or ''."""
    parts = [f"{counts[k]} {_LABELS[k][0] if counts[k] == 1 else _LABELS[k][1]}"
             for k in ROW_KINDS if counts.get(k)]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _first(columns: Mapping[Field, list[int]], f: Field) -> int | None:
    cols = columns.get(f)
    return cols[0] - 1 if cols else None


class RowSorter:
    """Tells one table's rows apart: charge line, or which kind of row that is not one."""

    def __init__(self, config: Config, columns: Mapping[Field, list[int]],
                 headers: Mapping[int, str]) -> None:
        kinds = config.row_kinds
        self._type_words = {word: kind for kind in (DIAGNOSIS, VOID, NOT_BILLED, PAYMENT,
                                                    ADJUSTMENT) for word in kinds[kind]}
        self._charge_words = kinds["charge"]
        self._total_words = kinds["total"]
        self._page = Phrases(kinds["page"])
        self._void = Phrases(kinds[VOID])
        self._not_billed = Phrases(kinds[NOT_BILLED])
        self._diagnosis_words = kinds[DIAGNOSIS]
        self._payment = Phrases(kinds[PAYMENT])
        self._adjustment = Phrases(kinds[ADJUSTMENT])
        self._yes, self._no = config.attendance_yes, config.attendance_no
        self._day_first = config.day_first
        self._type_col = _first(columns, Field.ROW_TYPE)
        self._void_col = _first(columns, Field.VOIDED)
        self._active_col = _first(columns, Field.ACTIVE)
        self._description_col = _first(columns, Field.DESCRIPTION)
        self._code_col = _first(columns, Field.CODE)
        self._credit_cols = [c - 1 for c in columns.get(Field.CREDIT, [])]
        self._charge_col = _first(columns, Field.CHARGE)
        self._units_col = _first(columns, Field.UNITS)
        self._headers = {col - 1: norm(text) for col, text in headers.items()}
        # a total label on a row without a patient or a date is a subtotal, not a charge
        self._key_cols = [cols[0] - 1 for f in (Field.PATIENT, Field.DOS)
                          if (cols := columns.get(f))]
        self._cache: dict[tuple[int, object], str | None] = {}
        # the column (0-based) each voided line was marked void by
        self.void_by: Counter[int] = Counter()
        # no status, void, active, description or amount column: a line with a readable code
        # is a charge unless a total label starts it (the fast path of a big plain sheet)
        self.simple = (self._type_col is None and self._void_col is None
                       and self._active_col is None and self._description_col is None
                       and not self._credit_cols)

    # -- rows with a code cell -------------------------------------------------------------

    def coded(self, cells: Sequence[object], readable: bool) -> str | None:
        """None for a charge line; else the kind of row. `readable`: the code cell holds a
        CPT/HCPCS code."""
        marked = self._marked(cells)
        if marked is not None:
            return marked
        if self._credit_only(cells):
            return self._credit_kind(cells)
        label = self._first_label(cells)
        if label is not None and not readable:
            return label
        if readable:
            if label == TOTAL and self._lacks_line_keys(cells):
                return TOTAL
            return None
        return self._unreadable_code(cells)

    def total_label(self, first: str, cells: Sequence[object]) -> str | None:
        """TOTAL when a line's first cell is a total label and it lacks a patient or a date."""
        if self._cached(3, first, self._label) == TOTAL and self._lacks_line_keys(cells):
            return TOTAL
        return None

    def _marked(self, cells: Sequence[object]) -> str | None:
        """What a status / record-type / void flag / description cell says the row is."""
        if self._type_col is not None:
            kind = self._cached(1, cells[self._type_col], self._type_kind)
            if kind is not None and kind != "charge":
                return kind
        if self._void_col is not None:
            flag = cells[self._void_col]
            if flag not in (None, "") and self._cached(5, flag, self._voided):
                self.void_by[self._void_col] += 1
                return VOID
        if self._active_col is not None:
            flag = cells[self._active_col]
            if flag not in (None, "") and self._cached(4, flag, self._inactive):
                self.void_by[self._active_col] += 1
                return VOID
        if self._description_col is not None:
            kind = self._cached(2, cells[self._description_col], self._described)
            if kind == VOID:
                self.void_by[self._description_col] += 1
            return kind
        return None

    def _voided(self, value: object) -> str | None:
        """VOID for a yes in a void flag, or for a date in a void-date column: Epic's charge
        reports mark a voided charge only by filling its Void Date. A placeholder date
        (1900-01-01, 9999-12-31: a database's "empty") is no void."""
        flag = v.parse_yes_no(value, self._yes, self._no)
        if flag is None and is_date(value, self._day_first):
            return None if _placeholder_date(value, self._day_first) else VOID
        return VOID if flag else None

    def _inactive(self, value: object) -> str | None:
        active = active_flag(value)
        if active is None:
            active = v.parse_yes_no(value, self._yes, self._no)
        return VOID if active is False else None

    def _type_kind(self, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        key = norm(value)
        if key in self._charge_words:
            return "charge"
        return self._type_words.get(key) or self._described(value)

    def _described(self, value: object) -> str | None:
        """Void, payment or adjustment words in a text ("*** VOIDED ***", "Ins Pmt")."""
        if not isinstance(value, str) or not value.strip():
            return None
        if self._not_billed.find(value):
            return NOT_BILLED
        if self._void.find(value):
            return VOID
        if self._payment.find(value):
            return PAYMENT
        if self._adjustment.find(value):
            return ADJUSTMENT
        return None

    def _credit_only(self, cells: Sequence[object]) -> bool:
        """A ledger row with a payment or adjustment amount and no charge or units."""
        if not self._credit_cols:
            return False
        if not any(_amount(cells[c]) for c in self._credit_cols):
            return False
        for col in (self._charge_col, self._units_col):
            if col is not None and _amount(cells[col]):
                return False
        return True

    def _credit_kind(self, cells: Sequence[object]) -> str:
        """ADJUSTMENT when the amount is in an adjustment or write-off column."""
        for c in self._credit_cols:
            heading = self._headers.get(c, "")
            if _amount(cells[c]) and ("adj" in heading or "write" in heading):
                return ADJUSTMENT
        return PAYMENT

    def _first_label(self, cells: Sequence[object]) -> str | None:
        """TOTAL or PAGE when the row's first filled cell is such a label."""
        for cell in cells:
            if cell is None or cell == "":
                continue
            return self._cached(3, cell, self._label) if isinstance(cell, str) else None
        return None

    def _label(self, text: object) -> str | None:
        assert isinstance(text, str)
        words = norm(text).split()
        if not words:
            return None
        joined = " ".join(words)
        totals = self._total_words
        if (words[0] in totals or words[-1] in totals or " ".join(words[:2]) in totals
                or " ".join(words[-2:]) in totals or "total for" in joined):
            return TOTAL
        if self._page.find(text) and (words[0] == "page" or len(words) <= 6):
            return PAGE
        return None

    def _lacks_line_keys(self, cells: Sequence[object]) -> bool:
        return not self._key_cols or any(cells[c] in (None, "") for c in self._key_cols)

    def _unreadable_code(self, cells: Sequence[object]) -> str | None:
        """A row whose code cell is not a CPT/HCPCS code: a repeated header, a diagnosis row,
        a payment written in the code column, a group heading or comment (the code cell is the
        row's only filled cell: "Claim 5002   Patient: Roe, Max"), or (None) a charge line with
        a bad code."""
        if self._repeats_header(cells):
            return HEADER
        assert self._code_col is not None
        raw = cells[self._code_col]
        if isinstance(raw, str) and not any(
                c is not None and c != "" for i, c in enumerate(cells) if i != self._code_col):
            return self._label(raw) or self._described(raw) or HEADING
        if v.is_diagnosis_code(raw) or (isinstance(raw, str)
                                        and norm(raw) in self._diagnosis_words):
            return DIAGNOSIS
        if isinstance(raw, str):
            described = self._described(raw)
            if described is not None:
                return described
        return None

    def _repeats_header(self, cells: Sequence[object]) -> bool:
        """The header row repeated (a page break), or one row of a two-row header repeated: its
        cells are the first or last words of the headings ("Date of" / "Service" under "Date of
        Service")."""
        same = part = 0
        for col, text in self._headers.items():
            cell = cells[col] if col < len(cells) else None
            if not isinstance(cell, str):
                continue
            key = norm(cell)
            if key == text:
                same += 1
            elif key and not any(ch.isdigit() for ch in key) and (
                    text.startswith(key + " ") or text.endswith(" " + key)):
                part += 1
        return same >= 2 or (same + part >= 3 and same + part > len(self._headers) // 2)

    # -- rows without a code -----------------------------------------------------------------

    def codeless(self, cells: Sequence[object]) -> str | None:
        """The kind of a row with no code, or None for a blank row."""
        if not any(c is not None and not (isinstance(c, str) and not c.strip()) for c in cells):
            return None
        marked = self._marked(cells)
        if marked is not None:
            return marked
        if self._credit_only(cells):
            return self._credit_kind(cells)
        if self._repeats_header(cells):
            return HEADER
        label = self._first_label(cells)
        if label is not None:
            return label
        if any(isinstance(c, str) and _DIAGNOSIS_LIST.match(c) for c in cells):
            return DIAGNOSIS  # "Diagnoses: 1. G20  2. R26.81" above a claim's lines
        for cell in cells:
            if isinstance(cell, str) and cell.strip():
                kind = self._label(cell) or self._described(cell)
                if kind is not None:
                    return kind
        return HEADING

    def _cached(self, slot: int, value: object, work: Callable[[object], str | None]
                ) -> str | None:
        key = (slot, value)
        try:
            return self._cache[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: never from a reader, but be safe
            return work(value)
        found = work(value)
        if len(self._cache) < 50_000:
            self._cache[key] = found
        return found


def _amount(value: object) -> bool:
    """A non-zero amount ("$45.00", -45, "(45.00)")."""
    if value is None or value == "" or isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value != 0
    if v.negative_amount(value):
        return True
    try:
        return bool(v.parse_money(value))
    except v.Unreadable:
        return False


def is_negative(value: object) -> bool:
    """A negative number of units or dollars: a ledger's reversal of a charge."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value < 0
    return isinstance(value, str) and v.negative_amount(value) is not None


def _placeholder_date(value: object, day_first: bool) -> bool:
    try:
        return v.parse_date(value, day_first=day_first) in PLACEHOLDER_DATES
    except (v.Unreadable, TypeError):
        return False

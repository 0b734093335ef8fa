"""Which column is which field: headings read by meaning (nmr_xl.read.headings), weighed against
the columns' values (nmr_xl.read.content), with documented preferences where two columns
compete for one field, and a rules file's pinned layout over all of it.

Preferences, in order, when columns compete for one field:
1. a heading pinned by the rules file's layout;
2. a first choice over a second choice: the from date of a from/to pair (the date of service),
   the provider's name over the provider's NPI or ID, the payer's name over its ID or class;
3. a column whose values fit the field over one whose values do not (a "Code" column of ICD-10
   codes loses the code to a "CPT" column of CPT codes);
4. a known heading over a guessed one, a longer known spelling over a shorter one ("Service
   Date" over "Date");
5. the lower number ("Insurance 1" over "Insurance 2"), then the column further left.

A guess (a heading with other words, or a column known only by its values) is taken only when
the values agree; otherwise the column is left unread and the reason is kept, so a report can
say exactly what was not read and why. Nothing here knows about workbooks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nmr_xl.config.model import IGNORE, Config, Layout
from nmr_xl.model import (
    EXACT,
    FIELD_LABELS,
    GUESS,
    NOT_READ,
    PINNED,
    ColumnRead,
    Field,
    column_letter,
)
from nmr_xl.normalize import Phrases, norm
from nmr_xl.read import content
from nmr_xl.read import values as v
from nmr_xl.read.headings import MULTI_COLUMN, HeadingMatch

# What the values of a field are called in the reasons ("40 of 40 values are dates").
KIND = {
    Field.DOS: "dates", Field.POC_START: "dates", Field.POC_END: "dates",
    Field.CODE: "CPT/HCPCS codes", Field.DIAGNOSES: "ICD-10 codes", Field.MODIFIERS: "modifiers",
    Field.UNITS: "whole numbers", Field.MINUTES: "minutes", Field.TOTAL_TIME: "minutes",
    Field.CHARGE: "amounts", Field.CREDIT: "amounts", Field.ALLOWED: "amounts",
    Field.PROVIDER_TYPE: "credentials",
    Field.DISCIPLINE: "disciplines", Field.ONE_ON_ONE: "yes / no",
    Field.VOIDED: "yes / no or dates",
    Field.ACTIVE: "yes / no or active / inactive",
    Field.DX_POINTER: "diagnosis pointers", Field.ROW_TYPE: "row types or statuses",
    Field.PAYER: "names", Field.PATIENT_NAME: "names",
    Field.CERTIFIER: "names", Field.PROGRESS_REPORT: "dates or yes / no",
}
# Headings that may name a credential, a discipline or a row type: the values decide.
_TYPE_LIKE = (Field.PROVIDER_TYPE, Field.DISCIPLINE, Field.ROW_TYPE)
_CONTENT_ONLY = 0.8  # share of values that makes an unknown heading a code or diagnosis column
_CONTENT_ONLY_MIN = 3  # values needed before a column is read by its values alone


@dataclass
class _Candidate:
    column: int
    heading: str
    field: Field
    how: str  # PINNED, EXACT or GUESS
    why: str
    rank: int = 0
    number: int = 0
    specificity: int = 0
    fits: bool = True  # the values agree with the field
    name_part: bool = False
    spelling: str = ""  # the known spelling the heading holds
    heading_field: Field | None = None  # the field the heading alone names


@dataclass
class ColumnPlan:
    """The column map of one header row: field -> columns, heading texts, and every reading."""

    columns: dict[Field, list[int]] = field(default_factory=dict)
    headers: dict[int, str] = field(default_factory=dict)
    reads: list[ColumnRead] = field(default_factory=list)


def layout_for(cells: Sequence[object], config: Config) -> Layout | None:
    """The pinned layout whose headings are all on this row, if any."""
    if not config.layouts:
        return None
    present = {norm(c) for c in cells if isinstance(c, str) and c.strip()}
    return next((lay for lay in config.layouts if lay.headings <= present), None)


def heading_fields(cells: Sequence[object], config: Config) -> set[Field]:
    """The fields a row's headings name, by heading alone (to find the header row)."""
    layout = layout_for(cells, config)
    found: set[Field] = set()
    seen: dict[str, int] = {}
    for cell in cells:
        if not isinstance(cell, str) or not cell.strip():
            continue
        seen[norm(cell)] = seen.get(norm(cell), 0) + 1
        pinned = layout.field_for(cell, seen[norm(cell)]) if layout else None
        if pinned is not None:
            if pinned != IGNORE:
                found.add(Field(pinned))
            continue
        match = config.headings.match(cell)
        if match is not None:
            found.add(match.field)
    return found


def plan_columns(cells: Sequence[object], sample: Sequence[Sequence[object]],
                 config: Config) -> ColumnPlan:
    """Decide the column map of the header row `cells`, looking at the `sample` rows under it."""
    layout = layout_for(cells, config)
    fits = content.checks(config)
    values = _columns_of(sample, len(cells))
    candidates: list[_Candidate] = []
    unread: dict[int, tuple[str, Field | None]] = {}
    headings: dict[int, str] = {}
    seen: dict[str, int] = {}
    for col, cell in enumerate(cells, start=1):
        if not isinstance(cell, str) or not cell.strip():
            continue
        heading = cell.strip()
        headings[col] = heading
        seen[norm(cell)] = seen.get(norm(cell), 0) + 1
        pinned = layout.field_for(cell, seen[norm(cell)]) if layout else None
        if pinned == IGNORE:
            unread[col] = (f"ignored by the rules file's layout \"{layout.name}\"",  # type: ignore[union-attr]
                           None)
            continue
        if pinned is not None:
            candidates.append(_Candidate(col, heading, Field(pinned), PINNED,
                                         f"pinned by the rules file's layout \"{layout.name}\""))  # type: ignore[union-attr]
            continue
        match = config.headings.match(cell)
        if match is None:
            unread[col] = _unknown(values[col - 1], config)
            continue
        candidate = _judge(col, heading, match, values[col - 1], fits, config)
        if isinstance(candidate, str):
            unread[col] = (candidate, match.field)
        else:
            candidates.append(candidate)
    _siblings(candidates, values)
    plan = ColumnPlan()
    chosen = _resolve(candidates, unread)
    _by_values(chosen, unread, headings, values, fits, config)
    for f, picks in chosen.items():
        plan.columns[f] = [c.column for c in picks]
        for c in picks:
            plan.headers[c.column] = c.heading
    reads = {c.column: ColumnRead(c.column, c.heading, c.field, c.how, c.why)
             for picks in chosen.values() for c in picks}
    for col, (why, looks_like) in unread.items():
        reads.setdefault(col, ColumnRead(col, headings[col], None, NOT_READ, why, looks_like))
    plan.reads = [reads[col] for col in sorted(reads)]
    return plan


def _siblings(candidates: list[_Candidate], values: list[list[object]]) -> None:
    """Numbered columns of one heading stay together: when the values of "DIAGNOSISREF1" make
    it a diagnosis column, the empty "DIAGNOSISREF3" beside it is one too."""
    moved = {(c.spelling, c.heading_field): c.field for c in candidates
             if c.number and c.field is not c.heading_field}
    for c in candidates:
        target = moved.get((c.spelling, c.heading_field))
        if target is not None and c.number and not any(
                x not in (None, "") for x in values[c.column - 1]):
            c.field = target


def _columns_of(sample: Sequence[Sequence[object]], width: int) -> list[list[object]]:
    columns: list[list[object]] = [[] for _ in range(width)]
    for row in sample:
        for index in range(min(width, len(row))):
            columns[index].append(row[index])
    return columns


def _judge(col: int, heading: str, match: HeadingMatch, values: list[object],
           fits: dict, config: Config) -> _Candidate | str:
    """A heading's reading, checked against its values: a candidate, or why it is not read."""
    f = _by_content(match.field, values, fits)
    found = content.share(values, fits[f])
    if f is not match.field:
        why = (f"heading reads as {FIELD_LABELS[match.field]}, but its values are "
               f"{KIND.get(f, FIELD_LABELS[f])} ({found.describe(KIND.get(f, 'of that kind'))})")
        how = GUESS
    elif (match.exact or match.numbered) and not match.plain:
        why = match.describe()
        if found.values >= 5 and found.ratio < 0.2 and f in KIND:
            why += f" (but {found.describe(KIND[f])})"
        how = EXACT
    else:
        if not found.agrees():
            return (f"reads like {FIELD_LABELS[f]} ({match.describe()}), but "
                    f"{found.describe(KIND.get(f, 'of that kind'))}")
        why = f"{match.describe()}; {found.describe(KIND.get(f, 'text'))}"
        how = EXACT if match.exact or match.numbered else GUESS
    rank = match.rank
    if f is Field.PROVIDER and content.share(values, content.is_npi).ratio >= 0.8:
        rank, why = 1, why + "; its values are NPIs, a second choice to a provider's name"
    return _Candidate(col, heading, f, how, why, rank=rank, number=match.number,
                      specificity=len(match.spelling.split()),
                      fits=found.agrees() or (how == EXACT and found.ratio >= 0.2),
                      name_part=match.name_part and f is Field.PATIENT_NAME,
                      spelling=match.spelling, heading_field=match.field)


def _by_content(f: Field, values: list[object], fits: dict) -> Field:
    """A heading that may name several things, decided by the values: a "Provider Type" of
    Physical Therapy / Chiropractic is a discipline; a "Discipline" of PTA / LMT a credential;
    a "Type" of PT / PTA a credential; a "Dx Pointer" of ICD-10 codes the diagnoses."""
    if f in _TYPE_LIKE:
        cred = [x for x in values if fits[Field.PROVIDER_TYPE](x)]
        disc = [x for x in values if fits[Field.DISCIPLINE](x)]
        cred_only = [x for x in cred if x not in disc]
        disc_only = [x for x in disc if x not in cred]
        if f is Field.ROW_TYPE and content.share(values, fits[Field.ROW_TYPE]).agrees():
            return f
        if cred_only and not disc_only:
            return Field.PROVIDER_TYPE
        if disc_only and not cred_only:
            return Field.DISCIPLINE
        if f is Field.ROW_TYPE and (cred or disc):
            return Field.PROVIDER_TYPE if len(cred) >= len(disc) else Field.DISCIPLINE
        return f
    other = {Field.DX_POINTER: Field.DIAGNOSES, Field.DIAGNOSES: Field.DX_POINTER}.get(f)
    if (other is not None and not content.share(values, fits[f]).agrees()
            and content.share(values, fits[other]).agrees()):
        return other
    return f


_UNKNOWN = "not a heading nmr-xl knows"


def _unknown(values: list[object], config: Config) -> tuple[str, Field | None]:
    found = content.describe_values(values, config)
    if found is None:
        return _UNKNOWN, None
    return f"{_UNKNOWN}; its values are {found[0]}", found[1]


def _preference(c: _Candidate) -> tuple[int, ...]:
    return (0 if c.how == PINNED else 1, c.rank, 0 if c.fits else 1,
            0 if c.how == EXACT else 1, -c.specificity, c.number or 0, c.column)


def _resolve(candidates: list[_Candidate], unread: dict[int, tuple[str, Field | None]]
             ) -> dict[Field, list[_Candidate]]:
    """One column per field (several for diagnoses, modifiers and amounts), by preference."""
    by_field: dict[Field, list[_Candidate]] = {}
    for c in candidates:
        by_field.setdefault(c.field, []).append(c)
    chosen: dict[Field, list[_Candidate]] = {}
    for f, group in by_field.items():
        group.sort(key=_preference)
        if f in MULTI_COLUMN:
            keep = [c for c in group if c.fits or c.how == PINNED]
            for c in group:
                if c not in keep:
                    unread[c.column] = (f"its values are not {KIND[f]}", f)
            if keep:
                chosen[f] = sorted(keep, key=lambda c: (c.number or 0, c.column))
            continue
        if f is Field.PATIENT_NAME and all(c.name_part for c in group):
            chosen[f] = sorted(group, key=lambda c: c.column)  # last and first name, joined
            continue
        best, losers = group[0], group[1:]
        chosen[f] = [best]
        for c in losers:
            unread[c.column] = (f"column {column_letter(best.column)} (\"{best.heading}\") is "
                                f"read as the {FIELD_LABELS[f]}: {_why_first(best, c)}", f)
    return chosen


def _why_first(best: _Candidate, other: _Candidate) -> str:
    if best.how == PINNED:
        return "pinned by the rules file"
    if best.rank < other.rank:
        return {Field.DOS: "the from date is the date of service, not the to date",
                Field.PROVIDER: "the provider's name is preferred to an NPI or ID",
                Field.PAYER: "the payer's name is preferred to its ID, type or class",
                Field.PATIENT_NAME: "the full name is preferred to a part of it",
                }.get(best.field, "a better heading")
    if best.fits and not other.fits:
        return f"its values are {KIND.get(best.field, 'of the right kind')}, this column's " \
               "are not"
    if best.how == EXACT and other.how != EXACT:
        return "its heading is a known one"
    if best.specificity > other.specificity:
        return "its heading is more specific"
    return "it comes first"


def _by_values(chosen: dict[Field, list[_Candidate]],
               unread: dict[int, tuple[str, Field | None]],
               headings: dict[int, str], values: list[list[object]], fits: dict,
               config: Config) -> None:
    """A code (or diagnosis) column no heading named, recognised by its values alone: an
    unknown heading over CPT/HCPCS codes is the code column when nothing else is."""
    known = config.known_codes

    def therapy_codes(values: list[object]) -> bool:
        """Half the values are codes nmr-xl knows: a column of ZIP codes is not a code column."""
        codes = [v.parse_code(x) if fits[Field.CODE](x) else None for x in values
                 if x not in (None, "")]
        return sum(1 for c in codes if c and (c[0] in known or c[0].startswith("992"))) >= \
            0.5 * len(codes)

    for f, extra in ((Field.CODE, therapy_codes), (Field.DIAGNOSES, _dotted)):
        if f in chosen:
            continue
        if f is Field.CODE:
            _code_under_text_heading(chosen, unread, values, fits, therapy_codes, config)
            if f in chosen:
                continue
        best: tuple[float, int] | None = None
        for col in unread:
            if not unread[col][0].startswith(_UNKNOWN):
                continue
            found = content.share(values[col - 1], fits[f])
            if (found.values >= _CONTENT_ONLY_MIN and found.ratio >= _CONTENT_ONLY
                    and (extra is None or extra(values[col - 1]))
                    and (best is None or found.ratio > best[0])):
                best = (found.ratio, col)
        if best is None:
            continue
        col = best[1]
        found = content.share(values[col - 1], fits[f])
        chosen[f] = [_Candidate(col, headings[col], f, GUESS,
                                f"heading not known; {found.describe(KIND[f])}")]
        del unread[col]


# Free-text fields whose heading is also what exports call the code column ("Treatment",
# "Service", "Description" over 97112, 97110 ...): the values decide.
_TEXT_FIELDS = (Field.NOTES, Field.DESCRIPTION)


def _code_under_text_heading(chosen: dict[Field, list[_Candidate]],
                             unread: dict[int, tuple[str, Field | None]],
                             values: list[list[object]], fits: dict,
                             therapy_codes: Callable[[list[object]], bool],
                             config: Config) -> None:
    """A notes or description heading whose values are CPT/HCPCS codes, not text, is the code
    column when no heading named one ("Treatment" over 97112, 97110; a ledger's "Description"
    over "98940 Chiropractic Manipulation (AT)"). A ledger's payments, adjustments and voids
    written in the same column ("Copay - Check #1182", "Contractual Adjustment") are rows of
    another kind, not values that say the column is text."""
    other = Phrases(frozenset().union(*(config.row_kinds[k] for k in (
        "payment", "adjustment", "void", "not_billed") if k in config.row_kinds)))

    def charges(column: list[object]) -> list[object]:
        return [x for x in column if not (isinstance(x, str) and not fits[Field.CODE](x)
                                          and other.find(x))]

    for f in _TEXT_FIELDS:
        for c in chosen.get(f, []):
            column = charges(values[c.column - 1])
            found = content.share(column, fits[Field.CODE])
            if (found.values >= _CONTENT_ONLY_MIN and found.ratio >= _CONTENT_ONLY
                    and therapy_codes(column)):
                chosen[f].remove(c)
                if not chosen[f]:
                    del chosen[f]
                chosen[Field.CODE] = [_Candidate(
                    c.column, c.heading, Field.CODE, GUESS,
                    f"heading reads as {FIELD_LABELS[f]}, but "
                    f"{found.describe(KIND[Field.CODE])}")]
                unread.pop(c.column, None)
                return


def _dotted(values: list[object]) -> bool:
    """ICD-10 codes written with their dot: not to be taken for HCPCS codes."""
    return any(isinstance(x, str) and "." in x for x in values)

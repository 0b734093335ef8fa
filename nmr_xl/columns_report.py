"""`nmr-xl columns FILE`: how every heading of every sheet was read (field, how sure, why), the
rows that are not charge lines, and the rules-file lines that pin this reading for the export's
layout, so a guess never has to be made twice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from nmr_xl.config.model import IGNORE
from nmr_xl.model import FIELD_LABELS, ColumnRead, Field, Table, Workbook, column_letter
from nmr_xl.normalize import norm
from nmr_xl.read.rows import sentence as not_charges_sentence
from nmr_xl.rules import all_rules

_HOW = {"pinned": "pinned", "exact": "known", "guess": "GUESS", "not read": "-"}


def columns_report(path: Path, book: Workbook) -> Iterable[str]:
    """The lines `nmr-xl columns` prints for one file."""
    for table in book.tables:
        yield f"{path.name}, sheet \"{table.sheet}\": header row {table.header_row}, " \
              f"{len(table.lines)} billing lines"
        width = max((len(r.heading) for r in table.reads), default=8)
        width = min(max(width, 8), 32)
        for read in table.reads:
            yield _read_line(read, width)
        derived = list(_derived(table))
        if derived:
            yield f"  also read: {'; '.join(derived)}"
        # a sheet without minutes misses the minutes, not the visit's minutes read instead
        present = set(table.columns) | ({Field.MINUTES} if Field.VISIT_MINUTES in table.columns
                                     else {Field.VISIT_MINUTES})
        missing = [label for f, label in FIELD_LABELS.items()
                   if f not in present and f in _needed()]
        if missing:
            yield f"  no column read as: {', '.join(missing)}"
        if table.not_charges:
            yield f"  {not_charges_sentence(table.not_charges)}"
        for note in table.notes:
            yield f"  {note}"
    for skipped in book.skipped:
        yield f"{path.name}, sheet \"{skipped.name}\": not read: {skipped.reason}"
    if book.tables:
        yield ""
        yield ("To keep this reading for this export's layout (it is recognised by its "
               "headings), put these lines in your rules file and pass it with --rules; "
               "change a field to correct a column, \"ignore\" to leave one unread:")
        for table in book.tables:
            yield ""
            yield from pin_lines(table, f"{path.name}: {table.sheet}")


def _needed() -> set[Field]:
    """The fields some rule needs a column for: worth saying when one has none."""
    return {f for rule in all_rules() for need in rule.requires
            for f in (need if isinstance(need, tuple) else (need,))}


def _derived(table: Table) -> Iterable[str]:
    """Fields read from another field's column (a credential from the providers' names) or
    from no column (a group row's provider)."""
    direct = {r.field for r in table.reads if r.field is not None}
    for f, cols in table.columns.items():
        if f in direct:
            continue
        if not cols:
            yield f"{FIELD_LABELS[f]} from the labelled rows above the lines"
        else:
            yield f"{FIELD_LABELS[f]} from \"{table.headers.get(cols[0], '?')}\""


def _read_line(read: ColumnRead, width: int) -> str:
    field = read.field.value if read.field else "-"
    heading = read.heading.replace("\n", " ")
    if len(heading) > width:
        heading = heading[:width - 1] + "…"
    return (f"  {column_letter(read.column):<3} {heading:<{width}}  {field:<15} "
            f"{_HOW[read.confidence]:<7} {read.why}")


def pin_lines(table: Table, name: str) -> Iterable[str]:
    """A [[layouts]] entry of a rules file pinning how this table's headings are read."""
    seen: dict[str, int] = {}
    keys: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for read in table.reads:
        counts[norm(read.heading)] = counts.get(norm(read.heading), 0) + 1
    for read in table.reads:
        base = norm(read.heading)
        seen[base] = seen.get(base, 0) + 1
        heading = read.heading if counts[base] == 1 else f"{read.heading} [{seen[base]}]"
        keys.append((heading, read.field.value if read.field else IGNORE))
    headings = sorted({r.heading for r in table.reads}, key=lambda h: [
        r.heading for r in table.reads].index(h))
    yield "[[layouts]]"
    yield f"name = {json.dumps(name, ensure_ascii=False)}"
    yield f"headings = {json.dumps(headings, ensure_ascii=False)}"
    yield "[layouts.columns]"
    for heading, value in keys:
        yield f"{json.dumps(heading, ensure_ascii=False)} = {json.dumps(value)}"

"""Minutes a therapy export prints once per visit instead of per line: the visit's timed minutes
on its first line, the other lines of the visit blank. Read as the first line's own minutes they
would make every later line a timed code without minutes (NMR101) and give the first line the
whole visit's time, so no time rule can be run safely on them: the minutes column is left
unread and the table says so, as a sheet that cannot be fully checked.
"""

from __future__ import annotations

from nmr_xl.model import NOT_READ, ColumnRead, Field, Line, Table, column_letter

# Visits with several coded lines, of which this share must show the pattern, and how many
# such visits it takes at least, before a column is taken for minutes per visit.
_SHARE = 0.8
_MIN_VISITS = 2


def _visits(table: Table) -> list[list[Line]]:
    """The coded lines of each visit (patient and date of service), in row order."""
    visits: dict[tuple[str, object], list[Line]] = {}
    for line in table.lines:
        if line.code and line.patient and line.dos:
            visits.setdefault((line.patient.casefold(), line.dos), []).append(line)
    return [lines for lines in visits.values() if len(lines) >= 2]


def _first_only(lines: list[Line]) -> bool:
    """Minutes on the visit's first line only, more than that line's own units need (a visit
    total): 47 minutes beside 2 units of 97112, with 97110 below left blank."""
    first, rest = lines[0], lines[1:]
    if first.minutes is None or any(
            line.minutes is not None or Field.MINUTES in line.unreadable for line in rest):
        return False
    return (first.minutes + 7) // 15 > (first.units or 0)


def minutes_per_visit(table: Table) -> None:
    """Leave a minutes column unread when it holds each visit's minutes on the visit's first
    line only; the table says why in `not_read`."""
    cols = table.columns.get(Field.MINUTES)
    if not cols:
        return
    several = _visits(table)
    once = sum(1 for lines in several if _first_only(lines))
    if len(several) < _MIN_VISITS or once < _SHARE * len(several):
        return
    col = cols[0]
    del table.columns[Field.MINUTES]
    heading = table.headers.get(col, "minutes")
    why = (f"the minutes in \"{heading}\" ({column_letter(col)}) are printed once per visit, on "
           f"its first line only ({once} of {len(several)} visits with several lines), not for "
           "each line: the rules that need minutes did not run (the 8-minute rule needs each "
           "timed code's own minutes; see the rules not run)")
    table.not_read.append(why)
    table.reads = [ColumnRead(r.column, r.heading, None, NOT_READ, why, Field.MINUTES)
                   if r.column == col and r.field is Field.MINUTES else r for r in table.reads]

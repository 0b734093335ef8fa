"""Minutes a therapy export gives per visit instead of per line: the visit's total timed
minutes repeated on every line of the visit ("Total Timed Minutes" 38 beside 97112 x3 and
97110 x2), or printed on its first line only, the other lines blank. Read as each line's own
minutes they would be added up (76 minutes for a 38-minute visit, hiding the over-billing) or
make every later line a timed code without minutes, so such a column is read as the visit's
timed minutes (Field.VISIT_MINUTES, on every line of the visit) instead: the rules that need
only the visit's timed minutes (NMR102, NMR104, NMR107) run on them, the ones that need each
line's own minutes do not, and say why.

The values decide, the heading only helps. On most visits with several coded lines (patient and
date of service) every line must carry the same value, or the first line only. A per-line
column whose lines happen to be equal (15 and 15 beside 97112 x1 and 97110 x1) has each line's
minutes near that line's units x 15; a visit's minutes are near the visit's units x 15, more
than any one line's units need (45 beside 2 + 1 units). Over-billed visits, the ones worth
finding, fit neither well (38 beside 3 + 2 units), so the preference is: a heading that names
the visit or a total ("Total Timed Minutes", "Visit Timed Min", "Timed Minutes (visit)")
is read per visit when more visits show a visit total than fit each line's units; any other
minutes heading ("Minutes") takes a visit total on most of the visits with several lines.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from nmr_xl.config.model import Config
from nmr_xl.model import GUESS, PINNED, ColumnRead, Field, Line, Table
from nmr_xl.rules.common import TIMED_CODES, VisitKey, visit_key
from nmr_xl.units import units_for_minutes

# Visits with several coded lines, of which this share must carry one value per visit (on
# every line, or on the first only), and how many such visits it takes at least.
_SHARE = 0.8
_MIN_VISITS = 2
# Of those visits, the share whose value must be a visit total (more than one line's units
# need, nearer the visit's units) under a heading that does not name the visit or a total.
_BEYOND_PLAIN = 0.5
_VISIT_WORDS = frozenset({"total", "visit", "visits", "treatment", "session"})
EVERY, FIRST = "every", "first"


def _visits(lines: Iterable[Line]) -> list[list[Line]]:
    """The coded lines of each visit (patient and date of service), in row order."""
    visits: dict[VisitKey, list[Line]] = {}
    for line in lines:
        key = visit_key(line) if line.code and line.patient else None
        if key is not None:
            visits.setdefault(key, []).append(line)
    return list(visits.values())


def _shape(lines: list[Line]) -> str | None:
    """EVERY: each line of the visit carries the same minutes; FIRST: the first line only."""
    if any(Field.MINUTES in line.unreadable for line in lines) or lines[0].minutes is None:
        return None
    rest = [line.minutes for line in lines[1:]]
    if all(value == lines[0].minutes for value in rest):
        return EVERY
    return FIRST if all(value is None for value in rest) else None


def _mostly_per_line(lines: list[Line], timed: frozenset[str]) -> bool:
    """A cheap first look, in row order, at neighbouring lines of one visit: most of them carry
    minutes of their own, each different from the line above (a per-line column, as most
    exports have), rather than the same minutes or, on a timed code, none. Visit minutes would
    leave such pairs to the few visits without the pattern, so the full look is skipped."""
    own = shared = 0
    for above, line in itertools.pairwise(lines):
        if not line.code or visit_key(line) != visit_key(above):
            continue
        if line.minutes is None:
            shared += line.code in timed  # an untimed code's blank says nothing
        elif line.minutes == above.minutes:
            shared += 1
        else:
            own += 1
    return own > shared


def _beyond_a_line(lines: list[Line], minutes: float, timed: frozenset[str]) -> bool:
    """The minutes support more units than any one timed line bills, and are nearer the
    visit's timed units than one line's: a visit total, not a line's own minutes."""
    units = [int(line.units or 0) for line in lines if line.code in timed]
    if not units:
        return False
    supported = units_for_minutes(minutes)
    return supported > max(units) and abs(supported - sum(units)) < supported - max(units)


def _fits_each_line(lines: list[Line], minutes: float, timed: frozenset[str]) -> bool:
    """The minutes support exactly each timed line's own units: a per-line column whose
    lines happen to be equal (15 beside 97112 x1 and 15 beside 97110 x1)."""
    units = [int(line.units or 0) for line in lines if line.code in timed]
    return bool(units) and all(u == units_for_minutes(minutes) for u in units)


def _named(heading: str) -> bool:
    return not _VISIT_WORDS.isdisjoint(re.findall(r"[a-z]+", heading.casefold()))


def minutes_per_visit(table: Table, config: Config) -> None:
    """Read a minutes column that gives each visit's timed minutes as the visit's minutes
    (Field.VISIT_MINUTES, on every line of the visit), with the reason in its column read."""
    if Field.VISIT_MINUTES in table.columns:  # pinned so: the first line's value is the visit's
        _spread(table)
        return
    cols = table.columns.get(Field.MINUTES)
    if not cols or any(r.column == cols[0] and r.confidence == PINNED for r in table.reads):
        return
    timed = config.value(TIMED_CODES)
    if _mostly_per_line(table.lines, timed):
        return
    col = cols[0]
    heading = table.headers.get(col, "minutes")
    several = [lines for lines in _visits(table.lines) if len(lines) >= 2]
    shapes = [_shape(lines) for lines in several]
    shape = max((EVERY, FIRST), key=shapes.count)
    shown = [lines for lines, s in zip(several, shapes, strict=True) if s == shape]
    if len(several) < _MIN_VISITS or len(shown) < _SHARE * len(several):
        return
    beyond = sum(1 for lines in shown if _beyond_a_line(lines, lines[0].minutes or 0, timed))
    per_line = sum(1 for lines in shown if _fits_each_line(lines, lines[0].minutes or 0, timed))
    if beyond <= per_line or (not _named(heading) and beyond <= _BEYOND_PLAIN * len(several)):
        return
    del table.columns[Field.MINUTES]
    table.columns[Field.VISIT_MINUTES] = cols
    for line in table.lines:
        line.visit_minutes, line.minutes = line.minutes, None
        if Field.MINUTES in line.unreadable:
            line.unreadable[Field.VISIT_MINUTES] = line.unreadable.pop(Field.MINUTES)
    _spread(table)
    where = ("repeated on every line of the visit" if shape == EVERY
             else "printed on the visit's first line only")
    why = (f"the visit's timed minutes, not each line's: {where} on {len(shown)} of "
           f"{len(several)} visits with several lines, and more than one line's units need on "
           f"{beyond}; the rules that need each line's own minutes do not run")
    table.reads = [ColumnRead(r.column, r.heading, Field.VISIT_MINUTES, GUESS, why)
                   if r.column == col and r.field is Field.MINUTES else r for r in table.reads]


def _spread(table: Table) -> None:
    """Give every line of a visit the visit's minutes when the export prints them on one line."""
    for lines in _visits(table.lines):
        values = {line.visit_minutes for line in lines if line.visit_minutes is not None}
        if len(values) == 1:
            (value,) = values
            for line in lines:
                if Field.VISIT_MINUTES not in line.unreadable:
                    line.visit_minutes = value

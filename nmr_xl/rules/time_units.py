"""NMR1xx — time and units: the 8-minute rule, allocation, the impossible provider day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from nmr_xl.config.schema import Setting, is_bool, is_pos_int, one_of
from nmr_xl.model import Field, Line, Severity
from nmr_xl.rules.common import (
    TIMED_CODES,
    VisitKey,
    billed_text,
    rows_text,
    units_text,
    visit_key,
)
from nmr_xl.rules.registry import Context, Hit, rule
from nmr_xl.units import Allocation, allocate, units_for_minutes

UNIT_METHOD = Setting(
    "unit_method", one_of("cms", "ama"), str,
    'How a payer turns timed minutes into units: "cms" (the 8-minute rule over the visit\'s '
    'timed minutes) or "ama" (the midpoint rule, code by code).',
    profile=True, absent="cms")
UNIT_METHOD_ASSUMED = Setting(
    "unit_method_assumed", is_bool, bool,
    "The payer's unit method is not known, only assumed (the `default` profile, for payers "
    "that match no profile): NMR102 findings the other method would allow are warnings that "
    "say so, not errors.",
    profile=True, absent=False)
PROVIDER_DAY_MINUTES = Setting(
    "settings.provider_day_minutes", is_pos_int, int,
    "One provider's one-on-one timed minutes in one day above this look impossible.")
LIKELY_TYPO_MINUTES = Setting(
    "settings.likely_typo_minutes", is_pos_int, int,
    "More minutes than this for one timed code in one visit look like a typo (380 for 38): "
    "NMR104 asks for the minutes to be checked instead of suggesting more units.")

_TIMED = (Field.PATIENT, Field.DOS, Field.UNITS, Field.MINUTES)
# the rules that need only the visit's timed minutes: each line's, or the visit's own column
_VISIT_TIMED = (Field.PATIENT, Field.DOS, Field.UNITS, (Field.MINUTES, Field.VISIT_MINUTES))
_UNIT_SETTINGS = (TIMED_CODES, UNIT_METHOD)
_JUDGED_SETTINGS = (*_UNIT_SETTINGS, UNIT_METHOD_ASSUMED)
_DISCIPLINES = frozenset({"GP", "GO", "GN"})


@rule("NMR101", "timed-code-without-minutes", Severity.ERROR, scope="line", target=Field.MINUTES,
      requires=(Field.MINUTES,), codes=TIMED_CODES)
def timed_code_without_minutes(line: Line, ctx: Context) -> Iterator[Hit]:
    """A timed (per-15-minute) code with no minutes recorded.

    What it checks: a line with one of the timed therapy codes whose minutes cell is blank, on a
    sheet that has a minutes column.
    Why: units of a timed code are earned by minutes of direct treatment; without the minutes the
    units cannot be checked or defended in an audit.
    Example: 97112 x2 with the minutes cell left empty.
    Configuration: [codes] timed lists the timed codes.
    Source (primary): Medicare Claims Processing Manual, Pub. 100-04 ch. 5 §20.2 (units of timed
    codes are based on minutes of direct one-on-one treatment); Medicare Benefit Policy Manual,
    Pub. 100-02 ch. 15 §220.3 (total timed minutes must be documented).
    Source version: Pub. 100-04 ch. 5 §20.2 and Pub. 100-02 ch. 15 §220.3, as read in 2026
    (revisions not recorded; §220.3 in an older verbatim copy).
    """
    if line.minutes is None and Field.MINUTES not in line.unreadable:
        yield Hit(
            line,
            f"{line.code} is a timed code (billed per 15 minutes) but no minutes are recorded.",
            "Record the treatment minutes from the visit notes; the units must be supported "
            "by them.",
        )


@dataclass
class _VisitUnits:
    lines: list[Line]
    method: str
    minutes: dict[str, float]
    billed: dict[str, int]
    allocation: Allocation
    # the visit's timed minutes from a column that gives them per visit, not per line: then
    # `minutes` is empty and `allocation` has the total only (no code's share is known)
    per_visit: float | None = None

    @property
    def billed_total(self) -> int:
        return sum(self.billed.values())

    @property
    def total_minutes(self) -> int:
        if self.per_visit is not None:
            return int(self.per_visit)
        return int(sum(self.minutes.values()))

    def lines_of(self, codes: set[str]) -> list[Line]:
        return [line for line in self.lines if line.code in codes]


def _visit_units(ctx: Context) -> list[_VisitUnits]:
    """Per visit: timed minutes and units by code, and what the payer's method allows.

    Computed once per table and shared by NMR102-NMR104. Each discipline (GP, GO, GN) of a
    visit is counted on its own, as its own plan of care is. Visits where a timed line lacks
    readable minutes or units are left out: NMR001/NMR002/NMR101 report those lines.
    """
    cached = ctx.cache.get("visit_units")
    if cached is not None:
        return cached
    timed_codes = ctx.value(TIMED_CODES)
    result = []
    allocations: dict[tuple[object, ...], Allocation] = {}
    groups: list[list[Line]] = []
    for visit in ctx.visits().values():
        by_discipline: dict[frozenset[str], list[Line]] = defaultdict(list)
        for line in visit:
            if line.code in timed_codes:
                by_discipline[_DISCIPLINES.intersection(line.modifiers)].append(line)
        groups.extend(by_discipline.values())
    if not ctx.table.has(Field.MINUTES):
        ctx.cache["visit_units"] = result = _per_visit(ctx, groups)
        return result
    for timed in groups:
        if any(line.minutes is None or line.units is None for line in timed):
            continue
        minutes: dict[str, float] = defaultdict(float)
        billed: dict[str, int] = defaultdict(int)
        for line in timed:
            minutes[line.code] += line.minutes  # type: ignore[index,operator]
            billed[line.code] += int(line.units)  # type: ignore[index,arg-type]
        method = ctx.value(UNIT_METHOD, ctx.profile(timed[0]))
        key = (method, tuple(sorted(minutes.items())))
        if key not in allocations:  # visits repeat the same few minute patterns
            allocations[key] = allocate(minutes, method)
        result.append(_VisitUnits(timed, method, dict(minutes), dict(billed), allocations[key]))
    ctx.cache["visit_units"] = result
    return result


def _per_visit(ctx: Context, groups: list[list[Line]]) -> list[_VisitUnits]:
    """The visits of a sheet whose minutes column gives each visit's timed minutes: the visit's
    units against those minutes, the whole visit at once (a visit with timed codes of several
    disciplines is left out: its minutes cannot be split between them)."""
    result = []
    visits: dict[VisitKey | None, list[list[Line]]] = defaultdict(list)
    for timed in groups:
        visits[visit_key(timed[0])].append(timed)
    for parts in visits.values():
        if len(parts) != 1:
            continue
        timed = parts[0]
        values = {line.visit_minutes for line in timed}
        if len(values) != 1 or None in values or any(line.units is None for line in timed):
            continue
        (total,) = values
        assert total is not None
        billed: dict[str, int] = defaultdict(int)
        for line in timed:
            billed[line.code] += int(line.units)  # type: ignore[index,arg-type]
        units = units_for_minutes(total)
        result.append(_VisitUnits(timed, ctx.value(UNIT_METHOD, ctx.profile(timed[0])), {},
                                  dict(billed), Allocation(units, {}, {}), total))
    return result


def _ama_needs(billed: dict[str, int]) -> int:
    """The fewest timed minutes the AMA midpoint rule needs for these units, however the
    visit's minutes were split between the codes: 8 for one unit of a code, 15 more each."""
    return sum(15 * n - 7 for n in billed.values() if n > 0)


def _over(visit: _VisitUnits) -> set[str]:
    return {c for c, n in visit.billed.items() if n > visit.allocation.high.get(c, 0)}


def _method_name(method: str) -> str:
    return "the CMS 8-minute rule" if method == "cms" else "the AMA midpoint rule"


def _other_method_allows(visit: _VisitUnits) -> bool:
    """Whether the other unit method supports what the visit bills: the CMS total over the
    visit, or each code's own minutes under the CPT midpoint rule."""
    if visit.per_visit is not None:  # any split of the visit's minutes between its codes
        if visit.method == "cms":
            return visit.per_visit >= _ama_needs(visit.billed)
        return visit.billed_total <= visit.allocation.total
    other = allocate(visit.minutes, "ama" if visit.method == "cms" else "cms")
    if visit.method == "cms":
        return all(n <= other.high.get(c, 0) for c, n in visit.billed.items())
    return visit.billed_total <= other.total


def _assumed(visit: _VisitUnits, ctx: Context) -> str:
    """The start of the sentence that says the payer's method is only assumed ("This payer has
    no profile, so the CMS 8-minute rule is only assumed"), or "" when the method is known."""
    line = visit.lines[0]
    if not ctx.value(UNIT_METHOD_ASSUMED, ctx.profile(line)):
        return ""
    who = "This payer has no profile" if line.payer else "This line names no payer"
    return f" {who}, so {_method_name(visit.method)} is only assumed"


def _leniency(visit: _VisitUnits, ctx: Context) -> tuple[str, str, Severity | None]:
    """For a payer whose method is only assumed, when the other method would allow the units:
    what the message and suggestion add, and the most severe the finding may be (a warning).
    Units neither method allows are an error whatever the payer's method: nothing to add."""
    assumed = _assumed(visit, ctx)
    if not assumed or not _other_method_allows(visit):
        return "", "", None
    other = _method_name("ama" if visit.method == "cms" else "cms")
    return (f"{assumed}; under {other}, which the payer may use, these units would be "
            "supported.",
            f" If this payer uses {other}, give it a profile with unit_method = "
            f"\"{'ama' if visit.method == 'cms' else 'cms'}\" in your rules file.",
            Severity.WARNING)


@rule("NMR102", "units-exceed-time", Severity.ERROR, scope="table", target=Field.UNITS,
      requires=_VISIT_TIMED, settings=_JUDGED_SETTINGS)
def units_exceed_time(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """More timed units billed than the minutes allow.

    What it checks: under the payer's unit method, whether the minutes support the units billed.
    CMS (Medicare and payers not set otherwise): the visit's timed minutes are added up and give
    0 units below 8 minutes, else (minutes + 7) // 15; if the visit bills more, the lines that
    carry more than their allocation are flagged (every timed line when a tie leaves no single
    culprit). AMA: each code's own minutes give its units by the same table.
    Why: billing units the minutes do not support is overbilling, the most common finding in
    therapy audits; a lone timed service under 8 minutes is not billable at all under CMS.
    Example: 97112 22 min + 97110 20 min = 42 min -> 3 units allowed; 97112 x2 + 97110 x2 bills 4.
    A payer whose method is only assumed (one that matches no profile, or a line with no payer,
    both of which take the `default` profile, where `unit_method_assumed = true`): when the
    other method would allow the units (CMS Example 1 billed 2 + 2 is within the CPT midpoint
    rule code by code), the finding is a warning that says the payer may use that method; units
    more than either method allows stay errors.
    Minutes given per visit, not per line (a "Total Timed Minutes" column, see How sheets are
    read): the visit's units are checked against the visit's minutes, every timed line of an
    over-billed visit is flagged, and for an AMA payer only units no split of the minutes
    between the codes supports are flagged.
    Configuration: each payer profile's `unit_method` ("cms" or "ama") and
    `unit_method_assumed`; [codes] timed.
    Source (primary): Medicare Claims Processing Manual, Pub. 100-04 ch. 5 §20.2 (8-minute rule
    and its examples); CPT's time rule ("a unit of time is attained when the midpoint is passed").
    That commercial payers differ (some follow CMS, some CPT's midpoint rule) is secondary: AAFP
    (2019-10-25) and AAPC's MDS Alert on the 8-minute rule; UnitedHealthcare's and BCBS
    Nebraska's commercial policies say they follow CMS.
    Source version: Pub. 100-04 ch. 5 §20.2 as read in 2026 (revision not recorded); CPT's
    time rule (CPT introduction; edition not recorded); AAFP of 2019-10-25, UnitedHealthcare's
    policy of 2020-01-01 and BCBS Nebraska RP-I-003 of 2022-09-22 on payers' methods.
    """
    for visit in _visit_units(ctx):
        alloc = visit.allocation
        if visit.method == "ama" and visit.per_visit is not None:
            yield from _ama_over_visit(visit, ctx)
            continue
        if visit.method == "ama":
            over = _over(visit)
            if not over:
                continue
            note, advice, at_most = _leniency(visit, ctx)
            for code in over:
                for line in visit.lines_of({code}):
                    yield Hit(
                        line,
                        f"{code} has {visit.minutes[code]:g} minutes, which support "
                        f"{units_text(alloc.high[code])} under {_method_name('ama')}, but "
                        f"{billed_text(visit.billed[code])}.{note}",
                        f"Bill {code} x{alloc.high[code]}, or correct the minutes if they are "
                        f"wrong.{advice}",
                        at_most=at_most,
                    )
            continue
        if visit.billed_total <= alloc.total:
            continue
        note, advice, at_most = _leniency(visit, ctx)
        culprits = _over(visit) or set(visit.billed)
        for line in visit.lines_of(culprits):
            yield Hit(
                line,
                f"The visit's {visit.total_minutes} timed minutes support "
                f"{units_text(alloc.total)} under {_method_name('cms')}, but "
                f"{billed_text(visit.billed_total)}.{note}",
                (f"Bill {units_text(alloc.total)} in all for this visit: {_shares(visit)}."
                 if alloc.total else
                 "Under 8 timed minutes in all: do not bill a timed unit for this visit.")
                + advice,
                at_most=at_most,
            )


def _shares(visit: _VisitUnits) -> str:
    """How the units go to the codes: by each code's minutes, which a per-visit column does
    not give (the treatment note does)."""
    if visit.per_visit is not None:
        return "give each code its units by its minutes in the treatment note"
    return visit.allocation.describe()


def _ama_over_visit(visit: _VisitUnits, ctx: Context) -> Iterator[Hit]:
    """AMA, minutes given per visit: the units billed need more minutes than the visit has
    however its minutes were split between the codes."""
    needs = _ama_needs(visit.billed)
    if visit.total_minutes >= needs:
        return
    note, advice, at_most = _leniency(visit, ctx)
    for line in visit.lines:
        yield Hit(
            line,
            f"The visit's {visit.total_minutes} timed minutes cannot support "
            f"{units_text(visit.billed_total)} under "
            f"{_method_name('ama')} however they are split between the codes: these units need "
            f"at least {needs} minutes.{note}",
            f"Bill only the units the treatment note's minutes of each code support, or correct "
            f"the minutes if they are wrong.{advice}",
            at_most=at_most,
        )


@rule("NMR103", "unit-allocation", Severity.WARNING, scope="table", target=Field.UNITS,
      requires=_TIMED, settings=_JUDGED_SETTINGS)
def unit_allocation(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """CMS: the visit's units are right in total but sit on the wrong codes.

    What it checks: for payers using the CMS method, the visit bills no more units than its
    minutes allow, but a code carries more units than any valid CMS allocation gives it (so
    another code carries fewer).
    Why: CMS allocates units by minutes: each code gets its full 15-minute units first, and the
    remaining units go to the codes with the most leftover minutes. Putting a unit on a code
    with few minutes misstates what was done and can change payment.
    Example: 97110 33 min + 97140 7 min = 40 min -> 3 units: 97110 x2 + 97140 x1, not 97110 x1
    + 97140 x2.
    For a payer whose method is only assumed (`unit_method_assumed`, the `default` profile) the
    message says the payer may use the CPT midpoint rule, under which each code's units follow
    its own minutes.
    Configuration: each payer profile's `unit_method` and `unit_method_assumed`; only "cms"
    profiles are checked.
    Source (primary): Medicare Claims Processing Manual, Pub. 100-04 ch. 5 §20.2 (allocation
    examples; on a tie, "choose either code").
    Source version: Pub. 100-04 ch. 5 §20.2 as read in 2026 (revision not recorded).
    """
    for visit in _visit_units(ctx):
        alloc = visit.allocation
        if visit.method != "cms" or visit.billed_total > alloc.total:
            continue
        over = sorted(_over(visit))
        assumed = _assumed(visit, ctx) if over else ""
        note = (f"{assumed}; under {_method_name('ama')}, which the payer may use, each code's "
                "units follow its own minutes." if assumed else "")
        for code in over:
            for line in visit.lines_of({code}):
                yield Hit(
                    line,
                    f"{code} ({visit.minutes[code]:g} min) carries "
                    f"{units_text(visit.billed[code])}, more than the CMS allocation of this "
                    f"visit's {visit.total_minutes} timed minutes gives it.{note}",
                    f"Allocate the units by minutes: {alloc.describe()}.",
                )


@rule("NMR104", "possible-underbilling", Severity.INFO, scope="table", target=Field.UNITS,
      requires=_VISIT_TIMED, settings=(*_UNIT_SETTINGS, LIKELY_TYPO_MINUTES))
def possible_underbilling(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """The minutes support more units than were billed.

    What it checks: the visit's (CMS) or the code's (AMA) minutes allow more timed units than
    the lines bill.
    Why: unbilled time is lost revenue; it may also mean the minutes were recorded wrongly,
    which matters in an audit as much as overbilling.
    Example: 97112 40 min billed x2; 40 minutes support 3 units.
    The suggestion never goes past a code's Medically Unlikely Edit, and a line with more
    minutes than a visit plausibly holds (`likely_typo_minutes`) is called a likely typo instead
    of a reason to bill more.
    Configuration: each payer profile's `unit_method`; [settings] likely_typo_minutes (default
    120); switch the rule off under [rules] if your practice bills conservatively on purpose.
    Source (primary): Medicare Claims Processing Manual, Pub. 100-04 ch. 5 §20.2.
    Source version: Pub. 100-04 ch. 5 §20.2 as read in 2026 (revision not recorded).
    """
    for visit in _visit_units(ctx):
        alloc = visit.allocation
        if visit.method == "ama" and visit.per_visit is not None:
            continue  # each code's own minutes are not known
        if visit.method == "ama":
            for code, billed in visit.billed.items():
                if billed < alloc.low[code]:
                    for line in visit.lines_of({code}):
                        yield Hit(
                            line,
                            f"{code} has {visit.minutes[code]:g} minutes, which support "
                            f"{units_text(alloc.low[code])}; {units_text(billed)} billed."
                            + _typo_text(visit, {code}, ctx),
                            _more_units(visit, {code}, ctx),
                        )
            continue
        if visit.billed_total >= alloc.total:
            continue
        short = {c for c, n in visit.billed.items() if n < alloc.low.get(c, 0)}
        targets = visit.lines_of(short) if short else visit.lines[:1]
        for line in targets:
            yield Hit(
                line,
                f"The visit's {visit.total_minutes} timed minutes support "
                f"{units_text(alloc.total)}; {units_text(visit.billed_total)} billed."
                + _typo_text(visit, set(visit.minutes), ctx),
                _more_units(visit, set(visit.minutes), ctx),
            )


def _typo_lines(visit: _VisitUnits, codes: set[str], ctx: Context) -> list[Line]:
    limit = ctx.value(LIKELY_TYPO_MINUTES)
    return [line for line in visit.lines_of(codes) if (line.minutes or 0) > limit]


def _typo_text(visit: _VisitUnits, codes: set[str], ctx: Context) -> str:
    typos = _typo_lines(visit, codes, ctx)
    if not typos:
        return ""
    shown = ", ".join(f"{line.code} has {line.minutes:g} minutes (row {line.row})"
                      for line in typos)
    return (f" {shown}: more than {ctx.value(LIKELY_TYPO_MINUTES)} minutes of one code in one "
            "visit is most likely a typo in the minutes.")


def _more_units(visit: _VisitUnits, codes: set[str], ctx: Context) -> str:
    """What to do about minutes that support more units: check a likely typo first; otherwise
    the units the minutes support, never past a code's Medically Unlikely Edit."""
    typos = _typo_lines(visit, codes, ctx)
    if typos:
        line = typos[0]
        return (f"Check the minutes against the treatment notes first ({line.minutes:g} may "
                f"be a typo, for example for {int(line.minutes or 0) // 10}); do not add units "
                "for time that was not spent with the patient.")
    alloc, mue = visit.allocation, ctx.config.mue
    if visit.per_visit is not None:
        return (f"If the minutes are right, the visit may bill {units_text(alloc.total)} in all, "
                "each code's by its minutes in the treatment note; check the notes before "
                "adding units.")
    day = visit.lines[0].dos or ctx.as_of
    parts, capped = [], []
    for code in alloc.low:
        if code not in codes:
            continue
        low, high = alloc.low[code], alloc.high[code]
        found = mue.limit(code, day)
        limit = found.value if found is not None else None
        if limit is not None and high > limit:
            low, high = min(low, limit), limit
            capped.append(f"{code}'s Medically Unlikely Edit allows {units_text(limit)}")
        parts.append(f"{code} x{low}" if low == high else f"{code} x{low} or x{high}")
    cap = f" ({'; '.join(capped)})" if capped else ""
    return (f"If the minutes are right, the visit may bill {', '.join(parts)}{cap}; check the "
            "notes before adding units.")


@rule("NMR106", "provider-day-over-capacity", Severity.WARNING, scope="table",
      target=Field.PROVIDER, requires=(Field.PROVIDER, Field.DOS, Field.MINUTES),
      settings=(PROVIDER_DAY_MINUTES, TIMED_CODES))
def provider_day_over_capacity(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """One provider's one-on-one timed minutes in one day exceed a working day.

    What it checks: the timed minutes of all lines one rendering provider gave on one date
    (leaving out lines marked as not one-on-one) add up to more than the configured day. The
    day's line with the most minutes, the likeliest typo, is flagged once for the day.
    Why: auditors look for the "impossible day": more one-on-one minutes than hours in a
    working day points to cloned notes, wrong rendering providers or inflated minutes.
    Example: one therapist with 36 lines of 15 minutes on 2026-03-02 = 540 minutes.
    Configuration: [settings] provider_day_minutes (default 480, eight hours).
    Source (secondary): OIG and payer audit practice (data-mining for impossible days); the
    threshold is a setting, not a published limit.
    Source version: none: a setting, not a published limit.
    """
    limit = ctx.value(PROVIDER_DAY_MINUTES)
    timed = ctx.value(TIMED_CODES)
    days: dict[tuple[str, object], list[Line]] = defaultdict(list)
    for line in lines:
        if (line.code in timed and line.provider and line.dos and line.minutes
                and line.one_on_one is not False):
            days[(line.provider.casefold(), line.dos)].append(line)
    for day_lines in days.values():
        total = sum(line.minutes for line in day_lines)  # type: ignore[misc]
        if total <= limit:
            continue
        # The longest line is the likeliest typo (380 for 38); flag it once for the day.
        longest = max(day_lines, key=lambda line: line.minutes)  # type: ignore[arg-type,return-value]
        yield Hit(
            longest,
            f"This provider's one-on-one timed minutes on this date add up to {total:g} over "
            f"{len(day_lines)} lines (limit {limit}); this line has the most minutes "
            f"({longest.minutes:g}).",
            "Check the minutes and the rendering provider of that day's lines; one person "
            "cannot give more one-on-one time than the day holds.",
        )


def _by_discipline(visit: list[Line], timed_codes: frozenset[str]) -> list[list[Line]]:
    """A visit's lines as the treatment notes that record a total time: the whole visit when its
    timed lines share one discipline (GP, GO, GN or none), else one group per discipline."""
    disciplines = {_DISCIPLINES.intersection(line.modifiers) for line in visit
                   if line.code in timed_codes}
    if len(disciplines) <= 1:
        return [visit]
    groups: dict[frozenset[str], list[Line]] = defaultdict(list)
    for line in visit:
        groups[_DISCIPLINES.intersection(line.modifiers)].append(line)
    return list(groups.values())


@rule("NMR107", "minutes-exceed-total-time", Severity.WARNING, scope="table",
      target=Field.TOTAL_TIME,
      requires=(Field.PATIENT, Field.DOS, (Field.MINUTES, Field.VISIT_MINUTES), Field.TOTAL_TIME),
      settings=(TIMED_CODES,))
def minutes_exceed_total_time(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """A visit's timed minutes add up to more than its documented total treatment time.

    What it checks: on a sheet with a total-treatment-time column, the timed minutes of a
    visit's lines (the timed codes only) against the visit's total treatment time. The total is
    the value the visit's lines carry: repeated on every line or written on one; when its lines
    carry different values, the column holds each line's own time and they are added up. A
    visit with therapy of several disciplines (GP, GO, GN) is checked per discipline, as each
    has its own treatment note. The finding is on the first line holding the total time.
    Why: Medicare's treatment note records both the total timed code minutes and the total
    treatment time, which includes the timed minutes and the untimed ones, so the timed
    minutes can never be more; when they are, the minutes that earn the units or the documented
    time is wrong, and the billing and the note must agree.
    Example: 97112 25 min + 97110 20 min on a visit whose total treatment time is 40 minutes.
    Reading the column: "Total Time", "Total Treatment Time" (and "Total Tx Time"), "Total
    Visit Time" and the like are read as the total treatment time. "Total Minutes" stays a
    minutes heading: exports that have it alone mean the line's minutes, and beside another
    minutes column (which wins) it is left unread rather than guessed to be the total time.
    Configuration: [columns] total_time (heading spellings); [codes] timed.
    Source (primary): Medicare Benefit Policy Manual, Pub. 100-02 ch. 15 §220.3 (treatment note:
    "Total timed code treatment minutes and total treatment time in minutes. Total treatment
    time includes the minutes for timed code treatment and untimed code treatment"; "The
    billing and the total timed code treatment minutes must be consistent"). Wording read in a
    verbatim copy of an earlier revision of the chapter; not re-checked against Rev. 13774
    (2026-05-08).
    Source version: Pub. 100-02 ch. 15 §220.3 in a revision before Rev. 13774 (2026-05-08),
    read 2026-12.
    """
    timed_codes = ctx.value(TIMED_CODES)
    per_visit = not ctx.table.has(Field.MINUTES)  # the visit's timed minutes on every line
    for visit in ctx.visits().values():
        groups = _by_discipline(visit, timed_codes)
        if per_visit and len(groups) > 1:
            continue  # the visit's minutes cannot be split between its disciplines
        for group in groups:
            times = [(line, line.total_time) for line in group if line.total_time is not None]
            timed = [line for line in group if line.code in timed_codes
                     and (line.visit_minutes if per_visit else line.minutes)]
            if not times or not timed:
                continue
            spent = (timed[0].visit_minutes or 0 if per_visit
                     else sum(line.minutes or 0 for line in timed))
            values = {value for _, value in times}
            # one value: the visit's total, repeated or written once; several: each line's own
            total = times[0][1] if len(values) == 1 else sum(value for _, value in times)
            if spent <= total:
                continue
            holders = [line for line, _ in times]
            documented = (f"its total treatment time of {total:g} minutes" if len(values) == 1
                          else f"its lines' total treatment times, which add up to {total:g} "
                               f"minutes (rows {rows_text(holders)})")
            yield Hit(
                holders[0],
                (f"The visit's timed minutes are {spent:g} (given per visit), more than "
                 f"{documented}." if per_visit else
                 f"The visit's timed minutes add up to {spent:g} (row"
                 f"{'s' if len(timed) > 1 else ''} {rows_text(timed)}), more than {documented}."),
                "Total treatment time includes every timed and untimed minute: correct the "
                "line minutes or the total time so they agree with the treatment note.",
            )


@rule("NMR105", "units-over-mue", Severity.ERROR, scope="table", target=Field.UNITS,
      requires=(Field.PATIENT, Field.DOS, Field.UNITS))
def units_over_mue(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """Units of one code for one visit above its Medically Unlikely Edit.

    What it checks: the units of each code on one visit (its lines added up in sheet order; the
    line that passes the limit and any after it are flagged) against the code's practitioner
    MUE value, the most units CMS expects for one patient on one day. Codes whose MUE
    adjudication indicator in the CMS file is 1 (a line edit) are checked line by line.
    Why: units above the MUE are denied automatically; for date-of-service edits (adjudication
    indicator 2) the denial cannot be overturned on appeal. A units typo or a duplicate line is
    the usual cause.
    Example: 98941 billed with 2 units on one date of service (MUE 1).
    Configuration: [mue] in rules.toml (code = units, or dated versions), or the CMS
    practitioner MUE files with [settings] mue_file or `--mue FILE` (repeatable: several
    quarters), whose values take precedence. Each file is in force from the date in its name
    (`..._Eff_07-01-2026.csv`) until the next loaded file's, the last until the end of its
    quarter; a sheet with dates of service outside every loaded file's period says so, and its
    lines are checked against the nearest file.
    Source (primary): CMS Medically Unlikely Edits, practitioner services table (values as
    loaded from the CMS files). Only a secondary source was found for the bundled values for
    98940-98942 (commonly cited one-per-day limits): no copy of the CMS table's therapy and CMT
    rows could be read.
    Source version: the CMS practitioner MUE files loaded (each in force from the date in
    its name); the bundled 98940-98942 values are undated (secondary, commonly cited;
    reviewed 2026-12-06).
    """
    mue = ctx.config.mue
    for visit in ctx.visits().values():
        running: dict[str, float] = defaultdict(float)
        for line in visit:  # sheet order: the line that passes the limit, and any after it
            limit = mue.limit(line.code or "", line.dos) if line.dos else None
            if limit is None or line.units is None:
                continue
            running[line.code] += line.units  # type: ignore[index]
            billed = line.units if limit.per_line else running[line.code]  # type: ignore[index]
            if billed > limit.value:
                scope = "on this line" if limit.per_line else "for this visit"
                per = "per line" if limit.per_line else "per day"
                yield Hit(
                    line,
                    f"{line.code} is billed {units_text(billed)} {scope}; its Medically "
                    f"Unlikely Edit allows {units_text(limit.value)} {per}.",
                    "Check for a duplicate line or a units typo; units above the MUE are "
                    "denied.",
                )

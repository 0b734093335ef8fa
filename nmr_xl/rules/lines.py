"""NMR0xx — the line itself: required values, readable values, duplicates, dates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from nmr_xl.config.dated import dated_map
from nmr_xl.config.schema import MapOf, Setting, Versions, is_bool
from nmr_xl.model import Field, Line, Severity
from nmr_xl.rules.common import (
    LABELS,
    TIMED_CODES,
    ContractorEdits,
    applied_by,
    contractor_labels,
    enforcers,
    rows_text,
)
from nmr_xl.rules.registry import Context, Hit, rule

_REQUIRED = (
    (Field.CODE, "Enter the CPT/HCPCS code of the service; a claim line cannot go out without it."),
    (Field.PATIENT, "Fill in the patient (account number or name) so the line belongs to a visit."),
    (Field.DOS, "Enter the date the service was given; a claim line cannot go out without it."),
    (Field.UNITS, "Enter the units billed (for a timed code, worked out from the minutes)."),
)

_FIX_UNREADABLE = {
    Field.DOS: "Type the date as a real date, e.g. 03/14/2026.",
    Field.POC_START: "Type the date as a real date, e.g. 03/14/2026.",
    Field.POC_END: "Type the date as a real date, e.g. 03/14/2026.",
    Field.CODE: "Enter a 5-character CPT/HCPCS code such as 97112, with modifiers after it "
                "or in the modifier column.",
    Field.UNITS: "Enter the units as a whole number such as 2.",
    Field.MINUTES: "Enter the minutes as a number such as 30 (or 0:30).",
    Field.VISIT_MINUTES: "Enter the visit's timed minutes as a number such as 38 (or 0:38).",
    Field.CHARGE: "Enter the charge as an amount such as 45.00.",
    Field.MODIFIERS: "Correct the modifier; if your payers use one nmr-xl does not know, add "
                     "it to [modifiers] known in your rules file.",
}


@rule("NMR001", "missing-required-field", Severity.ERROR, scope="line", target=Field.CODE)
def missing_required_field(line: Line, ctx: Context) -> Iterator[Hit]:
    """A billing line without its code, patient, date of service or units.

    What it checks: every line that has a code must also have a patient, a date of service and
    units. Only columns the sheet has are checked; a blank cell in one of them is flagged. A
    row with no code but a patient, a date, units and about as many filled cells as the other
    lines is a charge line whose code is missing (group headings and subtotals fill fewer).
    Why: a claim line without these cannot be billed, and a line without a patient or date cannot
    be tied to a visit, so no other rule can check it properly.
    Example: a 97112 line whose units cell is empty.
    Configuration: the header spellings read as patient, date of service and units are in
    [columns] of rules.toml.
    Source (primary): CMS-1500 claim form instructions, items 24A (dates of service), 24D
    (procedures) and 24G (days or units), required on every service line.
    Source version: CMS-1500 (02/12) claim form instructions, as read in 2026 (no revision
    recorded).
    """
    required = ctx.cache.get("NMR001")
    if required is None:  # the sheet's columns among the required fields, once per table
        required = ctx.cache["NMR001"] = [(f, f.value, fix) for f, fix in _REQUIRED
                                          if ctx.table.has(f)]
    for f, name, fix in required:
        if getattr(line, name) is None and f not in line.unreadable:
            yield Hit(line, f"This billing line has no {LABELS[f]}.", fix, f)


@rule("NMR002", "unreadable-value", Severity.ERROR, scope="line", target=Field.CODE)
def unreadable_value(line: Line, ctx: Context) -> Iterator[Hit]:
    """A date, code, number of units or minutes that cannot be read.

    What it checks: dates that are not real dates (2026-02-30, 13/45/2026), codes that are not
    CPT/HCPCS codes, units or minutes (and charges) that are not non-negative numbers,
    modifiers that are not known two-character modifiers, and cells showing a spreadsheet error
    such as #N/A.
    Why: a value nobody can read will be read differently by the payer, or rejected; the other
    rules also skip the value, so problems behind it stay hidden until it is fixed.
    Example: a date of service typed as 02/30/2026; units typed as "two"; a code "9711".
    Configuration: [settings] date_order decides how 03/04/2026 is read (month-first by default);
    [modifiers] known lists the modifiers accepted.
    Source (primary): CMS-1500 / 837P field formats (dates, HCPCS codes, service units).
    Source version: CMS-1500 (02/12) and 837P (5010) field formats, as read in 2026.
    """
    for f, reason in line.unreadable.items():
        yield Hit(
            line,
            f"The {LABELS[f]} cannot be read: {reason}.",
            _FIX_UNREADABLE.get(f, f"Correct the {LABELS[f]}."),
            f,
        )


@rule("NMR003", "duplicate-line", Severity.WARNING, scope="table", target=Field.CODE,
      requires=(Field.PATIENT, Field.DOS))
def duplicate_line(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """The same patient, date, code and modifiers as an earlier line.

    What it checks: two lines with the same patient, date of service, code and set of modifiers.
    The later line is flagged and names the first.
    Why: a double entry bills the service twice; payers deny the duplicate and repeated
    duplicates look like overbilling in an audit.
    Example: row 12 and row 15 both bill 97112-GP for the same patient on 2026-03-02.
    Configuration: none.
    Source (secondary): general claims practice: payers' duplicate-line edits deny a repeated
    line. No single manual section is cited; see NMR005 for Medicare's one-line-per-code rule.
    Source version: none: general claims practice, no dated document.
    """
    first: dict[tuple[object, ...], Line] = {}
    for line in lines:
        if line.code is None or line.patient is None or line.dos is None:
            continue
        key = (line.patient.casefold(), line.dos, line.code, frozenset(line.modifiers))
        earlier = first.setdefault(key, line)
        if earlier is not line:
            yield Hit(
                line,
                f"Same patient, date of service, code {line.code} and modifiers as row "
                f"{earlier.row}.",
                "If it was entered twice, delete this line. If the service really was given "
                "twice, put it on one line with the combined units.",
            )


@rule("NMR004", "future-date-of-service", Severity.ERROR, scope="line", target=Field.DOS,
      requires=(Field.DOS,))
def future_date_of_service(line: Line, ctx: Context) -> Iterator[Hit]:
    """A date of service after the date of the check.

    What it checks: the date of service is later than the as-of date (today, or `--as-of`).
    Why: a service cannot be billed before it is given; a future date is usually a typo
    (wrong year or month) that the payer will reject.
    Example: checking on 2026-03-10, a line dated 2026-03-21.
    Configuration: `nmr-xl check --as-of YYYY-MM-DD` sets the date the check treats as today.
    Source (primary): CMS-1500 / 837P (the date of service is the date the service was given).
    Source version: none: the date of service as CMS-1500 item 24A defines it.
    """
    if line.dos is not None and line.dos > ctx.as_of:
        yield Hit(
            line,
            f"The date of service is after the check date {ctx.as_of.isoformat()}.",
            "Correct the date (often the wrong year or month); do not bill a service before "
            "it is given.",
        )


_ASSISTANT_MODIFIERS = frozenset({"CQ", "CO"})
_DISCIPLINE = frozenset({"GP", "GO", "GN"})


SPLIT_TIMED_CODE = Setting(
    "contractor_edits.split_timed_code", MapOf(Versions(is_bool), key_hint="a contractor id"),
    dated_map(bool),
    "Per Medicare contractor, dated: true where it rejects a timed code on more than one line "
    "for a date of service.",
    refers_to=("contractors", "a contractor"))


@rule("NMR005", "split-timed-code", Severity.ERROR, scope="table", target=Field.CODE,
      requires=(Field.PATIENT, Field.DOS), medicare_only=True,
      settings=(TIMED_CODES, SPLIT_TIMED_CODE))
def split_timed_code(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """Medicare: one timed code on more than one line for the same visit.

    What it checks: for payers that follow Medicare rules, the same 15-minute timed code appears
    on two or more lines for one patient on one date. The second and later lines are flagged:
    an error where the line's Medicare contractor rejects such claims (First Coast, JN, from
    2021-04-19), a warning elsewhere.
    Why: general Medicare: units of a timed code are reported per code per date of service
    (Pub. 100-04 ch. 5 §20.2), and contractors' duplicate edits may deny a repeated identical
    line ("use the Days/Units field"); split lines also hide a units error. One contractor goes
    further: First Coast rejects claims received from 2021-04-19 whose timed codes are not on a
    single line per date of service (the date of service stands in for the date received).
    Example: 97110 x1 on row 4 and 97110 x1 on row 6 for the same visit, instead of 97110 x2.
    A split into one line with CQ/CO (the assistant's part) and one without is allowed, as in
    CMS's CQ/CO billing examples, and so are lines of different disciplines (GP and GO).
    Configuration: runs for profiles with `medicare = true`; [codes] timed lists the timed codes;
    [practice] contractor and [contractor_edits] split_timed_code (by contractor, dated); give
    the rule a severity in another profile's rules table to use it there too.
    Source (primary): First Coast Service Options, "Counting units for therapy services" (last
    modified 4/9/2024); Medicare Claims Processing Manual, Pub. 100-04 ch. 5 §20.2 (read through
    copies); Palmetto GBA "Repeat or Duplicate Services on the Same Day" (2012) for duplicate
    denials; CMS "Billing examples using CQ/CO modifiers" for the assistant split.
    Source version: First Coast "Counting units for therapy services" last modified 4/9/2024
    (its edit from claims received 2021-04-19); Pub. 100-04 ch. 5 §20.2 read through copies
    (revision not recorded); Palmetto GBA duplicate-services article of 10/15/2012; all read
    2026-12-06.
    """
    timed = ctx.value(TIMED_CODES)
    edits = ctx.value(SPLIT_TIMED_CODE)
    for visit in ctx.visits().values():
        by_code: dict[tuple[str, bool, str], list[Line]] = defaultdict(list)
        for line in visit:
            if line.code in timed:
                assisted = not _ASSISTANT_MODIFIERS.isdisjoint(line.modifiers)
                discipline = "".join(sorted(_DISCIPLINE.intersection(line.modifiers)))
                by_code[(line.code, assisted, discipline)].append(line)
        for same in by_code.values():
            for line in same[1:]:
                yield _split(line, same, edits, ctx)


def _split(line: Line, same: list[Line], edits: ContractorEdits, ctx: Context) -> Hit:
    day = line.dos or ctx.as_of
    contractors = ctx.contractors(line)
    split = f"{line.code} is billed on {len(same)} lines for this visit (rows {rows_text(same)})"
    fix = f"Report {line.code} once for the date of service, with the total units on that one line."
    version = applied_by(edits, contractors, day)
    if version is not None:
        label = contractor_labels(contractors, ctx.config)
        since = f" (claims from {version.start.isoformat()})" if version.start else ""
        return Hit(line, f"{split}; {label} rejects claims whose timed codes are not on one "
                         f"line per date of service{since}.", fix)
    who = enforcers(edits, ctx.config, day)
    also = f"; {who} rejects such claims" if who else ""
    return Hit(line, f"{split}: Medicare contractors may deny the repeated line as a duplicate"
                     f"{also}.", fix, at_most=Severity.WARNING)


@rule("NMR090", "unused-suppression", Severity.INFO, scope="engine", target=Field.NOTES)
def unused_suppression(line: Line, ctx: Context) -> Iterator[Hit]:
    """A suppression marker in the notes that suppresses nothing.

    What it checks: a note such as `nmr: ignore NMR205` on a line where NMR205 found nothing, or
    that names a code that is not a rule.
    Why: stale markers hide nothing today but will silently hide a real problem later; a typo in
    a marker means the exception you documented is not applied.
    Example: `nmr: ignore NMR250` (no such rule), or a marker left after the line was corrected.
    Configuration: write markers in the notes cell as `nmr: ignore NMR205, NMR206`.
    Source (primary): nmr-xl's own convention, like a linter's unused-noqa check.
    Source version: none: nmr-xl's own convention.
    """
    # Reported by the engine, the only place that knows which markers matched a finding.
    yield from ()

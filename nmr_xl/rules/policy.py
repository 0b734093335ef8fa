"""NMR31x — payer policy checked across a sheet's lines: the Medicare KX threshold, the
diagnoses and level of chiropractic manipulation, massage beside manual therapy.

The NMR3xx family (payer and modifier rules) continues here from nmr_xl.rules.payer, whose
settings these rules share.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nmr_xl.config.dated import Version
from nmr_xl.config.model import DxFamilies
from nmr_xl.config.schema import MapOf, Setting, is_str_list, one_of
from nmr_xl.model import Field, Line, Severity
from nmr_xl.rules.common import rows_text
from nmr_xl.rules.nmr import MANUAL_THERAPY, MASSAGE
from nmr_xl.rules.payer import ALWAYS_THERAPY, CMT_CODES, DISTINCT_MODIFIERS, SUBLUXATION
from nmr_xl.rules.registry import Context, Hit, rule

# --- NMR310: the KX threshold --------------------------------------------------------------------

PT_SLP, OT = "pt_slp", "ot"
_BUCKET_NAMES = {PT_SLP: "physical therapy and speech-language pathology (GP, GN)",
                 OT: "occupational therapy (GO)"}
# The discipline modifiers, and (for a line without one) the roles and disciplines of
# [provider_types] / [disciplines] that tell which threshold a therapy line counts toward.
_BY_MODIFIER = {"GP": PT_SLP, "GN": PT_SLP, "GO": OT}
_BY_ROLE = {"physical_therapist": PT_SLP, "pt_assistant": PT_SLP,
            "speech_language_pathologist": PT_SLP, "slp_assistant": PT_SLP,
            "occupational_therapist": OT, "ot_assistant": OT}
_BY_DISCIPLINE = {"physical_therapy": PT_SLP, "speech_therapy": PT_SLP,
                  "occupational_therapy": OT}


def _is_amounts(v: Any) -> str | None:
    ok = (isinstance(v, Mapping) and set(v) == {PT_SLP, OT}
          and all(isinstance(n, int | float) and not isinstance(n, bool) and n > 0
                  for n in v.values()))
    return None if ok else "a table of two amounts in dollars: { pt_slp = 2480, ot = 2480 }"


@dataclass(frozen=True)
class KxAmounts:
    """One year's per-beneficiary amounts above which therapy lines need KX."""

    pt_slp: float
    ot: float

    def of(self, bucket: str) -> float:
        return self.pt_slp if bucket == PT_SLP else self.ot


def _amounts(raw: Mapping[str, float]) -> KxAmounts:
    return KxAmounts(float(raw[PT_SLP]), float(raw[OT]))


KX_THRESHOLD: Setting[KxAmounts | None] = Setting(
    "kx.threshold", _is_amounts, _amounts,
    "NMR310: the KX modifier thresholds, one version a calendar year (`year = 2026`) with its "
    "source: `pt_slp` for physical therapy and speech-language pathology combined, `ot` for "
    "occupational therapy. Your rules file adds years to these (a version of yours replaces "
    "ours for the same year).",
    dated=True, extends=True)


@dataclass
class _Running:
    """One beneficiary's therapy spend of one kind in one year, as the sheet shows it."""

    total: float = 0.0
    from_charges: bool = False  # some of it is charges, not allowed amounts


def _bucket(line: Line, ctx: Context) -> str | None:
    """Which threshold a therapy line counts toward, or None for a line that is not therapy
    (or that Medicare excludes: GY)."""
    if "GY" in line.modifiers:
        return None
    for modifier in line.modifiers:
        if modifier in _BY_MODIFIER:
            return _BY_MODIFIER[modifier]
    if line.code not in ctx.value(ALWAYS_THERAPY, on=line.dos):
        return None
    role, _ = ctx.role(line)
    found = _BY_ROLE.get(role or "")
    return found or _BY_DISCIPLINE.get(ctx.config.discipline_of(line.discipline) or "")


def _threshold_for(day: dt.date, ctx: Context) -> tuple[Version[KxAmounts | None], bool] | None:
    """The threshold in force on a date of service, or, for a date after every version (next
    year's not added yet), the latest one (True: a stand-in); None before the first."""
    version = ctx.version(KX_THRESHOLD, on=day)
    if version is not None and version.value is not None:
        return version, False
    earlier = [v for v in ctx.versions(KX_THRESHOLD).versions
               if v.value is not None and v.end is not None and v.end < day]
    if not earlier or version is not None:
        return None
    return max(earlier, key=lambda v: v.end or dt.date.min), True


def _label(version: Version[KxAmounts | None]) -> str:
    """"the 2026 KX threshold", or the version's dates when it is not one calendar year."""
    start, end = version.start, version.end
    if start and end and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) \
            and start.year == end.year:
        return f"the {start.year} KX threshold"
    return f"the KX threshold in force {version.period}"


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


@rule("NMR310", "kx-modifier-missing", Severity.ERROR, scope="table", target=Field.MODIFIERS,
      requires=(Field.PATIENT, Field.DOS, Field.MODIFIERS, (Field.ALLOWED, Field.CHARGE)),
      medicare_only=True, settings=(KX_THRESHOLD, ALWAYS_THERAPY))
def kx_modifier_missing(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """Medicare therapy past the year's KX threshold, as the sheet's own amounts show it, without
    KX.

    What it checks: for each Medicare beneficiary and calendar year, the running total of the
    sheet's outpatient therapy lines in date order, physical therapy and speech-language
    pathology together (GP, GN) and occupational therapy on its own (GO); a line without a
    discipline modifier counts by its provider's credential or discipline. The line that takes
    a total past the year's threshold, and every later line of that kind that year, must carry
    KX. The running total is the allowed amount of each line when the sheet has an allowed
    column, else its charge (a line with a blank allowed amount counts its charge); the message
    says which. Lines with GY (excluded services) do not count.
    What it cannot see: spend at other providers, and on lines of this patient not on this
    sheet, counts toward the same threshold, so the sheet's total is a lower bound: the rule
    finds only the lines the sheet itself proves are over; the patient's Medicare eligibility
    record shows the year-to-date total. Charges are usually above Medicare's allowed amounts,
    so a total built from charges does not prove the threshold was passed: those findings are
    warnings.
    Why: since 2018 the therapy caps are thresholds: Medicare denies therapy lines above the
    year's amount without KX, the provider's attestation that the services are medically
    necessary and documented.
    Example: a Medicare patient's PT lines in 2026 whose allowed amounts reach $2,510 on
    2026-09-14; that line and the later ones need KX (2026 threshold $2,480).
    A year rules.toml has no threshold for yet takes the latest year's amount, as a warning
    that says so; years before the first listed (2018) are not checked.
    Configuration: [[kx.threshold]], dated: one version a calendar year (`year`, `value = {
    pt_slp, ot }`, `source`); add each new year's when CMS publishes it, usually in the autumn
    before. [columns] allowed and charge; [codes] always_therapy.
    Source (primary): Social Security Act §1833(g)(7)(A) as amended by the Bipartisan Budget Act
    of 2018 §50202; CMS "Therapy Services" page (revised Feb 2026; CR 14252 for 2026): "one amount
    for PT and SLP services combined and a separate amount for OT services ... Claims for
    services over the KX modifier threshold amounts without the KX modifier are denied"; NGS
    (CY 2024): the amounts applied to deductible and coinsurance count, and the eligibility
    record shows the total. Each year's amount carries its own source in rules.toml: 2024 and
    2026 primary (CMS, MACs), 2022-2023 MAC tables, 2019, 2021 and 2025 secondary reports of CMS
    change requests, 2018 and 2020 secondary only.
    Source version: CMS "Therapy Services" page revised Feb 2026 (read in a verbatim copy of
    its body); NGS CY 2024 KX article; BBA 2018 §50202 as enacted 2018-02-09; thresholds as
    dated in rules.toml, 2018-2026, compiled 2026-12.
    """
    has_allowed = ctx.table.has(Field.ALLOWED)
    ordered = sorted((line for line in lines
                      if line.patient and line.dos and ctx.enabled("NMR310", line)),
                     key=lambda line: (line.dos, line.row))
    running: dict[tuple[str, int, str], _Running] = defaultdict(_Running)
    for line in ordered:
        bucket = _bucket(line, ctx)
        found = _threshold_for(line.dos, ctx) if bucket else None  # type: ignore[arg-type]
        if bucket is None or found is None:
            continue
        threshold, stand_in = found
        spend = running[(line.patient.casefold(), line.dos.year, bucket)]  # type: ignore[union-attr]
        charged = not (has_allowed and line.allowed is not None)
        amount = line.charge if charged else line.allowed
        if amount is not None:
            spend.total += amount
            spend.from_charges |= charged
        limit = threshold.value.of(bucket)  # type: ignore[union-attr]
        if spend.total <= limit or "KX" in line.modifiers:
            continue
        yield _kx_hit(line, bucket, spend, threshold, stand_in, ctx)


def _heading(ctx: Context, f: Field) -> str:
    col = ctx.table.column_of(f)
    return ctx.table.headers.get(col, "") if col else ""


def _kx_hit(line: Line, bucket: str, spend: _Running, threshold: Version[KxAmounts | None],
            stand_in: bool, ctx: Context) -> Hit:
    year = line.dos.year  # type: ignore[union-attr]
    limit = threshold.value.of(bucket)  # type: ignore[union-attr]
    allowed, charge = _heading(ctx, Field.ALLOWED), _heading(ctx, Field.CHARGE)
    if not spend.from_charges:
        basis = f"allowed amounts, column '{allowed}'"
    elif allowed:
        basis = (f"allowed amounts, column '{allowed}', and charges, column '{charge}', where "
                 "no allowed amount is given")
    else:
        basis = f"charges, column '{charge}': the sheet has no allowed amounts"
    which = (f"{_label(threshold)} of {_money(limit)}" if not stand_in else
             f"{_label(threshold)} of {_money(limit)} (rules.toml has no amount for {year} "
             f"yet: add {year}'s version to [[kx.threshold]])")
    check = (" Charges are usually above Medicare's allowed amounts: check the year-to-date "
             "total in the patient's eligibility record before adding KX."
             if spend.from_charges else "")
    return Hit(
        line,
        f"This Medicare patient's {_BUCKET_NAMES[bucket]} lines on this sheet in {year} add "
        f"up to {_money(spend.total)} by this line ({basis}), past {which}; this line has no "
        "KX.",
        "If the therapy is medically necessary and documented, add KX to this line and the "
        "patient's later lines of this kind this year: Medicare denies them without it. Spend "
        "at other providers is not on this sheet." + check,
        at_most=Severity.WARNING if spend.from_charges or stand_in else None,
    )


# --- NMR311, NMR312: diagnoses and level of chiropractic manipulation ---------------------------

SPINAL_REGIONS = ("cervical", "thoracic", "lumbar", "sacral", "pelvic")


def _is_level_range(v: Any) -> str | None:
    ok = (isinstance(v, list) and len(v) == 2
          and all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 5 for n in v)
          and v[0] <= v[1])
    return None if ok else "[fewest, most] spinal regions, e.g. [3, 4]"


def _levels(raw: Mapping[str, list[int]]) -> dict[str, tuple[int, int]]:
    return {code.upper(): (pair[0], pair[1]) for code, pair in raw.items()}


def _dx_key(code: str) -> str:
    return code.upper().replace(".", "")


class RegionMap:
    """ICD-10-CM code (or prefix) -> the spinal region it names; the longest prefix wins."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._regions = {_dx_key(code): region for code, region in raw.items()}
        self._longest = max((len(k) for k in self._regions), default=0)

    def region_of(self, code: str) -> str | None:
        key = _dx_key(code)
        for end in range(min(len(key), self._longest), 2, -1):
            found = self._regions.get(key[:end])
            if found is not None:
                return found
        return None


CMT_LEVELS = Setting(
    "cmt.levels", MapOf(_is_level_range, key_pattern=r"[A-Z0-9]{5}",
                        key_hint="a 5-character code"), _levels,
    "NMR312: each CMT code's number of spinal regions, [fewest, most].")
CMT_REGIONS = Setting(
    "cmt.regions", MapOf(one_of(*SPINAL_REGIONS), key_pattern=r"[A-Za-z][0-9A-Za-z.]{2,7}",
                         key_hint="an ICD-10-CM code or prefix"), RegionMap,
    "NMR312: the diagnoses that name a spinal region (ICD-10-CM code or prefix -> cervical, "
    "thoracic, lumbar, sacral or pelvic).")
NOT_A_CMT_CONDITION = Setting(
    "diagnoses.subluxation_related", is_str_list, DxFamilies,
    "NMR311: diagnoses that describe the subluxation or segmental dysfunction itself (each "
    "entry a prefix), so they are not the condition it causes.")


def _visit_diagnoses(line: Line, ctx: Context) -> tuple[str, ...]:
    """The line's diagnoses, then the rest of its visit's: the claim's diagnoses, as far as the
    sheet shows them (a CMT line may point only at the subluxation)."""
    found = list(line.diagnoses)
    if line.patient and line.dos:
        for other in ctx.visits().get((line.patient.casefold(), line.dos), ()):
            found.extend(other.diagnoses)
    return tuple(dict.fromkeys(found))


@rule("NMR311", "cmt-secondary-dx-missing", Severity.WARNING, scope="line",
      target=Field.DIAGNOSES, requires=(Field.DIAGNOSES,), medicare_only=True, codes=CMT_CODES,
      settings=(SUBLUXATION, NOT_A_CMT_CONDITION))
def cmt_secondary_dx_missing(line: Line, ctx: Context) -> Iterator[Hit]:
    """Medicare CMT whose diagnoses show the subluxation but no condition it causes.

    What it checks: a Medicare chiropractic manipulation line (98940-98942) whose diagnoses,
    with the rest of its visit's (the claim's, as far as the sheet shows them), include a
    subluxation (M99.00-M99.05) but nothing else than subluxation and segmental dysfunction
    codes (M99.0-, M99.1-): no neuromusculoskeletal condition. A line with no subluxation is
    NMR303's.
    Why: CMS asks CMT claims to carry the subluxation first and, second, the
    neuromusculoskeletal condition it causes (low back pain, a disc disorder, headache);
    contractors' chiropractic policies list the secondary diagnoses they accept, and deny CMT
    whose claim shows the subluxation alone.
    Example: 98941-AT with M99.01 and M99.03 only.
    Any diagnosis other than those codes counts as the condition: the contractors' lists of
    secondary diagnoses vary and are not encoded.
    Configuration: [diagnoses] subluxation and subluxation_related; [codes] cmt.
    Source (primary): CMS MLN Matters SE1602 "Use of the AT Modifier for Chiropractic Billing"
    (issued 2016-03-16, revised 2019-05-07): "Claims should include a primary diagnosis of
    subluxation and a secondary diagnosis that reflects the patient's neuromusculoskeletal
    condition" (read in the HHS guidance portal's copy and Palmetto GBA's repost of 2020-05-29).
    Source version: MLN Matters SE1602, revised 2019-05-07 (read 2026-12).
    """
    if Field.DIAGNOSES in line.unreadable:
        return
    dx = _visit_diagnoses(line, ctx)
    subluxation = ctx.value(SUBLUXATION)
    if not any(subluxation.contains(code) for code in dx):
        return  # NMR303 reports a CMT line without the subluxation
    related = ctx.value(NOT_A_CMT_CONDITION)
    if any(not related.contains(code) for code in dx):
        return
    yield Hit(
        line,
        f"This Medicare {line.code} line's diagnoses ({', '.join(dx)}) show the subluxation "
        "but no condition it causes.",
        "Add the neuromusculoskeletal condition the subluxation causes (e.g. the pain, disc or "
        "joint diagnosis the exam found) as the second diagnosis, after the subluxation.",
    )


@rule("NMR312", "cmt-level-vs-regions", Severity.WARNING, scope="line", target=Field.CODE,
      requires=(Field.DIAGNOSES,), codes=CMT_CODES, settings=(CMT_LEVELS, CMT_REGIONS))
def cmt_level_vs_regions(line: Line, ctx: Context) -> Iterator[Hit]:
    """A CMT level the diagnoses' spinal regions do not support.

    What it checks: a chiropractic manipulation line whose diagnoses (with the rest of its
    visit's) name fewer spinal regions than its level needs: 98940 is 1-2 regions, 98941 3-4,
    98942 all 5. A region is named by a segmental dysfunction or subluxation code (M99.01
    cervical, M99.02 thoracic, M99.03 lumbar, M99.04 sacral, M99.05 pelvic; M99.00, the head
    region, counts as cervical; the same for M99.1-). Lines whose diagnoses name no region are
    not judged; nor is a level below the regions named (the diagnoses may list a region not
    adjusted that day).
    Why: the level billed is the number of regions adjusted; payers compare it with the
    diagnoses, and a 98941 with subluxations in two regions reads as an upcoded visit unless
    the notes name each region adjusted.
    Example: 98941-AT with M99.03 and M99.04 only: two regions, so 98940.
    Configuration: [cmt] levels (code = [fewest, most] regions) and [cmt.regions] (diagnosis
    code or prefix = region); add the region codes your payers expect.
    Source (secondary): the region counts are CPT's definitions of 98940-98942 (AMA; cited, not
    quoted) and the regions ICD-10-CM's M99.0- and M99.1- subcategories; M99.00 as cervical is
    our inference (CPT's cervical region includes the atlanto-occipital joint). That the claim's
    diagnoses should support each region billed is payer policy (Horizon NJ Health's
    chiropractic manipulation policy, 2021-07-25) and Novitas's chiropractic FAQ (2020: the
    documentation must state the regions adjusted); no Medicare manual text makes the diagnoses
    the test: it is our proxy for what the notes must show.
    Source version: CPT's 98940-98942 region counts (edition not recorded; unchanged for
    years); ICD-10-CM M99.0-/M99.1- (fiscal-year file not recorded); Horizon NJ Health policy of
    2021-07-25; Novitas chiropractic FAQ 2020 (read in a copy); read 2026-12.
    """
    levels = ctx.value(CMT_LEVELS)
    if line.code not in levels or Field.DIAGNOSES in line.unreadable:
        return
    regions_of = ctx.value(CMT_REGIONS)
    regions = {r for code in _visit_diagnoses(line, ctx) if (r := regions_of.region_of(code))}
    fewest, most = levels[line.code]
    if not regions or len(regions) >= fewest:
        return
    named = [r for r in SPINAL_REGIONS if r in regions]
    fits = next((code for code, (lo, hi) in sorted(levels.items())
                 if lo <= len(regions) <= hi), None)
    span = f"{fewest}" if fewest == most else f"{fewest}-{most}"
    yield Hit(
        line,
        f"The diagnoses name {len(regions)} spinal region{'s' if len(regions) > 1 else ''} "
        f"({', '.join(named)}); {line.code} is for {span} regions.",
        (f"Bill {fits} for {len(regions)} region{'s' if len(regions) > 1 else ''}, " if fits
         else "Bill the level of the regions adjusted, ")
        + "or add the subluxation diagnosis of each region adjusted; the notes must name "
        "every region adjusted.",
    )


# --- NMR313: massage with manual therapy ------------------------------------------------------


@rule("NMR313", "massage-with-manual-therapy", Severity.WARNING, scope="table",
      target=Field.CODE, requires=(Field.PATIENT, Field.DOS, Field.MODIFIERS),
      settings=(MASSAGE, MANUAL_THERAPY, DISTINCT_MODIFIERS))
def massage_with_manual_therapy(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """Massage (97124) and manual therapy (97140) on one visit without a distinct-service
    modifier on the massage line.

    What it checks: a visit that bills the massage code and the manual therapy code, whose
    massage line carries none of 59, XE, XS, XP or XU.
    Why: massage and the soft-tissue techniques of manual therapy (myofascial release) are the
    same kind of hands-on work; Aetna calls them duplicative in one session and inappropriate to
    bill together, and other payers question the pair. Separate regions or sessions, shown by a
    distinct-service modifier and the notes, are billable.
    Example: 97140 x1 and 97124 x1 on one visit, no modifier on 97124.
    This is not an NCCI edit: no CMS procedure-to-procedure edit pairing 97124 with 97140 was
    found (the CMS PTP file itself could not be read), so NMR306 does not report it; it is a
    warning for every payer, which a practice can raise to an error for a payer
    ([profiles.ID.rules]) or switch off.
    Configuration: [codes] massage and manual_therapy; [modifiers] distinct.
    Source (secondary): payer policy, not CMS: Aetna Clinical Policy Bulletin 0325 (Physical
    Therapy), Appendix B, lists "Massage therapy and myofascial release" among services
    "considered duplicative in nature" that are inappropriate to bill in the same session
    (bulletin read in a verbatim copy of its review of 2026-06-02; whether the text predates the
    revision of 2025-10-29 was not checked). Applying it to other payers is our caution. No CMS
    NCCI procedure-to-procedure edit between 97124 and 97140 was found, primary or secondary.
    Source version: Aetna CPB 0325, review of 2026-06-02 (last review before it 2025-10-29);
    searched for an NCCI pair 2026-12.
    """
    massage, manual = ctx.value(MASSAGE), ctx.value(MANUAL_THERAPY)
    distinct = ctx.value(DISTINCT_MODIFIERS)
    for visit in ctx.visits().values():
        manual_lines = [line for line in visit if line.code == manual]
        if not manual_lines:
            continue
        for line in visit:
            if line.code == massage and distinct.isdisjoint(line.modifiers):
                yield Hit(
                    line,
                    f"{massage} (massage) is billed with {manual} (manual therapy, row"
                    f"{'s' if len(manual_lines) > 1 else ''} {rows_text(manual_lines)}) on the "
                    "same visit without a distinct-service "
                    "modifier; payers such as Aetna treat massage and myofascial release in one "
                    "session as duplicative.",
                    f"If the massage was to a separate region or in a separate session, add XS "
                    f"or XE (or 59) to {massage} and document it; if both were the same "
                    "soft-tissue work, bill one code for the time.",
                )


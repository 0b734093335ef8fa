"""NMR3xx — payer and modifier rules: Medicare chiropractic rules, therapy and assistant
modifiers, NCCI pairs, plans of care and progress reports."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from nmr_xl.config.dated import dated_map
from nmr_xl.config.model import Config, DxFamilies
from nmr_xl.config.schema import MapOf, Setting, Versions, is_bool, is_str_list
from nmr_xl.model import Field, Line, Severity
from nmr_xl.rules.common import applied_by, code_set, contractor_labels, contractor_text, enforcers
from nmr_xl.rules.registry import Context, Hit, rule

_CMT_STATUS = frozenset({"AT", "GA", "GZ"})
_NOT_WITH_AT = frozenset({"GA", "GX", "GY", "GZ"})
_DISCIPLINE = frozenset({"GP", "GO", "GN"})
_PLAN_DAYS = 90
_PROGRESS_DAYS = 10
# NMR305: SSA §1834(v) (BBA 2018 §53107): CQ / CO required on claims from this date of service,
# and the 85% payment from the second.
_ASSISTANT_MODIFIERS_FROM = dt.date(2020, 1, 1)
_ASSISTANT_REDUCTION_FROM = dt.date(2022, 1, 1)

CMT_CODES = Setting("codes.cmt", is_str_list, code_set,
                    "The chiropractic manipulative treatment (CMT) codes.")
ALWAYS_THERAPY = Setting(
    "codes.always_therapy", is_str_list, code_set,
    "Codes that are always therapy under Medicare, whoever bills them (CMS's Annual Therapy "
    "Update has the full list). Dated: a version per Annual Therapy Update; a line is judged "
    "by the list in force on its date of service.", dated=True)
RE_EVALUATION = Setting("codes.re_evaluation", is_str_list, code_set,
                        "Re-evaluation codes: each also serves as a progress report.")
SUBLUXATION = Setting(
    "diagnoses.subluxation", is_str_list, DxFamilies,
    "The subluxation codes Medicare expects first on a CMT line (each entry a prefix).")
DISTINCT_MODIFIERS = Setting(
    "modifiers.distinct", is_str_list, code_set,
    "Modifiers that mark a distinct procedural service (NCCI-associated modifiers).",
    extends=True)
AT_WITH_MODIFIERS = Setting(
    "contractor_edits.at_with_modifiers", MapOf(Versions(is_str_list), key_hint="a contractor id"),
    dated_map(code_set),
    "Per Medicare contractor, dated: the modifiers it rejects together with AT on a CMT line.",
    refers_to=("contractors", "a contractor"))
DISCIPLINE_MODIFIERS = Setting(
    "discipline_modifiers", is_bool, bool,
    "The payer requires GP, GO or GN on every always-therapy code.", profile=True,
    absent=False)


@rule("NMR301", "medicare-dc-excluded-service", Severity.ERROR, scope="line",
      target=Field.CODE, requires=((Field.PROVIDER_TYPE, Field.DISCIPLINE), Field.MODIFIERS),
      medicare_only=True, settings=(CMT_CODES,))
def medicare_dc_excluded_service(line: Line, ctx: Context) -> Iterator[Hit]:
    """Medicare: a chiropractor's service other than spinal manipulation, without GY.

    What it checks: on a Medicare line rendered by a chiropractor, a code that is not CMT
    (98940-98942) and carries no GY modifier.
    Why: Medicare covers a chiropractor's services only for manual manipulation of the spine to
    correct a subluxation (98940-98942; 98943, extraspinal, is not covered either); everything
    else a chiropractor furnishes (exams, therapy, X-rays) is statutorily excluded. GY marks the
    line as excluded so Medicare denies it cleanly and the patient can be billed.
    Example: Medicare patient, 97112 x2 rendered by a DC, no GY.
    The chiropractor is known by the credential (a credential column, or the end of the
    provider's name: "Mark Ortiz DC"), else by a chiropractic discipline; the message says which.
    Configuration: [provider_types] chiropractor (how a DC is spelled); [discipline_roles];
    [codes] cmt.
    Source (primary): Medicare Benefit Policy Manual, Pub. 100-02 ch. 15 §240.1.1; NGS and CGS
    chiropractic billing pages (GY on services a chiropractor furnishes that Medicare excludes;
    GX as well when a voluntary ABN was given).
    Source version: Pub. 100-02 ch. 15 §240.1.1 and the NGS and CGS chiropractic billing
    pages, as read in 2026 (revisions not recorded).
    """
    if not line.code or line.code in ctx.value(CMT_CODES) or "GY" in line.modifiers:
        return
    role, source = ctx.role(line)
    if role == "chiropractor":
        yield Hit(
            line,
            "Medicare covers a chiropractor's services only for manual manipulation of the "
            f"spine to correct a subluxation; {line.code} by a chiropractor ({source}) is a "
            "statutorily excluded service billed without GY.",
            "Add modifier GY (and GX if the patient signed a voluntary ABN) so Medicare denies "
            "it and the patient can be billed; therapy codes keep GP as well.",
        )


@rule("NMR302", "medicare-cmt-modifier", Severity.ERROR, scope="line", target=Field.CODE,
      requires=(Field.MODIFIERS,), medicare_only=True, codes=CMT_CODES,
      settings=(AT_WITH_MODIFIERS,))
def medicare_cmt_modifier(line: Line, ctx: Context) -> Iterator[Hit]:
    """Medicare: a CMT line without one of AT / GA / GZ, or AT with a contractor's denial modifier.

    What it checks: every Medicare chiropractic manipulation line (98940-98942) carries one of
    AT (active treatment), GA (maintenance, ABN on file) or GZ (maintenance, no ABN), not GA
    and GZ together; and AT is not combined with GA, GX, GY or GZ.
    Why: general Medicare: CMT is covered only as active treatment, which the AT modifier
    claims (CMS CR 3449, SE1602); CMT without AT is maintenance and denied, so maintenance
    care carries GA (an ABN was signed, the patient may be billed) or GZ (no ABN). AT claims
    covered active treatment while GA, GX, GY and GZ say a denial is expected, so the two
    conflict, and some contractors reject the line: Palmetto GBA (JJ, JM) rejects AT with GA
    for dates of service from 2015-11-01 ("an ABN cannot be issued for services billed with
    AT"), and Noridian (JE, and JF by our reading) says not to bill AT with GA, GX, GY or GZ.
    That part is an error where the line's contractor applies it (the payer cell names it, else
    [practice] contractor) and a warning that says whose edit it is everywhere else: no
    CMS-wide instruction forbids it, and at least one former contractor (Cahaba, per a
    secondary source) accepted AT with GA for active care an ABN was given for.
    Example: 98941 with no modifier (error); 98940-AT-GA for a Palmetto GBA practice in North
    Carolina (error), for a Novitas practice (warning).
    Configuration: [codes] cmt; [practice] contractor; [contractor_edits] at_with_modifiers (by
    contractor, dated); [contractors].
    Source (primary): CMS CR 3449 / MLN Matters SE1602 (AT for active treatment, revised
    2019-05-07); Noridian and NGS chiropractic claim submission pages (AT; GA with an ABN; GZ
    without); Palmetto GBA JJ "HCPCS Modifier AT" (07/16/2020) and JM "Chiropractic Claims
    Submitted with Both the AT and GA Modifier to Reject" (05/29/2020); Noridian JE "Modifier
    AT" (12/09/2023). Noridian JF's rejection is our reading of its claim submission page
    (secondary). NGS, Novitas, WPS, CGS and First Coast pages say nothing either way.
    Source version: MLN Matters SE1602 revised 2019-05-07; Palmetto GBA JJ of 07/16/2020 and
    JM of 05/29/2020 (edit from dates of service 2015-11-01); Noridian JE "Modifier AT"
    updated 12/09/2023; read 2026-12-06.
    """
    status = _CMT_STATUS.intersection(line.modifiers)
    with_at = sorted(_NOT_WITH_AT.intersection(line.modifiers)) if "AT" in status else []
    if with_at:
        yield _at_with(line, ctx, with_at)
    elif len(status) != 1:
        problem = "none of" if not status else "more than one of"
        yield Hit(
            line,
            f"{line.code} for Medicare carries {problem} AT, GA and GZ.",
            "Add AT for active treatment with a documented plan and improvement, or GA / GZ "
            "for maintenance care (with / without a signed ABN).",
            Field.MODIFIERS,
        )


def _at_with(line: Line, ctx: Context, others: list[str]) -> Hit:
    """AT with GA, GX, GY or GZ: the line's contractor's edit (an error), or another's."""
    edits = ctx.value(AT_WITH_MODIFIERS)
    day = line.dos or ctx.as_of
    contractors = ctx.contractors(line)
    combined = f"{line.code} carries AT together with {', '.join(others)}"
    fix = ("Use AT alone for active (corrective) treatment; for maintenance care use GA (ABN "
           "signed) or GZ (no ABN) without AT.")
    version = applied_by(edits, contractors, day, lambda mods: not mods.isdisjoint(others))
    if version is not None:
        label = contractor_labels(contractors, ctx.config)
        since = f", dates of service {version.period}" if version.start else ""
        return Hit(line, f"{combined}, which {label} rejects{since}.", fix, Field.MODIFIERS)
    who = enforcers(edits, ctx.config, day, lambda mods: not mods.isdisjoint(others))
    rejected = f"{who} reject such lines" if who else "no contractor is known to reject it"
    return Hit(
        line,
        f"{combined}, which conflict: AT says this is covered active treatment, "
        f"{' / '.join(others)} that a denial is expected ({rejected}); "
        f"{contractor_text(contractors, ctx.config)}.",
        fix, Field.MODIFIERS, at_most=Severity.WARNING)


@rule("NMR303", "medicare-cmt-primary-dx", Severity.ERROR, scope="line", target=Field.DIAGNOSES,
      requires=(Field.DIAGNOSES,), medicare_only=True, codes=CMT_CODES,
      settings=(SUBLUXATION,))
def medicare_cmt_primary_dx(line: Line, ctx: Context) -> Iterator[Hit]:
    """Medicare: a CMT line whose first diagnosis is not a subluxation (M99.00-M99.05).

    What it checks: the first diagnosis of a Medicare CMT line (the line's own, or the visit's
    first when the line has none) is one of M99.00-M99.05.
    Why: Medicare covers manipulation only to correct a subluxation, and contractors reject CMT
    whose primary diagnosis is not the subluxation code; the neuromusculoskeletal condition goes
    second.
    Example: 98940-AT with M54.50 first and M99.03 second.
    Configuration: [diagnoses] subluxation.
    Source (primary): Medicare contractors' chiropractic billing articles (Palmetto GBA: "a
    primary diagnosis of subluxation and a secondary diagnosis that reflects the patient's
    neuromusculoskeletal condition"; WPS billing article A56273); Medicare Benefit Policy
    Manual, Pub. 100-02 ch. 15 §240.1.2 (subluxation). The exact M99.00-M99.05 range is from
    secondary sources (claim-edit changelogs quoting contractor edits).
    Source version: MLN Matters SE1602 revised 2019-05-07; WPS article A56273 and Pub.
    100-02 ch. 15 §240.1.2, as read in 2026 (revisions not recorded).
    """
    if Field.DIAGNOSES in line.unreadable:
        return  # NMR002 reports it
    dx = line.diagnoses
    if not dx:
        visit = ctx.visits().get((line.patient.casefold(), line.dos)) if (
            line.patient and line.dos) else None
        dx = next((other.diagnoses for other in visit or () if other.diagnoses), ())
    if dx and ctx.value(SUBLUXATION).contains(dx[0]):
        return
    yield Hit(
        line,
        f"The first diagnosis of this Medicare {line.code} line is not a subluxation code "
        "(M99.00-M99.05)." if dx else
        f"This Medicare {line.code} line has no diagnosis; it needs a subluxation code first.",
        "Put the subluxation (M99.00-M99.05, by spinal region) first and the condition it "
        "causes second.",
    )


@rule("NMR304", "therapy-modifier-missing", Severity.ERROR, scope="line", target=Field.CODE,
      requires=(Field.PAYER, Field.MODIFIERS), codes=ALWAYS_THERAPY,
      settings=(DISCIPLINE_MODIFIERS,))
def therapy_modifier_missing(line: Line, ctx: Context) -> Iterator[Hit]:
    """An always-therapy code without GP, GO or GN, for a payer that requires them.

    What it checks: for payers whose profile sets `discipline_modifiers` (Medicare and Medicare
    Advantage by default), a line with an always-therapy code that carries none of GP (physical
    therapy), GO (occupational therapy) or GN (speech-language pathology).
    Why: Medicare requires a discipline modifier on every always-therapy code, whoever
    furnishes it; lines without one are returned as unprocessable.
    Example: Medicare, 97112 x2 with no modifier.
    Configuration: per profile `discipline_modifiers`; [codes] always_therapy.
    Source (primary): Medicare Claims Processing Manual, Pub. 100-04 ch. 5 §20.1; CMS CR 10176
    (always therapy codes need GN, GO or GP); Palmetto GBA (therapy codes from a chiropractor
    still need GP with GY).
    Source version: Pub. 100-04 ch. 5 §20.1 and CR 10176, as read in 2026.
    """
    required = ctx.value(DISCIPLINE_MODIFIERS, ctx.profile(line))
    if required and _DISCIPLINE.isdisjoint(line.modifiers):
        yield Hit(
            line,
            f"{line.code} is an always-therapy code billed without GP, GO or GN.",
            "Add GP for physical therapy (GO occupational, GN speech) as the plan of care "
            "says.",
        )


@rule("NMR305", "assistant-modifier-missing", Severity.ERROR, scope="line", target=Field.CODE,
      requires=(Field.PROVIDER_TYPE, Field.MODIFIERS), medicare_only=True)
def assistant_modifier_missing(line: Line, ctx: Context) -> Iterator[Hit]:
    """Medicare: a PTA or OTA line without CQ or CO.

    What it checks: Medicare lines rendered by a physical therapist assistant without CQ, or by
    an occupational therapy assistant without CO, for dates of service from 2020-01-01, when
    the modifiers became required.
    Why: Medicare requires CQ / CO on therapy furnished in whole or in part by an assistant:
    the assistant furnished more than 10% of the service (the de minimis standard, applied to
    each 15-minute unit of a timed code). For dates of service from 2022-01-01 Medicare pays
    those services at 85% of the amount otherwise paid; in 2020 and 2021 the modifiers were
    required without the reduction. Leaving the modifier off misreports who furnished the
    service and, from 2022, overbills. A line that names the assistant as its provider is taken
    as the assistant's service.
    Example: Medicare, 97110-GP x2 rendered by a PTA on 2026-03-02.
    The assistant is known by the credential only (a credential column, or the end of the
    provider's name: "Erin Walsh, PTA"): a discipline (PT, OT) does not tell a therapist from
    an assistant. The message says which source it used.
    Configuration: [provider_types] pt_assistant and ot_assistant.
    Source (primary): Social Security Act §1834(v), added by the Bipartisan Budget Act of 2018
    §53107 (modifier required from 2020-01-01; payment at 85% from 2022-01-01); CMS "Billing
    Examples Using CQ/CO Modifiers for Services Furnished In Whole or In Part by PTAs and OTAs"
    (therapy services page); CY 2019 PFS final rule (83 FR 59654-59660) and CY 2020 PFS final
    rule (84 FR 62702-62707: the 10% de minimis standard); Pub. 100-04 ch. 5 §20.1.
    Source version: CMS CQ/CO billing examples page as read 2026-12 (its revision not
    recorded); the CY 2022 PFS final rule's per-unit refinements read only through secondary
    summaries.
    """
    if line.dos is not None and line.dos < _ASSISTANT_MODIFIERS_FROM:
        return  # the modifiers were not yet required
    role, source = ctx.role(line)
    needed = {"pt_assistant": "CQ", "ot_assistant": "CO"}.get(role or "")
    if needed and line.code and needed not in line.modifiers:
        who = "physical therapist assistant" if needed == "CQ" else "occupational therapy assistant"
        paid = ("Medicare pays such services at 85%." if line.dos is None
                or line.dos >= _ASSISTANT_REDUCTION_FROM else
                "the 85% payment for them began only in 2022.")
        yield Hit(
            line,
            f"{line.code} is recorded as given by a {who} ({source}) but lacks {needed}.",
            f"Add {needed}: it is required when the {who} furnished the service in whole or "
            f"in part (more than 10% of it, the de minimis standard); {paid}",
        )


@rule("NMR306", "ncci-pair-without-modifier", Severity.ERROR, scope="table", target=Field.CODE,
      requires=(Field.PATIENT, Field.DOS, Field.MODIFIERS), settings=(DISTINCT_MODIFIERS,))
def ncci_pair_without_modifier(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """Two codes on one visit that form an NCCI pair, without the modifier the pair needs.

    What it checks: on one visit, a column-2 code billed with its column-1 code. Modifier
    indicator 0: the column-2 line is an error in any case. Indicator 1: an error unless the
    column-2 line carries 59, XE, XS, XP or XU. An edit applies only on dates of service between
    its effective and deletion dates (a CMS file's rows; `from`/`until` of an [[ncci]] pair);
    when several quarters' files are loaded, a row they repeat is taken from the newest, and of
    a pair's rows the one in force on the date of service counts. Indicator 9 means not
    applicable.
    Why: NCCI procedure-to-procedure edits deny the column-2 code when both are billed on the
    same day for the same patient, unless a modifier shows the services were distinct (a
    separate region or session) and the notes support it.
    Example: 98940-AT and 97140 on one visit without 59 or XS on the 97140 line.
    Configuration: [[ncci]] pairs in rules.toml (secondary-source pairs, undated), or the CMS
    practitioner PTP files with [settings] ncci_file or `--ncci FILE` (repeatable: CMS's four
    files, several quarters); [modifiers] distinct. A sheet whose dates of service are after the
    loaded files' quarter says so (load the current quarter's files).
    Source (primary): CMS NCCI procedure-to-procedure edits and MLN1783722 (modifiers 59 and
    X{EPSU}). Only secondary sources were found for the bundled pairs (APTA, WebPT, EliteCME and
    chiropractic billing articles): no CMS PTP row for a therapy or CMT pair could be read. They
    put the re-evaluation 97164 in column 2 under 97530 and 97150 (the modifier goes on 97164).
    There is no confirmed 97112/97530 edit, nor a 97124/97140 one, so none is shipped.
    Source version: the CMS practitioner PTP files loaded (each row's effective and deletion
    dates); the bundled pairs are undated (secondary sources of 2015-2020, reviewed
    2026-12-06); MLN1783722 as read in 2026.
    """
    ncci = ctx.config.ncci
    distinct = ctx.value(DISTINCT_MODIFIERS)
    for visit in ctx.visits().values():
        codes = {line.code for line in visit}
        for line in visit:
            for edit in ncci.get(line.code or "", ()):
                if edit.column1 not in codes or not edit.applies_on(line.dos):  # type: ignore[arg-type]
                    continue
                if edit.indicator == 1 and not distinct.isdisjoint(line.modifiers):
                    continue
                source = f" (edit source: {edit.source})" if edit.source else ""
                if edit.indicator == 0:
                    yield Hit(
                        line,
                        f"{line.code} cannot be billed with {edit.column1} on the same visit; "
                        f"no modifier overrides this edit{source}.",
                        f"Bill {edit.column1} alone for this visit, or correct the codes.",
                    )
                else:
                    yield Hit(
                        line,
                        f"{line.code} is billed with {edit.column1} on the same visit without a "
                        f"distinct-service modifier{source}.",
                        "If the notes show a distinct service, add the modifier that fits: XS "
                        "(separate body region), XE (separate session), XU (unusual, "
                        "non-overlapping service), or 59 when none fits; otherwise do not bill "
                        "it.",
                    )
                break  # one finding per line is enough


@rule("NMR307", "conflicting-distinct-modifiers", Severity.WARNING, scope="line",
      target=Field.MODIFIERS, requires=(Field.MODIFIERS,))
def conflicting_distinct_modifiers(line: Line, ctx: Context) -> Iterator[Hit]:
    """59 together with XE, XS, XP or XU on the same line.

    What it checks: a line that carries modifier 59 and one of the X{EPSU} modifiers.
    Why: the X modifiers are more specific subsets of 59; CMS says not to report them together
    on the same line.
    Example: 97140-59-XS.
    Configuration: none.
    Source (primary): CMS MLN1783722, proper use of modifiers 59 and X{EPSU}.
    Source version: MLN1783722 as read in 2026 (revision not recorded).
    """
    x_mods = sorted({"XE", "XS", "XP", "XU"}.intersection(line.modifiers))
    if "59" in line.modifiers and x_mods:
        yield Hit(
            line,
            f"{line.code or 'This line'} carries 59 together with {', '.join(x_mods)}.",
            f"Keep the more specific {x_mods[0]} and remove 59.",
        )


def _certified_by_chiropractor(certifier: str, config: Config) -> bool:
    # "Dr. Ann Lee, DC" -> try the whole text, then each part ("DC").
    parts = [certifier, *certifier.replace(",", " ").split()]
    return any(config.role_of(part) == "chiropractor" for part in parts)


@rule("NMR308", "plan-of-care", Severity.ERROR, scope="table", target=Field.DOS,
      requires=(Field.POC_START, Field.POC_END), settings=(ALWAYS_THERAPY,))
def plan_of_care(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """Date of service outside the plan of care; Medicare plan too long or certified by a DC.

    What it checks: when the sheet has plan-of-care start and end columns: a date of service
    outside the plan's dates (any payer); for Medicare therapy lines (always-therapy codes), a
    date of service more than 90 days into the plan (day 91 on, counting the start day) without
    a new certification, and a plan certified by a chiropractor (when a certifier column
    exists), reported once per plan, on its first line in the sheet.
    Why: therapy is covered only under a current, certified plan of care. Medicare certifies
    plans for at most 90 days, and certification is a physician's or NPP's: a chiropractor is
    not a physician for therapy services and may neither refer for therapy nor establish a
    therapy plan of care.
    Example: DOS 2026-04-02 with a plan of 2026-01-02 to 2026-03-31; a Medicare therapy plan
    certified by "Dr. Lee, DC".
    Configuration: [columns] poc_start, poc_end and certifier; [codes] always_therapy.
    Source (primary): Medicare Benefit Policy Manual, Pub. 100-02 ch. 15 §220, A. Definitions:
    "PHYSICIAN" (chiropractors "may neither refer patients for rehabilitation therapy services
    nor establish therapy plans of care"), "CERTIFICATION" (the physician's or NPP's approval of
    the plan) and "INTERVAL" (a certification interval of 90 calendar days or less); §220.1.2
    (establishing the plan) and §220.1.3 (certification).
    Source version: Pub. 100-02 ch. 15 §220 (A. Definitions) and §220.1.2-§220.1.3, read in
    an older undated verbatim copy; the current chapter, Rev. 13774 of 05-08-26, not
    re-checked.
    """
    plans_seen: set[tuple[object, ...]] = set()
    for line in lines:
        start, end = line.poc_start, line.poc_end
        if line.dos and start and end and not start <= line.dos <= end:
            days = (start - line.dos).days if line.dos < start else (line.dos - end).days
            yield Hit(
                line,
                "The date of service is outside this line's plan of care "
                f"({days} day{'' if days == 1 else 's'} "
                f"{'before it starts' if line.dos < start else 'after it ends'}).",
                "Bill only within a current plan of care: get the plan recertified (or a new "
                "plan certified) to cover this date.",
            )
        if not ctx.profile(line).medicare or line.code not in ctx.value(ALWAYS_THERAPY,
                                                                        on=line.dos):
            continue  # certification (90 days, not by a DC) is about therapy plans, not CMT
        day = (line.dos - start).days + 1 if line.dos and start else 0
        if day > _PLAN_DAYS:
            yield Hit(
                line,
                f"This date of service is day {day} of its Medicare plan of care; a "
                f"certification covers at most {_PLAN_DAYS} days.",
                "Get the plan recertified (signed by the physician or NPP) to cover this date; "
                "then record the new plan dates.",
                Field.POC_START,
            )
        plan = ((line.patient or "").casefold(), start, end, line.certifier)
        if plan not in plans_seen:
            plans_seen.add(plan)
            yield from _certified_by_dc(line, ctx)


def _certified_by_dc(line: Line, ctx: Context) -> Iterator[Hit]:
    if line.certifier and _certified_by_chiropractor(line.certifier, ctx.config):
        yield Hit(
            line,
            "This Medicare therapy plan of care is certified by a chiropractor, who may not "
            "certify therapy plans.",
            "Have the patient's physician or non-physician practitioner (MD, DO, NP, PA, CNS) "
            "certify the plan.",
            Field.CERTIFIER,
        )


def _progress_dates(lines: list[Line], re_evaluations: frozenset[str]) -> set[dt.date]:
    reports: set[dt.date] = set()
    for line in lines:
        if line.dos and (line.progress_report is True or line.code in re_evaluations):
            reports.add(line.dos)  # a re-evaluation includes everything a progress report does
        elif isinstance(line.progress_report, dt.date):
            reports.add(line.progress_report)
    return reports


@rule("NMR309", "progress-report-due", Severity.WARNING, scope="table", target=Field.DOS,
      requires=(Field.PROGRESS_REPORT, Field.PATIENT, Field.DOS), medicare_only=True,
      settings=(ALWAYS_THERAPY, RE_EVALUATION))
def progress_report_due(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """Medicare: more than 10 treatment days since the last progress report.

    What it checks: when the sheet has a progress-report column (yes on the visit a report was
    written, or the date of the last report): for each Medicare patient, the therapy treatment
    days since the last report (or since the first treatment day). From the 11th day without a
    report, the day's first therapy line is flagged.
    Why: Medicare requires a progress report by a therapist at least once every 10 treatment
    days; services in a period without one lack the documentation to support them. A
    re-evaluation (97164, 97168) counts as a progress report.
    Example: a Medicare patient's 11th therapy visit with no report since the evaluation.
    Configuration: [columns] progress_report; [codes] always_therapy and re_evaluation.
    Source (primary): Medicare Benefit Policy Manual, Pub. 100-02 ch. 15 §220.3 (progress report
    at least once every 10 treatment days).
    Source version: Pub. 100-02 ch. 15 §220.3, read in an older undated verbatim copy (the
    current revision not re-checked).
    """
    by_patient: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        if line.patient and line.dos and ctx.enabled("NMR309", line):
            by_patient[line.patient.casefold()].append(line)
    for patient_lines in by_patient.values():
        reports = _progress_dates(patient_lines, ctx.value(RE_EVALUATION))
        days: dict[dt.date, Line] = {}
        for line in patient_lines:
            if line.code in ctx.value(ALWAYS_THERAPY, on=line.dos):
                days.setdefault(line.dos, line)  # type: ignore[arg-type]
        pending = sorted(reports)
        index = since = 0
        for day in sorted(days):
            while index < len(pending) and pending[index] < day:
                since, index = 0, index + 1  # a report dated before this day closed the period
            since += 1
            if index < len(pending) and pending[index] == day:
                since, index = 0, index + 1  # a report written on this day closes the period
            elif since > _PROGRESS_DAYS:
                yield Hit(
                    days[day],
                    f"This is treatment day {since} since the last progress report; Medicare "
                    f"requires one at least every {_PROGRESS_DAYS} treatment days.",
                    "Have the therapist write a progress report (and participate in this "
                    "visit's treatment) before billing more days.",
                )

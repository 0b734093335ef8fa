"""NMR2xx — neuromuscular re-education (97112): attendance, content, provider, diagnosis, payer."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from nmr_xl.config.model import DxFamilies, Profile
from nmr_xl.config.schema import Setting, is_bool, is_pos_int, is_str, is_str_list
from nmr_xl.model import Field, Line, Severity
from nmr_xl.normalize import Phrases
from nmr_xl.rules.common import code_set
from nmr_xl.rules.registry import Context, Hit, rule

NMR_CODES = Setting("codes.nmr", is_str_list, code_set,
                    "The neuromuscular re-education codes the NMR2xx rules check.")
GROUP_THERAPY = Setting("codes.group_therapy", is_str, str,
                        "Suggested instead of 97112 when therapy was given to a group.")
THERAPEUTIC_EXERCISE = Setting("codes.therapeutic_exercise", is_str, str,
                               "Suggested instead of 97112 for strength / range-of-motion work.")
MANUAL_THERAPY = Setting("codes.manual_therapy", is_str, str,
                         "The manual therapy code: suggested instead of 97112 for hands-on "
                         "muscle work; NMR313 checks it against massage on one visit.")
MASSAGE = Setting("codes.massage", is_str, str,
                  "The massage code: suggested instead of 97112 for massage; NMR313 checks it "
                  "against manual therapy on one visit.")
UNQUALIFIED_ROLES = Setting(
    "nmr.unqualified_roles", is_str_list, frozenset[str],
    "Roles (of [provider_types]) that may not render 97112.",
    refers_to=("provider_types", "a role"))
ASSISTANT_QUALIFIED = Setting(
    "nmr.chiropractic_assistant_qualified", is_bool, bool,
    "Whether a trained chiropractic assistant may render 97112 under supervision (your "
    "state's rule).")
NEUROMUSCULAR = Setting(
    "diagnoses.neuromuscular", is_str_list, DxFamilies,
    'ICD-10-CM families taken as neuromuscular: "I60-I69" is a range of 3-character '
    'categories, anything else ("M21.37") a prefix.')
EPISODE_GAP_DAYS = Setting(
    "settings.episode_gap_days", is_pos_int, int,
    "A 97112 visit more than this many days after the previous one starts a new episode.")
NMR_VISIT_LIMIT: Setting[int | None] = Setting(
    "nmr_visit_limit", is_pos_int, lambda v: v,
    "Most 97112 visits in one episode for this payer (left out: no limit). Dated: a version "
    "per policy revision.", profile=True, dated=True)
NMR_WINDOW_DAYS: Setting[int | None] = Setting(
    "nmr_window_days", is_pos_int, lambda v: v,
    "Days from the episode's first 97112 visit within which this payer expects the course "
    "(left out: no limit). Dated: a version per policy revision.", profile=True, dated=True)
NMR_EXCLUDED = Setting("nmr_excluded", is_bool, bool,
                       "The payer does not cover 97112. Dated: a version per policy revision.",
                       profile=True, absent=False, dated=True)


def _phrases(key: str, docs: str) -> Setting[Phrases]:
    return Setting(f"keywords.{key}", is_str_list, Phrases, docs)


NOT_ONE_ON_ONE = _phrases("not_one_on_one", "Phrases in the notes that say the patient was "
                          "not attended one-on-one (unattended, on own while, in a group).")
GROUP_EXCEPTIONS = _phrases("group_exceptions",
                            "Phrases that make a not_one_on_one phrase harmless.")
MUSCLE_WORK = _phrases("muscle_work", "Phrases for massage, soft-tissue and other hands-on "
                       "muscle work.")
MUSCLE_WORK_EXCEPTIONS = _phrases("muscle_work_exceptions", "Exam findings and diagnoses "
                                  "that read like muscle work but are not treatment.")
STRETCHING = _phrases("stretching", "Stretching: muscle work when a massage therapist "
                      "bills it.")
PASSIVE_DEVICE = _phrases("passive_device", "Wobble-chair, vibration-plate and similar "
                          "device work.")
PASSIVE_DEVICE_EXCEPTIONS = _phrases("passive_device_exceptions",
                                     "Exam findings, not device work.")
STRENGTH_OR_ROM = _phrases("strength_or_rom", "Strength, endurance, range-of-motion and "
                           "flexibility work (therapeutic exercise).")
STRENGTH_OR_ROM_EXCEPTIONS = _phrases("strength_or_rom_exceptions", "Phrases that look like "
                                      "strengthening but are not.")
NMR_ACTIVITY = _phrases("nmr_activity", "Neuromuscular re-education work itself (balance, "
                        "proprioception, motor control): a finding that flags the notes also "
                        "names it.")


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _notes_phrase(line: Line, ctx: Context, phrases: Setting[Phrases],
                  exceptions: Setting[Phrases] | None = None) -> str | None:
    """The first phrase of a [keywords] list in the line's notes, its exceptions blanked out."""
    if not line.notes:
        return None
    ignore = ctx.value(exceptions) if exceptions else None
    return ctx.value(phrases).find(line.notes, ignore=ignore)


def _also_nmr(line: Line, ctx: Context) -> str:
    """", though the notes also describe balance board work" when they do."""
    found = _notes_phrase(line, ctx, NMR_ACTIVITY)
    return f" The notes also describe \"{found}\", which is neuromuscular re-education." \
        if found else ""


@rule("NMR201", "nmr-not-one-on-one", Severity.ERROR, scope="line", target=Field.ONE_ON_ONE,
      codes=NMR_CODES, settings=(NOT_ONE_ON_ONE, GROUP_EXCEPTIONS, GROUP_THERAPY))
def nmr_not_one_on_one(line: Line, ctx: Context) -> Iterator[Hit]:
    """97112 given without one-on-one attendance.

    What it checks: a 97112 line whose one-on-one / attendance cell says no (or group), or whose
    notes say the patient worked unattended, independently, on their own or in a group.
    Why: 97112 is a therapeutic procedure that requires direct one-on-one contact for the whole
    time billed. Group work is 97150; unattended exercise is not billable as 97112.
    Example: 97112 x2 with notes "balance circuit on own while DC treated next patient".
    Configuration: [attendance] yes / no (how the attendance cell is read); [keywords]
    not_one_on_one and group_exceptions; [codes] group_therapy.
    Source (secondary): the seed article ("it requires complete one-on-one attendance");
    Medicare Claims Processing Manual, Pub. 100-04 ch. 5 §20.2 (timed codes are direct
    one-on-one); the CPT descriptor of 97150 (group) is AMA copyright and not quoted.
    Source version: the seed article "NMR Code 97112: Friend or Foe?" (KMC University,
    undated), read 2026.
    """
    group = ctx.value(GROUP_THERAPY)
    fix = (f"97112 needs one-on-one attendance for the whole time billed. For a group session "
           f"bill {group} (group therapy); unattended time is not billable as 97112.")
    if line.one_on_one is False:
        yield Hit(line, "97112 is marked as not one-on-one.", fix, Field.ONE_ON_ONE)
        return
    found = _notes_phrase(line, ctx, NOT_ONE_ON_ONE, GROUP_EXCEPTIONS)
    if found:
        yield Hit(line, f"The notes say \"{found}\": 97112 must be one-on-one.", fix, Field.NOTES)


@rule("NMR202", "nmr-for-muscle-work", Severity.WARNING, scope="line", target=Field.NOTES,
      requires=(Field.NOTES,), codes=NMR_CODES,
      settings=(MUSCLE_WORK, MUSCLE_WORK_EXCEPTIONS, STRETCHING, NMR_ACTIVITY, MANUAL_THERAPY,
                MASSAGE))
def nmr_for_muscle_work(line: Line, ctx: Context) -> Iterator[Hit]:
    """97112 billed for massage or other hands-on muscle work.

    What it checks: a 97112 line whose notes describe massage, soft-tissue or myofascial work,
    trigger points, instrument-assisted work (IASTM, Graston) or effleurage, or stretching by a
    massage therapist.
    Why: 97112 is for re-training the nervous system's control of movement and balance; the AMA has
    said it is not for massage or muscle work. Hands-on soft-tissue work is 97140 (manual
    therapy) or 97124 (massage).
    Example: 97112 x1, notes "trigger point work upper traps, IASTM".
    Configuration: [keywords] muscle_work, muscle_work_exceptions and stretching (the message
    also names neuromuscular re-education work the notes describe: nmr_activity);
    [provider_types] massage_therapist;
    [codes] manual_therapy and massage.
    Source (secondary): the seed article (AMA clarification quoted there: 97112 "is not intended
    to identify massage"; "don't use 97112 for muscle-related work").
    Source version: the seed article (undated), read 2026.
    """
    found = _notes_phrase(line, ctx, MUSCLE_WORK, MUSCLE_WORK_EXCEPTIONS)
    if not found and ctx.role(line)[0] == "massage_therapist":
        found = _notes_phrase(line, ctx, STRETCHING)
        found = found and f"{found} by a massage therapist"
    if found:
        yield Hit(
            line,
            f"The notes describe {found}: muscle work, not neuromuscular re-education."
            + _also_nmr(line, ctx),
            f"Bill hands-on soft-tissue work as {ctx.value(MANUAL_THERAPY)} (manual therapy) or "
            f"{ctx.value(MASSAGE)} (massage); keep 97112 for one-on-one re-training of balance and "
            "movement control, and document that.",
        )


@rule("NMR203", "nmr-passive-device", Severity.WARNING, scope="line", target=Field.NOTES,
      requires=(Field.NOTES,), codes=NMR_CODES,
      settings=(PASSIVE_DEVICE, PASSIVE_DEVICE_EXCEPTIONS))
def nmr_passive_device(line: Line, ctx: Context) -> Iterator[Hit]:
    """97112 billed for wobble-chair, vibration-plate or similar device work.

    What it checks: a 97112 line whose notes describe a wobble chair, vibration plate,
    whole-body vibration or similar device.
    Why: patients on these devices usually use them without one-on-one attendance and without
    documentation of why; billing that time as 97112 is a known audit target.
    Example: 97112 x1, notes "10 min wobble chair".
    Configuration: [keywords] passive_device and passive_device_exceptions.
    Source (secondary): the seed article ("using code 97112 is problematic" for wobble chair or
    vibration plate work).
    Source version: the seed article (undated), read 2026.
    """
    found = _notes_phrase(line, ctx, PASSIVE_DEVICE, PASSIVE_DEVICE_EXCEPTIONS)
    if found:
        yield Hit(
            line,
            f"The notes describe {found} work, usually done without one-on-one attendance.",
            "Bill 97112 only for time you spent one-on-one retraining the patient, and "
            "document why; unattended device time is not 97112.",
        )


@rule("NMR204", "nmr-provider-not-qualified", Severity.ERROR, scope="line",
      target=Field.PROVIDER_TYPE, requires=((Field.PROVIDER_TYPE, Field.DISCIPLINE),),
      codes=NMR_CODES, settings=(UNQUALIFIED_ROLES, ASSISTANT_QUALIFIED))
def nmr_provider_not_qualified(line: Line, ctx: Context) -> Iterator[Hit]:
    """97112 rendered by a provider type that may not provide it.

    What it checks: a 97112 line whose provider's credential is one the rules file lists as not
    qualified (massage therapists, aides and technicians by default), or a chiropractic
    assistant where the rules file says assistants may not render it. The credential is read
    from a credential column, else from the end of the provider's name ("Dana Cole, LMT");
    without either, a massage-therapy discipline counts as a massage therapist. The message
    says which it used.
    Why: 97112 must be given by a qualified clinician (or, where state rules allow, a trained
    assistant under supervision); services by unqualified staff are not billable as therapy.
    Example: 97112 x2 with credential "LMT".
    Configuration: [nmr] unqualified_roles and chiropractic_assistant_qualified (your state's
    rule); [provider_types] how each role is spelled; [discipline_roles].
    Source (secondary): the seed article ("Depending on your state rule, that could mean with
    the doctor or a qualified and properly trained team member"); state practice acts decide
    assistants.
    Source version: the seed article (undated), read 2026.
    """
    role, source = ctx.role(line)
    if role in ctx.value(UNQUALIFIED_ROLES):
        yield Hit(
            line,
            f"97112 is recorded as given by {_a(role.replace('_', ' '))} ({source}), who may "
            "not provide it.",
            "Bill 97112 only when a qualified clinician gave it; if someone else did the "
            "work, do not bill it as 97112 under a clinician's name.",
        )
    elif role == "chiropractic_assistant" and not ctx.value(ASSISTANT_QUALIFIED):
        yield Hit(
            line,
            f"97112 is recorded as given by a chiropractic assistant ({source}); whether that "
            "is allowed depends on your state's rule.",
            "If your state lets a trained assistant give it under supervision, set "
            "[nmr] chiropractic_assistant_qualified = true in your rules file; otherwise bill "
            "it only when the doctor gave it.",
        )


@rule("NMR205", "nmr-dx-not-neuromuscular", Severity.WARNING, scope="table",
      target=Field.DIAGNOSES, requires=(Field.DIAGNOSES,), settings=(NMR_CODES, NEUROMUSCULAR))
def nmr_dx_not_neuromuscular(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """97112 without a neuromuscular diagnosis on the line or the visit.

    What it checks: no diagnosis on a 97112 line, nor on any line of the same visit, falls in
    the neuromuscular families of the rules file. Musculoskeletal chiropractic codes alone
    (M54.x, M99.0x, S13.4, S33.5, M62.830, M25.5x) do not support it.
    Why: payers cover 97112 for impairments of the neuromuscular system (stroke, nervous-system
    injury or disease, balance and coordination loss). A back-pain or subluxation diagnosis
    alone invites a medical-necessity denial.
    Example: 97112 x2 with diagnoses M54.50, M99.03 only.
    Configuration: [diagnoses] neuromuscular ("I60-I69" ranges and "M21.37" prefixes).
    Source (secondary): our inference from payer policy wording (Aetna CPB 0325 as quoted in the
    seed article, and its current text: balance, coordination, motor control, fall prevention;
    the AMA vignette of a stroke patient). The default code families are not a published list:
    no MAC LCD or article listing diagnoses for 97112 was found. Generalized muscle weakness
    (M62.81) is not in it: a musculoskeletal code, and a strengthening (97110) indication; nor
    are the nervous-system codes for headache and migraine (G43-G44), sleep disorders (G47) and
    pain (G89), which describe no impairment of movement or balance. Review the list for your
    payers.
    Source version: Aetna CPB 0325 as quoted in the seed article (before the 10/29/2025
    revision) and its review of 06/02/2026; the default list reviewed 2026-12-06.
    """
    nmr_codes = ctx.value(NMR_CODES)
    families = ctx.value(NEUROMUSCULAR)
    visit_dx: dict[int, tuple[str, ...]] = {}
    for visit in ctx.visits().values():
        dx = tuple(d for line in visit for d in line.diagnoses)
        for line in visit:
            visit_dx[id(line)] = dx
    for line in lines:
        if line.code not in nmr_codes or Field.DIAGNOSES in line.unreadable:
            continue  # an unreadable diagnosis is NMR002's
        dx = line.diagnoses + visit_dx.get(id(line), ())
        if any(families.contains(d) for d in dx):
            continue
        if dx:
            message = "None of the diagnoses on this line or its visit is a neuromuscular one."
        else:
            message = "No diagnosis is recorded for this 97112 line or its visit."
        yield Hit(
            line,
            message,
            "Link 97112 to the neuromuscular diagnosis that makes it necessary (e.g. balance or "
            "coordination loss, nerve injury, stroke); if there is none, the service is "
            "probably 97110 or 97140.",
        )


@rule("NMR206", "nmr-for-strength-or-rom", Severity.WARNING, scope="line", target=Field.NOTES,
      requires=(Field.NOTES,), codes=NMR_CODES,
      settings=(STRENGTH_OR_ROM, STRENGTH_OR_ROM_EXCEPTIONS, NMR_ACTIVITY, THERAPEUTIC_EXERCISE))
def nmr_for_strength_or_rom(line: Line, ctx: Context) -> Iterator[Hit]:
    """97112 billed for strengthening, endurance, range-of-motion or flexibility work.

    What it checks: a 97112 line whose notes describe strength, endurance, range of motion or
    flexibility work.
    Why: that work is therapeutic exercise, 97110. 97112 is for re-training the nervous
    system's control of movement and balance (a function the patient has lost), not for
    building strength or motion.
    Example: 97112 x2, notes "core strengthening, ROM exercises".
    Configuration: [keywords] strength_or_rom and strength_or_rom_exceptions (the message also
    names neuromuscular re-education work the notes describe: nmr_activity); [codes]
    therapeutic_exercise.
    Source (secondary): the seed article (strength, endurance, range of motion and flexibility
    exercises are "accurately described using code 97110").
    Source version: the seed article (undated), read 2026.
    """
    found = _notes_phrase(line, ctx, STRENGTH_OR_ROM, STRENGTH_OR_ROM_EXCEPTIONS)
    if found:
        exercise = ctx.value(THERAPEUTIC_EXERCISE)
        yield Hit(
            line,
            f"The notes describe \"{found}\" work, which is therapeutic exercise."
            + _also_nmr(line, ctx),
            f"Bill strength, endurance, range-of-motion and flexibility work as {exercise}; "
            "keep 97112 for re-training balance and movement control.",
        )


@rule("NMR207", "nmr-visit-frequency", Severity.WARNING, scope="table", target=Field.DOS,
      requires=(Field.PATIENT, Field.DOS, Field.PAYER),
      settings=(NMR_CODES, EPISODE_GAP_DAYS, NMR_VISIT_LIMIT, NMR_WINDOW_DAYS))
def nmr_visit_frequency(lines: list[Line], ctx: Context) -> Iterator[Hit]:
    """More 97112 visits, or a longer course, than the payer's standard.

    What it checks: per patient and payer, 97112 visits are grouped into episodes (a gap of more
    than `episode_gap_days` starts a new one). Visits after the payer's `nmr_visit_limit`, and
    visits more than `nmr_window_days` after the episode's first 97112 visit, are flagged. The
    standard is the one in force on each visit's date of service: a payer that drops its
    standard stops the findings from that date, while earlier visits still count toward the
    episode.
    Why: some payers state a standard course for 97112 and deny visits beyond it without
    documentation of continued medical necessity. Aetna's bulletin did (12 to 18 visits within
    4 to 6 weeks) until its revision of 2025-10-29, which describes neuromuscular re-education
    without a visit standard.
    Example: Aetna patient, 97112 on a 19th visit in September 2025, or 50 days after the first
    97112 visit; the same course in 2026 is not flagged.
    Configuration: per profile `nmr_visit_limit` and `nmr_window_days`, plain or as dated
    versions (Aetna: 18 and 42 until 2025-10-28, none from 2025-10-29); [settings]
    episode_gap_days (default 60, our assumption).
    Source (secondary): Aetna Clinical Policy Bulletin 0325, Physical Therapy, before its
    2025-10-29 revision, as quoted in the seed article (the bulletin text itself not seen; when
    the standard entered it is unknown). The revision date is from the APTA (2025-11-04) and a
    dated capture of the bulletin ("last review 10/29/2025"); the current text, without a
    standard, was read in the bulletin's 06/02/2026 review (primary, through a verbatim copy).
    Source version: Aetna CPB 0325 before its 10/29/2025 revision (seed article quote,
    undated) and its review of 06/02/2026; the revision date per APTA, 2025-11-04.
    """
    nmr_codes = ctx.value(NMR_CODES)
    gap = ctx.value(EPISODE_GAP_DAYS)
    courses: dict[tuple[str, str], dict[dt.date, list[Line]]] = defaultdict(dict)
    for line in lines:
        if line.code in nmr_codes and line.patient and line.dos:
            key = (line.patient.casefold(), ctx.profile(line).id)
            courses[key].setdefault(line.dos, []).append(line)
    for (_, profile_id), by_date in courses.items():
        profile = ctx.config.profiles[profile_id]
        start = previous = dt.date.min
        count = first_row = 0
        for dos in sorted(by_date):
            if count == 0 or (dos - previous).days > gap:
                start, count, first_row = dos, 0, by_date[dos][0].row
            previous = dos
            count += 1
            problems = _over_standard(ctx, profile, dos, count, (dos - start).days, first_row)
            for line in by_date[dos] if problems else ():
                yield Hit(
                    line,
                    f"This is {problems} for the {profile_id} profile.",
                    "Document continued medical necessity (progress toward the functional "
                    "goal) or get the payer's authorization before billing more 97112.",
                )


def _over_standard(ctx: Context, profile: Profile, dos: dt.date, count: int, days: int,
                   first_row: int) -> str:
    """What exceeds the payer's standard in force on `dos` ("" when nothing does)."""
    limit = ctx.value(NMR_VISIT_LIMIT, profile, on=dos)
    window = ctx.value(NMR_WINDOW_DAYS, profile, on=dos)
    problems = []
    if limit and count > limit:
        problems.append(f"97112 visit {count} of the episode (standard: {limit})")
    if window and days > window:
        problems.append(f"{days} days after the episode's first 97112 visit (row {first_row}; "
                        f"standard: {window} days)")
    if not problems:
        return ""
    version = ctx.version(NMR_VISIT_LIMIT if limit else NMR_WINDOW_DAYS, profile, on=dos)
    when = f", the standard in force {version.period}" if version and version.period != \
        "undated" else ""
    return " and ".join(problems) + when


@rule("NMR208", "payer-excludes-nmr", Severity.ERROR, scope="line", target=Field.CODE,
      requires=(Field.PAYER,), codes=NMR_CODES, settings=(NMR_EXCLUDED,))
def payer_excludes_nmr(line: Line, ctx: Context) -> Iterator[Hit]:
    """97112 billed to a payer whose policy does not cover it.

    What it checks: a 97112 line whose payer resolves to a profile with `nmr_excluded = true`.
    The message names the policy's source as the rules file records it, and while that source
    is only secondary (not confirmed against the payer's own policy) the advice says to check
    the payer's policy first.
    Why: some payers consider neuromuscular re-education investigational or not covered; the
    line will be denied, and the patient may not be billed without a prior written notice.
    Example: 97112 billed to BlueCross BlueShield of Tennessee (the bundled profile's source
    is a secondary copy, and the finding says so). A practice that has read the payer's policy
    gives `nmr_excluded` a version whose source names it.
    Configuration: per profile `nmr_excluded` (dated, each version with its source); the
    bundled `bcbs-tennessee` profile sets it.
    Source (secondary): a BlueCross BlueShield of Tennessee medical policy on neuromuscular
    reeducation calls it investigational; seen only as a secondary copy with no policy number,
    so confirm it against the payer's current policy.
    Source version: a BlueCross BlueShield of Tennessee policy, secondary copy, undated and
    without a policy number.
    """
    profile = ctx.profile(line)
    version = ctx.version(NMR_EXCLUDED, profile, on=line.dos)
    if version is None or not version.value:
        return
    unconfirmed = version.source.casefold().startswith("secondary")
    source = f" Source: {version.source}." if version.source else ""
    yield Hit(
        line,
        f"The payer ({profile.id} profile) is recorded as not covering 97112 "
        f"(investigational / not covered).{source}",
        ("Check the payer's current policy before relying on this: the source above is not "
         "the payer's own policy. " if unconfirmed else "")
        + "If the payer does not cover it, expect a denial, and have the patient sign the "
        "payer's advance notice before the service if you will bill them for it.",
    )


@rule("NMR209", "nmr-missing-goal", Severity.WARNING, scope="line", target=Field.GOAL,
      requires=(Field.GOAL,), codes=NMR_CODES)
def nmr_missing_goal(line: Line, ctx: Context) -> Iterator[Hit]:
    """97112 with its functional-goal / medical-necessity cell left empty.

    What it checks: on a sheet that has a functional-goal or medical-necessity column, a 97112
    line that leaves it blank.
    Why: 97112 needs a documented functional goal (restoring something the patient could do
    before); without it medical necessity cannot be shown.
    Example: 97112 x2 with an empty "Functional Goal" cell.
    Configuration: [columns] goal (the header spellings read as the goal column).
    Source (secondary): the seed article (NMR "relies greatly on the functional goals stated by
    the doctor"); Medicare Benefit Policy Manual, Pub. 100-02 ch. 15 §220.1.2 (plan of care
    goals).
    Source version: the seed article (undated); Pub. 100-02 ch. 15 §220.1.2 as read in 2026
    (revision not recorded).
    """
    if not line.goal:
        yield Hit(
            line,
            "No functional goal / medical necessity is recorded for this 97112 line.",
            "Record the functional goal 97112 works toward (e.g. \"walk 100 ft without loss "
            "of balance\").",
        )

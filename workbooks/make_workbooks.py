"""Generate the two workbooks in this folder.

    python workbooks/make_workbooks.py            # writes next to this script
    python workbooks/make_workbooks.py OUT_DIR    # writes into OUT_DIR

sample-billing.xlsx
    A month of charges from a small, fictional chiropractic and physical-therapy practice, laid
    out like a practice-management export: title rows above the header, its own header
    spellings, real dates next to text dates, numbers stored as text, a charge formula column
    with a totals row, plan-of-care, certifier and progress-report columns on the therapy
    cases, and a fee-schedule sheet that is not a billing table. Designed for
    `nmr-xl check workbooks/sample-billing.xlsx --as-of 2026-03-31`: most lines are clean, and
    every rule fires on purpose somewhere. Comments in SAMPLE mark each line meant to be
    flagged; tests/test_workbooks.py holds the exact (row, rule) pairs expected.

billing-template.xlsx
    A blank billing sheet with the header spellings nmr-xl reads best, number formats, drop-down
    lists and input checks, and an Instructions sheet.

The output is deterministic: no randomness, no dependence on today's date, fixed document
timestamps and fixed timestamps inside the zip package, so regenerating gives the same bytes
with the same openpyxl version. All patients, account numbers, providers and authorization
numbers are invented. CPT descriptors are not quoted anywhere: descriptions are our own words.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from nmr_xl.excel.template import DATE_FORMAT, MONEY_FORMAT, TEMPLATE_COLUMNS

HERE = Path(__file__).resolve().parent
SAMPLE_NAME = "sample-billing.xlsx"
TEMPLATE_NAME = "billing-template.xlsx"

# The export's run time; also the documents' created/modified time and the zip entries' time.
RUN_AT = dt.datetime(2026, 3, 31, 18, 5)
AS_OF = dt.date(2026, 3, 31)  # the date the sample is designed to be checked as of

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="9BAFC4")
HEADER_BORDER = Border(bottom=THIN)


def d(day: int, month: int = 3) -> dt.date:
    return dt.date(2026, month, day)


# --- the practice ---------------------------------------------------------------------------

PRACTICE = "Riverbend Spine & Rehab, PLLC"

# key -> (rendering provider as the export prints it, credential)
PROVIDERS = {
    "KES": ("Kessler, Laura", "DC"),
    "HAL": ("Hale, Marcus", "D.C."),
    "NAT": ("Natarajan, Priya", "DPT"),
    "BEC": ("Becker, Tom", "PTA"),
    "ORT": ("Ortiz, Jenna", "LMT"),
    "SIM": ("Simmons, Kyle", "Rehab Aide"),
    "DEL": ("Delgado, Maria", "CA"),
}

# The practice's own fee schedule (our short descriptions, not CPT descriptors).
FEES: list[tuple[str, str, float, str]] = [
    ("97112", "Neuromuscular re-education", 68.00, "Yes"),
    ("97110", "Therapeutic exercise", 58.00, "Yes"),
    ("97116", "Gait training", 58.00, "Yes"),
    ("97140", "Manual therapy", 52.00, "Yes"),
    ("97530", "Therapeutic activities", 64.00, "Yes"),
    ("97150", "Group therapy session", 32.00, "No"),
    ("97161", "PT evaluation, low complexity", 165.00, "No"),
    ("97010", "Hot or cold pack", 22.00, "No"),
    ("97012", "Mechanical traction", 30.00, "No"),
    ("97014", "Electrical stimulation, unattended", 24.00, "No"),
    ("98940", "Spinal manipulation, 1-2 regions", 48.00, "No"),
    ("98941", "Spinal manipulation, 3-4 regions", 62.00, "No"),
    ("99203", "New patient visit, low", 145.00, "No"),
    ("99213", "Established patient visit, low", 115.00, "No"),
]
RATE = {code: fee for code, _, fee, _ in FEES}

# Codes whose lines carry the patient's functional goal, and that are billed one-on-one.
GOAL_CODES = {"97112", "97110", "97116", "97140", "97530", "97150", "97161"}
TIMED = {"97112", "97110", "97116", "97140", "97530"}

AUTO = object()  # "work it out from the code" for goal and one-on-one cells


@dataclass(frozen=True)
class Patient:
    acct: str
    name: str
    payer: str
    dx: tuple[str, ...]
    goal: str
    numeric_codes: bool = False  # this patient's codes were typed as numbers, not text
    poc: tuple[dt.date, dt.date] | None = None  # therapy plan of care: start, end
    certifier: str | None = None  # who certified the plan of care


@dataclass(frozen=True)
class Svc:
    """One billing line as typed into the export."""

    dos: dt.date | str  # a str is stored as text, exactly as typed
    code: str  # the CPT cell as typed; may carry modifiers ("98941-AT")
    prov: str
    units: int | str | None = 1  # a str is a number stored as text
    minutes: int | str | None = None
    mods: tuple[str, ...] = ()  # Mod 1, Mod 2, Mod 3
    notes: str = ""
    one: object = AUTO  # 1:1 cell; AUTO: "Y" on timed codes, blank otherwise
    goal: object = AUTO  # AUTO: the patient's goal on therapy codes, blank otherwise
    rate_code: str | None = None  # fee-schedule code when the CPT cell is mistyped
    dx: tuple[str, ...] | None = None  # this line's diagnoses when not the patient's usual ones
    report: str | None = None  # Progress Report cell: "Y" on a visit with a progress report


def _c(code: str) -> str:
    """The 5-character code of a CPT cell as typed ("98941-AT" -> "98941")."""
    return code[:5]


# --- the sample: patients and their lines ---------------------------------------------------
# Sorted by account, then date of service, as the "Charge Detail by Patient" report prints.
# Comments mark every line that is meant to be flagged; everything else is meant to be clean,
# also under the payer and modifier rules (NMR3xx): GP on every therapy line for Medicare and
# Medicare Advantage, CQ on Medicare PTA lines, AT and a subluxation first diagnosis on
# Medicare CMT, GY on a Medicare chiropractor's services other than CMT, 59 or XS (not both)
# wherever CMT meets 97112/97140 for any payer, dates of service inside the plan of care, and
# a Medicare progress report at least every 10 treatment days.
# Plans of care (and their certifiers) are filled in for the therapy patients only, as a
# practice-management system keeps them on the therapy case; chiropractic-only patients have
# none. The Progress Report column says "Y" on a visit whose note was a progress report.

WHITFIELD = Patient(
    "RB10214", "Whitfield, Harold", "Medicare Part B",
    ("I69.351", "R26.89", "Z91.81"),
    "Walk 150 ft with quad cane without loss of balance; stand at sink 5 min to groom",
    poc=(d(5, 1), d(27)), certifier="Moreno, Ana MD",
)
ALVAREZ = Patient(
    "RB10388", "Alvarez, Dorothy", "Medicare Part B",
    ("M99.03", "M99.02", "M99.01", "M54.50"),
    "",
)
OKAFOR = Patient(
    "RB10422", "Okafor, Grace", "Aetna Choice POS II",
    ("S06.0X1D", "R42", "R26.81"),
    "Return to 8-hr nursing shift without dizziness; tandem walk 20 ft with head turns",
    poc=(d(10, 2), d(10, 4)), certifier="Brooks, Tanya NP",
)
CASTILLO = Patient(
    "RB10519", "Castillo, Renee", "BCBS of Tennessee",
    ("M99.01", "S13.4XXD", "R42", "M54.2"),
    "Check blind spot while driving without dizziness",
    numeric_codes=True,
)
NGUYEN = Patient(
    "RB10533", "Nguyen, David", "UnitedHealthcare Choice Plus",
    ("M54.50", "M99.03", "M62.830"),
    "Sit 60 min at desk with low back pain no more than 3/10",
    numeric_codes=True,
)
PATTERSON = Patient(
    "RB10560", "Patterson, Linda", "AARP Medicare Advantage (UHC)",
    ("R26.81", "Z91.81", "M62.81"),
    "Walk in the community without falls; stand from a low chair without using arms",
    poc=(d(23, 2), d(22, 5)), certifier="Moreno, Ana MD",
)
FISCHER = Patient(
    "RB10602", "Fischer, Walter", "Medicare Part B",
    ("G20.A1", "R26.81", "R29.6"),
    "Turn 360 degrees and cross thresholds without freezing; TUG under 14 s",
    poc=(d(16, 2), d(15, 5)), certifier="Chen, Wei DO",
)
REYES = Patient(
    "RB10645", "Reyes, Anthony", "UnitedHealthcare Choice Plus",
    ("M99.01", "M54.2", "R42", "S13.4XXD"),
    "Drive 30 min and turn head to both sides without dizziness",
)
HOLLOWAY = Patient(
    "RB10688", "Holloway, Jim", "Self Pay",
    ("M99.03", "M54.50"),
    "",
)
MARSH = Patient(
    "RB10701", "Marsh, Keisha", "UnitedHealthcare Choice Plus",
    ("M99.03", "M54.50", "M51.26"),
    "Lift a 25 lb child from the floor without low back pain",
    numeric_codes=True,
)
# March's new patients.
KOWALSKI = Patient(
    "RB10706", "Kowalski, Frank", "Medicare Part B",
    ("M99.01", "M54.2", "R42"),
    "Turn head to back the car out of the driveway without dizziness",
)
DUNLAP = Patient(
    "RB10708", "Dunlap, Ruth", "Medicare Part B",
    ("Z47.1", "Z96.651", "M25.661", "R26.89"),
    "Climb 12 stairs step-over-step with one rail; walk 500 ft without a device",
    poc=(d(2), d(29, 5)), certifier="Chen, Wei DO",
)
SUTTON = Patient(
    "RB10739", "Sutton, Gloria", "Medicare Part B",
    ("M48.062", "M54.50", "R26.89"),
    "Walk 15 min to the mailbox and back without stopping for leg pain",
    poc=(d(30), d(26, 6)), certifier="Hale, Marcus DC",
)

GP, CQ = ("GP",), ("GP", "CQ")

SAMPLE: list[tuple[Patient, list[Svc]]] = [
    (WHITFIELD, [
        # CMS's own allocation example: 24 min 97112 + 23 min 97110 -> 2 + 1.
        Svc(d(2), "97112", "NAT", 2, 24, GP,
            "Weight shift and stepping strategies R LE, tandem stance with mirror feedback, "
            "reach outside base of support; min A"),
        Svc(d(2), "97110", "NAT", 1, 23, GP,
            "R hip/knee AROM, sit-to-stand x10, recumbent bike 8 min"),
        Svc(d(4), "97112", "BEC", 2, 25, CQ,
            "Tandem walk in parallel bars, SLS with UE support, obstacle stepping; CGA"),
        Svc(d(4), "97110", "BEC", 1, 15, CQ, "Sit-to-stand x10, step-ups 4 in"),
        # NMR104: 40 minutes support 3 units, 2 billed.
        Svc(d(9), "97112", "NAT", 2, 40, GP,
            "PNF D1/D2 R UE with weight bearing through R arm, grasp-and-release of cups "
            "with manual guidance"),
        Svc(d(11), "97112", "BEC", 2, 30, CQ,
            "Stepping over obstacles, turning with cane, balance reactions in standing; CGA"),
        Svc(d(11), "97530", "BEC", 1, 15, CQ, "Carry cup from counter to table with cane"),
        Svc(d(16), "97112", "NAT", 2, 23, GP,
            "Perturbations in standing, lateral stepping, foam stance with eyes open"),
        Svc(d(16), "97110", "NAT", 1, 14, GP, "Sit-to-stand x3x10, step-ups 4 in"),
        # NMR005: the second 97110 line of the visit, with 59 added to get it past the
        # payer's duplicate edit; Medicare wants 97110 x2 on one line.
        Svc(d(16), "97110", "NAT", 1, 16, ("GP", "59"), "Recumbent bike 16 min, pm session"),
        # NMR090: the marker was written before I69.351 was on the claim; it is stale now.
        # (The PT wrote the progress report at this visit.)
        Svc(d(18), "97112", "NAT", 3, 38, GP,
            "Stepping strategies, perturbations in stance, weight shift to R with tactile "
            "cues. Progress report to Dr. Moreno. nmr: ignore NMR205", report="Y"),
        Svc(d(23), "97112", "BEC", 2, 23, CQ,
            "Tandem walk, SLS with light touch, head turns while walking; CGA"),
        # NMR305: the PTA's second line of the visit lost its CQ (the first one has it).
        Svc(d(23), "97110", "BEC", 1, 15, GP, "Heel raises, mini squats, bike 6 min"),
        Svc(d(25), "97112", "NAT", 2, 30, GP,
            "Reactive balance: pushes in standing, stepping strategies, foam stance"),
        Svc(d(25), "97530", "NAT", 2, "0:25", GP,
            "Floor transfer practice, carrying laundry basket 20 ft with cane"),
        # NMR308: the plan of care ended 03/27 and the recertification is not signed yet.
        Svc(d(30), "97112", "BEC", 2, "30 min", CQ,
            "Obstacle course with cane, turning 180 degrees, tandem walk; SBA. Recert sent "
            "to Dr. Moreno 3/24, not returned"),
    ]),
    (ALVAREZ, [
        Svc(d(3), "98941-AT", "KES", notes="Diversified C/T/L; LBP 5/10"),
        Svc(d(5), "98941-AT", "KES", notes="Diversified C/T/L; LBP 5/10"),
        Svc("3/10/2026", "98941-AT", "KES", notes="Diversified C/T/L; LBP 4/10"),
        # NMR302: the AT was left off (Medicare reads CMT without AT as maintenance).
        Svc(d(12), "98941", "KES", notes="Diversified C/T/L, drop table L5; LBP 4/10"),
        Svc(d(17), "98941-AT", "KES", notes="Diversified C/T/L; LBP 3/10"),
        # NMR003: the same 98941-AT posted twice for the same visit; with it the visit carries
        # 2 units of 98941, over its MUE of 1, so NMR105 on both lines.
        Svc(d(17), "98941-AT", "KES", notes="Diversified C/T/L; LBP 3/10"),
        Svc(d(19), "98941-AT", "KES", notes="Diversified C/T/L; LBP 3/10"),
        # NMR303: the diagnoses were keyed in the wrong order, low back pain first.
        Svc("03/24/26", "98941-AT", "KES", notes="Diversified C/T/L; LBP 3/10",
            dx=("M54.50", "M99.03", "M99.02", "M99.01")),
        Svc(d(26), "98941-AT", "KES", notes="Diversified C/T/L; LBP 2/10"),
        # NMR302: maintenance care from today with a signed ABN, so GA, but AT was kept.
        Svc(d(31), "98941-AT", "KES", mods=("GA",),
            notes="Diversified C/T/L; LBP 2/10, plateaued. Maintenance from today, ABN signed"),
        # NMR004: charge entered ahead from the schedule for Thursday's visit.
        Svc(d(2, 4), "98941-GA", "KES", notes="Pre-entered from schedule"),
    ]),
    (OKAFOR, [
        # Late-posted February visit (held until Aetna's authorization came in): the first
        # 97112 visit of the episode, which starts NMR207's 42-day window.
        Svc(d(10, 2), "97161", "NAT", 1, None, GP,
            "Initial evaluation. Late post: held pending Aetna auth"),
        Svc(d(10, 2), "97112", "NAT", 2, 23, GP,
            "Gaze stabilization VOR x1, head turns in standing, Romberg on foam"),
        Svc(d(5), "97112", "NAT", 2, 30, GP,
            "VOR x1 in standing, walking with head turns, tandem stance eyes closed"),
        Svc(d(5), "97110", "NAT", 1, 10, GP, "Cervical AROM, scapular retraction"),
        Svc(d(12), "97112", "NAT", 3, 38, GP,
            "Habituation: quick turns and bending, gaze shifts walking in hallway. Progress "
            "report", report="Y"),
        Svc("2026-03-19", "97112", "NAT", 2, "0:30", GP,
            "Dual-task walking with head turns, stepping onto foam, VOR x2"),
        Svc("2026-03-19", "97530", "NAT", 1, 15, GP,
            "Simulated med-cart push in busy hallway with head turns"),
        # Day 42 of the episode: still inside Aetna's 4-6 week standard, clean.
        Svc(d(24), "97112", "NAT", 3, 38, GP,
            "Tandem walk with head turns, SLS on foam, quick pivots; no symptoms"),
        # NMR207: 44 days after the episode's first 97112 visit, no authorization yet.
        Svc(d(26), "97112", "NAT", 2, 30, GP,
            "Walking with quick head turns, gaze shifts in busy environment"),
        # Suppressed NMR207: the extension was authorized and the biller documented it.
        Svc(d(31), "97112", "NAT", 2, 30, GP,
            "Aetna auth A7731902 approved 8 more visits 3/27-4/30. nmr: ignore NMR207"),
    ]),
    (CASTILLO, [
        Svc(d(4), "98940", "HAL", notes="Diversified C-spine"),
        # NMR208: BCBS of Tennessee calls 97112 investigational (otherwise a good line).
        Svc(d(4), "97112", "HAL", 1, 15, ("59",),
            "Cervical joint-position-sense retraining: head relocation to laser target, "
            "gaze fixation with head turns"),
        Svc(d(11), "98940", "HAL", notes="Diversified C-spine"),
        Svc(d(11), "97140", "HAL", 1, 12, ("XS",), "Suboccipital release, C-spine mobilization"),
        Svc(d(11), "97010", "HAL", notes="Moist heat C-spine 10 min"),
        Svc(d(18), "98940", "HAL", notes="Diversified C-spine"),
        # NMR208 again.
        Svc(d(18), "97112", "HAL", 2, 23, ("59",),
            "Head relocation drills, smooth-pursuit neck torsion training, gaze stability"),
        Svc(d(25), "98940", "HAL", notes="Diversified C-spine"),
        # NMR002 and NMR306: XS typed with a 5; once the unknown "X5" is set aside, the 97140
        # meets the 98940 with no distinct-service modifier.
        Svc(d(25), "97140", "HAL", 1, 10, ("X5",), "Suboccipital release, C-spine mobilization"),
    ]),
    (NGUYEN, [
        Svc(d(2), "99213", "HAL", mods=("25",), notes="Re-exam, 30-day progress"),
        Svc(d(2), "98940", "HAL", notes="Diversified L-spine, SI"),
        Svc(d(2), "97140", "ORT", 1, 15, ("59",), "STM lumbar paraspinals and QL"),
        Svc(d(2), "97010", "HAL", notes="Moist heat lumbar 10 min"),
        Svc(d(9), "98940", "HAL", notes="Diversified L-spine, SI"),
        # NMR202 (muscle work) and NMR205 (back-pain diagnoses only).
        Svc(d(9), "97112", "HAL", 1, 15, ("59",),
            "Trigger point therapy upper traps, IASTM lumbar paraspinals"),
        Svc(d(16), "98940", "HAL", notes="Diversified L-spine, SI"),
        # NMR101: a timed code with the minutes cell left empty.
        Svc(d(16), "97140", "ORT", 1, None, ("59",), "STM lumbar paraspinals"),
        Svc(d(16), "97012", "HAL", notes="Mechanical traction lumbar 12 min"),
        Svc(d(23), "98940", "HAL", notes="Diversified L-spine, SI"),
        # NMR204 (massage therapist), NMR202 (stretching by a massage therapist), NMR205.
        Svc(d(23), "97112", "ORT", 1, 15, ("59",), "PNF stretching hamstrings and hip flexors"),
        Svc(d(30), "98940", "HAL", notes="Diversified L-spine, SI"),
        # NMR306: the 59 was left off: 97140 with 98940 on one visit (UHC applies NCCI too).
        Svc(d(30), "97140", "ORT", 1, 15, (), "STM lumbar paraspinals and glutes"),
    ]),
    (PATTERSON, [
        Svc(d(2), "97112", "NAT", 2, 22, GP,
            "Reactive balance: perturbations, stepping strategies, tandem walk"),
        # NMR102: 42 minutes support 3 units (97112 x2 + 97110 x1); 4 are billed.
        Svc(d(2), "97110", "NAT", 2, 20, GP, "Sit-to-stand, heel raises, side-lying hip abd"),
        # NMR206: strengthening and range-of-motion work billed as 97112.
        Svc(d(6), "97112", "BEC", 2, 23, GP, "LE strengthening and hip ROM with theraband, SLR"),
        Svc(d(6), "97110", "BEC", 1, 15, GP, "Bike 10 min, calf stretch"),
        # NMR204: 97112 rendered by a rehab aide.
        Svc(d(9), "97112", "SIM", 1, 15, GP, "Tandem stance and balance-board drills, CGA"),
        Svc(d(9), "97110", "NAT", 1, 20, GP, "Step-ups, mini squats, heel raises"),
        # NMR201: a balance class billed as 97112 (the 1:1 cell says Group); 97150 is the code.
        Svc(d(13), "97112", "NAT", 3, 45, GP, "Balance class, 4 pts: Otago progression",
            one="Group"),
        # NMR209: the functional-goal cell is empty on this 97112 line.
        Svc(d(18), "97112", "NAT", 2, 30, GP,
            "Stepping strategies, turns, walking with head turns", goal=""),
        Svc(d(18), "97110", "NAT", 1, 15, GP, "Sit-to-stand x3x10, bike 5 min"),
        Svc(d(20), "97112", "NAT", 2, 25, GP,
            "Tandem walk, SLS on foam, stepping over obstacles. Progress report", report="Y"),
        Svc(d(20), "97530", "NAT", 1, 15, GP,
            "Floor-to-stand transfer practice, carrying laundry basket", report="Y"),
        # The balance class billed correctly: 97150, not one-on-one, no NMR201.
        Svc(d(27), "97150", "NAT", 1, 45, GP, "Balance class, 4 pts: Otago progression",
            one="Group"),
    ]),
    (FISCHER, [
        Svc(d(4), "97112", "NAT", 2, 30, GP,
            "Big-amplitude stepping, turning with cues, weight shift; doorway freezing "
            "strategies"),
        # NMR304: no GP on this therapy line.
        Svc(d(4), "97116", "NAT", 2, 23, (), "Gait with metronome cueing 90 bpm, 300 ft"),
        Svc(d(6), "97112", "BEC", 2, 23, CQ,
            "Large-amplitude reaching, stepping in all directions, turning in place"),
        Svc(d(6), "97530", "BEC", 1, 15, CQ, "Bed mobility and car transfer practice"),
        Svc(d(11), "97110", "NAT", 1, 33, GP,
            "Trunk rotation and thoracic extension exercise, recumbent stepper"),
        # NMR103: 40 minutes -> 3 units as 97110 x2 + 97140 x1; billed 1 + 2.
        Svc(d(11), "97140", "NAT", 2, 7, GP, "Thoracic and rib mobilization"),
        Svc(d(13), "97112", "NAT", 3, 38, GP,
            "Turning with visual targets, backward stepping, reactive stepping. Progress "
            "report", report="Y"),
        Svc(d(18), "97112", "NAT", 2, 23, GP,
            "Dual-task walking, turns through doorway with visual cues"),
        # NMR104 and NMR106: 380 is a typo for 38. The minutes now "support" 25 units of
        # 97116, and the PT's one-on-one minutes that day (528) pass 480 on this line.
        Svc(d(18), "97116", "NAT", 2, 380, GP, "Gait with auditory cues, obstacle course"),
        Svc(d(20), "97112", "BEC", 2, 30, CQ,
            "Big-amplitude stepping, turning 360 degrees with cues"),
        Svc(d(20), "97116", "BEC", 1, 15, CQ, "Gait with metronome cueing, 400 ft"),
        Svc(d(25), "97112", "NAT", 3, 40, GP,
            "Reactive stepping, turning in tight spaces, doorway practice"),
        Svc(d(27), "97112", "BEC", 2, 25, CQ,
            "Stepping strategies, sit-to-stand with weight shift cues"),
        Svc(d(27), "97110", "BEC", 1, 13, CQ, "Trunk rotation, recumbent stepper"),
    ]),
    (REYES, [
        Svc(d(3), "98940", "KES", notes="Diversified C-spine, T1"),
        # NMR203: vibration-plate and wobble-chair work billed as 97112.
        Svc(d(3), "97112-59", "KES", 1, 15,
            notes="Vibration plate stance drills 10 min, then wobble chair"),
        Svc(d(10), "98940", "KES", notes="Diversified C-spine, T1"),
        # NMR102: a lone timed service under 8 minutes supports no unit.
        Svc(d(10), "97140-59", "KES", 1, "6 min", notes="Suboccipital release"),
        Svc(d(17), "98940", "KES", notes="Diversified C-spine, T1"),
        # NMR204: 97112 rendered by a chiropractic assistant (state rule; default: not allowed).
        Svc(d(17), "97112-59", "DEL", 2, 23,
            notes="Cervical joint-position-sense drills with laser, gaze stability, "
                  "postural cues"),
        Svc(d(24), "98940", "KES", notes="Diversified C-spine, T1"),
        # NMR201: the notes say the patient did the circuit on his own (1:1 says Y).
        Svc(d(24), "97112-59", "KES", 2, 23,
            notes="Balance drills on foam, then pt did circuit on own while DC adjusted next pt"),
        Svc(d(31), "98940", "KES", notes="Diversified C-spine, T1"),
        Svc(d(31), "97010", "KES", notes="Moist heat C-spine"),
    ]),
    (HOLLOWAY, [
        Svc("3/6/2026", "98940", "KES", "1", notes="Diversified L-spine"),
        Svc("3/6/2026", "97010", "KES", "1", notes="Moist heat lumbar"),
        Svc("3/13/2026", "98940", "KES", "1", notes="Diversified L-spine"),
        # NMR001: units left empty.
        Svc("3/13/2026", "97010", "KES", None, notes="Moist heat lumbar"),
        Svc("3/20/2026", "98940", "KES", "1", notes="Diversified L-spine"),
        Svc("3/20/2026", "97010", "KES", "1", notes="Moist heat lumbar"),
        Svc("3/27/2026", "98940", "KES", "1", notes="Diversified L-spine"),
        Svc("3/27/2026", "97010", "KES", "1", notes="Moist heat lumbar"),
    ]),
    (MARSH, [
        Svc(d(5), "99203", "HAL", mods=("25",), notes="New patient exam, lumbar"),
        Svc(d(5), "98940", "HAL", notes="Diversified L-spine"),
        Svc(d(10), "98940", "HAL", notes="Diversified L-spine"),
        # NMR205: low-back diagnoses only (disc, subluxation, pain) behind 97112.
        Svc(d(10), "97112", "HAL", 2, 23, ("59",),
            "Lumbar stabilization: dead bug progression, quadruped reach with tactile cues, "
            "proprioceptive drills on physioball"),
        Svc("03/12/2026", "98940", "HAL", notes="Diversified L-spine"),
        # NMR002: letter O for zero in the code.
        Svc("03/12/2026", "9714O", "HAL", 1, 12, ("59",), "Lumbar mobilization",
            rate_code="97140"),
        Svc(d(17), "98940", "HAL", notes="Diversified L-spine"),
        # NMR307: 59 and XS together on one line.
        Svc(d(17), "97140", "HAL", 1, 15, ("59", "XS"), "Lumbar mobilization, hip distraction"),
        # NMR002: 3/24 typed as 3/42.
        Svc("3/42/2026", "98940", "HAL", notes="Diversified L-spine"),
        Svc("Mar 26, 2026", "98940", "HAL", notes="Diversified L-spine"),
    ]),
    (KOWALSKI, [
        # A Medicare chiropractor's exam is excluded: GY (and 25, next to the manipulation).
        Svc(d(2), "99203", "KES", mods=("25", "GY"),
            notes="New patient exam: neck pain, dizziness on head turns"),
        Svc(d(2), "98940", "KES", mods=("AT",), notes="Diversified C-spine"),
        Svc(d(9), "98940", "KES", mods=("AT",), notes="Diversified C-spine"),
        # NMR301: 97112 by a chiropractor for Medicare without GY (GP and 59 are there).
        Svc(d(9), "97112", "KES", 1, 15, ("GP", "59"),
            "Cervical joint-position-sense retraining to laser target, gaze stability "
            "with head turns"),
        # NMR105: 2 units of 98940 typed for 1 (one manipulation a day).
        Svc(d(16), "98940", "KES", 2, mods=("AT",), notes="Diversified C-spine"),
        Svc(d(16), "97112", "KES", 1, 15, ("GP", "GY", "59"),
            "Head relocation drills to laser target, smooth-pursuit neck torsion, gaze "
            "stability"),
        Svc(d(23), "98940", "KES", mods=("AT",), notes="Diversified C-spine"),
        Svc(d(23), "97112", "KES", 1, 15, ("GP", "GY", "59"),
            "Gaze stability walking with head turns, head relocation to laser target"),
    ]),
    (DUNLAP, [
        # Three visits a week after a right knee replacement: day 11 without a progress
        # report is flagged (NMR309); the report written on day 12 starts a new period.
        Svc(d(2), "97161", "NAT", 1, None, GP, "Initial evaluation, R TKA 02/17/2026"),
        Svc(d(2), "97110", "NAT", 2, 30, GP, "Quad sets, heel slides, SLR, bike rocking"),
        Svc(d(4), "97110", "NAT", 2, 25, GP, "Heel slides, SAQ, bike partial revolutions"),
        Svc(d(4), "97140", "NAT", 1, 15, GP, "R patellar and tibiofemoral mobilization"),
        Svc(d(6), "97110", "BEC", 2, 30, CQ, "Bike, mini squats, step-ups 4 in"),
        Svc(d(9), "97110", "NAT", 2, 23, GP, "Bike full revolutions, step-ups 6 in"),
        Svc(d(9), "97140", "NAT", 1, 15, GP, "R knee flexion mobilization, scar mobilization"),
        Svc(d(11), "97110", "BEC", 2, 30, CQ, "Bike 10 min, wall sits, step-ups 6 in"),
        Svc(d(11), "97116", "BEC", 1, 15, CQ, "Gait with single-point cane, 300 ft"),
        Svc(d(13), "97110", "NAT", 2, 25, GP, "Bike, lateral step-ups, terminal knee ext"),
        Svc(d(13), "97140", "NAT", 1, 15, GP, "R knee flexion mobilization"),
        Svc(d(16), "97110", "BEC", 2, 28, CQ, "Bike 10 min, step-downs 4 in, wall sits"),
        Svc(d(18), "97110", "NAT", 2, 30, GP, "Step-downs 6 in, lunges with UE support"),
        Svc(d(18), "97116", "NAT", 1, 12, GP, "Gait without device, 200 ft, stairs x12"),
        Svc(d(20), "97110", "BEC", 2, 30, CQ, "Bike 10 min, step-downs 6 in, lunges"),
        Svc(d(23), "97110", "NAT", 2, 23, GP, "Step-downs 6 in, single-leg press"),
        Svc(d(23), "97140", "NAT", 1, 15, GP, "R knee flexion mobilization"),
        # NMR309: the 11th treatment day since the plan began, and no progress report yet.
        Svc(d(25), "97110", "BEC", 2, 30, CQ, "Bike 12 min, step-downs 8 in, lunges"),
        Svc(d(25), "97116", "BEC", 1, 15, CQ, "Stairs step-over-step with one rail x12"),
        Svc(d(27), "97110", "NAT", 2, 30, GP,
            "Step-downs 8 in, single-leg press. Progress report", report="Y"),
        Svc(d(30), "97110", "BEC", 2, 30, CQ, "Bike 12 min, step-downs 8 in, lunges"),
    ]),
    (SUTTON, [
        # NMR308 on both lines: the in-house chiropractor signed the PT plan of care.
        Svc(d(30), "97161", "NAT", 1, None, GP,
            "Initial evaluation, lumbar stenosis; referred in-house by Dr. Hale"),
        Svc(d(30), "97110", "NAT", 1, 15, GP, "Flexion-bias HEP: pelvic tilts, SKTC, bike"),
    ]),
]

SAMPLE_HEADERS = [
    # (header, width)
    ("Acct #", 10), ("Patient", 20), ("DOS", 12), ("CPT", 11), ("Mod 1", 6), ("Mod 2", 6),
    ("Mod 3", 6), ("Units", 6), ("Tx Min", 8), ("Dx 1", 9), ("Dx 2", 9), ("Dx 3", 9),
    ("Dx 4", 9), ("Rendering Provider", 18), ("Cred", 10), ("1:1", 6), ("Primary Ins", 27),
    ("Treatment Notes", 60), ("Functional Goal", 50), ("POC Start", 11), ("POC End", 11),
    ("Certified By", 18), ("Progress Report", 9), ("Rate", 9), ("Charge", 11),
]
COL = {name: i for i, (name, _) in enumerate(SAMPLE_HEADERS, start=1)}
HEADER_ROW = 4
CENTERED = {"Mod 1", "Mod 2", "Mod 3", "Units", "Tx Min", "Cred", "1:1", "Progress Report"}
DATES = {"DOS", "POC Start", "POC End"}
FIRST_ROW = HEADER_ROW + 1


def _one(svc: Svc) -> str | None:
    if svc.one is not AUTO:
        return svc.one  # type: ignore[return-value]
    return "Y" if _c(svc.code) in TIMED else None


def _goal(svc: Svc, patient: Patient) -> str | None:
    if svc.goal is not AUTO:
        return svc.goal or None  # type: ignore[return-value]
    return patient.goal if _c(svc.code) in GOAL_CODES and patient.goal else None


def _code_cell(svc: Svc, patient: Patient) -> str | int:
    if patient.numeric_codes and svc.code.isdigit():
        return int(svc.code)  # typed as a number, as Excel stores it
    return svc.code


def _number(value: int | str | None) -> float:
    """A cell's value as Excel's multiplication sees it (text numbers are converted)."""
    if value is None or value == "":
        return 0.0
    return float(value)


def _sum_value(value: int | str | None) -> float:
    """A cell's value as SUM() sees it (text, even "1", is ignored)."""
    return float(value) if isinstance(value, int | float) else 0.0


def _title(ws: Worksheet, text: str, sub: str) -> None:
    ws["A1"] = text
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = sub
    ws["A2"].font = Font(italic=True, color="595959")


def _header(ws: Worksheet, row: int, headers: Sequence[tuple[str, float]]) -> None:
    for col, (text, width) in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=col, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[row].height = 30


def build_sample() -> tuple[Workbook, dict[str, dict[str, float]]]:
    """The sample workbook, and the cached results of its formulas (sheet -> cell -> value)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Charge Detail"
    _title(ws, f"{PRACTICE} - Charge Detail by Patient",
           "Posted 03/01/2026 - 03/31/2026 | Providers: All | Payers: All | Location: Main")
    ws["A3"] = "Run date:"
    ws["B3"] = RUN_AT
    ws["B3"].number_format = "mm/dd/yyyy h:mm AM/PM"
    ws["B3"].alignment = Alignment(horizontal="left")
    ws["C3"] = "User: BILLING2"
    _header(ws, HEADER_ROW, SAMPLE_HEADERS)

    cached: dict[str, float] = {}
    row = FIRST_ROW
    units_total = charge_total = 0.0
    letter = {name: get_column_letter(col) for name, col in COL.items()}
    for patient, services in SAMPLE:
        for svc in services:
            provider, cred = PROVIDERS[svc.prov]
            diagnoses = patient.dx if svc.dx is None else svc.dx
            dx = list(diagnoses) + [None] * (4 - len(diagnoses))
            mods = list(svc.mods) + [None] * (3 - len(svc.mods))
            poc_start, poc_end = patient.poc or (None, None)
            values: dict[str, object] = {
                "Acct #": patient.acct,
                "Patient": patient.name,
                "DOS": svc.dos,
                "CPT": _code_cell(svc, patient),
                "Mod 1": mods[0],
                "Mod 2": mods[1],
                "Mod 3": mods[2],
                "Units": svc.units,
                "Tx Min": svc.minutes,
                "Dx 1": dx[0], "Dx 2": dx[1], "Dx 3": dx[2], "Dx 4": dx[3],
                "Rendering Provider": provider,
                "Cred": cred,
                "1:1": _one(svc),
                "Primary Ins": patient.payer,
                "Treatment Notes": svc.notes or None,
                "Functional Goal": _goal(svc, patient),
                "POC Start": poc_start,
                "POC End": poc_end,
                "Certified By": patient.certifier,
                "Progress Report": svc.report,
                "Rate": RATE[svc.rate_code or _c(svc.code)],
            }
            for name, value in values.items():
                cell = ws.cell(row=row, column=COL[name], value=value)
                if name in DATES and isinstance(value, dt.date):
                    cell.number_format = DATE_FORMAT
                elif name == "Rate":
                    cell.number_format = MONEY_FORMAT
                elif name in CENTERED:
                    cell.alignment = Alignment(horizontal="center")
            charge = ws.cell(row=row, column=COL["Charge"],
                             value=f"={letter['Units']}{row}*{letter['Rate']}{row}")
            charge.number_format = MONEY_FORMAT
            value = _number(svc.units) * values["Rate"]  # type: ignore[operator]
            cached[charge.coordinate] = value
            units_total += _sum_value(svc.units)
            charge_total += value
            row += 1
    last = row - 1

    total_row = last + 2
    ws.cell(row=total_row, column=COL["Patient"], value="Totals").font = Font(bold=True)
    for name, total in (("Units", units_total), ("Charge", charge_total)):
        col = letter[name]
        cell = ws.cell(row=total_row, column=COL[name],
                       value=f"=SUM({col}{FIRST_ROW}:{col}{last})")
        cell.font = Font(bold=True)
        cell.border = Border(top=Side(style="thin"), bottom=Side(style="double"))
        if name == "Charge":
            cell.number_format = MONEY_FORMAT
        cached[cell.coordinate] = total

    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=COL["DOS"])
    ws.auto_filter.ref = f"A{HEADER_ROW}:{letter['Charge']}{last}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"

    fees = wb.create_sheet("Fee Schedule")
    _title(fees, "Fee schedule - effective 01/01/2026",
           "Practice charges per unit. Descriptions are our shorthand, not CPT descriptors.")
    _header(fees, 4, [("CPT", 9), ("Description", 38), ("Fee", 10), ("Timed (per 15 min)", 12)])
    for i, (code, text, fee, timed) in enumerate(FEES, start=5):
        fees.cell(row=i, column=1, value=code)
        fees.cell(row=i, column=2, value=text)
        fees.cell(row=i, column=3, value=fee).number_format = MONEY_FORMAT
        fees.cell(row=i, column=4, value=timed).alignment = Alignment(horizontal="center")
    fees.freeze_panes = "A5"
    return wb, {ws.title: cached}


# --- the template ---------------------------------------------------------------------------

TEMPLATE_ROWS = 2000  # rows the number formats and input checks cover (2..TEMPLATE_ROWS+1)

PROVIDER_TYPES = ["DC", "PT", "PTA", "OT", "OTA", "LMT", "Aide", "CA"]
# One name per bundled payer profile in rules.toml (each must resolve to that profile), + Other.
PAYERS = ["Medicare Part B", "Medicare Advantage", "Aetna", "BCBS of Tennessee", "Other"]
YES_NO = ["Yes", "No"]


INSTRUCTIONS_INTRO = [
    "How to use this template",
    "One row per billed service: one code on one date for one patient. Do not leave blank rows "
    "between services, and do not change the headers in row 1: nmr-xl finds the columns by "
    "their names.",
    "Put all of a timed code's units for a visit on one line (Medicare expects each timed code "
    "once per date of service).",
    "Drop-down lists cover provider type, one-on-one, payer and progress report; units and "
    "minutes take whole numbers only, dates take real dates only. You can add columns of your "
    "own to the right.",
    "The plan-of-care, certifier and progress-report columns are optional: fill them for "
    "therapy patients and nmr-xl also checks that each date of service falls inside the plan, "
    "that a Medicare plan runs at most 90 days and is not certified by a chiropractor, and "
    "that Medicare progress reports are not overdue.",
    "Check the sheet with:  nmr-xl check billing.xlsx   (a copy with every finding marked is "
    "written next to the file; your file is not changed).",
    "CPT codes are listed by number only. Code descriptions belong to the AMA and are not "
    "reproduced here.",
]


def _height(text: str, width: float) -> float:
    """Row height (points) for wrapped text in a column `width` characters wide."""
    lines = -(-len(text) // int(width * 1.1))  # ceiling; Calibri 11 fits ~1.1 chars per unit
    return 15.0 * max(1, lines) + 2


def build_template() -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Billing"
    headers = [(c.header, c.width) for c in TEMPLATE_COLUMNS]
    _header(ws, 1, headers)
    for col, column in enumerate(TEMPLATE_COLUMNS, start=1):
        if column.number_format:
            ws.column_dimensions[get_column_letter(col)].number_format = column.number_format
    ws.freeze_panes = "C2"
    last_col = get_column_letter(len(TEMPLATE_COLUMNS))
    ws.auto_filter.ref = f"A1:{last_col}1"
    ws.print_title_rows = "1:1"

    lists = wb.create_sheet("Lists")
    for col, (title, items) in enumerate(
            [("Provider type", PROVIDER_TYPES), ("Payer", PAYERS), ("One-on-one", YES_NO)],
            start=1):
        lists.cell(row=1, column=col, value=title).font = Font(bold=True)
        for i, item in enumerate(items, start=2):
            lists.cell(row=i, column=col, value=item)
        lists.column_dimensions[get_column_letter(col)].width = 20
    lists.sheet_state = "hidden"

    def col_of(header: str) -> str:
        index = next(i for i, c in enumerate(TEMPLATE_COLUMNS, start=1) if c.header == header)
        return get_column_letter(index)

    def span(*headers_: str) -> str:
        return " ".join(f"{col_of(h)}2:{col_of(h)}{TEMPLATE_ROWS + 1}" for h in headers_)

    def list_range(col: int, items: list[str]) -> str:
        letter = get_column_letter(col)
        return f"=Lists!${letter}$2:${letter}${len(items) + 1}"

    validations = [
        (DataValidation(type="list", formula1=list_range(1, PROVIDER_TYPES), allow_blank=True,
                        promptTitle="Provider type",
                        prompt="DC, PT, PTA, OT, OTA, LMT, Aide or CA",
                        errorTitle="Provider type", error="Pick a provider type from the list."),
         span("Provider Type")),
        (DataValidation(type="list", formula1=list_range(3, YES_NO), allow_blank=True,
                        promptTitle="One-on-one",
                        prompt="Yes: with this patient alone the whole time. No: group or "
                               "unattended.",
                        errorTitle="One-on-one", error="Pick Yes or No."),
         span("One-on-One")),
        (DataValidation(type="list", formula1=list_range(3, YES_NO), allow_blank=True,
                        errorStyle="information",
                        promptTitle="Progress report",
                        prompt="Yes: a progress report was written on this visit. Or type the "
                               "date of the last report.",
                        errorTitle="Progress report",
                        error="Not Yes or No: nmr-xl reads a date here as the date of the last "
                              "progress report."),
         span("Progress Report")),
        (DataValidation(type="list", formula1=list_range(2, PAYERS), allow_blank=True,
                        errorStyle="information",
                        promptTitle="Payer",
                        prompt="Pick a payer, or type the plan's name.",
                        errorTitle="Payer",
                        error="This payer is not in the list; nmr-xl will apply the general "
                              "rules to it."),
         span("Payer")),
        (DataValidation(type="whole", operator="between", formula1="0", formula2="99",
                        allow_blank=True, promptTitle="Units",
                        prompt="Whole number of units billed.",
                        errorTitle="Units", error="Units must be a whole number from 0 to 99."),
         span("Units")),
        (DataValidation(type="whole", operator="between", formula1="0", formula2="600",
                        allow_blank=True, promptTitle="Minutes",
                        prompt="Whole minutes of direct treatment on this line.",
                        errorTitle="Minutes",
                        error="Minutes must be a whole number from 0 to 600."),
         span("Minutes")),
        (DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)",
                        formula2="DATE(2099,12,31)", allow_blank=True,
                        promptTitle="Date", prompt="A date such as 03/02/2026.",
                        errorTitle="Date", error="Type a real date, such as 03/02/2026."),
         span("Date of Service", "Plan of Care Start", "Plan of Care End")),
        (DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                        allow_blank=True, errorTitle="Charge",
                        error="The charge is an amount of 0 or more."),
         span("Charge")),
    ]
    for dv, ranges in validations:
        dv.showInputMessage = dv.prompt is not None
        dv.showErrorMessage = True
        for cells in ranges.split():
            dv.add(cells)
        ws.add_data_validation(dv)

    info = wb.create_sheet("Instructions", 1)
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 90
    info.column_dimensions["C"].width = 34
    info["A1"] = INSTRUCTIONS_INTRO[0]
    info["A1"].font = Font(bold=True, size=14)
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 2
    for number, line in enumerate(INSTRUCTIONS_INTRO[1:], start=1):
        info.cell(row=row, column=1, value=f"{number}.").alignment = Alignment(
            horizontal="right", vertical="top")
        info.cell(row=row, column=2, value=line).alignment = wrap
        info.row_dimensions[row].height = _height(line, 90)
        row += 1
    row += 1
    for col, text in enumerate(("Column", "What to enter", "Example"), start=1):
        cell = info.cell(row=row, column=col, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    row += 1
    for column in TEMPLATE_COLUMNS:
        info.cell(row=row, column=1, value=column.header).font = Font(bold=True)
        info.cell(row=row, column=1).alignment = Alignment(vertical="top")
        info.cell(row=row, column=2, value=column.what).alignment = wrap
        info.cell(row=row, column=3, value=column.example or None).alignment = wrap
        info.row_dimensions[row].height = _height(column.what, 90)
        row += 1
    for sheet in (ws, info):
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    wb.active = 0
    return wb


# --- saving, deterministically ----------------------------------------------------------------

_ZIP_TIME = RUN_AT.timetuple()[:6]
_W3CDTF = RUN_AT.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fill_cached(xml: bytes, values: dict[str, float]) -> bytes:
    """Store formula results next to the formulas, as Excel does when it saves a file."""
    for ref, value in values.items():
        # openpyxl writes an empty result as <v/> (et_xmlfile) or <v></v> (lxml)
        pattern = re.compile(rb'(<c r="' + ref.encode()
                             + rb'"[^>]*>)(<f>[^<]*</f>)(?:<v\s*/>|<v></v>)')
        xml, count = pattern.subn(
            lambda m, v=value: m.group(1) + m.group(2) + f"<v>{v:.15g}</v>".encode(), xml)
        if count != 1:
            raise RuntimeError(f"formula cell {ref} not found in the sheet XML")
    return xml


def save(wb: Workbook, path: Path, cached: dict[str, dict[str, float]] | None = None) -> None:
    """Save with fixed timestamps (document properties and zip entries) and cached results."""
    wb.properties.creator = PRACTICE
    wb.properties.lastModifiedBy = PRACTICE
    wb.properties.created = RUN_AT
    buffer = io.BytesIO()
    wb.save(buffer)
    sheet_parts = {title: f"xl/worksheets/sheet{i}.xml"
                   for i, title in enumerate(wb.sheetnames, start=1)}
    wanted = {sheet_parts[title]: values for title, values in (cached or {}).items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with now
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              lambda m: m.group(1) + _W3CDTF.encode(), data)
            if info.filename in wanted:
                data = _fill_cached(data, wanted[info.filename])
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dest.writestr(entry, data)


def generate(out_dir: Path = HERE) -> tuple[Path, Path]:
    sample, cached = build_sample()
    sample_path = out_dir / SAMPLE_NAME
    save(sample, sample_path, cached)
    template_path = out_dir / TEMPLATE_NAME
    save(build_template(), template_path)
    return sample_path, template_path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python workbooks/make_workbooks.py [OUT_DIR]", file=sys.stderr)
        return 2
    for path in generate(Path(args[0]) if args else HERE):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

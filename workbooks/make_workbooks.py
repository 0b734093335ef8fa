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
    every rule fires on purpose somewhere. The clean lines are the practice's patients below
    (PRACTICE_LINES); every line meant to be flagged is a rule fixture's sample case
    (`sample = true` in tests/fixtures/rules/NMRxxx.toml), written in the sample's header with
    the exact findings it produces. sample_expectations() moves those findings to the rows the
    cases occupy here: tests/test_workbooks.py checks the sample against it, so a new rule's
    sample case shows up in the sample, and in what the tests expect of it, by regenerating.

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
import tomllib
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

AUTO = object()  # "work it out from the code" for the one-on-one cell


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
    report: str | None = None  # Progress Report cell: "Y" on a visit with a progress report


def _c(code: str) -> str:
    """The 5-character code of a CPT cell as typed ("98941-AT" -> "98941")."""
    return code[:5]


# --- the sample: the practice's clean lines ---------------------------------------------------
# Each patient's month, by date of service, as the "Charge Detail by Patient" report prints
# them; every line here is meant to be clean, also under the payer and modifier rules (NMR3xx):
# GP on every therapy line for Medicare and Medicare Advantage, CQ on Medicare PTA lines, AT
# and a subluxation first diagnosis on Medicare CMT, GY on a Medicare chiropractor's services
# other than CMT, 59 or XS (not both) wherever CMT meets 97112/97140 for any payer, dates of
# service inside the plan of care, and a Medicare progress report at least every 10 treatment
# days. The lines meant to be flagged are the rule fixtures' sample cases (see sample_cases).
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

GP, CQ = ("GP",), ("GP", "CQ")

PRACTICE_LINES: list[tuple[Patient, list[Svc]]] = [
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
        Svc(d(9), "97112", "NAT", 3, 40, GP,
            "PNF D1/D2 R UE with weight bearing through R arm, grasp-and-release of cups "
            "with manual guidance"),
        Svc(d(11), "97112", "BEC", 2, 30, CQ,
            "Stepping over obstacles, turning with cane, balance reactions in standing; CGA"),
        Svc(d(11), "97530", "BEC", 1, 15, CQ, "Carry cup from counter to table with cane"),
        Svc(d(16), "97112", "NAT", 2, 23, GP,
            "Perturbations in standing, lateral stepping, foam stance with eyes open"),
        Svc(d(16), "97110", "NAT", 2, 30, GP,
            "Sit-to-stand x3x10, step-ups 4 in; recumbent bike 16 min"),
        Svc(d(18), "97112", "NAT", 3, 38, GP,
            "Stepping strategies, perturbations in stance, weight shift to R with tactile "
            "cues. Progress report to Dr. Moreno", report="Y"),
        Svc(d(23), "97112", "BEC", 2, 23, CQ,
            "Tandem walk, SLS with light touch, head turns while walking; CGA"),
        Svc(d(23), "97110", "BEC", 1, 15, CQ, "Heel raises, mini squats, bike 6 min"),
        Svc(d(25), "97112", "NAT", 2, 30, GP,
            "Reactive balance: pushes in standing, stepping strategies, foam stance"),
        Svc(d(25), "97530", "NAT", 2, "0:25", GP,
            "Floor transfer practice, carrying laundry basket 20 ft with cane"),
    ]),
    (ALVAREZ, [
        Svc(d(3), "98941-AT", "KES", notes="Diversified C/T/L; LBP 5/10"),
        Svc(d(5), "98941-AT", "KES", notes="Diversified C/T/L; LBP 5/10"),
        Svc("3/10/2026", "98941-AT", "KES", notes="Diversified C/T/L; LBP 4/10"),
        Svc(d(12), "98941-AT", "KES", notes="Diversified C/T/L, drop table L5; LBP 4/10"),
        Svc(d(17), "98941-AT", "KES", notes="Diversified C/T/L; LBP 3/10"),
        Svc(d(19), "98941-AT", "KES", notes="Diversified C/T/L; LBP 3/10"),
        Svc("03/24/26", "98941-AT", "KES", notes="Diversified C/T/L; LBP 3/10"),
        Svc(d(26), "98941-AT", "KES", notes="Diversified C/T/L; LBP 2/10"),
        # Maintenance care from today with a signed ABN: GA, and no AT.
        Svc(d(31), "98941", "KES", mods=("GA",),
            notes="Diversified C/T/L; LBP 2/10, plateaued. Maintenance from today, ABN signed"),
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
            "Tandem walk with head turns, SLS on foam, quick pivots; no symptoms. Discharged "
            "to home program"),
    ]),
    (CASTILLO, [
        Svc(d(4), "98940", "HAL", notes="Diversified C-spine"),
        Svc(d(11), "98940", "HAL", notes="Diversified C-spine"),
        Svc(d(11), "97140", "HAL", 1, 12, ("XS",), "Suboccipital release, C-spine mobilization"),
        Svc(d(11), "97010", "HAL", notes="Moist heat C-spine 10 min"),
        Svc(d(18), "98940", "HAL", notes="Diversified C-spine"),
        Svc(d(25), "98940", "HAL", notes="Diversified C-spine"),
        Svc(d(25), "97140", "HAL", 1, 10, ("XS",), "Suboccipital release, C-spine mobilization"),
    ]),
    (NGUYEN, [
        Svc(d(2), "99213", "HAL", mods=("25",), notes="Re-exam, 30-day progress"),
        Svc(d(2), "98940", "HAL", notes="Diversified L-spine, SI"),
        Svc(d(2), "97140", "ORT", 1, 15, ("59",), "STM lumbar paraspinals and QL"),
        Svc(d(2), "97010", "HAL", notes="Moist heat lumbar 10 min"),
        Svc(d(9), "98940", "HAL", notes="Diversified L-spine, SI"),
        Svc(d(16), "98940", "HAL", notes="Diversified L-spine, SI"),
        Svc(d(16), "97140", "ORT", 1, 15, ("59",), "STM lumbar paraspinals"),
        Svc(d(16), "97012", "HAL", notes="Mechanical traction lumbar 12 min"),
        Svc(d(23), "98940", "HAL", notes="Diversified L-spine, SI"),
        Svc(d(30), "98940", "HAL", notes="Diversified L-spine, SI"),
        Svc(d(30), "97140", "ORT", 1, 15, ("59",), "STM lumbar paraspinals and glutes"),
    ]),
    (PATTERSON, [
        Svc(d(2), "97112", "NAT", 2, 22, GP,
            "Reactive balance: perturbations, stepping strategies, tandem walk"),
        Svc(d(2), "97110", "NAT", 1, 20, GP, "Sit-to-stand, heel raises, side-lying hip abd"),
        Svc(d(6), "97110", "BEC", 1, 15, GP, "Bike 10 min, calf stretch"),
        Svc(d(9), "97110", "NAT", 1, 20, GP, "Step-ups, mini squats, heel raises"),
        Svc(d(18), "97112", "NAT", 2, 30, GP,
            "Stepping strategies, turns, walking with head turns"),
        Svc(d(18), "97110", "NAT", 1, 15, GP, "Sit-to-stand x3x10, bike 5 min"),
        Svc(d(20), "97112", "NAT", 2, 25, GP,
            "Tandem walk, SLS on foam, stepping over obstacles. Progress report", report="Y"),
        Svc(d(20), "97530", "NAT", 1, 15, GP,
            "Floor-to-stand transfer practice, carrying laundry basket", report="Y"),
        # The balance class: group therapy is 97150, not one-on-one.
        Svc(d(27), "97150", "NAT", 1, 45, GP, "Balance class, 4 pts: Otago progression",
            one="Group"),
    ]),
    (FISCHER, [
        Svc(d(4), "97112", "NAT", 2, 30, GP,
            "Big-amplitude stepping, turning with cues, weight shift; doorway freezing "
            "strategies"),
        Svc(d(4), "97116", "NAT", 2, 23, GP, "Gait with metronome cueing 90 bpm, 300 ft"),
        Svc(d(6), "97112", "BEC", 2, 23, CQ,
            "Large-amplitude reaching, stepping in all directions, turning in place"),
        Svc(d(6), "97530", "BEC", 1, 15, CQ, "Bed mobility and car transfer practice"),
        Svc(d(11), "97110", "NAT", 2, 33, GP,
            "Trunk rotation and thoracic extension exercise, recumbent stepper"),
        Svc(d(11), "97140", "NAT", 1, 7, GP, "Thoracic and rib mobilization"),
        Svc(d(13), "97112", "NAT", 3, 38, GP,
            "Turning with visual targets, backward stepping, reactive stepping. Progress "
            "report", report="Y"),
        Svc(d(18), "97112", "NAT", 2, 23, GP,
            "Dual-task walking, turns through doorway with visual cues"),
        Svc(d(18), "97116", "NAT", 2, 38, GP, "Gait with auditory cues, obstacle course"),
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
        Svc(d(10), "98940", "KES", notes="Diversified C-spine, T1"),
        Svc(d(17), "98940", "KES", notes="Diversified C-spine, T1"),
        Svc(d(17), "97112-59", "KES", 2, 23,
            notes="Cervical joint-position-sense drills with laser, gaze stability, "
                  "postural cues"),
        Svc(d(24), "98940", "KES", notes="Diversified C-spine, T1"),
        Svc(d(31), "98940", "KES", notes="Diversified C-spine, T1"),
        Svc(d(31), "97010", "KES", notes="Moist heat C-spine"),
    ]),
    (HOLLOWAY, [
        Svc("3/6/2026", "98940", "KES", "1", notes="Diversified L-spine"),
        Svc("3/6/2026", "97010", "KES", "1", notes="Moist heat lumbar"),
        Svc("3/13/2026", "98940", "KES", "1", notes="Diversified L-spine"),
        Svc("3/13/2026", "97010", "KES", "1", notes="Moist heat lumbar"),
        Svc("3/20/2026", "98940", "KES", "1", notes="Diversified L-spine"),
        Svc("3/20/2026", "97010", "KES", "1", notes="Moist heat lumbar"),
        Svc("3/27/2026", "98940", "KES", "1", notes="Diversified L-spine"),
        Svc("3/27/2026", "97010", "KES", "1", notes="Moist heat lumbar"),
    ]),
    (MARSH, [
        Svc(d(5), "99203", "HAL", mods=("25",), notes="New patient exam, lumbar"),
        Svc(d(5), "98940", "HAL", notes="Diversified L-spine"),
        Svc(d(10), "98940", "HAL", notes="Diversified L-spine"),
        Svc("03/12/2026", "98940", "HAL", notes="Diversified L-spine"),
        Svc("03/12/2026", "97140", "HAL", 1, 12, ("59",), "Lumbar mobilization"),
        Svc(d(17), "98940", "HAL", notes="Diversified L-spine"),
        Svc(d(17), "97140", "HAL", 1, 15, ("XS",), "Lumbar mobilization, hip distraction"),
        Svc("3/24/2026", "98940", "HAL", notes="Diversified L-spine"),
        Svc("Mar 26, 2026", "98940", "HAL", notes="Diversified L-spine"),
    ]),
    (KOWALSKI, [
        # A Medicare chiropractor's exam is excluded: GY (and 25, next to the manipulation).
        Svc(d(2), "99203", "KES", mods=("25", "GY"),
            notes="New patient exam: neck pain, dizziness on head turns"),
        Svc(d(2), "98940", "KES", mods=("AT",), notes="Diversified C-spine"),
        Svc(d(9), "98940", "KES", mods=("AT",), notes="Diversified C-spine"),
        Svc(d(9), "97112", "KES", 1, 15, ("GP", "GY", "59"),
            "Cervical joint-position-sense retraining to laser target, gaze stability "
            "with head turns"),
        Svc(d(16), "98940", "KES", mods=("AT",), notes="Diversified C-spine"),
        Svc(d(16), "97112", "KES", 1, 15, ("GP", "GY", "59"),
            "Head relocation drills to laser target, smooth-pursuit neck torsion, gaze "
            "stability"),
        Svc(d(23), "98940", "KES", mods=("AT",), notes="Diversified C-spine"),
        Svc(d(23), "97112", "KES", 1, 15, ("GP", "GY", "59"),
            "Gaze stability walking with head turns, head relocation to laser target"),
    ]),
]

# --- the sample's header and its lines ------------------------------------------------------

# The export's header, as it spells it: (header, column width). The rule fixtures' sample cases
# write their rows in these spellings (tests/test_rule_fixtures.py lays them out through
# sample_case_rows and sheet_values below).
SAMPLE_HEADERS = [
    ("Acct #", 10), ("Patient", 20), ("DOS", 12), ("CPT", 11), ("Mod 1", 6), ("Mod 2", 6),
    ("Mod 3", 6), ("Units", 6), ("Tx Min", 8), ("Dx 1", 9), ("Dx 2", 9), ("Dx 3", 9),
    ("Dx 4", 9), ("Rendering Provider", 18), ("Cred", 10), ("1:1", 6), ("Primary Ins", 27),
    ("Treatment Notes", 60), ("Functional Goal", 50), ("POC Start", 11), ("POC End", 11),
    ("Certified By", 18), ("Progress Report", 9), ("Rate", 9), ("Charge", 11),
]
SAMPLE_HEADER = [name for name, _ in SAMPLE_HEADERS]
CHARGE = "Charge"  # the formula column, =Units*Rate: computed, never typed
TYPED = [name for name in SAMPLE_HEADER if name != CHARGE]
COL = {name: i for i, name in enumerate(SAMPLE_HEADER, start=1)}
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
CENTERED = {"Mod 1", "Mod 2", "Mod 3", "Units", "Tx Min", "Cred", "1:1", "Progress Report"}
DATES = {"DOS", "POC Start", "POC End"}

# One line of the sample: header -> the cell as typed (None: blank). A str is stored as text,
# exactly as typed (text dates, numbers stored as text); Charge is left out (computed).
SampleRow = dict[str, object]


class SampleCaseError(ValueError):
    """A sample case that cannot be laid out in the sample."""


def _one(svc: Svc) -> str | None:
    if svc.one is not AUTO:
        return svc.one  # type: ignore[return-value]
    return "Y" if _c(svc.code) in TIMED else None


def _goal(svc: Svc, patient: Patient) -> str | None:
    return patient.goal if _c(svc.code) in GOAL_CODES and patient.goal else None


def _code_cell(svc: Svc, patient: Patient) -> str | int:
    if patient.numeric_codes and svc.code.isdigit():
        return int(svc.code)  # typed as a number, as Excel stores it
    return svc.code


def practice_row(patient: Patient, svc: Svc) -> SampleRow:
    """One of the practice's clean lines, as the export prints it."""
    provider, cred = PROVIDERS[svc.prov]
    dx = list(patient.dx) + [None] * (4 - len(patient.dx))
    mods = list(svc.mods) + [None] * (3 - len(svc.mods))
    poc_start, poc_end = patient.poc or (None, None)
    return {
        "Acct #": patient.acct, "Patient": patient.name, "DOS": svc.dos,
        "CPT": _code_cell(svc, patient), "Mod 1": mods[0], "Mod 2": mods[1], "Mod 3": mods[2],
        "Units": svc.units, "Tx Min": svc.minutes,
        "Dx 1": dx[0], "Dx 2": dx[1], "Dx 3": dx[2], "Dx 4": dx[3],
        "Rendering Provider": provider, "Cred": cred, "1:1": _one(svc),
        "Primary Ins": patient.payer, "Treatment Notes": svc.notes or None,
        "Functional Goal": _goal(svc, patient), "POC Start": poc_start, "POC End": poc_end,
        "Certified By": patient.certifier, "Progress Report": svc.report,
        "Rate": RATE[_c(svc.code)],
    }


def sample_case_rows(case: Mapping[str, Any]) -> list[SampleRow]:
    """A rule fixture's sample case as the sample holds it: the cells of its `header` columns
    (default: every typed column) and of `every_row`, the other columns blank, and the Rate
    from the fee schedule where the case leaves it blank ("" is a blank cell)."""
    header = case.get("header", TYPED)
    every_row = case.get("every_row", {})
    if not isinstance(every_row, dict):
        raise SampleCaseError("every_row must be a table of header = cell")
    named = [*header, *every_row]
    unknown = [name for name in named if name not in TYPED]
    if unknown:
        raise SampleCaseError(f"{unknown} not among the sample's typed columns {TYPED}")
    twice = sorted({name for name in named if named.count(name) > 1})
    if twice:
        raise SampleCaseError(f"{twice} given twice (header and every_row)")
    rows = []
    for cells in case["rows"]:
        if len(cells) != len(header):
            raise SampleCaseError(f"row {cells!r} has {len(cells)} cells for "
                                  f"{len(header)} header columns")
        typed = {**every_row, **dict(zip(header, cells, strict=True))}
        row: SampleRow = {name: None if typed.get(name, "") == "" else typed[name]
                          for name in TYPED}
        if row["Rate"] is None:
            fee = RATE.get(str(row["CPT"])[:5])
            if fee is None:
                raise SampleCaseError(f"{row['CPT']!r} is not in the fee schedule: give the "
                                      "line's Rate")
            row["Rate"] = fee
        rows.append(row)
    return rows


def _number(value: object) -> float:
    """A cell's value as Excel's multiplication sees it (text numbers are converted)."""
    if value is None:
        return 0.0
    if isinstance(value, int | float | str):
        return float(value)
    raise SampleCaseError(f"{value!r} is not a number")


def _sum_value(value: object) -> float:
    """A cell's value as SUM() sees it (text, even "1", is ignored)."""
    return float(value) if isinstance(value, int | float) else 0.0


def charge(row: SampleRow) -> float:
    """The Charge formula's result, =Units*Rate."""
    return _number(row["Units"]) * _number(row["Rate"])


def sheet_values(row: SampleRow) -> list[object]:
    """The line's cells in header order, as a reader sees them (Charge: the formula's result)."""
    return [*(row[name] for name in TYPED), charge(row)]


# --- the sample's blocks: the practice's patients and the rule fixtures' sample cases ---------

FIXTURES = HERE.parent / "tests" / "fixtures" / "rules"


@dataclass(frozen=True)
class Block:
    """Lines that go into the sample together: one patient's clean month, or a sample case."""

    name: str
    rows: tuple[SampleRow, ...]
    # What the block produces checked alone: (line index in the block, rule, cell column or
    # ""). The practice's clean lines expect nothing.
    expect: tuple[tuple[int, str, str], ...] = ()
    suppressed: int = 0

    def values(self, column: str) -> set[str]:
        return {str(row[column]) for row in self.rows if row[column] is not None}


def _case_block(path: Path, rule: str, case: Mapping[str, Any]) -> Block:
    name = f"{rule} sample case {case.get('name')!r}"
    try:
        rows = sample_case_rows(case)
        expect = []
        for entry in case["expect"]:
            row, code, *cell = entry
            if not 2 <= row < 2 + len(rows):
                raise SampleCaseError(f"expect {entry!r}: rows are 2 to {len(rows) + 1}")
            expect.append((row - 2, code, re.sub(r"\d", "", cell[0]) if cell else ""))
    except (SampleCaseError, KeyError, TypeError, ValueError) as exc:
        raise SampleCaseError(f"{path.name}: {name}: {exc}") from None
    return Block(name, tuple(rows), tuple(expect), case.get("suppressed", 0))


def sample_cases(fixture_dirs: Sequence[Path] = (FIXTURES,)) -> list[Block]:
    """Every `sample = true` case of the rule fixtures (NMRxxx.toml) in `fixture_dirs`, in rule
    code order, then in the order the file gives them."""
    files: dict[str, Path] = {}
    for folder in fixture_dirs:
        for path in folder.glob("NMR*.toml"):
            if path.name in files:
                raise SampleCaseError(f"{path.name} is in both {files[path.name].parent} and "
                                      f"{folder}")
            files[path.name] = path
    blocks = []
    for file_name in sorted(files):
        path = files[file_name]
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        blocks += [_case_block(path, data.get("rule", path.stem), case)
                   for case in data.get("case", []) if case.get("sample") is True]
    return blocks


def sample_blocks(fixture_dirs: Sequence[Path] = (FIXTURES,)) -> list[Block]:
    """The sample's blocks in the order they are written: by account number, as the "Charge
    Detail by Patient" report sorts, so the flagged lines fall among the clean ones. Each block
    has patients (account numbers and names) of its own, so blocks do not meet in a rule that
    pools a patient's lines."""
    blocks = [Block(f"the practice's lines of {patient.name}",
                    tuple(practice_row(patient, svc) for svc in services))
              for patient, services in PRACTICE_LINES]
    blocks += sample_cases(fixture_dirs)
    owner: dict[tuple[str, str], str] = {}
    for block in blocks:
        if not block.values("Acct #"):
            raise SampleCaseError(f"{block.name}: its lines need an account number (Acct #)")
        for column in ("Acct #", "Patient"):
            for value in sorted(block.values(column)):
                other = owner.setdefault((column, value.casefold()), block.name)
                if other != block.name:
                    raise SampleCaseError(f"{column} {value!r} is in both {other} and "
                                          f"{block.name}: give each block its own patients")
    return sorted(blocks, key=lambda block: min(block.values("Acct #")))


def _placed(blocks: Sequence[Block]) -> Iterator[tuple[int, Block]]:
    """Each block with the worksheet row of its first line."""
    row = FIRST_ROW
    for block in blocks:
        yield row, block
        row += len(block.rows)


@dataclass(frozen=True)
class SampleExpectations:
    """What the sample is built to produce, checked as of AS_OF with the bundled settings."""

    lines: int
    findings: tuple[tuple[int, str], ...]  # (worksheet row, rule), repeated as often as found
    cells: tuple[tuple[int, str, str], ...]  # (row, rule, cell) where the case names the cell
    suppressed: int
    blocks: tuple[tuple[int, int, str], ...]  # (first row, last row, block name)

    def block_of(self, row: int) -> str:
        return next((name for first, last, name in self.blocks if first <= row <= last),
                    "no block")


def sample_expectations(fixture_dirs: Sequence[Path] = (FIXTURES,)) -> SampleExpectations:
    """The findings the sample is built to produce: the union of its sample cases' `expect`,
    moved to the rows the cases occupy in the sample (the practice's lines expect none)."""
    findings, cells, spans = [], [], []
    lines = suppressed = 0
    for first, block in _placed(sample_blocks(fixture_dirs)):
        for index, rule, column in block.expect:
            findings.append((first + index, rule))
            if column:
                cells.append((first + index, rule, f"{column}{first + index}"))
        spans.append((first, first + len(block.rows) - 1, block.name))
        lines += len(block.rows)
        suppressed += block.suppressed
    return SampleExpectations(lines, tuple(sorted(findings)), tuple(sorted(cells)), suppressed,
                              tuple(spans))


# --- the sample workbook --------------------------------------------------------------------


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


def build_sample(fixture_dirs: Sequence[Path] = (FIXTURES,)
                 ) -> tuple[Workbook, dict[str, dict[str, float]]]:
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
    last = HEADER_ROW
    units_total = charge_total = 0.0
    letter = {name: get_column_letter(col) for name, col in COL.items()}
    for first, block in _placed(sample_blocks(fixture_dirs)):
        for row, line in enumerate(block.rows, start=first):
            for name, value in line.items():
                cell = ws.cell(row=row, column=COL[name], value=value)
                if name in DATES and isinstance(value, dt.date):
                    cell.number_format = DATE_FORMAT
                elif name == "Rate":
                    cell.number_format = MONEY_FORMAT
                elif name in CENTERED:
                    cell.alignment = Alignment(horizontal="center")
            formula = ws.cell(row=row, column=COL[CHARGE],
                              value=f"={letter['Units']}{row}*{letter['Rate']}{row}")
            formula.number_format = MONEY_FORMAT
            cached[formula.coordinate] = charge(line)
            units_total += _sum_value(line["Units"])
            charge_total += charge(line)
            last = row

    total_row = last + 2
    ws.cell(row=total_row, column=COL["Patient"], value="Totals").font = Font(bold=True)
    for name, total in (("Units", units_total), (CHARGE, charge_total)):
        col = letter[name]
        cell = ws.cell(row=total_row, column=COL[name],
                       value=f"=SUM({col}{FIRST_ROW}:{col}{last})")
        cell.font = Font(bold=True)
        cell.border = Border(top=Side(style="thin"), bottom=Side(style="double"))
        if name == CHARGE:
            cell.number_format = MONEY_FORMAT
        cached[cell.coordinate] = total

    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=COL["DOS"])
    ws.auto_filter.ref = f"A{HEADER_ROW}:{letter[CHARGE]}{last}"
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


def generate(out_dir: Path = HERE, fixture_dirs: Sequence[Path] = (FIXTURES,)
             ) -> tuple[Path, Path]:
    sample, cached = build_sample(fixture_dirs)
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

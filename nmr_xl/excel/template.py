"""The billing template's columns (workbooks/billing-template.xlsx): header, width, number
format and the instructions for each, in the template's order.

Kept in the package because the worksheet functions read a line in this column order when no
header row is given; workbooks/make_workbooks.py builds the template from the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

DATE_FORMAT = "mm/dd/yyyy"
MONEY_FORMAT = '"$"#,##0.00'
WHOLE_FORMAT = "0"
TEXT_FORMAT = "@"


@dataclass(frozen=True)
class TemplateColumn:
    header: str
    width: float
    number_format: str | None
    what: str
    example: str


TEMPLATE_COLUMNS = [
    TemplateColumn("Patient ID", 12, TEXT_FORMAT,
                   "The patient's account or chart number. Lines with the same patient ID and "
                   "date of service are one visit, and the minute and unit checks add them up "
                   "together.", "RB10214"),
    TemplateColumn("Patient Name", 22, None,
                   "The patient's name, for your own reading. The patient ID is what ties lines "
                   "together.", "Whitfield, Harold"),
    TemplateColumn("Date of Service", 13, DATE_FORMAT,
                   "The date the service was given (not the date it was posted or billed). Type "
                   "a real date; the cell only accepts dates.", "03/02/2026"),
    TemplateColumn("CPT Code", 10, TEXT_FORMAT,
                   "The five-character CPT or HCPCS code, one code per line. Put modifiers in "
                   "the modifier columns (or after the code, as in 97112-GP).", "97112"),
    TemplateColumn("Modifier 1", 9, TEXT_FORMAT,
                   "Modifiers, one per column: GP/GO/GN for therapy, CQ/CO for assistants, AT "
                   "for active chiropractic treatment (GA or GZ for maintenance care, never "
                   "with AT), GY on a Medicare chiropractor's services other than spinal "
                   "manipulation, 59 or XS (not both) for a separate service, 25 on a same-day "
                   "exam.", "GP"),
    TemplateColumn("Modifier 2", 9, TEXT_FORMAT, "A second modifier, if any.", "CQ"),
    TemplateColumn("Modifier 3", 9, TEXT_FORMAT, "A third modifier, if any.", ""),
    TemplateColumn("Modifier 4", 9, TEXT_FORMAT, "A fourth modifier, if any.", ""),
    TemplateColumn("Units", 7, WHOLE_FORMAT,
                   "Units billed, as a whole number. For the 15-minute codes, work them out "
                   "from the visit's minutes (the nmr-xl units command does it).", "2"),
    TemplateColumn("Minutes", 8, WHOLE_FORMAT,
                   "Minutes of direct treatment for this line, as a whole number. Fill it for "
                   "every timed (15-minute) code; leave it empty for untimed codes such as a "
                   "spinal adjustment or a hot pack.", "24"),
    TemplateColumn("Diagnosis 1", 10, TEXT_FORMAT,
                   "ICD-10-CM diagnosis codes, most important first. For a Medicare spinal "
                   "adjustment the first one is the subluxation (M99.0x).", "I69.351"),
    TemplateColumn("Diagnosis 2", 10, TEXT_FORMAT, "A second diagnosis, if any.", "R26.89"),
    TemplateColumn("Diagnosis 3", 10, TEXT_FORMAT, "A third diagnosis, if any.", "Z91.81"),
    TemplateColumn("Diagnosis 4", 10, TEXT_FORMAT, "A fourth diagnosis, if any.", ""),
    TemplateColumn("Rendering Provider", 20, None,
                   "The person who actually gave the service, written the same way on every "
                   "line (the check adds up each person's minutes per day).", "Natarajan, Priya"),
    TemplateColumn("Provider Type", 10, None,
                   "That person's credential, from the list: DC chiropractor, PT / PTA physical "
                   "therapist / assistant, OT / OTA occupational therapist / assistant, LMT "
                   "massage therapist, Aide, CA chiropractic assistant.", "PT"),
    TemplateColumn("One-on-One", 10, None,
                   "Yes when the provider was with this patient alone for the whole time "
                   "billed; No for group or unattended time.", "Yes"),
    TemplateColumn("Payer", 24, None,
                   "The primary insurance. Pick from the list, or type the plan's name (the "
                   "list shows the payers nmr-xl has special rules for; others get the general "
                   "rules).", "Medicare Part B"),
    TemplateColumn("Notes", 50, None,
                   "What was done, in a few words, as in the treatment note. To accept a "
                   "finding you have documented, add a marker such as "
                   "\"nmr: ignore NMR207\" with the reason.",
                   "Tandem walk, single-leg stance on foam, stepping strategies"),
    TemplateColumn("Functional Goal", 40, None,
                   "The everyday activity the treatment works toward. Needed on every 97112 "
                   "line.", "Walk 150 ft with a cane without losing balance"),
    TemplateColumn("Charge", 11, MONEY_FORMAT, "The amount billed for this line.", "136.00"),
    TemplateColumn("Plan of Care Start", 13, DATE_FORMAT,
                   "Optional: the first day of the certified plan of care (therapy patients).",
                   "03/02/2026"),
    TemplateColumn("Plan of Care End", 13, DATE_FORMAT,
                   "Optional: the last day of the certified plan of care.", "05/29/2026"),
    TemplateColumn("Certified By", 20, None,
                   "Optional: the physician or practitioner who certified the plan of care, "
                   "with the credential. For Medicare a chiropractor may not certify a therapy "
                   "plan.", "Dr. A. Moreno, MD"),
    TemplateColumn("Progress Report", 11, None,
                   "Optional: Yes on the visit a progress report was written, or the date of "
                   "the last report. Medicare expects one at least every 10 treatment days.",
                   "Yes"),
    TemplateColumn("Total Treatment Time", 11, WHOLE_FORMAT,
                   "Optional: the visit's total treatment time in minutes, timed and untimed "
                   "services together, as the treatment note records it (the same number on "
                   "each of the visit's lines, or on its first). The timed minutes of the "
                   "visit's lines can never add up to more.", "55"),
]

# The template's header row, as NMR_CHECK assumes it when no header is given.
TEMPLATE_HEADER: tuple[str, ...] = tuple(c.header for c in TEMPLATE_COLUMNS)

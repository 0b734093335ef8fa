"""Second held-out set (session 3H): `python bench/heldout2/generate.py` writes bench/heldout2/data.

Built blind like bench/heldout (from the README's user sections, `nmr-xl rules` / `explain`, the
domain rules and the export research; not from nmr_xl/read, tests/exports.py, bench/heldout's
generator or rules.toml's heading lists), in shapes that set never tried: day-first dates, codes
after a label, modifiers in brackets, `1h 5m` / `0:38` / `38 mins` minutes, hidden and filtered
rows, a two-row header repeated on later pages, a CMS-1500 wide claim row, a pivot of units by
code, a ledger with a running balance, a patient merged over all their visits, a SQL dump in
CAPITALS, a Google Sheets export with a Notes sheet and apostrophe text numbers, a CSV with a
metadata preamble, an empty first column, an unlabelled total row, a no-charge line of 0 units,
Spanish headings. All patients invented.

manifest.json: {file: {"sheets": {sheet: {"planted": [[row, rule]], "lines": [rows]}},
"expect": "checked" | "plain"}}. "plain": a shape nmr-xl cannot read safely; it must refuse
it or say it cannot be fully checked, and find nothing on it. CSV sheets are "*".
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

OUT = Path(__file__).resolve().parent / "data"
D = dt.date


class Sheet:
    """Rows written one by one; remembers which are lines and which carry planted problems."""

    def __init__(self) -> None:
        self.rows: list[list[object]] = []
        self.planted: list[list[object]] = []
        self.lines: list[int] = []

    def add(self, row: list[object], *plants: str, line: bool = True) -> int:
        self.rows.append(row)
        n = len(self.rows)
        if line:
            self.lines.append(n)
        for p in plants:
            self.planted.append([n, p])
        return n

    def other(self, row: list[object]) -> int:
        return self.add(row, line=False)

    def entry(self) -> dict:
        return {"planted": self.planted, "lines": self.lines}

    def to_ws(self, ws: Worksheet) -> None:
        for r in self.rows:
            ws.append(list(r))


def write_csv(path: Path, sh: Sheet, delimiter: str = ",") -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        for r in sh.rows:
            w.writerow(["" if v is None else v for v in r])


MANIFEST: dict[str, dict] = {}


def record(name: str, sheets: dict[str, Sheet], expect: str = "checked") -> None:
    MANIFEST[name] = {"sheets": {k: v.entry() for k, v in sheets.items()}, "expect": expect}


# ---------------------------------------------------------------------------------------------
def f01_uk_day_first() -> None:
    """A UK clinic: text dates day-first (03/02/2026 = 3 Feb; 12/03/2026 = 12 March, which read
    month-first would be in December, in the future), `38 mins`, code `97112 - Neuro Re-ed`."""
    sh = Sheet()
    sh.other(["Physio Clinic Ltd - Treatment Charges", None, None, None, None, None, None, None])
    sh.other(["Patient", "Date", "Treatment", "Mods", "Units", "Time", "Clinician", "Insurer"])
    sh.add(["Hughes, Amelia", "03/02/2026", "97112 - Neuro Re-ed", "GP", 2, "30 mins",
            "Tom Reid PT", "Bupa"])
    sh.add(["Hughes, Amelia", "12/03/2026", "97112 - Neuro Re-ed", "GP", 2, "25 mins",
            "Tom Reid PT", "Bupa"])
    sh.add(["Hughes, Amelia", "12/03/2026", "97110 - Ther Ex", "GP", 1, "13 mins",
            "Tom Reid PT", "Bupa"])
    sh.add(["Patel, Ravi", "17/02/2026", "97112 - Neuro Re-ed", "GP", 3, "30 mins",
            "Tom Reid PT", "AXA Health"], "NMR102")
    sh.add(["Patel, Ravi", "24/02/2026", "97112 - Neuro Re-ed", "GP", 2, "30 mins",
            "Lucy Kerr LMT", "AXA Health"], "NMR204")
    sh.add(["Patel, Ravi", "31/02/2026", "97110 - Ther Ex", "GP", 2, "30 mins",
            "Tom Reid PT", "AXA Health"], "NMR002")
    sh.add(["Owen, Gareth", "05/03/2026", "97140 - Manual Therapy", "GP", 1, "15 mins",
            "Tom Reid PT", "Self Pay"])
    sh.add(["Owen, Gareth", "05/03/2026", "97112 - Neuro Re-ed", "GP", 1, "15 mins",
            "Tom Reid PT", "Self Pay"])
    sh.add(["Owen, Gareth", "05/03/2026", "97112 - Neuro Re-ed", "GP", 1, "15 mins",
            "Tom Reid PT", "Self Pay"], "NMR003")
    sh.add(["Owen, Gareth", "10/03/2026", "97112 - Neuro Re-ed", "GP", 2, "38 mins",
            "Tom Reid PT", "Self Pay"], "NMR104")
    wb = Workbook()
    ws = wb.active
    ws.title = "Charges"
    sh.to_ws(ws)
    wb.save(OUT / "f01-uk-day-first.xlsx")
    record("f01-uk-day-first.xlsx", {"Charges": sh})


def f02_preamble_csv() -> None:
    """A CSV with a metadata preamble, `CPT 97112` codes, modifiers in brackets `97112 (GP)`,
    minutes `0:38` / `1h 5m`, Medicare, a total row with no label."""
    sh = Sheet()
    sh.other(["Report: Charge Detail by Service Date"])
    sh.other(["Generated: 2026-04-01 07:15 by jsmith"])
    sh.other(["Date range: 03/01/2026 - 03/31/2026"])
    sh.other([])
    sh.other(["Patient Account", "Service Date", "Procedure", "Qty", "Treatment Minutes",
              "Provider", "Primary Insurance", "Charge"])
    sh.add(["10023", "03/02/2026", "CPT 97112 (GP)", "2", "0:30", "Dana Cole PT",
            "Medicare Part B", "96.00"])
    sh.add(["10023", "03/02/2026", "CPT 97110 (GP)", "1", "0:15", "Dana Cole PT",
            "Medicare Part B", "40.00"])
    sh.add(["10031", "03/03/2026", "CPT 97112", "2", "0:30", "Dana Cole PT",
            "Medicare Part B", "96.00"], "NMR304")
    sh.add(["10031", "03/05/2026", "CPT 97530 (GP)", "4", "1h 5m", "Dana Cole PT",
            "Medicare Part B", "180.00"])
    sh.add(["10044", "03/06/2026", "CPT 97112 (GP)", "3", "0:38", "Dana Cole PT",
            "Medicare Part B", "144.00"])
    sh.add(["10044", "03/09/2026", "CPT 97112 (GP)", "3", "0:29", "Dana Cole PT",
            "Medicare Part B", "144.00"], "NMR102")
    sh.add(["10044", "03/11/2026", "CPT 97112 (GP)", "2", "", "Dana Cole PT",
            "Medicare Part B", "96.00"], "NMR101")
    sh.add(["10052", "03/12/2026", "CPT 98940", "1", "", "Mark Ortiz DC",
            "Medicare Part B", "45.00"], "NMR302")
    sh.other(["", "", "", "18", "", "", "", "842.00"])
    write_csv(OUT / "f02-preamble.csv", sh)
    record("f02-preamble.csv", {"*": sh})


def f03_hidden_filtered() -> None:
    """Real dates, an autofilter with rows filtered out and a row hidden by hand: hidden rows
    are checked like any other (README: hidden or filtered rows are checked and marked)."""
    sh = Sheet()
    sh.other(["Patient", "DOS", "CPT", "Modifier", "Units", "Minutes", "Therapist",
              "Credential", "Payer", "Dx 1"])
    rows = [
        (["Stone, Ivy", D(2026, 3, 2), "97112", "GP", 2, 30, "Ann Fox", "PT", "Medicare",
          "G20"], ()),
        (["Stone, Ivy", D(2026, 3, 4), "97112", "GP", 2, 30, "Ann Fox", "PT", "Medicare",
          "G20"], ()),
        (["Stone, Ivy", D(2026, 3, 6), "97112", "GP", 2, 30, "Bo Lin", "PTA", "Medicare",
          "G20"], ("NMR305",)),  # hidden row
        (["Ward, Eli", D(2026, 3, 3), "97112", "GP", 1, 15, "Ann Fox", "PT", "Cigna",
          "I69.351"], ()),
        (["Ward, Eli", D(2026, 3, 3), "97110", "GP", 1, 15, "Ann Fox", "PT", "Cigna",
          "I69.351"], ()),
        (["Ward, Eli", D(2026, 3, 10), "97112", "GP", 2, 30, "Ann Fox", "PT", "Cigna",
          "M54.50"], ("NMR205",)),  # filtered out
        (["Ward, Eli", D(2026, 3, 12), "97112", "GP", 2, 30, "Cara Diaz", "LMT", "Cigna",
          "I69.351"], ("NMR204",)),  # filtered out
        (["Ng, Olive", D(2026, 3, 5), "97112", "GP", 3, 40, "Ann Fox", "PT", "Medicare",
          "R26.81"], ()),
        (["Ng, Olive", D(2026, 3, 9), "97112", "", 2, 30, "Ann Fox", "PT", "Medicare",
          "R26.81"], ("NMR304",)),
    ]
    for r, p in rows:
        sh.add(r, *p)
    wb = Workbook()
    ws = wb.active
    ws.title = "Visits"
    sh.to_ws(ws)
    ws.row_dimensions[4].hidden = True
    ws.auto_filter.ref = f"A1:J{len(sh.rows)}"
    ws.auto_filter.add_filter_column(9, ["G20", "I69.351", "R26.81"])
    ws.row_dimensions[7].hidden = True
    ws.row_dimensions[8].hidden = True
    wb.save(OUT / "f03-hidden-filtered.xlsx")
    record("f03-hidden-filtered.xlsx", {"Visits": sh})


def f04_two_row_header_repeated() -> None:
    """A two-row header repeated under a page line on later pages."""
    sh = Sheet()
    h1 = ["Patient", "Date of", "Procedure", "Mod", "Units", "Timed", "Rendering", "Primary"]
    h2 = ["Name", "Service", "Code", "", "Billed", "Minutes", "Provider", "Payer"]
    sh.other(["Visit Charges - Main St Rehab", None, None, None, None, None, None, None])
    sh.other(h1)
    sh.other(h2)
    pages = [
        [(["Baker, Joan", "03/02/2026", "97112", "GP", 2, 30, "Sue Park, PT", "Medicare"], ()),
         (["Baker, Joan", "03/02/2026", "97110", "GP", 1, 5, "Sue Park, PT", "Medicare"],
          ("NMR102",)),
         (["Baker, Joan", "03/04/2026", "97112", "GP", 2, 30, "Sue Park, PT", "Medicare"], ()),
         (["Cruz, Leo", "03/03/2026", "97112", "GP", 2, 30, "Sue Park, PT", "UHC"], ())],
        [(["Cruz, Leo", "03/05/2026", "97112", "GP", 2, 30, "Sue Park, PT", "UHC"], ()),
         (["Cruz, Leo", "03/05/2026", "97112", "GP", 2, 30, "Sue Park, PT", "UHC"], ("NMR003",)),
         (["Diaz, Mia", "03/06/2026", "97112", "GP", 2, 30, "Tim Ross, PTA", "Medicare"],
          ("NMR305",)),
         (["Diaz, Mia", "04/20/2026", "97112", "GP CQ", 2, 30, "Tim Ross, PTA", "Medicare"],
          ("NMR004",))],
        [(["Evans, Kay", "03/09/2026", "97112", "GP", 1, 15, "Sue Park, PT", "Medicare"], ()),
         (["Evans, Kay", "03/09/2026", "97140", "GP", 1, 15, "Sue Park, PT", "Medicare"], ())],
    ]
    for i, page in enumerate(pages):
        if i:
            sh.other([f"Page {i + 1} of {len(pages)}", None, None, None, None, None, None, None])
            sh.other(h1)
            sh.other(h2)
        for r, p in page:
            sh.add(r, *p)
    wb = Workbook()
    ws = wb.active
    ws.title = "Report"
    sh.to_ws(ws)
    wb.save(OUT / "f04-two-row-header-paged.xlsx")
    record("f04-two-row-header-paged.xlsx", {"Report": sh})


def f05_wide_claim() -> None:
    """CMS-1500 style: one claim a row, six service lines in column groups. nmr-xl reads one
    line a row: it must refuse or say plainly it cannot check this, never misread it."""
    sh = Sheet()
    head = ["Claim #", "Patient", "Payer", "Rendering Provider", "Dx 1", "Dx 2"]
    for i in range(1, 7):
        head += [f"Line {i} DOS", f"Line {i} CPT", f"Line {i} Mod", f"Line {i} Units"]
    sh.other(head)

    def claim(no: str, pt: str, lines: list[tuple[str, str, str, int]]) -> list[object]:
        row: list[object] = [no, pt, "Medicare", "Ann Fox PT", "G20", "R26.81"]
        for ln in lines:
            row += list(ln)
        row += [None] * (4 * (6 - len(lines)))
        return row

    sh.add(claim("C100", "Gray, Al", [("03/02/2026", "97112", "GP", 2),
                                      ("03/02/2026", "97110", "GP", 1)]))
    sh.add(claim("C101", "Hale, Bea", [("03/03/2026", "97112", "GP", 2),
                                       ("03/05/2026", "97112", "", 2),
                                       ("03/09/2026", "97112", "GP", 2)]))
    sh.add(claim("C102", "Irwin, Cy", [("03/04/2026", "97112", "GP", 1)]))
    wb = Workbook()
    ws = wb.active
    ws.title = "Claims"
    sh.to_ws(ws)
    wb.save(OUT / "f05-wide-claim.xlsx")
    record("f05-wide-claim.xlsx", {"Claims": sh}, expect="plain")


def f06_pivot() -> None:
    """Units by code as columns (a pivot of the charges): not billing lines."""
    sh = Sheet()
    sh.other(["Units by Patient and Code", None, None, None, None, None])
    sh.other(["Patient", "DOS", "97110", "97112", "97140", "Grand Total"])
    sh.add(["Adams, Bo", D(2026, 3, 2), 1, 2, None, 3])
    sh.add(["Adams, Bo", D(2026, 3, 4), None, 2, 1, 3])
    sh.add(["Brown, Cal", D(2026, 3, 3), 2, 3, None, 5])
    sh.other(["Grand Total", None, 3, 7, 1, 11])
    wb = Workbook()
    ws = wb.active
    ws.title = "Pivot"
    sh.to_ws(ws)
    wb.save(OUT / "f06-pivot.xlsx")
    record("f06-pivot.xlsx", {"Pivot": sh}, expect="plain")


def f07_ledger_running_balance() -> None:
    """A chiropractic patient ledger: title rows name the patient and payer, a description
    holding `98940 Chiropractic Manipulation (AT)`, charges, payments and a running balance."""
    sh = Sheet()
    sh.other(["Patient Ledger", None, None, None, None, None, None])
    sh.other(["Patient: Quinn, Harold   Acct 55120", None, None, None, None, None, None])
    sh.other(["Insurance: Medicare", None, None, None, None, None, None])
    sh.other(["Date", "Description", "Units", "Provider", "Charges", "Payments", "Balance"])
    sh.add([D(2026, 3, 2), "98940 Chiropractic Manipulation (AT)", 1, "Mark Ortiz DC",
            "45.00", "", "45.00"])
    sh.other([D(2026, 3, 2), "Copay - Check #1182", "", "", "", "10.00", "35.00"])
    sh.add([D(2026, 3, 4), "98940 Chiropractic Manipulation (AT)", 2, "Mark Ortiz DC",
            "90.00", "", "125.00"], "NMR105")
    sh.add([D(2026, 3, 4), "97112 Neuromuscular Re-education (GP)", 1, "Mark Ortiz DC",
            "48.00", "", "173.00"], "NMR301", "NMR306")
    sh.other([D(2026, 3, 10), "Medicare Payment", "", "", "", "80.14", "92.86"])
    sh.other([D(2026, 3, 10), "Contractual Adjustment", "", "", "", "12.86", "80.00"])
    sh.add([D(2026, 3, 11), "98940 Chiropractic Manipulation", 1, "Mark Ortiz DC",
            "45.00", "", "125.00"], "NMR302")
    sh.add([D(2026, 3, 13), "98940 Chiropractic Manipulation (AT)", 1, "Mark Ortiz DC",
            "45.00", "", "170.00"])
    wb = Workbook()
    ws = wb.active
    ws.title = "Ledger"
    sh.to_ws(ws)
    wb.save(OUT / "f07-ledger-balance.xlsx")
    record("f07-ledger-balance.xlsx", {"Ledger": sh})


def f08_merged_patient_block() -> None:
    """The patient's name merged down over all their visits (several dates), the date merged
    over each visit's lines."""
    sh = Sheet()
    sh.other(["Patient", "Visit Date", "CPT", "Mod 1", "Units", "Min", "Therapist", "Payer"])
    data = [
        ("Lopez, Nina", [(D(2026, 3, 2), [("97112", "GP", 2, 25, ()), ("97110", "GP", 1, 13, ())]),
                         (D(2026, 3, 5), [("97112", "GP", 2, 30, ())]),
                         (D(2026, 3, 9), [("97112", "GP", 2, 20, ("NMR102",)),
                                          ("97140", "GP", 1, 10, ())])]),
        ("Moss, Owen", [(D(2026, 3, 3), [("97112", "", 2, 30, ("NMR304",))]),
                        (D(2026, 3, 6), [("97112", "GP", 2, 30, ()),
                                         ("97116", "GP", 1, 15, ())])]),
    ]
    merges: list[str] = []
    for pt, visits in data:
        first_pt = len(sh.rows) + 1
        for i, (dos, lines) in enumerate(visits):
            first_v = len(sh.rows) + 1
            for j, (code, mod, units, mins, plants) in enumerate(lines):
                sh.add([pt if (i == 0 and j == 0) else None, dos if j == 0 else None, code, mod,
                        units, mins, "Jo Hart PT", "Medicare"], *plants)
            if len(lines) > 1:
                merges.append(f"B{first_v}:B{len(sh.rows)}")
        merges.append(f"A{first_pt}:A{len(sh.rows)}")
    wb = Workbook()
    ws = wb.active
    ws.title = "Visits"
    sh.to_ws(ws)
    for m in merges:
        ws.merge_cells(m)
    wb.save(OUT / "f08-merged-patient.xlsx")
    record("f08-merged-patient.xlsx", {"Visits": sh})


def f09_sql_dump() -> None:
    """A SQL dump: headings in CAPITALS with underscores, NULL for empty, timestamps."""
    sh = Sheet()
    sh.other(["PAT_ACCT_NO", "SVC_DT", "PROC_CD", "MOD_1", "MOD_2", "UNIT_QTY", "TIMED_MIN",
              "REND_PROV_NM", "PROV_TYPE_CD", "PRIM_PAYER_NM", "DX_CD_1", "DX_CD_2", "CHG_AMT"])
    rows = [
        (["70011", "2026-03-02 00:00:00.000", "97112", "GP", "NULL", "2", "30", "ROSS, TIM",
          "PTA", "MEDICARE", "G20", "NULL", "96.00"], ("NMR305",)),
        (["70011", "2026-03-04 00:00:00.000", "97112", "GP", "CQ", "2", "30", "ROSS, TIM",
          "PTA", "MEDICARE", "G20", "NULL", "96.00"], ()),
        (["70011", "2026-03-06 00:00:00.000", "97112", "GP", "CQ", "2", "30", "ROSS, TIM",
          "PTA", "MEDICARE", "M54.50", "NULL", "96.00"], ("NMR205",)),
        (["70027", "2026-03-03 00:00:00.000", "97112", "GP", "NULL", "3", "38", "PARK, SUE",
          "PT", "MEDICARE", "I69.351", "R26.81", "144.00"], ()),
        (["70027", "2026-03-05 00:00:00.000", "97112", "GP", "NULL", "3", "35", "PARK, SUE",
          "PT", "MEDICARE", "I69.351", "R26.81", "144.00"], ("NMR102",)),
        (["70027", "2026-03-05 00:00:00.000", "97110", "GP", "NULL", "0", "0", "PARK, SUE",
          "PT", "MEDICARE", "I69.351", "NULL", "0.00"], ()),
        (["70035", "2026-03-11 00:00:00.000", "97112", "NULL", "NULL", "2", "30", "PARK, SUE",
          "PT", "MEDICARE", "G35", "NULL", "96.00"], ("NMR304",)),
        (["70035", "2026-03-09 00:00:00.000", "97112", "GP", "NULL", "2", "30", "PARK, SUE",
          "PT", "BCBS TEXAS", "G35", "NULL", "96.00"], ()),
    ]
    for r, p in rows:
        sh.add(r, *p)
    write_csv(OUT / "f09-sql-dump.csv", sh)
    record("f09-sql-dump.csv", {"*": sh})


def f10_google_sheets() -> None:
    """A Google Sheets export: the charges sheet, then a Notes sheet of free text; numbers as
    text with a leading apostrophe, amounts with thousands separators."""
    sh = Sheet()
    sh.other(["Client", "Session Date", "Service Code", "Modifiers", "Units", "Minutes",
              "Provider", "Provider Type", "Payer", "Session Notes", "Fee"])
    rows = [
        (["Reyes, Ana", "3/2/2026", "'97112", "GP", "'2", "'30", "Kim Lee", "PT", "Aetna",
          "balance training on foam, tandem gait", "1,020.00"], ()),
        (["Reyes, Ana", "3/4/2026", "'97112", "GP", "'2", "'30", "Kim Lee", "PT", "Aetna",
          "group balance class, 4 patients", "96.00"], ("NMR201",)),
        (["Reyes, Ana", "3/6/2026", "'97112", "GP", "'2", "'30", "Kim Lee", "PT", "Aetna",
          "deep tissue massage to lumbar paraspinals", "96.00"], ("NMR202",)),
        (["Silva, Ben", "3/3/2026", "'97112", "GP", "'2", "'30", "Kim Lee", "PT", "Cigna",
          "PNF patterns, proprioceptive training", "96.00"], ()),
        (["Silva, Ben", "3/3/2026", "'97112", "GP", "'2", "'30", "Kim Lee", "PT", "Cigna",
          "PNF patterns, proprioceptive training", "96.00"], ("NMR003",)),
        (["Silva, Ben", "3/5/2026", "'97112", "GP", "'2", "'30", "Kim Lee", "PT", "Cigna",
          "leg press and hamstring strengthening 3x10", "96.00"], ("NMR206",)),
        (["Silva, Ben", "3/9/2026", "'97112", "GP", "'2", "'30", "Kim Lee", "PT", "Cigna",
          "BAPS board, single-leg stance", "1,096.00"], ()),
    ]
    for r, p in rows:
        sh.add(r, *p)
    wb = Workbook()
    ws = wb.active
    ws.title = "Charges"
    sh.to_ws(ws)
    notes = wb.create_sheet("Notes")
    notes.append(["Notes"])
    notes.append(["Ana's 3/4 visit to be reviewed with Kim - code 97112 vs 97150?"])
    notes.append(["Fee schedule updated 1/1/2026; 97112 = $48 per unit"])
    wb.save(OUT / "f10-google-sheets.xlsx")
    record("f10-google-sheets.xlsx", {"Charges": sh})


def f11_spanish() -> None:
    """Spanish headings: the README claims no Spanish vocabulary, so the plain outcome is a file
    refused or reported as not fully checked, with nothing found on it."""
    sh = Sheet()
    sh.other(["Paciente", "Fecha de servicio", "Código", "Modificador", "Unidades", "Minutos",
              "Terapeuta", "Aseguradora"])
    sh.add(["Gómez, Lucía", "03/02/2026", "97112", "GP", 2, 30, "Ana Ruiz PT", "Medicare"])
    sh.add(["Gómez, Lucía", "03/04/2026", "97112", "GP", 2, 30, "Ana Ruiz PT", "Medicare"])
    sh.add(["Torres, Raúl", "03/05/2026", "97110", "GP", 1, 15, "Ana Ruiz PT", "Medicare"])
    wb = Workbook()
    ws = wb.active
    ws.title = "Cargos"
    sh.to_ws(ws)
    wb.save(OUT / "f11-spanish.xlsx")
    record("f11-spanish.xlsx", {"Cargos": sh}, expect="plain")


def f12_empty_first_column() -> None:
    """The table starts in column B (column A empty), a no-charge line of 0 units at $0.00
    (bundled), a total row with no label, a future date, a line without a patient."""
    sh = Sheet()
    sh.other([None, "Acct", "DOS", "Code", "Mod", "Units", "Minutes", "Provider", "Payer",
              "Charge"])
    rows = [
        ([None, "A-301", "03/02/2026", "97112", "GP", 2, 30, "Dana Cole PT", "Medicare",
          96.0], ()),
        ([None, "A-301", "03/02/2026", "97010", "GP", 0, 0, "Dana Cole PT", "Medicare", 0.0],
         ()),
        ([None, "A-301", "03/04/2026", "97112", "GP", 2, 30, "Dana Cole PT", "Medicare",
          96.0], ()),
        ([None, "A-302", "03/03/2026", "97112", "GP", 3, 30, "Dana Cole PT", "Medicare",
          144.0], ("NMR102",)),
        ([None, "A-302", "04/14/2026", "97112", "GP", 2, 30, "Dana Cole PT", "Medicare",
          96.0], ("NMR004",)),
        ([None, None, "03/05/2026", "97112", "GP", 2, 30, "Dana Cole PT", "Medicare", 96.0],
         ("NMR001",)),
        ([None, "A-303", "03/06/2026", "97112", "GP", 1, 15, "Dana Cole PT", "Medicare",
          48.0], ()),
        ([None, "A-303", "03/06/2026", "97110", "GP", 1, 15, "Dana Cole PT", "Medicare",
          40.0], ()),
    ]
    for r, p in rows:
        sh.add(r, *p)
    sh.other([None, None, None, None, None, 13, 180, None, None, 616.0])
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    sh.to_ws(ws)
    wb.save(OUT / "f12-empty-col-a.xlsx")
    record("f12-empty-col-a.xlsx", {"Sheet1": sh})


def f13_label_codes_tsv() -> None:
    """A therapy EMR's TSV: the service as `Neuromuscular Re-education (97112)` with the
    modifiers as `(GP)(59)`-less brackets in their own column, `1h 5m` minutes."""
    sh = Sheet()
    sh.other(["Patient Name", "Date of Visit", "Service", "Modifiers", "Units Billed",
              "Time Spent", "Clinician", "Clinician Credentials", "Insurance Plan",
              "Diagnosis Codes"])
    rows = [
        (["Allen, Pam", "2026-03-02", "Neuromuscular Re-education (97112)", "(GP)", "4",
          "1h 5m", "Lee Wong", "PT", "Medicare", "G20, R26.81"], ()),
        (["Allen, Pam", "2026-03-04", "Neuromuscular Re-education (97112)", "(GP)", "2",
          "38 mins", "Lee Wong", "PT", "Medicare", "G20, R26.81"], ("NMR104",)),
        (["Allen, Pam", "2026-03-06", "Therapeutic Exercise (97110)", "(GP)", "4",
          "1h", "Lee Wong", "PT", "Medicare", "G20"], ()),
        (["Bell, Roy", "2026-03-03", "Neuromuscular Re-education (97112)", "(GP)", "3",
          "0h 30m", "Lee Wong", "PT", "Medicare", "I69.351"], ("NMR102",)),
        (["Bell, Roy", "2026-03-05", "Neuromuscular Re-education (97112)", "(GP)", "2",
          "30 mins", "Mo Khan", "PTA", "Medicare", "I69.351"], ("NMR305",)),
        (["Bell, Roy", "2026-03-09", "Neuromuscular Re-education (97112)", "(GP)(CQ)", "2",
          "30 mins", "Mo Khan", "PTA", "Medicare", "M54.50"], ("NMR205",)),
    ]
    for r, p in rows:
        sh.add(r, *p)
    write_csv(OUT / "f13-label-codes.tsv", sh, delimiter="\t")
    record("f13-label-codes.tsv", {"*": sh})


def f14_month_tabs_price_list() -> None:
    """Monthly tabs of the same layout and a fee-schedule sheet (codes, fees, no patient)."""
    wb = Workbook()
    fee = wb.active
    fee.title = "Fee Schedule"
    fee.append(["Code", "Description", "Default Units", "Fee"])
    for r in [["97110", "Therapeutic exercise", 1, 40], ["97112", "Neuromuscular re-ed", 1, 48],
              ["97140", "Manual therapy", 1, 42], ["98940", "CMT 1-2 regions", 2, 45]]:
        fee.append(r)
    sheets: dict[str, Sheet] = {}
    for name, month, plants in [("Feb", 2, [("NMR204",), (), ("NMR003",)]),
                                ("Mar", 3, [(), ("NMR102",), ("NMR304",)])]:
        sh = Sheet()
        sh.other([f"Charges {name} 2026", None, None, None, None, None, None])
        sh.other(["Pt Name", "DOS", "CPT Code", "Modifier", "Units", "Minutes", "Provider",
                  "Payer"])
        sh.add(["Vance, Ted", D(2026, month, 3), "97112", "GP", 2, 30,
                "Ria Shah, LMT" if month == 2 else "Ria Shah, DPT",
                "Medicare" if month == 3 else "Humana"], *plants[0])
        sh.add(["Vance, Ted", D(2026, month, 5), "97112", "GP", 3 if month == 3 else 2, 30,
                "Ria Shah, DPT", "Humana"], *plants[1])
        if month == 2:
            sh.add(["Vance, Ted", D(2026, month, 5), "97112", "GP", 2, 30, "Ria Shah, DPT",
                    "Humana"], *plants[2])
        else:
            sh.add(["Wu, Jen", D(2026, month, 6), "97112", "", 2, 30, "Ria Shah, DPT",
                    "Medicare"], *plants[2])
        ws = wb.create_sheet(name)
        sh.to_ws(ws)
        sheets[name] = sh
    wb.save(OUT / "f14-month-tabs.xlsx")
    record("f14-month-tabs.xlsx", sheets)


def f15_au_real_dates_and_text() -> None:
    """An Australian clinic's CSV: `DD/MM/YYYY` dates where most days are 12 or less, `mins`,
    `CPT 97112` codes; dates on the 13th and 20th prove the order (one alone could be a slip).
    The 20/03 line was added after the first scoring, when one telling date was judged too
    little for a reader to obey."""
    sh = Sheet()
    sh.other(["Client Name", "Appointment Date", "Item", "Qty", "Duration", "Practitioner",
              "Fund"])
    rows = [
        (["Kelly, Zoe", "02/03/2026", "CPT 97112", "2", "30 mins", "Sam Boyd PT", "Medibank"],
         ()),
        (["Kelly, Zoe", "04/03/2026", "CPT 97112", "2", "30 mins", "Sam Boyd PT", "Medibank"],
         ()),
        (["Kelly, Zoe", "09/03/2026", "CPT 97112", "3", "30 mins", "Sam Boyd PT", "Medibank"],
         ("NMR102",)),
        (["Nolan, Pat", "11/03/2026", "CPT 97112", "2", "30 mins", "Jay Kim LMT", "HCF"],
         ("NMR204",)),
        (["Nolan, Pat", "13/03/2026", "CPT 97112", "2", "30 mins", "Sam Boyd PT", "HCF"], ()),
        (["Nolan, Pat", "20/03/2026", "CPT 97112", "2", "30 mins", "Sam Boyd PT", "HCF"], ()),
        (["Nolan, Pat", "05/12/2026", "CPT 97112", "2", "30 mins", "Sam Boyd PT", "HCF"],
         ("NMR004",)),
    ]
    for r, p in rows:
        sh.add(r, *p)
    write_csv(OUT / "f15-au-day-first.csv", sh)
    record("f15-au-day-first.csv", {"*": sh})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    MANIFEST.clear()
    for f in (f01_uk_day_first, f02_preamble_csv, f03_hidden_filtered,
              f04_two_row_header_repeated, f05_wide_claim, f06_pivot, f07_ledger_running_balance,
              f08_merged_patient_block, f09_sql_dump, f10_google_sheets, f11_spanish,
              f12_empty_first_column, f13_label_codes_tsv, f14_month_tabs_price_list,
              f15_au_real_dates_and_text):
        f()
    (OUT / "manifest.json").write_text(json.dumps(MANIFEST, indent=1))


if __name__ == "__main__":
    main()

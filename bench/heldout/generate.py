# ruff: noqa: E501, E702, SIM113
"""Held-out export shapes for nmr-xl, built blind (from the README, the rule docs and the
export-layout research only) by the reviewer of session 3E.

Writes ~12 workbooks/CSVs into bench/heldout/data/ (not committed) and bench/heldout/data/manifest.json:
for every file the planted problems as (row, rule) and the rows of correctly billed lines.
`python bench/heldout/score.py` checks them with nmr-xl and writes the scorecard.

A line is a dict: pt, name, dos (date), code, mods (list), units, min (minutes or None),
prov, cred, payer, dx (list), notes, chg, plant (list of (rule, rows-offset-or-None)).
`plant` entries name the rule expected on this line's row.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font

OUT = Path(__file__).resolve().parent / "data"
D = dt.date
MANIFEST: dict[str, Any] = {}

Line = dict[str, Any]
Col = tuple[str, Callable[[Line], Any]]


def L(pt: str, name: str, dos: dt.date, code: str, units: int, *, mods: tuple[str, ...] = (),
      mins: int | None = None, prov: str = "Dana Cole", cred: str = "PT",
      payer: str = "Medicare Part B", dx: tuple[str, ...] = ("R26.89",), notes: str = "",
      chg: float | None = None, plant: tuple[str, ...] = ()) -> Line:
    fee = {"97112": 48.0, "97110": 42.0, "97140": 40.0, "97530": 45.0, "97124": 38.0,
           "98940": 45.0, "98941": 60.0, "98942": 75.0, "97116": 40.0, "97161": 110.0,
           "97010": 10.0, "97014": 15.0, "G0283": 15.0}.get(code, 50.0)
    return {"pt": pt, "name": name, "dos": dos, "code": code, "mods": list(mods), "units": units,
            "min": mins, "prov": prov, "cred": cred, "payer": payer, "dx": list(dx),
            "notes": notes, "chg": chg if chg is not None else fee * units, "plant": list(plant)}


def us(d: dt.date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


def money(v: float) -> str:
    return f"${v:,.2f}" if v >= 0 else f"(${-v:,.2f})"


def serial(d: dt.date) -> int:
    return (d - D(1899, 12, 30)).days


def record(name: str, sheet: str, placed: list[tuple[int, Line]], note: str = "") -> None:
    entry = MANIFEST.setdefault(name, {"sheets": {}, "note": note})
    entry["sheets"][sheet] = {
        "planted": [[r, rule] for r, ln in placed for rule in ln["plant"]],
        "lines": [r for r, _ in placed],
    }


def write_table(ws, top: int, cols: list[Col], lines: list[Line], *, left: int = 1,
                group: Callable[[Line], str] | None = None,
                group_row: Callable[[str], list[Any]] | None = None,
                subtotal: Callable[[str, list[Line]], list[Any]] | None = None,
                page_every: int = 0, page_rows: Callable[[int], list[list[Any]]] | None = None,
                header: bool = True) -> tuple[list[tuple[int, Line]], int]:
    """Header at `top`, lines below; returns (row, line) pairs and the next free row."""
    r = top
    if header:
        for j, (h, _) in enumerate(cols):
            c = ws.cell(r, left + j, h)
            c.font = Font(bold=True)
        r += 1
    placed: list[tuple[int, Line]] = []
    cur: str | None = None
    grp: list[Line] = []
    count = 0
    page = 1
    for ln in lines:
        g = group(ln) if group else None
        if group and g != cur:
            if cur is not None and subtotal:
                for j, v in enumerate(subtotal(cur, grp)):
                    ws.cell(r, left + j, v)
                r += 1
            cur, grp = g, []
            if group_row:
                for j, v in enumerate(group_row(g or "")):
                    ws.cell(r, left + j, v)
                r += 1
        if page_every and count and count % page_every == 0 and page_rows:
            page += 1
            for row in page_rows(page):
                for j, v in enumerate(row):
                    ws.cell(r, left + j, v)
                r += 1
            for j, (h, _) in enumerate(cols):
                ws.cell(r, left + j, h).font = Font(bold=True)
            r += 1
        for j, (_, f) in enumerate(cols):
            v = f(ln)
            if v is not None and v != "":
                ws.cell(r, left + j, v)
        placed.append((r, ln))
        grp.append(ln)
        count += 1
        r += 1
    if group and cur is not None and subtotal:
        for j, v in enumerate(subtotal(cur, grp)):
            ws.cell(r, left + j, v)
        r += 1
    return placed, r


def mod(i: int) -> Callable[[Line], Any]:
    return lambda ln: ln["mods"][i] if len(ln["mods"]) > i else None


def dxn(i: int) -> Callable[[Line], Any]:
    return lambda ln: ln["dx"][i] if len(ln["dx"]) > i else None


def provcred(ln: Line) -> str:
    return f"{ln['prov']}, {ln['cred']}" if ln["cred"] else ln["prov"]


# ---------------------------------------------------------------------------------------------
# f01: PM "Daily Charge Detail": summary sheet first, merged title, criteria rows, header at
# row 5 (frozen), text dates, modifiers "GP,59" in one cell, $ text money, ICD-10 1/2,
# credential in the provider's name, subtotal per provider, grand total.


def f01() -> None:
    d = D(2026, 3, 2)
    lines = [
        L("10021", "Alvarez, Rosa", d, "97112", 2, mods=("GP",), dx=("R26.81", "M62.81")),
        L("10021", "Alvarez, Rosa", d, "97110", 1, mods=("GP",), dx=("R26.81",)),
        L("10034", "Brooks, Alan", d, "97112", 2, mods=("GP",), dx=("G20",)),
        # planted: Medicare therapy line with no GP
        L("10034", "Brooks, Alan", d, "97530", 1, dx=("G20",), plant=("NMR304",)),
        L("10050", "Chen, Li", D(2026, 3, 3), "97112", 1, mods=("GP",), dx=("I69.354",)),
        L("10050", "Chen, Li", D(2026, 3, 3), "97116", 1, mods=("GP",), dx=("I69.354",)),
        # PTA lines: one correct (CQ), one planted without CQ
        L("10061", "Diaz, Maria", D(2026, 3, 3), "97112", 2, mods=("GP", "CQ"), prov="Erin Walsh",
          cred="PTA", dx=("R26.89",)),
        L("10072", "Evans, Tom", D(2026, 3, 4), "97112", 2, mods=("GP",), prov="Erin Walsh",
          cred="PTA", dx=("R42",), plant=("NMR305",)),
        L("10072", "Evans, Tom", D(2026, 3, 4), "97110", 1, mods=("GP", "CQ"), prov="Erin Walsh",
          cred="PTA", dx=("R42",)),
        # commercial
        L("10085", "Foster, Jo", D(2026, 3, 5), "97112", 2, payer="Aetna PPO", dx=("G35",)),
        L("10085", "Foster, Jo", D(2026, 3, 5), "97140", 1, payer="Aetna PPO", dx=("G35",)),
        # planted: duplicate of the line above
        L("10085", "Foster, Jo", D(2026, 3, 5), "97140", 1, payer="Aetna PPO", dx=("G35",),
          plant=("NMR003",)),
        L("10090", "Garcia, Ana", D(2026, 3, 6), "97112", 1, payer="UHC", dx=("R26.89",)),
        # planted: future date of service
        L("10090", "Garcia, Ana", D(2026, 4, 14), "97112", 1, payer="UHC", dx=("R26.89",),
          plant=("NMR004",)),
    ]
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Summary"
    s["A1"] = "Daily Charge Summary"
    s.append([])
    s.append(["Provider", "Visits", "Units", "Charges"])
    s.append(["Cole, Dana PT", 6, 11, "$520.00"])
    s.append(["Walsh, Erin PTA", 2, 5, "$230.00"])
    s.append(["Total", 8, 16, "$750.00"])
    ws = wb.create_sheet("Charge Detail")
    ws["A1"] = "Daily Charge Detail - Riverside Physical Therapy"
    ws.merge_cells("A1:K1")
    ws["A2"] = "Date Range: 03/01/2026 - 03/31/2026"
    ws["A3"] = "Criteria: Location = Main; Provider = All"
    cols: list[Col] = [
        ("Svc Dt", lambda ln: us(ln["dos"])),
        ("Acct #", lambda ln: ln["pt"]),
        ("Patient", lambda ln: ln["name"]),
        ("Proc Cd", lambda ln: ln["code"]),
        ("Mod", lambda ln: ",".join(ln["mods"])),
        ("Qty", lambda ln: ln["units"]),
        ("Rendering Prov", lambda ln: f"{ln['prov'].split()[1]}, {ln['prov'].split()[0]} {ln['cred']}"),
        ("Primary Ins", lambda ln: ln["payer"]),
        ("ICD-10 1", dxn(0)),
        ("ICD-10 2", dxn(1)),
        ("Chg Amt", lambda ln: money(ln["chg"])),
    ]
    placed, r = write_table(
        ws, 5, cols, lines, group=lambda ln: ln["prov"],
        subtotal=lambda g, gl: ["", "", f"Subtotal {g}", "", "", sum(x["units"] for x in gl),
                                "", "", "", "", money(sum(x["chg"] for x in gl))])
    ws.cell(r, 3, "Grand Total")
    ws.cell(r, 6, sum(x["units"] for x in lines))
    ws.cell(r, 11, money(sum(x["chg"] for x in lines)))
    ws.freeze_panes = "A6"
    wb.save(OUT / "f01_daily_charge_detail.xlsx")
    record("f01_daily_charge_detail.xlsx", "Charge Detail", placed)


# ---------------------------------------------------------------------------------------------
# f02: therapy EMR visit export: real dates, Modifier 1/2, per-line minutes, Treating Therapist
# + separate Cred, Ins Plan, Dx 1..3, Treatment Notes.


def f02() -> None:
    m = "Medicare Part B"
    lines = [
        # CMS example 1: 24 + 23 min -> 97112 x2 + 97110 x1 (correct)
        L("A-201", "Hill, Grace", D(2026, 3, 9), "97112", 2, mods=("GP",), mins=24, payer=m,
          dx=("R26.89",), notes="balance training, tandem stance, perturbations"),
        L("A-201", "Hill, Grace", D(2026, 3, 9), "97110", 1, mods=("GP",), mins=23, payer=m,
          dx=("R26.89",), notes="ther ex"),
        # planted: 20 + 20 = 40 min -> 3 units allowed, 4 billed
        L("A-202", "Ito, Ken", D(2026, 3, 9), "97112", 2, mods=("GP",), mins=20, payer=m,
          dx=("I69.351",), notes="gait and balance retraining", plant=("NMR102",)),
        L("A-202", "Ito, Ken", D(2026, 3, 9), "97110", 2, mods=("GP",), mins=20, payer=m,
          dx=("I69.351",), notes="ther ex", plant=("NMR102",)),
        # planted: CMS example 2 billed 1 + 2 (allocation)
        L("A-203", "Jones, Pat", D(2026, 3, 10), "97110", 1, mods=("GP",), mins=33, payer=m,
          dx=("R26.89",), notes="ther ex"),
        L("A-203", "Jones, Pat", D(2026, 3, 10), "97140", 2, mods=("GP",), mins=7, payer=m,
          dx=("R26.89",), notes="joint mobs", plant=("NMR103",)),
        # planted: notes describe strengthening on 97112
        L("A-204", "King, Sue", D(2026, 3, 10), "97112", 2, mods=("GP",), mins=30, payer="BCBS of TX",
          dx=("G20",), notes="quad sets, theraband strengthening, ROM exercises",
          plant=("NMR206",)),
        # planted: 97112 by a rehab aide
        L("A-205", "Lopez, Raul", D(2026, 3, 11), "97112", 1, mods=("GP",), mins=15,
          payer="BCBS of TX", prov="Sam Green", cred="Aide", dx=("R26.81",),
          notes="balance board, proprioception", plant=("NMR204",)),
        # planted: timed code without minutes
        L("A-206", "Moore, Ed", D(2026, 3, 11), "97530", 1, mods=("GP",), mins=None,
          payer="Cigna", dx=("R26.89",), notes="functional transfers", plant=("NMR101",)),
        # planted: wobble chair for 97112
        L("A-207", "Nash, Amy", D(2026, 3, 12), "97112", 1, mods=("GP",), mins=15,
          payer="Cigna", dx=("R42",), notes="wobble chair 15 min", plant=("NMR203",)),
        # correct lines
        L("A-208", "Owen, Bo", D(2026, 3, 12), "97112", 3, mods=("GP",), mins=45, payer=m,
          dx=("G35",), notes="PNF patterns, proprioceptive training"),
        L("A-209", "Park, Jin", D(2026, 3, 13), "97110", 2, mods=("GP",), mins=30,
          payer="Aetna PPO", dx=("M54.50",), notes="ther ex"),
        L("A-209", "Park, Jin", D(2026, 3, 13), "97010", 1, mods=("GP",), mins=None,
          payer="Aetna PPO", dx=("M54.50",), notes="hot pack"),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Visits"
    cols: list[Col] = [
        ("Date of Svc", lambda ln: ln["dos"]),
        ("Patient Name", lambda ln: ln["name"]),
        ("MRN", lambda ln: ln["pt"]),
        ("CPT", lambda ln: ln["code"]),
        ("Modifier 1", mod(0)),
        ("Modifier 2", mod(1)),
        ("Units", lambda ln: ln["units"]),
        ("Minutes", lambda ln: ln["min"]),
        ("Treating Therapist", lambda ln: ln["prov"]),
        ("Cred", lambda ln: ln["cred"]),
        ("Ins Plan", lambda ln: ln["payer"]),
        ("Dx 1", dxn(0)),
        ("Dx 2", dxn(1)),
        ("Dx 3", dxn(2)),
        ("Treatment Notes", lambda ln: ln["notes"]),
    ]
    placed, _ = write_table(ws, 1, cols, lines)
    for r, _ in placed:
        ws.cell(r, 1).number_format = "mm/dd/yyyy"
    wb.save(OUT / "f02_therapy_visits.xlsx")
    record("f02_therapy_visits.xlsx", "Visits", placed)


# ---------------------------------------------------------------------------------------------
# f03: chiropractic ledger CSV, UTF-8 BOM, semicolons, diagnoses in one cell, modifiers "GP 59",
# credential in the doctor's name.


def f03() -> None:
    m = "Medicare Part B"
    dc = dict(prov="Mark Ortiz", cred="DC")
    lines = [
        L("C100", "Quinn, Ray", D(2026, 3, 2), "98940", 1, mods=("AT",), payer=m,
          dx=("M99.03", "M54.50"), **dc),
        # planted: CMT without AT
        L("C101", "Reed, Kim", D(2026, 3, 2), "98940", 1, payer=m, dx=("M99.03", "M54.50"),
          plant=("NMR302",), **dc),
        # planted: CMT first dx not subluxation
        L("C102", "Shaw, Lee", D(2026, 3, 3), "98940", 1, mods=("AT",), payer=m,
          dx=("M54.50", "M99.03"), plant=("NMR303",), **dc),
        # planted: DC therapy for Medicare without GY
        L("C103", "Tran, Vu", D(2026, 3, 3), "98940", 1, mods=("AT",), payer=m,
          dx=("M99.03", "M54.50"), **dc),
        L("C103", "Tran, Vu", D(2026, 3, 3), "97110", 1, mods=("GP",), payer=m,
          dx=("M99.03", "M54.50"), plant=("NMR301",), **dc),
        # commercial: CMT + 97140 without 59 (planted NCCI)
        L("C104", "Upton, Al", D(2026, 3, 4), "98941", 1, payer="BCBS of TX",
          dx=("M99.01", "M99.02", "M99.03", "M54.2"), **dc),
        L("C104", "Upton, Al", D(2026, 3, 4), "97140", 1, payer="BCBS of TX",
          dx=("M99.01", "M54.2"), plant=("NMR306",), **dc),
        # commercial: CMT + 97140-59 (correct)
        L("C105", "Vance, Bea", D(2026, 3, 4), "98940", 1, payer="Aetna PPO",
          dx=("M99.03", "M54.50"), **dc),
        L("C105", "Vance, Bea", D(2026, 3, 4), "97140", 1, mods=("59",), payer="Aetna PPO",
          dx=("M99.03", "M54.50"), **dc),
        # planted: 97112 by a massage therapist
        L("C106", "Ward, Cy", D(2026, 3, 5), "97112", 1, payer="UHC", prov="Kim Lee",
          cred="LMT", dx=("R26.89",), plant=("NMR204",)),
        L("C107", "Young, Di", D(2026, 3, 5), "97124", 2, payer="UHC", prov="Kim Lee",
          cred="LMT", dx=("M62.830",)),
    ]
    rows = [["Date", "Patient", "Code", "Description", "Mods", "Units", "Doctor", "Insurance",
             "Diagnoses", "Charge"]]
    desc = {"98940": "CMT 1-2 regions", "98941": "CMT 3-4 regions", "97110": "Ther Ex",
            "97140": "Manual Therapy", "97112": "Neuromuscular Re-ed", "97124": "Massage"}
    for ln in lines:
        rows.append([ln["dos"].isoformat(), ln["name"], ln["code"], desc.get(ln["code"], ""),
                     " ".join(ln["mods"]), str(ln["units"]), provcred(ln).replace(",", ""),
                     ln["payer"], ", ".join(ln["dx"]), money(ln["chg"])])
    with open(OUT / "f03_chiro_ledger.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    placed = [(i + 2, ln) for i, ln in enumerate(lines)]
    # CSV sheet name: taken from the report (first sheet)
    record("f03_chiro_ledger.csv", "*", placed)


# ---------------------------------------------------------------------------------------------
# f04: claim-line detail: HCPCS, Unit(s), DOS From/To as Excel serial numbers (no format), a
# hidden internal column, blank spacer columns, Rendering Provider NPI beside the name.


def f04() -> None:
    m = "Medicare"
    lines = [
        L("P-5001", "Abel, Jo", D(2026, 3, 16), "98940", 1, mods=("AT",), payer=m, prov="Mark Ortiz",
          cred="DC", dx=("M99.03", "M54.50")),
        # planted: 98941 x2 over MUE 1
        L("P-5002", "Baker, Li", D(2026, 3, 16), "98941", 2, mods=("AT",), payer=m,
          prov="Mark Ortiz", cred="DC", dx=("M99.01", "M99.02", "M99.03", "M54.2"),
          plant=("NMR105",)),
        # planted: PTA on Medicare without CQ
        L("P-5003", "Cruz, Ema", D(2026, 3, 17), "97110", 2, mods=("GP",), payer=m,
          prov="Erin Walsh", cred="PTA", dx=("M62.81",), plant=("NMR305",)),
        # planted: Medicare therapy without GP
        L("P-5004", "Dunn, Al", D(2026, 3, 17), "97112", 1, payer=m, dx=("R26.89",),
          plant=("NMR304",)),
        # planted: 59 and XS together
        L("P-5005", "Ellis, Mo", D(2026, 3, 18), "97530", 1, mods=("GP",), payer=m, dx=("R26.89",)),
        L("P-5005", "Ellis, Mo", D(2026, 3, 18), "97140", 1, mods=("GP", "59", "XS"), payer=m,
          dx=("R26.89",), plant=("NMR307",)),
        # correct
        L("P-5006", "Fox, Ned", D(2026, 3, 18), "97112", 2, mods=("GP",), payer="Humana Gold Plus",
          dx=("G20",)),
        L("P-5007", "Gray, Ola", D(2026, 3, 19), "97112", 1, mods=("GP",), payer=m, dx=("R26.81",)),
        L("P-5007", "Gray, Ola", D(2026, 3, 19), "97110", 1, mods=("GP",), payer=m, dx=("R26.81",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "ClaimLines"
    cols: list[Col] = [
        ("Claim #", lambda ln: "CLM" + ln["pt"][-4:]),
        ("Int Ref", lambda ln: "X" + ln["pt"]),
        ("Patient ID", lambda ln: ln["pt"]),
        ("", lambda ln: None),
        ("DOS From", lambda ln: serial(ln["dos"])),
        ("DOS To", lambda ln: serial(ln["dos"])),
        ("HCPCS", lambda ln: ln["code"]),
        ("Mod 1", mod(0)),
        ("Mod 2", mod(1)),
        ("Mod 3", mod(2)),
        ("Unit(s)", lambda ln: ln["units"]),
        ("", lambda ln: None),
        ("Rendering Provider NPI", lambda ln: "1234567893" if ln["cred"] == "PT" else
         ("1003000126" if ln["cred"] == "DC" else "1538144444")),
        ("Rendering Provider", lambda ln: provcred(ln)),
        ("Payer Name", lambda ln: ln["payer"]),
        ("Diag 1", dxn(0)),
        ("Diag 2", dxn(1)),
        ("Diag 3", dxn(2)),
        ("Diag 4", dxn(3)),
        ("Billed Amt", lambda ln: ln["chg"]),
    ]
    placed, _ = write_table(ws, 1, cols, lines)
    ws.column_dimensions["B"].hidden = True
    wb.save(OUT / "f04_claim_lines.xlsx")
    record("f04_claim_lines.xlsx", "ClaimLines", placed)


# ---------------------------------------------------------------------------------------------
# f05: report with page headers repeated every 6 lines ("Page 2 of 3" + header again), datetimes
# with a time, modifiers "GP 59" in one cell, credential column, discipline column, payers as
# clinics write them.


def f05() -> None:
    lines = [
        L("7001", "Adams, Ty", D(2026, 3, 2), "97112", 2, mods=("GP",), payer="BCBS of TX",
          dx=("R26.89",)),
        L("7001", "Adams, Ty", D(2026, 3, 2), "97530", 1, mods=("GP",), payer="BCBS of TX",
          dx=("R26.89",)),
        # planted: duplicate line
        L("7001", "Adams, Ty", D(2026, 3, 2), "97530", 1, mods=("GP",), payer="BCBS of TX",
          dx=("R26.89",), plant=("NMR003",)),
        # planted: 97112 with back-pain dx only
        L("7002", "Bell, Una", D(2026, 3, 3), "97112", 2, mods=("GP",), payer="UHC",
          dx=("M54.50", "M99.03"), plant=("NMR205",)),
        # planted: notes describe massage / soft tissue on 97112
        L("7003", "Cole, Vic", D(2026, 3, 3), "97112", 1, mods=("GP",), payer="Aetna PPO",
          dx=("G35",), notes="soft tissue mobilization and trigger point release",
          plant=("NMR202",)),
        L("7004", "Dale, Wes", D(2026, 3, 4), "97112", 1, mods=("GP",), payer="Aetna PPO",
          dx=("R26.81",), notes="single-leg stance, BAPS board"),
        L("7004", "Dale, Wes", D(2026, 3, 4), "97110", 1, mods=("GP",), payer="Aetna PPO",
          dx=("R26.81",), notes="ther ex"),
        L("7005", "Ede, Xia", D(2026, 3, 5), "97140", 1, mods=("GP", "59"), payer="Cigna",
          dx=("M25.561",), notes="joint mobilization knee"),
        L("7005", "Ede, Xia", D(2026, 3, 5), "97530", 1, mods=("GP",), payer="Cigna",
          dx=("M25.561",), notes="functional activities"),
        # planted: future date
        L("7006", "Ford, Yan", D(2026, 5, 1), "97110", 1, mods=("GP",), payer="Cigna",
          dx=("M25.561",), notes="ther ex", plant=("NMR004",)),
        L("7007", "Gil, Zoe", D(2026, 3, 6), "97112", 2, mods=("GP",), payer="Medicare Part B",
          dx=("I69.354",), notes="Bobath, weight shifting", prov="Erin Walsh", cred="PT"),
        L("7007", "Gil, Zoe", D(2026, 3, 6), "97116", 1, mods=("GP",), payer="Medicare Part B",
          dx=("I69.354",), notes="gait training", prov="Erin Walsh", cred="PT"),
        L("7008", "Hale, Abe", D(2026, 3, 9), "97112", 1, mods=("GP",), payer="Medicare Part B",
          dx=("R26.89",), notes="balance activities", prov="Nora Fisk", cred="PTA",
          plant=("NMR305",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Report"
    ws["A1"] = "Charges by Date of Service"
    ws["A2"] = "Page 1 of 3"
    cols: list[Col] = [
        ("Service Date", lambda ln: dt.datetime.combine(ln["dos"], dt.time(9, 30))),
        ("Patient", lambda ln: ln["name"]),
        ("Account", lambda ln: ln["pt"]),
        ("CPT/HCPCS", lambda ln: ln["code"]),
        ("Modifiers", lambda ln: " ".join(ln["mods"])),
        ("Units", lambda ln: ln["units"]),
        ("Provider", lambda ln: ln["prov"]),
        ("Credential", lambda ln: ln["cred"]),
        ("Discipline", lambda ln: "Physical Therapy"),
        ("Insurance", lambda ln: ln["payer"]),
        ("Diagnosis Codes", lambda ln: ", ".join(ln["dx"])),
        ("Visit Note", lambda ln: ln["notes"]),
        ("Amount", lambda ln: ln["chg"]),
    ]
    placed, _ = write_table(ws, 4, cols, lines, page_every=6,
                            page_rows=lambda p: [[], ["Charges by Date of Service"],
                                                 [f"Page {p} of 3"]])
    for r, _ in placed:
        ws.cell(r, 1).number_format = "m/d/yyyy h:mm"
        ws.cell(r, 13).number_format = '"$"#,##0.00'
    wb.save(OUT / "f05_paged_report.xlsx")
    record("f05_paged_report.xlsx", "Report", placed)


# ---------------------------------------------------------------------------------------------
# f06: two-row header ("Service" over Date / Code / Mod / Units), "Tx Min" minutes, a summary
# sheet first, "Rendering Prov" with credential inside, payer "MCR" and "Medicare B".


def f06() -> None:
    lines = [
        L("M-1", "Ames, Bo", D(2026, 3, 10), "97112", 2, mods=("GP",), mins=25, payer="MCR",
          dx=("R26.89",)),
        L("M-1", "Ames, Bo", D(2026, 3, 10), "97110", 1, mods=("GP",), mins=13, payer="MCR",
          dx=("R26.89",)),
        # planted: 30 minutes, 3 units
        L("M-2", "Bird, Cy", D(2026, 3, 10), "97112", 3, mods=("GP",), mins=30, payer="Medicare B",
          dx=("G20",), plant=("NMR102",)),
        # planted: lone 97110 of 6 min billed 1 unit
        L("M-3", "Cobb, Di", D(2026, 3, 11), "97110", 1, mods=("GP",), mins=6, payer="MCR",
          dx=("M62.81",), plant=("NMR102",)),
        L("M-4", "Diaz, Ed", D(2026, 3, 11), "97112", 1, mods=("GP",), mins=15, payer="Medicare B",
          dx=("R26.81",)),
        L("M-4", "Diaz, Ed", D(2026, 3, 11), "97140", 1, mods=("GP",), mins=15, payer="Medicare B",
          dx=("R26.81",)),
        # planted: Medicare split timed code (two 97110 lines)
        L("M-5", "Egan, Fay", D(2026, 3, 12), "97110", 1, mods=("GP",), mins=15, payer="MCR",
          dx=("M62.81",)),
        L("M-5", "Egan, Fay", D(2026, 3, 12), "97110", 1, mods=("GP",), mins=15, payer="MCR",
          dx=("M62.81",), plant=("NMR005", "NMR003")),
        L("M-6", "Finn, Gus", D(2026, 3, 12), "97112", 2, mods=("GP",), mins=38, payer="Medicare B",
          dx=("R26.89",), plant=("NMR104",)),
    ]
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Totals"
    s.append(["Therapy Units by Provider", None, None])
    s.append(["Provider", "Units", "Visits"])
    s.append(["Dana Cole PT", 14, 6])
    ws = wb.create_sheet("Detail")
    ws["A1"] = "Treatment Detail"
    ws.merge_cells("A1:I1")
    ws["A3"] = "Service"
    ws.merge_cells("A3:D3")
    ws["E3"] = "Treatment"
    ws["G3"] = "Patient"
    cols: list[Col] = [
        ("Date", lambda ln: us(ln["dos"])[:6] + us(ln["dos"])[8:]),  # 03/10/26
        ("Code", lambda ln: ln["code"]),
        ("Mod", lambda ln: "-".join(ln["mods"])),
        ("Units", lambda ln: ln["units"]),
        ("Tx Min", lambda ln: ln["min"]),
        ("Rendering Prov", lambda ln: f"{ln['prov']} {ln['cred']}"),
        ("Pt Name", lambda ln: ln["name"]),
        ("Plan", lambda ln: ln["payer"]),
        ("Dx", lambda ln: ln["dx"][0]),
    ]
    placed, _ = write_table(ws, 4, cols, lines)
    wb.save(OUT / "f06_two_row_header.xlsx")
    record("f06_two_row_header.xlsx", "Detail", placed)


# ---------------------------------------------------------------------------------------------
# f07: comma CSV, 2-digit-year text dates, "Date of Svc", "Proc Code", "Qty", modifiers "GP-59",
# quoted money with thousands separators, Payment and Adjustment rows between charges.


def f07() -> None:
    lines = [
        L("8801", "Hart, Ivy", D(2026, 3, 2), "97112", 2, mods=("GP",), payer="Medicare Part B",
          dx=("R26.89",)),
        L("8801", "Hart, Ivy", D(2026, 3, 2), "97140", 1, mods=("GP",), payer="Medicare Part B",
          dx=("R26.89",)),
        L("8802", "Irwin, Jay", D(2026, 3, 3), "98940", 1, mods=("AT",), payer="Medicare Part B",
          prov="Mark Ortiz", cred="DC", dx=("M99.03", "M54.50")),
        # planted: DC + therapy for Medicare without GY
        L("8802", "Irwin, Jay", D(2026, 3, 3), "97140", 1, mods=("GP", "59"), payer="Medicare Part B",
          prov="Mark Ortiz", cred="DC", dx=("M99.03", "M54.50"), plant=("NMR301",)),
        L("8803", "Jax, Kai", D(2026, 3, 4), "97530", 1, mods=("GP",), payer="Aetna PPO",
          dx=("R26.89",)),
        # planted: 97140 with 97530 without 59
        L("8803", "Jax, Kai", D(2026, 3, 4), "97140", 1, mods=("GP",), payer="Aetna PPO",
          dx=("R26.89",), plant=("NMR306",)),
        L("8804", "Kerr, Lou", D(2026, 3, 5), "97110", 3, mods=("GP",), payer="UHC",
          dx=("M25.511",)),
        # planted: 97124 + 97140 same visit, no 59 on massage
        L("8805", "Lowe, Max", D(2026, 3, 6), "97124", 1, payer="UHC", prov="Kim Lee", cred="LMT",
          dx=("M62.830",), plant=("NMR313",)),
        L("8805", "Lowe, Max", D(2026, 3, 6), "97140", 1, payer="UHC", prov="Kim Lee", cred="LMT",
          dx=("M62.830",)),
    ]
    rows: list[list[str]] = [["Date of Svc", "Account No", "Patient", "Proc Code", "Modifiers",
                              "Qty", "Provider", "Payer", "Dx Codes", "Trans Type", "Amount"]]
    placed = []
    for ln in lines:
        d = ln["dos"]
        rows.append([f"{d.month}/{d.day}/{d.year % 100:02d}", ln["pt"], ln["name"], ln["code"],
                     "-".join(ln["mods"]), str(ln["units"]), provcred(ln), ln["payer"],
                     " ".join(ln["dx"]), "Charge", f"${ln['chg']:,.2f}"])
        placed.append((len(rows), ln))
        if ln["code"] == "97110":
            rows.append([f"{d.month}/{d.day}/{d.year % 100:02d}", ln["pt"], ln["name"], "",
                         "", "", "", ln["payer"], "", "Ins Payment", "($84.00)"])
            rows.append([f"{d.month}/{d.day}/{d.year % 100:02d}", ln["pt"], ln["name"], "",
                         "", "", "", ln["payer"], "", "Adjustment", "($42.00)"])
    rows.append(["", "", "", "", "", "", "", "", "", "Total Charges", "$1,234.00"])
    with open(OUT / "f07_transactions.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    record("f07_transactions.csv", "*", placed)


# ---------------------------------------------------------------------------------------------
# f08: CMS-1500-like lines with diagnosis pointers ("AB") into per-line "ICD A".."ICD D",
# "Svc Dt From"/"Svc Dt To", "Days/Units", "Rend Prov Name", "Ins Plan Name".


def f08() -> None:
    m = "Medicare Part B"
    lines = [
        L("CL-1", "Mann, Ned", D(2026, 3, 16), "97112", 2, mods=("GP",), payer=m,
          dx=("R26.81", "M54.50")),
        L("CL-1", "Mann, Ned", D(2026, 3, 16), "97110", 1, mods=("GP",), payer=m,
          dx=("R26.81", "M54.50")),
        # planted: pointer to back pain only for 97112
        L("CL-2", "Nolan, Oz", D(2026, 3, 17), "97112", 2, mods=("GP",), payer=m,
          dx=("M54.50", "M99.03"), plant=("NMR205",)),
        # planted: assistant without CQ
        L("CL-3", "Ortiz, Pia", D(2026, 3, 17), "97112", 1, mods=("GP",), payer=m,
          prov="Nora Fisk", cred="PTA", dx=("G20",), plant=("NMR305",)),
        L("CL-4", "Page, Quin", D(2026, 3, 18), "97116", 2, mods=("GP",), payer="Humana Gold Plus",
          dx=("R26.89",)),
        # planted: invalid code
        L("CL-5", "Rowe, Ria", D(2026, 3, 18), "9711O", 1, mods=("GP",), payer=m, dx=("R26.89",),
          plant=("NMR002",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Claims"
    ws["A1"] = "Claim Line Detail"
    ws["A2"] = "Run: 04/01/2026 08:15"
    cols: list[Col] = [
        ("Claim No", lambda ln: ln["pt"]),
        ("Patient Acct", lambda ln: "P" + ln["pt"][-1]),
        ("Svc Dt From", lambda ln: us(ln["dos"])),
        ("Svc Dt To", lambda ln: us(ln["dos"])),
        ("POS", lambda ln: "11"),
        ("CPT/HCPCS", lambda ln: ln["code"]),
        ("Modifier", lambda ln: ":".join(ln["mods"])),
        ("Dx Pointer", lambda ln: "AB"[:len(ln["dx"])]),
        ("Charges", lambda ln: ln["chg"]),
        ("Days/Units", lambda ln: ln["units"]),
        ("Rend Prov Name", lambda ln: f"{ln['prov'].split()[1].upper()}, {ln['prov'].split()[0].upper()} {ln['cred']}"),
        ("Ins Plan Name", lambda ln: ln["payer"]),
        ("ICD A", dxn(0)),
        ("ICD B", dxn(1)),
        ("ICD C", dxn(2)),
        ("ICD D", dxn(3)),
    ]
    placed, _ = write_table(ws, 4, cols, lines)
    wb.save(OUT / "f08_cms1500_lines.xlsx")
    record("f08_cms1500_lines.xlsx", "Claims", placed)


# ---------------------------------------------------------------------------------------------
# f09: code with modifiers in one cell ("97112-GP"), reversal lines in parentheses with negative
# units, a voided line, "Grand Total" row, frozen header at row 5 with criteria above,
# patient printed on the group's first line only.


def f09() -> None:
    lines = [
        L("501", "Sand, Tia", D(2026, 3, 2), "97112", 2, mods=("GP",), payer="Medicare Part B",
          dx=("R26.89",)),
        L("501", "Sand, Tia", D(2026, 3, 2), "97110", 1, mods=("GP",), payer="Medicare Part B",
          dx=("R26.89",)),
        L("502", "Tate, Uma", D(2026, 3, 3), "98940", 1, payer="Medicare Part B",
          prov="Mark Ortiz", cred="DC", dx=("M99.03", "M54.50"), plant=("NMR302",)),
        L("503", "Ueda, Val", D(2026, 3, 4), "97112", 1, mods=("GP",), payer="Medicare Part B",
          dx=("R26.81",)),
        L("503", "Ueda, Val", D(2026, 3, 4), "97530", 1, payer="Medicare Part B",
          dx=("R26.81",), plant=("NMR304",)),
        L("504", "Vick, Wyn", D(2026, 3, 5), "97110", 2, mods=("GP",), payer="Cigna",
          dx=("M25.511",)),
        L("504", "Vick, Wyn", D(2026, 3, 5), "97110", 2, mods=("GP",), payer="Cigna",
          dx=("M25.511",), plant=("NMR003",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Transactions"
    ws["A1"] = "Patient Transaction Detail"
    ws["A2"] = "From 03/01/2026 To 03/31/2026"
    ws["A3"] = "Sorted by: Patient"
    cols: list[Col] = [
        ("Patient", lambda ln: ln["name"]),
        ("Chart #", lambda ln: ln["pt"]),
        ("DOS", lambda ln: ln["dos"].strftime("%m-%d-%Y")),
        ("Procedure", lambda ln: ln["code"] + ("-" + "-".join(ln["mods"]) if ln["mods"] else "")),
        ("Units", lambda ln: ln["units"]),
        ("Provider", lambda ln: provcred(ln)),
        ("Primary Insurance", lambda ln: ln["payer"]),
        ("Dx", lambda ln: ",".join(ln["dx"])),
        ("Charge", lambda ln: money(ln["chg"])),
    ]
    placed, r = write_table(ws, 5, cols, lines)
    # suppress repeated patient names/accounts inside a group (first line only)
    prev = None
    for row, ln in placed:
        if ln["pt"] == prev:
            ws.cell(row, 1).value = None
            ws.cell(row, 2).value = None
        prev = ln["pt"]
    # a voided line and a reversal after the charges (not charge lines)
    ws.cell(r, 1, "Wolf, Xan"); ws.cell(r, 2, "505"); ws.cell(r, 3, "03-06-2026")
    ws.cell(r, 4, "97112-GP"); ws.cell(r, 5, 2); ws.cell(r, 6, "Dana Cole, PT")
    ws.cell(r, 7, "Medicare Part B"); ws.cell(r, 8, "R26.89"); ws.cell(r, 9, "$96.00")
    ws.cell(r + 1, 1, "Wolf, Xan"); ws.cell(r + 1, 2, "505"); ws.cell(r + 1, 3, "03-06-2026")
    ws.cell(r + 1, 4, "97112-GP"); ws.cell(r + 1, 5, -2); ws.cell(r + 1, 6, "Dana Cole, PT")
    ws.cell(r + 1, 7, "Medicare Part B"); ws.cell(r + 1, 8, "R26.89"); ws.cell(r + 1, 9, "($96.00)")
    ws.cell(r + 2, 1, "Grand Total"); ws.cell(r + 2, 5, 9); ws.cell(r + 2, 9, "$430.00")
    ws.freeze_panes = "A6"
    wb.save(OUT / "f09_transaction_detail.xlsx")
    record("f09_transaction_detail.xlsx", "Transactions", placed)


# ---------------------------------------------------------------------------------------------
# f10: WebPT-like: documenting vs finalizing therapist, names "Walsh, Erin PTA", "visit_date"
# style snake-case, a no-show row, blank spacer column.


def f10() -> None:
    m = "Medicare Part B"
    lines = [
        L("90001", "Aho, Bea", D(2026, 3, 23), "97112", 2, mods=("GP",), payer=m, dx=("R26.89",),
          prov="Erin Walsh", cred="PTA", plant=("NMR305",)),
        L("90001", "Aho, Bea", D(2026, 3, 23), "97110", 1, mods=("GP", "CQ"), payer=m,
          dx=("R26.89",), prov="Erin Walsh", cred="PTA"),
        L("90002", "Bay, Cal", D(2026, 3, 23), "97112", 2, mods=("GP",), payer=m, dx=("G20",)),
        L("90003", "Cox, Dot", D(2026, 3, 24), "97112", 1, mods=("GP",), payer="Medicare Advantage",
          dx=("R26.81",), prov="Amy Ross", cred="SPT"),
        L("90004", "Dee, Eli", D(2026, 3, 24), "97530", 2, mods=("GP",), payer="UnitedHealthcare",
          dx=("R26.89",)),
        L("90005", "Eck, Flo", D(2026, 3, 25), "97110", 2, mods=("GP",), payer="Cigna",
          dx=("M25.561",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "export"
    cols: list[Col] = [
        ("patient_id", lambda ln: ln["pt"]),
        ("visit_date", lambda ln: ln["dos"].isoformat()),
        ("cpt", lambda ln: ln["code"]),
        ("cpt_modifier", lambda ln: ",".join(ln["mods"])),
        ("units", lambda ln: ln["units"]),
        ("documenting_therapist", lambda ln: f"{ln['prov'].split()[1]}, {ln['prov'].split()[0]} {ln['cred']}"),
        ("finalizing_therapist", lambda ln: "Cole, Dana PT"),
        ("insurance_name", lambda ln: ln["payer"]),
        ("icd10_1", dxn(0)),
        ("icd10_2", dxn(1)),
        ("appointment_status", lambda ln: "Checked Out"),
    ]
    placed, r = write_table(ws, 1, cols, lines)
    ws.cell(r, 1, "90006"); ws.cell(r, 2, "2026-03-25"); ws.cell(r, 11, "No Show")
    wb.save(OUT / "f10_webpt_like.xlsx")
    record("f10_webpt_like.xlsx", "export", placed)


# ---------------------------------------------------------------------------------------------
# f11: grouped by provider with unlabeled group headings ("Kim Lee, LMT"), no provider column,
# "Date of Service" as "Mar 2, 2026", "Service Code", "Units Billed", "Diagnosis 1..2",
# "Payor", subtotal rows "Total for Kim Lee, LMT".


def f11() -> None:
    lines = [
        L("K1", "Abbott, Gil", D(2026, 3, 2), "97124", 2, payer="Aetna PPO", prov="Kim Lee",
          cred="LMT", dx=("M62.830",)),
        L("K2", "Baird, Hal", D(2026, 3, 2), "97112", 2, payer="Aetna PPO", prov="Kim Lee",
          cred="LMT", dx=("R26.89",), plant=("NMR204",)),
        L("K3", "Craig, Ida", D(2026, 3, 3), "97140", 1, payer="BCBS of TX", prov="Kim Lee",
          cred="LMT", dx=("M62.830",)),
        L("K4", "Drew, Jan", D(2026, 3, 3), "97112", 2, payer="BCBS of TX", prov="Mark Ortiz",
          cred="DC", dx=("R26.89",)),
        L("K4", "Drew, Jan", D(2026, 3, 3), "98940", 1, payer="BCBS of TX", prov="Mark Ortiz",
          cred="DC", dx=("M99.03", "M54.50")),
        L("K5", "Eads, Kip", D(2026, 3, 4), "98941", 1, payer="Aetna PPO", prov="Mark Ortiz",
          cred="DC", dx=("M99.01", "M99.02", "M99.03", "M54.2")),
        L("K5", "Eads, Kip", D(2026, 3, 4), "97112", 1, mods=("59",), payer="Aetna PPO",
          prov="Mark Ortiz", cred="DC", dx=("R42",)),
    ]
    # K4's 97112 with 98940 and no 59: planted NCCI
    lines[3]["plant"] = ["NMR306"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "By Provider"
    ws["A1"] = "Charges by Provider"
    ws["A2"] = "03/01/2026 - 03/31/2026"
    cols: list[Col] = [
        ("Patient", lambda ln: ln["name"]),
        ("Acct", lambda ln: ln["pt"]),
        ("Date of Service", lambda ln: ln["dos"].strftime("%b %-d, %Y")),
        ("Service Code", lambda ln: ln["code"]),
        ("Modifiers", lambda ln: ", ".join(ln["mods"])),
        ("Units Billed", lambda ln: ln["units"]),
        ("Payor", lambda ln: ln["payer"]),
        ("Diagnosis 1", dxn(0)),
        ("Diagnosis 2", dxn(1)),
        ("Diagnosis 3", dxn(2)),
        ("Fee", lambda ln: ln["chg"]),
    ]
    placed, _ = write_table(
        ws, 4, cols, lines, group=lambda ln: provcred(ln), group_row=lambda g: [g],
        subtotal=lambda g, gl: [f"Total for {g}", "", "", "", "", sum(x["units"] for x in gl),
                                "", "", "", "", sum(x["chg"] for x in gl)])
    wb.save(OUT / "f11_by_provider.xlsx")
    record("f11_by_provider.xlsx", "By Provider", placed)


# ---------------------------------------------------------------------------------------------
# f12: therapy EMR with "Total Timed Minutes" once per visit on first line, "Total Treatment
# Time", "Svc Date" as yyyymmdd text, code with a label "Neuro Re-ed (97112)".


def f12() -> None:
    m = "Medicare Part B"
    lines = [
        L("T1", "Fay, Lu", D(2026, 3, 9), "97112", 2, mods=("GP",), mins=38, payer=m, dx=("R26.89",)),
        L("T1", "Fay, Lu", D(2026, 3, 9), "97110", 1, mods=("GP",), payer=m, dx=("R26.89",)),
        # planted: visit 35 timed minutes, 3 units
        L("T2", "Gale, Mo", D(2026, 3, 9), "97112", 2, mods=("GP",), mins=35, payer=m, dx=("G20",),
          plant=("NMR102",)),
        L("T2", "Gale, Mo", D(2026, 3, 9), "97530", 1, mods=("GP",), payer=m, dx=("G20",),
          plant=("NMR102",)),
        L("T3", "Hunt, Ned", D(2026, 3, 10), "97112", 1, mods=("GP",), mins=23, payer=m, dx=("R42",)),
        L("T3", "Hunt, Ned", D(2026, 3, 10), "97116", 1, mods=("GP",), payer=m, dx=("R42",)),
        L("T4", "Iles, Oda", D(2026, 3, 10), "97110", 2, mods=("GP",), mins=30, payer="Aetna PPO",
          dx=("M62.81",)),
    ]
    total = {"T1": 45, "T2": 40, "T3": 30, "T4": 35}
    label = {"97112": "Neuro Re-ed (97112)", "97110": "Ther Ex (97110)",
             "97530": "Ther Activities (97530)", "97116": "Gait Training (97116)"}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    seen: set[str] = set()

    def first(ln: Line, v: Any) -> Any:
        return v

    cols: list[Col] = [
        ("Svc Date", lambda ln: ln["dos"].strftime("%Y%m%d")),
        ("Patient", lambda ln: ln["name"]),
        ("Service", lambda ln: label[ln["code"]]),
        ("Mod 1", mod(0)),
        ("Unit(s)", lambda ln: ln["units"]),
        ("Total Timed Minutes", lambda ln: ln["min"]),
        ("Total Treatment Time", lambda ln: total[ln["pt"]] if ln["min"] else None),
        ("Therapist", lambda ln: f"{ln['prov']}, {ln['cred']}"),
        ("Primary Payer", lambda ln: ln["payer"]),
        ("ICD-10", lambda ln: ln["dx"][0]),
    ]
    del seen, first
    placed, _ = write_table(ws, 1, cols, lines)
    wb.save(OUT / "f12_visit_minutes.xlsx")
    record("f12_visit_minutes.xlsx", "Sheet1", placed)


# =============================================================================================
# Batch 2: harder shapes.


def nodot(code: str) -> str:
    return code.replace(".", "")


# f13: headings with line breaks and non-breaking spaces, "3-Mar-26" dates, ICD-10 without
# dots in one cell ("R2689;M5450"), modifiers "GP/59", payers in capitals and with the MAC
# name, the credential spelled out in a "Clinician Type" column, units as "2.00" text.


def f13() -> None:
    mcr = "MEDICARE PART B"
    lines = [
        L("2201", "Abe, Cal", D(2026, 3, 2), "97112", 2, mods=("GP",), payer=mcr, dx=("R26.89",)),
        L("2201", "Abe, Cal", D(2026, 3, 2), "97530", 1, mods=("GP",), payer=mcr, dx=("R26.89",)),
        L("2202", "Bo, Dee", D(2026, 3, 2), "97112", 2, mods=("GP",), payer="Novitas Medicare",
          prov="Erin Walsh", cred="Physical Therapist Assistant", dx=("G20",), plant=("NMR305",)),
        L("2203", "Cy, Eve", D(2026, 3, 3), "97112", 1, mods=("GP",), payer="Medicare - Part B",
          prov="Kim Lee", cred="Licensed Massage Therapist", dx=("R26.81",),
          plant=("NMR204",)),
        L("2204", "Di, Fox", D(2026, 3, 3), "97110", 2, payer=mcr, dx=("M62.81",),
          plant=("NMR304",)),
        L("2205", "Ed, Gus", D(2026, 3, 4), "97112", 2, mods=("GP",), payer="BCBS TX",
          dx=("M54.50", "M99.03"), plant=("NMR205",)),
        L("2206", "Fa, Hal", D(2026, 3, 4), "97140", 1, mods=("GP", "59"), payer="Aetna",
          dx=("M25.511",)),
        L("2206", "Fa, Hal", D(2026, 3, 4), "97530", 1, mods=("GP",), payer="Aetna",
          dx=("M25.511",)),
        L("2206", "Fa, Hal", D(2026, 3, 4), "97530", 1, mods=("GP",), payer="Aetna",
          dx=("M25.511",), plant=("NMR003",)),
        L("2207", "Gi, Ian", D(2026, 3, 5), "97116", 1, mods=("GP",), payer=mcr,
          dx=("I69.354",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges"
    ws["A1"] = "CHARGE REGISTER"
    ws["A2"] = "Practice: Lakeside Rehab\u00a0\u00a0 Period: 03/2026"
    cols: list[Col] = [
        ("Serv\nDate", lambda ln: ln["dos"].strftime("%-d-%b-%y")),
        ("Pt\u00a0#", lambda ln: ln["pt"]),
        ("Pt Name", lambda ln: ln["name"]),
        ("CPT Cd", lambda ln: ln["code"]),
        ("Mods", lambda ln: "/".join(ln["mods"])),
        ("# Units", lambda ln: f"{ln['units']:.2f}"),
        ("Clinician", lambda ln: ln["prov"]),
        ("Clinician Type", lambda ln: ln["cred"]),
        ("Carrier", lambda ln: ln["payer"]),
        ("Diag Codes", lambda ln: ";".join(nodot(x) for x in ln["dx"])),
        ("Charges", lambda ln: f"$ {ln['chg']:,.2f}"),
    ]
    placed, r = write_table(ws, 4, cols, lines)
    ws.cell(r + 1, 1, "Report Totals:")
    ws.cell(r + 1, 6, "14.00")
    wb.save(OUT / "f13_charge_register.xlsx")
    record("f13_charge_register.xlsx", "Charges", placed)


# f14: one sheet per provider (the provider only in a labelled row above the header), patient
# and date cells merged down over the visit's lines, per-line "Min." minutes, "Comments".


def f14() -> None:
    m = "Medicare Part B"
    walsh = [
        L("3301", "Hu, Jo", D(2026, 3, 9), "97112", 2, mods=("GP",), mins=25, payer=m,
          prov="Erin Walsh", cred="PTA", dx=("R26.89",), notes="balance, tandem walking",
          plant=("NMR305",)),
        L("3301", "Hu, Jo", D(2026, 3, 9), "97110", 1, mods=("GP", "CQ"), mins=15, payer=m,
          prov="Erin Walsh", cred="PTA", dx=("R26.89",), notes="ther ex"),
        L("3302", "Ives, Kay", D(2026, 3, 9), "97112", 2, mods=("GP", "CQ"), mins=30, payer=m,
          prov="Erin Walsh", cred="PTA", dx=("G20",), notes="PNF, perturbation training"),
    ]
    cole = [
        L("3303", "Jett, Lu", D(2026, 3, 10), "97112", 3, mods=("GP",), mins=35, payer=m,
          dx=("R26.81",), notes="balance", plant=("NMR102",)),
        L("3304", "Kidd, Mo", D(2026, 3, 10), "97112", 2, mods=("GP",), mins=30,
          payer="Cigna", dx=("R26.81",), notes="leg press, hamstring curls, strengthening",
          plant=("NMR206",)),
        L("3305", "Lamb, Ned", D(2026, 3, 11), "97112", 1, mods=("GP",), mins=15, payer="Cigna",
          dx=("R42",), notes="vestibular habituation, gaze stabilization"),
        L("3305", "Lamb, Ned", D(2026, 3, 11), "97530", 1, mods=("GP",), mins=15, payer="Cigna",
          dx=("R42",), notes="functional transfers"),
    ]
    wb = openpyxl.Workbook()
    first = True
    for title, lines in (("Walsh", walsh), ("Cole", cole)):
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        p = lines[0]
        ws["A1"] = "Provider Productivity Detail"
        ws["A2"] = f"Provider: {p['prov']}, {p['cred']}"
        cols: list[Col] = [
            ("DOS", lambda ln: ln["dos"]),
            ("Patient", lambda ln: ln["name"]),
            ("Code", lambda ln: ln["code"]),
            ("Modifier(s)", lambda ln: ", ".join(ln["mods"])),
            ("Units", lambda ln: ln["units"]),
            ("Min.", lambda ln: ln["min"]),
            ("Payer", lambda ln: ln["payer"]),
            ("ICD-10 Codes", lambda ln: ", ".join(ln["dx"])),
            ("Comments", lambda ln: ln["notes"]),
        ]
        placed, _ = write_table(ws, 4, cols, lines)
        # merge patient and date down over each visit's lines
        i = 0
        while i < len(placed):
            j = i
            while j + 1 < len(placed) and placed[j + 1][1]["pt"] == placed[i][1]["pt"]:
                j += 1
            if j > i:
                for c in (1, 2):
                    ws.merge_cells(start_row=placed[i][0], start_column=c,
                                   end_row=placed[j][0], end_column=c)
            i = j + 1
        for r, _ in placed:
            ws.cell(r, 1).number_format = "mm/dd/yyyy"
        record("f14_per_provider_sheets.xlsx", title, placed)
    wb.save(OUT / "f14_per_provider_sheets.xlsx")


# f15: TSV from a practice-management system: "Visit Date" as 2026/03/04, "Client",
# "Service Code", "Quantity", "Staff", "Funding Source", payers "Railroad Medicare" and
# "Medicare (Primary)".


def f15() -> None:
    lines = [
        L("4401", "Moss, Ann", D(2026, 3, 4), "98940", 1, mods=("AT",), payer="Medicare (Primary)",
          prov="Mark Ortiz", cred="DC", dx=("M99.03", "M54.50")),
        L("4402", "Neal, Ben", D(2026, 3, 4), "98941", 1, payer="Medicare (Primary)",
          prov="Mark Ortiz", cred="DC", dx=("M99.01", "M99.02", "M99.03", "M54.2"),
          plant=("NMR302",)),
        L("4403", "Oak, Cat", D(2026, 3, 5), "97112", 2, payer="Railroad Medicare",
          dx=("R26.89",), plant=("NMR304",)),
        L("4404", "Pitt, Dan", D(2026, 3, 5), "97112", 2, mods=("GP",), payer="Railroad Medicare",
          dx=("G35",)),
        L("4405", "Ray, Eli", D(2026, 3, 6), "98940", 1, mods=("AT",), payer="Medicare (Primary)",
          prov="Mark Ortiz", cred="DC", dx=("M99.03", "M54.50")),
        L("4405", "Ray, Eli", D(2026, 3, 6), "97012", 1, mods=("GP",), payer="Medicare (Primary)",
          prov="Mark Ortiz", cred="DC", dx=("M99.03", "M54.50"), plant=("NMR301",)),
        L("4406", "Sol, Fay", D(2026, 3, 6), "97112", 1, mods=("GP",), payer="Blue Cross",
          dx=("R26.81",)),
    ]
    rows = [["Visit Date", "Client", "Client ID", "Service Code", "Modifier", "Quantity",
             "Staff", "Funding Source", "Diagnosis", "Rate", "Total"]]
    for ln in lines:
        rows.append([ln["dos"].strftime("%Y/%m/%d"), ln["name"], ln["pt"], ln["code"],
                     ",".join(ln["mods"]), str(ln["units"]), provcred(ln), ln["payer"],
                     ", ".join(ln["dx"]), f"{ln['chg'] / ln['units']:.2f}", f"{ln['chg']:.2f}"])
    with open(OUT / "f15_services.tsv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter="\t").writerows(rows)
    record("f15_services.tsv", "*", [(i + 2, ln) for i, ln in enumerate(lines)])


# f16: practice letterhead block above the header (row 8), Excel serial dates stored as text,
# "1 unit" / "2 units", the code with its description in one cell, an "Entered" date after
# the date of service, a "Treatment Note" column, and a footer.


def f16() -> None:
    lines = [
        L("5501", "Tam, Gil", D(2026, 3, 16), "97112", 2, mods=("GP",), payer="Humana",
          dx=("R26.89",), notes="standing balance, BAPS board"),
        L("5502", "Uhl, Han", D(2026, 3, 16), "97112", 1, mods=("GP",), payer="Humana",
          dx=("R26.81",), notes="pt on own while therapist with another patient",
          plant=("NMR201",)),
        L("5503", "Vo, Ira", D(2026, 3, 17), "97112", 1, mods=("GP",), payer="Cigna",
          dx=("R26.89",), notes="whole body vibration plate 10 min", plant=("NMR203",)),
        L("5504", "Wu, Jan", D(2026, 3, 17), "97110", 2, mods=("GP",), payer="Cigna",
          dx=("M25.561",), notes="ther ex"),
        L("5504", "Wu, Jan", D(2026, 3, 17), "97110", 2, mods=("GP",), payer="Cigna",
          dx=("M25.561",), notes="ther ex", plant=("NMR003",)),
        L("5505", "Xu, Kai", D(2026, 4, 20), "97112", 1, mods=("GP",), payer="Cigna",
          dx=("R42",), notes="habituation", plant=("NMR004",)),
        L("5506", "Yi, Lee", D(2026, 3, 18), "97530", 2, mods=("GP",), payer="Tricare",
          dx=("R26.89",), notes="functional activities"),
    ]
    desc = {"97112": "Neuromuscular reeducation", "97110": "Therapeutic exercise",
            "97530": "Therapeutic activities"}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Report"
    ws["A1"] = "Lakeside Physical Therapy, LLC"
    ws["A2"] = "1200 Main St, Suite 4"
    ws["A3"] = "Austin, TX 78701"
    ws["A4"] = "Phone (512) 555-0100"
    ws["A6"] = "Charge Audit Report"
    cols: list[Col] = [
        ("Entered", lambda ln: us(ln["dos"] + dt.timedelta(days=3))),
        ("Date of Svc", lambda ln: str(serial(ln["dos"]))),
        ("Account", lambda ln: ln["pt"]),
        ("Patient Name", lambda ln: ln["name"]),
        ("Procedure", lambda ln: f"{ln['code']} {desc[ln['code']]}"),
        ("Modifier", lambda ln: " ".join(ln["mods"])),
        ("Units", lambda ln: f"{ln['units']} unit" + ("s" if ln["units"] > 1 else "")),
        ("Therapist", lambda ln: provcred(ln)),
        ("Insurance", lambda ln: ln["payer"]),
        ("Diagnosis", lambda ln: ", ".join(ln["dx"])),
        ("Treatment Note", lambda ln: ln["notes"]),
        ("Amount", lambda ln: f"$ {ln['chg']:,.2f}"),
    ]
    placed, r = write_table(ws, 8, cols, lines)
    ws.cell(r + 1, 1, "Confidential - contains protected health information")
    wb.save(OUT / "f16_letterhead.xlsx")
    record("f16_letterhead.xlsx", "Report", placed)


# f17: a code summary sheet first (code, count, units, charges: no patient or date), then the
# detail with M1..M4, ICD 1..4, "Proc", "Qty", "Rendering", "Ins 1".


def f17() -> None:
    lines = [
        L("6601", "Abel, Mia", D(2026, 3, 23), "98940", 1, mods=("AT",), payer="Medicare",
          prov="Mark Ortiz", cred="DC", dx=("M99.03", "M54.50")),
        L("6602", "Bass, Nia", D(2026, 3, 23), "98940", 1, mods=("AT",), payer="Medicare",
          prov="Mark Ortiz", cred="DC", dx=("M54.50", "M99.03"), plant=("NMR303",)),
        L("6603", "Cobb, Obi", D(2026, 3, 23), "98940", 2, mods=("AT",), payer="Medicare",
          prov="Mark Ortiz", cred="DC", dx=("M99.03", "M54.50"), plant=("NMR105",)),
        L("6604", "Dunn, Pam", D(2026, 3, 24), "98941", 1, payer="Aetna", prov="Mark Ortiz",
          cred="DC", dx=("M99.01", "M99.02", "M99.03", "M54.2")),
        L("6604", "Dunn, Pam", D(2026, 3, 24), "97112", 1, payer="Aetna", prov="Mark Ortiz",
          cred="DC", dx=("R26.89", "M99.01"), plant=("NMR306",)),
        L("6605", "Eve, Quo", D(2026, 3, 24), "98941", 1, payer="Aetna", prov="Mark Ortiz",
          cred="DC", dx=("M99.01", "M99.02", "M99.03", "M54.2")),
        L("6605", "Eve, Quo", D(2026, 3, 24), "97112", 1, mods=("XS",), payer="Aetna",
          prov="Mark Ortiz", cred="DC", dx=("R26.89", "M99.01")),
        L("6606", "Fig, Roy", D(2026, 3, 25), "97124", 1, mods=("59",), payer="UHC",
          prov="Kim Lee", cred="LMT", dx=("M62.830",)),
        L("6606", "Fig, Roy", D(2026, 3, 25), "97140", 1, payer="UHC", prov="Kim Lee",
          cred="LMT", dx=("M62.830",)),
    ]
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "By Code"
    s.append(["Charges by CPT Code"])
    s.append(["CPT", "Description", "Count", "Units", "Charges"])
    s.append(["98940", "CMT 1-2", 3, 4, 180.0])
    s.append(["98941", "CMT 3-4", 2, 2, 120.0])
    s.append(["97112", "NMR", 2, 2, 96.0])
    s.append(["97124", "Massage", 1, 1, 38.0])
    s.append(["97140", "Manual", 1, 1, 40.0])
    s.append(["Total", "", 9, 10, 474.0])
    ws = wb.create_sheet("Detail")
    cols: list[Col] = [
        ("Date of Svc", lambda ln: ln["dos"]),
        ("Patient Acct", lambda ln: ln["pt"]),
        ("Proc", lambda ln: ln["code"]),
        ("M1", mod(0)),
        ("M2", mod(1)),
        ("M3", mod(2)),
        ("M4", mod(3)),
        ("Qty", lambda ln: ln["units"]),
        ("Rendering", lambda ln: provcred(ln)),
        ("Ins 1", lambda ln: ln["payer"]),
        ("ICD 1", dxn(0)),
        ("ICD 2", dxn(1)),
        ("ICD 3", dxn(2)),
        ("ICD 4", dxn(3)),
        ("Billed", lambda ln: ln["chg"]),
    ]
    placed, _ = write_table(ws, 1, cols, lines)
    for r, _ in placed:
        ws.cell(r, 1).number_format = "yyyy-mm-dd"
    wb.save(OUT / "f17_code_summary_first.xlsx")
    record("f17_code_summary_first.xlsx", "Detail", placed)


# f18: Jane-style visit billing: "Practitioner" with "PT, DPT", "Insurer", "Billing Code",
# "Discipline" (Chiropractic / Physiotherapy / Massage Therapy) and no credential on the
# chiropractor and massage therapist, dates "Mon, Mar 2, 2026".


def f18() -> None:
    m = "Medicare Part B"
    lines = [
        L("7701", "Gale, Sam", D(2026, 3, 2), "97112", 2, mods=("GP",), payer=m,
          prov="Dana Cole", cred="PT, DPT", dx=("R26.89",)),
        L("7702", "Hahn, Tia", D(2026, 3, 2), "97112", 1, mods=("GP",), payer=m,
          prov="Mark Ortiz", cred="", dx=("R26.89",), plant=("NMR301",)),
        L("7703", "Iris, Uri", D(2026, 3, 3), "97112", 1, payer="Aetna", prov="Kim Lee",
          cred="", dx=("R26.81",), plant=("NMR204",)),
        L("7704", "Jade, Val", D(2026, 3, 3), "97124", 2, payer="Aetna", prov="Kim Lee",
          cred="", dx=("M62.830",)),
        L("7705", "Knox, Wil", D(2026, 3, 4), "97110", 2, mods=("GP",), payer=m,
          prov="Dana Cole", cred="PT, DPT", dx=("M62.81",)),
    ]
    disc = {"Dana Cole": "Physiotherapy", "Mark Ortiz": "Chiropractic",
            "Kim Lee": "Massage Therapy"}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Billing Codes"
    cols: list[Col] = [
        ("Date", lambda ln: ln["dos"].strftime("%a, %b %-d, %Y")),
        ("Patient", lambda ln: ln["name"]),
        ("Practitioner", lambda ln: provcred(ln)),
        ("Discipline", lambda ln: disc[ln["prov"]]),
        ("Insurer", lambda ln: ln["payer"]),
        ("Billing Code", lambda ln: ln["code"]),
        ("Modifiers", lambda ln: ", ".join(ln["mods"])),
        ("Units", lambda ln: ln["units"]),
        ("Diagnosis Codes", lambda ln: ", ".join(ln["dx"])),
        ("Fee", lambda ln: ln["chg"]),
    ]
    placed, _ = write_table(ws, 1, cols, lines)
    wb.save(OUT / "f18_jane_style.xlsx")
    record("f18_jane_style.xlsx", "Billing Codes", placed)


# =============================================================================================
# Batch 3: heading, payer and credential vocabulary seen in clinics' own exports.


def vocab_sheet(fname: str, sheet: str, cols: list[Col], lines: list[Line], top: int = 1,
                titles: tuple[str, ...] = ()) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for i, t in enumerate(titles):
        ws.cell(i + 1, 1, t)
    placed, _ = write_table(ws, top, cols, lines)
    wb.save(OUT / fname)
    record(fname, sheet, placed)


def f19() -> None:
    # "Date of Service (DOS)", "Charge Code", "Unit Count", "Servicing Provider",
    # "Provider Credentials", "Insurance Carrier", "Dx Code 1..3", "Tx Time"
    lines = [
        L("A1", "Ng, Ada", D(2026, 3, 2), "97112", 2, mods=("GP",), mins=30,
          payer="Medicare Part B", dx=("R26.89",)),
        L("A2", "Oh, Bud", D(2026, 3, 2), "97112", 2, mods=("GP",), mins=20,
          payer="Medicare Part B", dx=("R26.89",), plant=("NMR102",)),
        L("A3", "Poe, Cas", D(2026, 3, 3), "97110", 2, mods=("GP",), mins=30,
          payer="Medicare Part B", prov="Nora Fisk", cred="P.T.A.", dx=("M62.81",),
          plant=("NMR305",)),
        L("A4", "Qi, Dom", D(2026, 3, 3), "97112", 1, mods=("GP",), mins=15,
          payer="United Healthcare", prov="Sam Green", cred="Rehab Tech", dx=("R26.81",),
          plant=("NMR204",)),
        L("A5", "Roe, Eda", D(2026, 3, 4), "97112", 1, mods=("GP",), mins=15,
          payer="Medicare Part B", dx=("R42",)),
        L("A5", "Roe, Eda", D(2026, 3, 4), "97116", 1, mods=("GP",), mins=15,
          payer="Medicare Part B", dx=("R42",)),
    ]
    cols: list[Col] = [
        ("Date of Service (DOS)", lambda ln: us(ln["dos"])),
        ("Patient Account #", lambda ln: ln["pt"]),
        ("Charge Code", lambda ln: ln["code"]),
        ("Modifier Codes", lambda ln: " ".join(ln["mods"])),
        ("Unit Count", lambda ln: ln["units"]),
        ("Tx Time", lambda ln: f"{ln['min']} min"),
        ("Servicing Provider", lambda ln: ln["prov"]),
        ("Provider Credentials", lambda ln: ln["cred"]),
        ("Insurance Carrier", lambda ln: ln["payer"]),
        ("Dx Code 1", dxn(0)),
        ("Dx Code 2", dxn(1)),
        ("Dx Code 3", dxn(2)),
    ]
    vocab_sheet("f19_vocab_a.xlsx", "Data", cols, lines)


def f20() -> None:
    # "Srv Dt", "Pat ID", "CPT Code(s)", "Units Billed", "Provider Name", "Fin Class",
    # "Primary Payer Name", "Diagnosis (ICD-10)", "Timed Minutes"
    lines = [
        L("B1", "Sax, Fen", D(2026, 3, 9), "97112", 2, mods=("GP",), mins=30,
          payer="Medicare", dx=("G20",)),
        L("B1", "Sax, Fen", D(2026, 3, 9), "97530", 1, mods=("GP",), mins=7,
          payer="Medicare", dx=("G20",), plant=("NMR102",)),
        L("B2", "Tuck, Gio", D(2026, 3, 10), "98940", 1, payer="Medicare",
          prov="Mark Ortiz", cred="D.C.", dx=("M99.03", "M54.50"), plant=("NMR302",)),
        L("B3", "Ulm, Hap", D(2026, 3, 10), "97112", 2, mods=("GP",), mins=30,
          payer="Medicare", prov="Walsh, Erin", cred="(PTA)", dx=("R26.89",),
          plant=("NMR305",)),
        L("B4", "Vail, Ivo", D(2026, 3, 11), "97140", 1, mods=("GP",), mins=15,
          payer="Medicare", dx=("M25.511",)),
    ]
    cols: list[Col] = [
        ("Srv Dt", lambda ln: ln["dos"].strftime("%m/%d/%y")),
        ("Pat ID", lambda ln: ln["pt"]),
        ("CPT Code(s)", lambda ln: ln["code"]),
        ("Mod(s)", lambda ln: ",".join(ln["mods"])),
        ("Units Billed", lambda ln: ln["units"]),
        ("Timed Minutes", lambda ln: ln["min"]),
        ("Provider Name", lambda ln: f"{ln['prov']} {ln['cred']}"),
        ("Fin Class", lambda ln: "Medicare" if "Medicare" in ln["payer"] else "Commercial"),
        ("Primary Payer Name", lambda ln: "Medicare Part B - Novitas"),
        ("Diagnosis (ICD-10)", lambda ln: ", ".join(ln["dx"])),
    ]
    vocab_sheet("f20_vocab_b.xlsx", "Sheet1", cols, lines, top=3,
                titles=("Therapy Charges - March 2026",))


def f21() -> None:
    # CSV: "Appt Date" is the visit (no other date), "Treatment", "Billing Units",
    # "Therapist Name", "Ins Co", "ICD Codes" with pipes, credential in parentheses.
    lines = [
        L("C1", "Wynn, Jo", D(2026, 3, 16), "97112", 2, mods=("GP",), payer="Mcare",
          dx=("R26.89",)),
        L("C2", "Xavi, Ko", D(2026, 3, 16), "97112", 1, payer="Mcare", dx=("R26.89",),
          plant=("NMR304",)),
        L("C3", "Yost, Lu", D(2026, 3, 17), "97112", 2, mods=("GP",), payer="Aetna Choice POS II",
          prov="Kim Lee", cred="LMT", dx=("R26.81",), plant=("NMR204",)),
        L("C4", "Zane, Mo", D(2026, 3, 17), "97110", 1, mods=("GP",), payer="Cigna",
          dx=("M62.81",)),
    ]
    rows = [["Appt Date", "Patient", "Treatment", "Mod", "Billing Units", "Therapist Name",
             "Ins Co", "ICD Codes", "Billed Amount"]]
    for ln in lines:
        rows.append([us(ln["dos"]), ln["name"], ln["code"], ",".join(ln["mods"]),
                     str(ln["units"]), f"{ln['prov']} ({ln['cred']})", ln["payer"],
                     "|".join(ln["dx"]), money(ln["chg"])])
    with open(OUT / "f21_appts.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    record("f21_appts.csv", "*", [(i + 2, ln) for i, ln in enumerate(lines)])


# =============================================================================================
# Batch 4 (written after reading nmr_xl/read/, so less blind): spacer rows between visits,
# unlabelled total rows, the table starting in column C, codes as numbers, "97112GP" joined,
# "2 u" units, lower-case codes, "2026-03-02 00:00:00" text dates, a CSV with title lines.


def f22() -> None:
    m = "Medicare Part B"
    lines = [
        L("D1", "Abbot, Al", D(2026, 3, 2), "97112", 2, mods=("GP",), payer=m, dx=("R26.89",)),
        L("D1", "Abbot, Al", D(2026, 3, 2), "97110", 1, mods=("GP",), payer=m, dx=("R26.89",)),
        L("D2", "Bock, Bea", D(2026, 3, 2), "97112", 2, payer=m, dx=("G20",), plant=("NMR304",)),
        L("D3", "Cole, Cy", D(2026, 3, 3), "98940", 1, payer=m, prov="Mark Ortiz", cred="DC",
          dx=("M99.03", "M54.50"), plant=("NMR302",)),
        L("D4", "Dorn, Di", D(2026, 3, 3), "97112", 1, mods=("GP",), payer=m, prov="Erin Walsh",
          cred="PTA", dx=("R42",), plant=("NMR305",)),
        L("D5", "Eddy, Ed", D(2026, 3, 4), "97112", 2, mods=("GP",), payer="Aetna",
          dx=("M54.50",), plant=("NMR205",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges"
    ws["C1"] = "Charge Listing"
    ws["C2"] = "Printed 04/01/2026"
    cols: list[Col] = [
        ("Date", lambda ln: ln["dos"].strftime("%Y-%m-%d 00:00:00")),
        ("Patient", lambda ln: ln["name"]),
        ("CPT", lambda ln: int(ln["code"]) if not ln["mods"] else ln["code"] + "".join(ln["mods"])),
        ("Units", lambda ln: f"{ln['units']} u"),
        ("Provider", lambda ln: provcred(ln)),
        ("Insurance", lambda ln: ln["payer"]),
        ("Dx", lambda ln: ", ".join(x.lower() for x in ln["dx"])),
        ("Amount", lambda ln: ln["chg"]),
    ]
    # header at row 5, table from column C, a blank spacer row after each visit, and an
    # unlabelled total row (units and amount only) at the end
    for j, (h, _) in enumerate(cols):
        ws.cell(5, 3 + j, h)
    r = 6
    placed = []
    prev = None
    for ln in lines:
        if prev is not None and (ln["pt"], ln["dos"]) != prev:
            r += 1
        for j, (_, f) in enumerate(cols):
            ws.cell(r, 3 + j, f(ln))
        placed.append((r, ln))
        prev = (ln["pt"], ln["dos"])
        r += 1
    ws.cell(r + 1, 6, sum(x["units"] for x in lines))
    ws.cell(r + 1, 10, sum(x["chg"] for x in lines))
    ws.freeze_panes = "C6"
    wb.save(OUT / "f22_spacers_offset.xlsx")
    record("f22_spacers_offset.xlsx", "Charges", placed)


def f23() -> None:
    lines = [
        L("E1", "Fay, Flo", D(2026, 3, 9), "97112", 2, mods=("GP",), mins=30, payer="Medicare",
          dx=("R26.89",)),
        L("E1", "Fay, Flo", D(2026, 3, 9), "97140", 1, mods=("GP",), mins=8, payer="Medicare",
          dx=("R26.89",)),
        L("E2", "Gus, Gil", D(2026, 3, 9), "97112", 2, mods=("GP",), mins=22, payer="Medicare",
          dx=("R26.81",), plant=("NMR102",)),
        L("E3", "Hal, Hu", D(2026, 3, 10), "97530", 1, mods=("GP",), mins=15, payer="Medicare",
          dx=("R26.89",)),
        L("E3", "Hal, Hu", D(2026, 3, 10), "97530", 1, mods=("GP",), mins=15, payer="Medicare",
          dx=("R26.89",), plant=("NMR005", "NMR003")),
    ]
    rows = [["Therapy Minutes and Units"], ["Clinic: Main", "Period: 03/2026"], [],
            ["DOS", "Patient", "CPT", "Modifier", "Units", "Minutes", "Therapist", "Payer", "Dx"]]
    placed = []
    for ln in lines:
        rows.append([us(ln["dos"]), ln["name"], ln["code"], ",".join(ln["mods"]),
                     str(ln["units"]), str(ln["min"]), provcred(ln), ln["payer"],
                     ",".join(ln["dx"])])
        placed.append((len(rows), ln))
    rows.append(["Total", "", "", "", "8", "90", "", "", ""])
    with open(OUT / "f23_titled.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    record("f23_titled.csv", "*", placed)


def f24() -> None:
    """Two sections on one sheet, each with its own header row in a different column order."""
    m = "Medicare Part B"
    pt_lines = [
        L("F1", "Ivy, Al", D(2026, 3, 16), "97112", 2, mods=("GP",), payer=m, dx=("R26.89",)),
        L("F2", "Jay, Bo", D(2026, 3, 16), "97112", 2, payer=m, dx=("G20",), plant=("NMR304",)),
    ]
    dc_lines = [
        L("F3", "Kay, Cy", D(2026, 3, 17), "98940", 1, mods=("AT",), payer=m, prov="Mark Ortiz",
          cred="DC", dx=("M99.03", "M54.50")),
        L("F4", "Lee, Di", D(2026, 3, 17), "98940", 1, payer=m, prov="Mark Ortiz", cred="DC",
          dx=("M99.03", "M54.50"), plant=("NMR302",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges"
    ws["A1"] = "Physical Therapy"
    cols1: list[Col] = [
        ("DOS", lambda ln: us(ln["dos"])), ("Patient", lambda ln: ln["name"]),
        ("CPT", lambda ln: ln["code"]), ("Mod", lambda ln: ",".join(ln["mods"])),
        ("Units", lambda ln: ln["units"]), ("Provider", provcred),
        ("Payer", lambda ln: ln["payer"]), ("Dx", lambda ln: ", ".join(ln["dx"])),
    ]
    placed1, r = write_table(ws, 2, cols1, pt_lines)
    ws.cell(r + 1, 1, "Chiropractic")
    cols2: list[Col] = [
        ("Patient", lambda ln: ln["name"]), ("DOS", lambda ln: us(ln["dos"])),
        ("Units", lambda ln: ln["units"]), ("CPT", lambda ln: ln["code"]),
        ("Mod", lambda ln: ",".join(ln["mods"])), ("Provider", provcred),
        ("Payer", lambda ln: ln["payer"]), ("Dx", lambda ln: ", ".join(ln["dx"])),
    ]
    placed2, _ = write_table(ws, r + 2, cols2, dc_lines)
    wb.save(OUT / "f24_two_sections.xlsx")
    record("f24_two_sections.xlsx", "Charges", placed1 + placed2)


def f25() -> None:
    """Excel's "sep=;" first line, Windows-1252 text, "Svc Dates" holding a from-to range."""
    m = "Medicare Part B"
    lines = [
        L("G1", "Muñoz, Ana", D(2026, 3, 23), "97112", 2, mods=("GP",), payer=m, dx=("R26.89",)),
        L("G2", "Nuñez, Bo", D(2026, 3, 23), "97112", 1, payer=m, dx=("G20",), plant=("NMR304",)),
        L("G3", "Ortega, Cy", D(2026, 3, 24), "97110", 2, mods=("GP",), payer=m,
          prov="Erin Walsh", cred="PTA", dx=("M62.81",), plant=("NMR305",)),
        L("G4", "Peña, Di", D(2026, 3, 24), "97140", 1, mods=("GP",), payer="Aetna",
          dx=("M25.511",)),
    ]
    rows = [["Svc Dates", "Patient", "Svc Item", "Mod 1", "Mod 2", "Count", "Rendering",
             "Payer", "Dx 1", "Chg Amt"]]
    for ln in lines:
        rng = f"{us(ln['dos'])} \u2013 {us(ln['dos'])}"
        rows.append([rng, ln["name"], ln["code"], (ln["mods"] + [""])[0],
                     (ln["mods"] + ["", ""])[1], str(ln["units"]), provcred(ln), ln["payer"],
                     ln["dx"][0], f"{ln['chg']:.2f}"])
    with open(OUT / "f25_sep_cp1252.csv", "w", encoding="cp1252", newline="") as fh:
        fh.write("sep=;\r\n")
        csv.writer(fh, delimiter=";").writerows(rows)
    record("f25_sep_cp1252.csv", "*", [(i + 3, ln) for i, ln in enumerate(lines)])


def f26() -> None:
    """Grouped by CPT code with "97112 Total" subtotal rows; provider names in capitals."""
    m = "Medicare Part B"
    lines = [
        L("H1", "QUINN, AL", D(2026, 3, 2), "97110", 1, mods=("GP",), payer=m, dx=("M62.81",)),
        L("H2", "ROSS, BO", D(2026, 3, 3), "97110", 2, mods=("GP",), payer=m, prov="Erin Walsh",
          cred="PTA", dx=("M62.81",), plant=("NMR305",)),
        L("H3", "SHAW, CY", D(2026, 3, 2), "97112", 2, mods=("GP",), payer=m, dx=("R26.89",)),
        L("H4", "TOLL, DI", D(2026, 3, 3), "97112", 2, payer=m, dx=("R26.81",),
          plant=("NMR304",)),
        L("H5", "UNGER, ED", D(2026, 3, 4), "97112", 1, mods=("GP",), payer=m, dx=("R26.89",)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "By CPT"
    ws["A1"] = "PROCEDURE ANALYSIS BY CPT"
    cols: list[Col] = [
        ("CPT", lambda ln: ln["code"]),
        ("DOS", lambda ln: ln["dos"]),
        ("PATIENT", lambda ln: ln["name"]),
        ("MOD", lambda ln: " ".join(ln["mods"])),
        ("UNITS", lambda ln: ln["units"]),
        ("PROVIDER", lambda ln: f"{ln['prov'].split()[1].upper()}, {ln['prov'].split()[0].upper()}, {ln['cred']}"),
        ("INSURANCE", lambda ln: ln["payer"].upper()),
        ("DX", lambda ln: ln["dx"][0]),
    ]
    placed, r = write_table(
        ws, 3, cols, lines, group=lambda ln: ln["code"],
        subtotal=lambda g, gl: [f"{g} Total", None, None, None, sum(x["units"] for x in gl)])
    ws.cell(r, 1, "Grand Total")
    ws.cell(r, 5, sum(x["units"] for x in lines))
    for row, _ in placed:
        ws.cell(row, 2).number_format = "mm/dd/yy"
    wb.save(OUT / "f26_by_cpt.xlsx")
    record("f26_by_cpt.xlsx", "By CPT", placed)


def f27() -> None:
    """A therapy EMR's billing review: plan-of-care dates, goal, one-on-one flag, timed and
    total treatment minutes, a last progress note date."""
    m = "Medicare Part B"
    g = "improve standing balance to reduce fall risk"
    base = dict(payer=m, dx=("R26.89",), mods=("GP",))
    rows_spec = [
        # (line, poc start, poc end, goal, one-on-one, total time, last PN)
        (L("J1", "Vale, Al", D(2026, 3, 2), "97112", 2, mins=30, **base),
         D(2026, 2, 1), D(2026, 4, 30), g, "Y", 40, D(2026, 2, 27)),
        (L("J1", "Vale, Al", D(2026, 3, 2), "97110", 1, mins=8, **base),
         D(2026, 2, 1), D(2026, 4, 30), g, "Y", 40, D(2026, 2, 27)),
        (L("J2", "Webb, Bo", D(2026, 3, 3), "97112", 2, mins=30, plant=("NMR308",), **base),
         D(2025, 12, 1), D(2026, 2, 28), g, "Y", 35, D(2026, 2, 20)),
        (L("J3", "Xu, Cy", D(2026, 3, 3), "97112", 2, mins=30, plant=("NMR209",), **base),
         D(2026, 2, 1), D(2026, 4, 30), "", "Y", 35, D(2026, 2, 25)),
        (L("J4", "Yoon, Di", D(2026, 3, 4), "97112", 1, mins=15, plant=("NMR201",), **base),
         D(2026, 2, 1), D(2026, 4, 30), g, "N", 20, D(2026, 2, 25)),
        (L("J5", "Zeal, Ed", D(2026, 3, 4), "97112", 3, mins=45, plant=("NMR107",), **base),
         D(2026, 2, 1), D(2026, 4, 30), g, "Y", 30, D(2026, 2, 25)),
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Billing Review"
    ws["A1"] = "Billing Review - Outpatient Rehab"
    header = ["Visit Date", "Patient", "MRN", "CPT", "Mods", "Units", "Timed Min",
              "Total Tx Time (min)", "1:1?", "Therapist", "Payer", "Dx", "POC Start",
              "POC End", "Functional Goal", "Last PN Date"]
    for j, h in enumerate(header):
        ws.cell(3, j + 1, h)
    placed = []
    r = 4
    for ln, ps, pe, goal, one, total, pn in rows_spec:
        vals = [ln["dos"], ln["name"], ln["pt"], ln["code"], ",".join(ln["mods"]), ln["units"],
                ln["min"], total, one, provcred(ln), ln["payer"], ln["dx"][0], ps, pe,
                goal or None, pn]
        for j, val in enumerate(vals):
            if val is not None:
                c = ws.cell(r, j + 1, val)
                if isinstance(val, dt.date):
                    c.number_format = "mm/dd/yyyy"
        placed.append((r, ln))
        r += 1
    # a line with a mistyped date and one without units
    bad = L("J6", "Ames, Fay", D(2026, 3, 5), "97110", 1, mins=15, plant=("NMR002",), **base)
    for j, val in enumerate(["02/30/2026", "Ames, Fay", "J6", "97110", "GP", 1, 15, 15, "Y",
                             "Dana Cole, PT", m, "M62.81", D(2026, 2, 1), D(2026, 4, 30), g,
                             D(2026, 2, 25)]):
        ws.cell(r, j + 1, val)
    placed.append((r, bad))
    r += 1
    miss = L("J7", "Bell, Gus", D(2026, 3, 5), "97110", 1, mins=15, plant=("NMR001",), **base)
    for j, val in enumerate([D(2026, 3, 5), "Bell, Gus", "J7", "97110", "GP", None, 15, 15, "Y",
                             "Dana Cole, PT", m, "M62.81", D(2026, 2, 1), D(2026, 4, 30), g,
                             D(2026, 2, 25)]):
        if val is not None:
            ws.cell(r, j + 1, val)
    placed.append((r, miss))
    wb.save(OUT / "f27_billing_review.xlsx")
    record("f27_billing_review.xlsx", "Billing Review", placed)


def f28() -> None:
    """A daily totals sheet first (date, CPT, units, charges: no patient), then the lines."""
    m = "Medicare Part B"
    lines = [
        L("K1", "Abe, Al", D(2026, 3, 2), "97112", 2, mods=("GP",), payer=m, dx=("R26.89",)),
        L("K2", "Bo, Bea", D(2026, 3, 2), "97112", 1, payer=m, dx=("R26.89",), plant=("NMR304",)),
        L("K2", "Bo, Bea", D(2026, 3, 2), "97110", 1, mods=("GP",), payer=m, dx=("R26.89",)),
        L("K3", "Cy, Cal", D(2026, 3, 3), "97110", 2, mods=("GP",), payer=m, dx=("M62.81",)),
    ]
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Daily Totals"
    s.append(["Daily Totals by Code"])
    s.append(["Date", "CPT", "Units", "Charges"])
    s.append([D(2026, 3, 2), "97112", 3, 144.0])
    s.append([D(2026, 3, 2), "97110", 1, 42.0])
    s.append([D(2026, 3, 3), "97110", 2, 84.0])
    s.append(["Total", None, 6, 270.0])
    ws = wb.create_sheet("Lines")
    cols: list[Col] = [
        ("DOS", lambda ln: ln["dos"]), ("Patient", lambda ln: ln["name"]),
        ("Acct", lambda ln: ln["pt"]), ("CPT", lambda ln: ln["code"]),
        ("Modifiers", lambda ln: ",".join(ln["mods"])), ("Units", lambda ln: ln["units"]),
        ("Provider", provcred), ("Payer", lambda ln: ln["payer"]),
        ("Dx", lambda ln: ln["dx"][0]),
    ]
    placed, _ = write_table(ws, 1, cols, lines)
    wb.save(OUT / "f28_totals_sheet_first.xlsx")
    record("f28_totals_sheet_first.xlsx", "Lines", placed)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for f in (f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12,
              f13, f14, f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28):
        f()
    (OUT / "manifest.json").write_text(json.dumps(MANIFEST, indent=1))
    print(f"wrote {len(MANIFEST)} files to {OUT}")


if __name__ == "__main__":
    main()

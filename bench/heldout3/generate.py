"""Third held-out set: the rules' judgement on realistic mixed practices (session 3J).

`python bench/heldout3/generate.py` writes bench/heldout3/data/*.xlsx|csv and manifest.json
(the format bench/heldout/score.py reads: per file, per sheet, the planted (row, rule) pairs
and every charge line's row). Built blind from the README's user sections, `nmr-xl rules`,
`nmr-xl explain`, RULES.md and the seed article. Correct lines far outnumber planted ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
OUT = HERE / "data"
D = dt.date
R = random.Random(3)

# Medicare-ish allowed amounts per unit (for KX) and charges per unit
ALLOWED = {"97110": 31.0, "97112": 35.0, "97140": 29.0, "97530": 37.0, "97116": 31.0,
           "97535": 34.0, "97161": 101.0, "97162": 101.0, "97163": 101.0, "97164": 69.0,
           "97165": 95.0, "97166": 95.0, "97167": 95.0, "97168": 65.0, "92507": 79.0,
           "92526": 86.0, "97150": 17.0, "97010": 0.0, "G0283": 13.0, "97035": 14.0,
           "98940": 28.0, "98941": 40.0, "98942": 52.0, "97124": 27.0}
CHARGE = {k: round(v * 2.1 + 10, 2) for k, v in ALLOWED.items()}


@dataclass
class Line:
    pt: str
    name: str
    dos: dt.date
    code: str
    mods: list[str]
    units: int | None
    minutes: int | None = None
    dx: list[str] = field(default_factory=list)
    prov: str = ""
    cred: str = ""
    payer: str = ""
    notes: str = ""
    total: int | None = None
    poc: tuple[dt.date, dt.date] | None = None
    pn: str = ""
    goal: str = ""
    one: str = ""
    disc: str = ""
    plant: list[str] = field(default_factory=list)

    @property
    def charge(self) -> float:
        return round(CHARGE.get(self.code, 50.0) * (self.units or 1), 2)

    @property
    def allowed(self) -> float:
        return round(ALLOWED.get(self.code, 20.0) * (self.units or 1), 2)


def weekdays(start: dt.date, end: dt.date, days: tuple[int, ...]) -> list[dt.date]:
    out, d = [], start
    while d <= end:
        if d.weekday() in days:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


FIRST = ["Ann", "Bob", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena",
         "Milo", "Nia", "Omar", "Pia", "Quin", "Rosa", "Seth", "Tara", "Uma", "Vic", "Wes",
         "Xena", "Yuri", "Zoe"]
LAST = ["Abbott", "Barnes", "Cole", "Diaz", "Evans", "Ford", "Grant", "Hayes", "Irwin",
        "Jones", "Keller", "Lopez", "Moore", "Nash", "Owens", "Price", "Quinn", "Reyes"]


class Names:
    def __init__(self, prefix: str) -> None:
        self.prefix, self.n = prefix, 0

    def new(self) -> tuple[str, str]:
        self.n += 1
        return (f"{self.prefix}{1000 + self.n}",
                f"{LAST[self.n % len(LAST)]}, {FIRST[(self.n * 7) % len(FIRST)]}")


# ---------------------------------------------------------------------------------------
# writers

def fmt_date(d: dt.date, style: str) -> object:
    if style == "date":
        return d
    if style == "us":
        return d.strftime("%m/%d/%Y")
    return d.isoformat()


def cell(line: Line, col: str, style: str) -> object:
    m = line.mods
    if col == "dos":
        return fmt_date(line.dos, style)
    if col.startswith("mod") and col[3:].isdigit():
        i = int(col[3:]) - 1
        return m[i] if i < len(m) else None
    if col == "mods_csv":
        return ",".join(m)
    if col == "code_mods":
        return "-".join([line.code, *m])
    if col.startswith("dx") and col[2:].isdigit():
        i = int(col[2:]) - 1
        return line.dx[i] if i < len(line.dx) else None
    if col == "dx_all":
        return ", ".join(line.dx)
    if col == "poc_start":
        return fmt_date(line.poc[0], style) if line.poc else None
    if col == "poc_end":
        return fmt_date(line.poc[1], style) if line.poc else None
    if col == "prov_cred":
        return f"{line.prov}, {line.cred}" if line.cred else line.prov
    v = getattr(line, col)
    return v if v != "" else None


def write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[tuple[str, str]],
                                                list[Line]]], style: str = "date") -> dict:
    """sheets: (name, title lines, [(heading, col)], lines). Returns the manifest entry."""
    wb = Workbook()
    wb.remove(wb.active)
    entry: dict = {"sheets": {}}
    for name, titles, cols, lines in sheets:
        ws = wb.create_sheet(name)
        for t in titles:
            ws.append([t])
        ws.append([h for h, _ in cols])
        rows, planted = [], []
        for ln in lines:
            ws.append([cell(ln, c, style) for _, c in cols])
            r = ws.max_row
            rows.append(r)
            planted += [[r, p] for p in ln.plant]
        ws.append([])
        ws.append(["Total", *[None] * (len(cols) - 2),
                   round(sum(ln.charge for ln in lines), 2)])
        entry["sheets"][name] = {"planted": planted, "lines": rows}
    wb.save(path)
    return entry


def write_csv(path: Path, titles: list[str], cols: list[tuple[str, str]], lines: list[Line],
              delimiter: str = ",") -> dict:
    rows, planted = [], []
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        for t in titles:
            w.writerow([t])
        w.writerow([h for h, _ in cols])
        r = len(titles) + 1
        for ln in lines:
            r += 1
            w.writerow(["" if (v := cell(ln, c, "us")) is None else v for _, c in cols])
            rows.append(r)
            planted += [[r, p] for p in ln.plant]
    return {"sheets": {"*": {"planted": planted, "lines": rows}}}


# ---------------------------------------------------------------------------------------
# f01: chiropractic day sheet, no minutes column (Medicare, MA, commercial, BCBS TN)

DC1, DC2, LMT = "Mark Ortiz", "Lisa Chen", "Kim Lee"


def chiro_day_sheet() -> list[Line]:
    names = Names("C")
    out: list[Line] = []
    days = weekdays(D(2026, 3, 2), D(2026, 3, 13), (0, 1, 2, 3, 4))
    mcr = ["Medicare Part B", "MEDICARE", "Medicare B - Novitas"]
    ma = ["Humana Gold Plus HMO", "AARP Medicare Advantage (UHC)", "Aetna Medicare PPO",
          "Wellcare Medicare Advantage", "Humana Medicare Advantage"]
    com = ["Aetna", "Cigna", "UnitedHealthcare", "BCBS of Texas"]
    pats = [(names.new(), kind) for kind in
            ["mcr"] * 7 + ["ma"] * 5 + ["com"] * 6]
    for i, ((pt, nm), kind) in enumerate(pats):
        payer = (mcr if kind == "mcr" else ma if kind == "ma" else com)[i % (3 if kind == "mcr"
                                                                          else 4)]
        if kind == "ma":
            payer = ma[i % 5]
        dc = DC1 if i % 2 else DC2
        for d in days[i % 3::3]:
            if kind == "mcr":
                lvl = ["98940", "98941", "98942"][i % 3]
                dx = {"98940": ["M99.03", "M54.50"],
                      "98941": ["M99.01", "M99.02", "M99.03", "M54.2", "M54.6"],
                      "98942": ["M99.01", "M99.02", "M99.03", "M99.04", "M99.05",
                                "M54.50"]}[lvl]
                mod = ["AT"] if i % 4 else ["GA"]
                out.append(Line(pt, nm, d, lvl, mod, 1, dx=dx, prov=dc, cred="DC",
                                payer=payer))
                if i % 2:
                    out.append(Line(pt, nm, d, "97140", ["GP", "GY", "59"], 1, dx=dx,
                                    prov=dc, cred="DC", payer=payer,
                                    notes="separate region: R shoulder"))
            elif kind == "ma":
                # Medicare Advantage is a commercial payer per the bundled profile:
                # discipline modifiers required, the Medicare-only rules do not apply
                out.append(Line(pt, nm, d, "98940", ["AT"] if i % 2 else [], 1,
                                dx=["M99.01", "M54.2"], prov=dc, cred="DC", payer=payer))
                out.append(Line(pt, nm, d, "97140", ["GP", "59"], 1,
                                dx=["M99.01", "M54.2"], prov=dc, cred="DC", payer=payer))
            else:
                out.append(Line(pt, nm, d, "98941", [], 1,
                                dx=["M99.01", "M99.02", "M99.03", "M54.2", "G44.209"],
                                prov=dc, cred="DC", payer=payer))
                out.append(Line(pt, nm, d, "97112", ["XS"], 1,
                                dx=["R26.89", "M99.01", "M54.2"], prov=dc, cred="DC",
                                payer=payer, notes="balance retraining, BAPS board"))
                if i % 3 == 0:
                    out.append(Line(pt, nm, d, "97124", ["59"], 1, dx=["M54.2"], prov=LMT,
                                    cred="LMT", payer=payer))
    # planted, each on its own visit
    pd = D(2026, 3, 9)
    (pt, nm) = names.new()
    out.append(Line(pt, nm, pd, "98941", [], 1, dx=["M99.01", "M99.02", "M99.03", "M54.2"],
                    prov=DC1, cred="DC", payer="Medicare Part B", plant=["NMR302"]))
    (pt, nm) = names.new()
    out.append(Line(pt, nm, pd, "98940", ["AT"], 1, dx=["M54.50", "M99.03"], prov=DC2,
                    cred="DC", payer="MEDICARE", plant=["NMR303"]))
    (pt, nm) = names.new()
    out.append(Line(pt, nm, pd, "98940", ["AT"], 1, dx=["M99.03", "M99.04"], prov=DC2,
                    cred="DC", payer="Medicare Part B", plant=["NMR311"]))
    (pt, nm) = names.new()
    out.append(Line(pt, nm, D(2026, 3, 10), "98941", ["AT"], 1,
                    dx=["M99.03", "M99.04", "M54.50"], prov=DC1, cred="DC",
                    payer="Medicare Part B", plant=["NMR312"]))
    (pt, nm) = names.new()
    out.append(Line(pt, nm, D(2026, 3, 10), "98942", [], 1,
                    dx=["M99.01", "M99.02", "M99.03", "M54.2"], prov=DC1, cred="DC",
                    payer="Cigna", plant=["NMR312"]))
    (pt, nm) = names.new()
    dx = ["M99.03", "M54.50"]
    out.append(Line(pt, nm, D(2026, 3, 11), "98940", ["AT"], 1, dx=dx, prov=DC1, cred="DC",
                    payer="Medicare Part B"))
    out.append(Line(pt, nm, D(2026, 3, 11), "97140", ["GP", "59"], 1, dx=dx, prov=DC1,
                    cred="DC", payer="Medicare Part B", plant=["NMR301"]))
    (pt, nm) = names.new()
    dx = ["M99.01", "M54.2", "G81.94"]
    out.append(Line(pt, nm, D(2026, 3, 11), "98940", ["AT"], 1, dx=dx, prov=DC2, cred="DC",
                    payer="MEDICARE"))
    out.append(Line(pt, nm, D(2026, 3, 11), "97112", ["GP", "59"], 1, dx=dx, prov=DC2,
                    cred="DC", payer="MEDICARE", plant=["NMR301"]))
    (pt, nm) = names.new()
    dx = ["M99.03", "M54.50"]
    out.append(Line(pt, nm, D(2026, 3, 12), "98940", [], 1, dx=dx, prov=DC1, cred="DC",
                    payer="Aetna"))
    out.append(Line(pt, nm, D(2026, 3, 12), "97140", [], 1, dx=dx, prov=DC1, cred="DC",
                    payer="Aetna", plant=["NMR306"]))
    (pt, nm) = names.new()
    out.append(Line(pt, nm, D(2026, 3, 12), "97112", [], 1, dx=["R26.81", "M54.50"],
                    prov=LMT, cred="LMT", payer="Cigna", plant=["NMR204"]))
    (pt, nm) = names.new()
    out.append(Line(pt, nm, D(2026, 3, 12), "97112", [], 1, dx=["M99.03", "M54.50"],
                    prov=DC2, cred="DC", payer="UnitedHealthcare", plant=["NMR205"]))
    (pt, nm) = names.new()
    dx = ["M99.01", "M54.2", "G35"]
    out.append(Line(pt, nm, D(2026, 3, 13), "98940", [], 1, dx=dx, prov=DC2, cred="DC",
                    payer="BlueCross BlueShield of Tennessee"))
    out.append(Line(pt, nm, D(2026, 3, 13), "97112", ["59"], 1, dx=dx, prov=DC2, cred="DC",
                    payer="BlueCross BlueShield of Tennessee", plant=["NMR208"]))
    (pt, nm) = names.new()
    out.append(Line(pt, nm, D(2026, 3, 13), "97140", [], 1, dx=["M54.2"], prov=DC1,
                    cred="DC", payer="Humana Gold Plus HMO", plant=["NMR304"]))
    (pt, nm) = names.new()
    out.append(Line(pt, nm, D(2026, 3, 13), "97140", ["59"], 1, dx=["M54.2"], prov=DC1,
                    cred="DC", payer="Cigna"))
    out.append(Line(pt, nm, D(2026, 3, 13), "97124", [], 1, dx=["M54.2"], prov=LMT,
                    cred="LMT", payer="Cigna", plant=["NMR313"]))
    (pt, nm) = names.new()
    dx = ["M99.03", "M54.50"]
    out.append(Line(pt, nm, D(2026, 3, 5), "98940", ["AT"], 1, dx=dx, prov=DC1, cred="DC",
                    payer="Medicare Part B"))
    out.append(Line(pt, nm, D(2026, 3, 5), "98940", ["AT"], 1, dx=dx, prov=DC1, cred="DC",
                    payer="Medicare Part B", plant=["NMR003"]))
    # a line the biller already fixed: 97140 beside CMT with XS and GP/GY, a note says so
    (pt, nm) = names.new()
    dx = ["M99.01", "M54.2"]
    out.append(Line(pt, nm, D(2026, 3, 6), "98940", ["AT"], 1, dx=dx, prov=DC2, cred="DC",
                    payer="Medicare Part B"))
    out.append(Line(pt, nm, D(2026, 3, 6), "97140", ["GP", "GY", "XS"], 1, dx=dx, prov=DC2,
                    cred="DC", payer="Medicare Part B",
                    notes="GY/XS added 3/9 after review"))
    out.sort(key=lambda ln: (ln.dos, ln.name))
    return out


# ---------------------------------------------------------------------------------------
# f02: chiropractic ledger CSV with minutes, notes rules, suppression markers

def chiro_ledger() -> list[Line]:
    names = Names("L")
    out: list[Line] = []
    days = weekdays(D(2026, 2, 2), D(2026, 2, 27), (0, 2, 4))
    for i in range(14):
        pt, nm = names.new()
        payer = ["Aetna", "Cigna", "UnitedHealthcare", "Self Pay", "Aetna Medicare PPO"][i % 5]
        g = ["GP"] if "Medicare" in payer else []
        for d in days[i % 2::2]:
            dx = ["M99.01", "M54.2", "R26.89"]
            out.append(Line(pt, nm, d, "98940", [], 1, dx=dx, prov=DC1, cred="DC", payer=payer))
            # CMS Example 1 (24 + 23 = 47 min: 97112 x2 + 97110 x1), with XS beside CMT
            out.append(Line(pt, nm, d, "97112", [*g, "XS"], 2, 24, dx=dx, prov=DC1, cred="DC",
                            payer=payer, notes="PNF patterns, single-leg balance foam"))
            out.append(Line(pt, nm, d, "97110", [*g], 1, 23, dx=dx, prov=DC1, cred="DC",
                            payer=payer, notes="core stabilization ex"))
    p = D(2026, 2, 16)
    for rule, code, units, mins, notes, dx in [
        ("NMR201", "97112", 1, 15, "balance work on own while DC adjusted next patient",
         ["R26.89"]),
        ("NMR202", "97112", 1, 15, "IASTM / Graston to hamstrings, trigger point work",
         ["R26.89"]),
        ("NMR206", "97112", 2, 30, "strengthening w/ theraband, ROM ex", ["R26.89"]),
        ("NMR203", "97112", 1, 15, "wobble chair 15 min", ["R26.89"]),
        ("NMR101", "97140", 1, None, "", ["M54.2"]),
        ("NMR102", "97112", 2, 10, "PNF, tandem stance", ["R26.89"]),
    ]:
        pt, nm = names.new()
        out.append(Line(pt, nm, p, code, [], units, mins, dx=dx, prov=DC2, cred="DC",
                        payer="Cigna", notes=notes, plant=[rule]))
    # suppression: documented exception, the marker suppresses NMR205 (a correct line)
    pt, nm = names.new()
    out.append(Line(pt, nm, p, "97112", [], 1, 15, dx=["M54.50"], prov=DC2, cred="DC",
                    payer="Cigna",
                    notes="PNF; neuro dx on referral, not in PM system. nmr: ignore NMR205"))
    # a stale marker: suppresses nothing
    pt, nm = names.new()
    out.append(Line(pt, nm, p, "97112", [], 1, 15, dx=["R42"], prov=DC2, cred="DC",
                    payer="Cigna", notes="vestibular habituation. nmr: ignore NMR206",
                    plant=["NMR090"]))
    # 59 with XS on one line
    pt, nm = names.new()
    dx = ["M99.03", "M54.50"]
    out.append(Line(pt, nm, p, "98940", [], 1, dx=dx, prov=DC1, cred="DC", payer="Aetna"))
    out.append(Line(pt, nm, p, "97140", ["59", "XS"], 1, 12, dx=dx, prov=DC1, cred="DC",
                    payer="Aetna", plant=["NMR307"]))
    # default payer: CMS Ex.1 billed 2 + 2 (within the midpoint rule: a warning, NMR102)
    pt, nm = names.new()
    out.append(Line(pt, nm, D(2026, 2, 18), "97112", [], 2, 24, dx=["R26.89"], prov=DC1,
                    cred="DC", payer="Self Pay", notes="PNF"))
    out.append(Line(pt, nm, D(2026, 2, 18), "97110", [], 2, 23, dx=["R26.89"], prov=DC1,
                    cred="DC", payer="Self Pay", plant=["NMR102"]))
    out.sort(key=lambda ln: (ln.dos, ln.name))
    return out


# ---------------------------------------------------------------------------------------
# f03: multi-discipline rehab clinic, Medicare, a quarter of visits

PT1, PT2, PTA, OT, COTA, SLP = ("Dana Cole", "Raj Patel", "Erin Walsh", "Maya Ross",
                                "Tom Beck", "Ivy Stone")
CREDS = {PT1: "PT", PT2: "DPT", PTA: "PTA", OT: "OTR/L", COTA: "COTA", SLP: "CCC-SLP"}


def rehab_medicare() -> list[Line]:
    names = Names("R")
    out: list[Line] = []
    mcr = "Medicare"
    neuro = ["I69.351", "R26.89"]
    start = D(2026, 1, 5)
    # --- the KX patient: PT 3x/week all quarter, allowed amounts pass $2,480
    pt, nm = names.new()
    poc = (start, start + dt.timedelta(days=88))
    days = weekdays(start, D(2026, 3, 27), (0, 2, 4))
    run, kx_on, n_since = 0.0, False, 0
    late_plants = {days[-6], days[-3]}
    for k, d in enumerate(days):
        lines = []
        if k == 0:
            lines.append(Line(pt, nm, d, "97162", ["GP"], 1, None, total=60))
            lines.append(Line(pt, nm, d, "97110", ["GP"], 1, 15))
            lines.append(Line(pt, nm, d, "97112", ["GP"], 2, 25))
        else:
            # CMS Example 1: 97112 24 min + 97110 23 min -> 97112 x2 + 97110 x1
            lines.append(Line(pt, nm, d, "97112", ["GP"], 2, 24))
            lines.append(Line(pt, nm, d, "97110", ["GP"], 1, 23))
            lines.append(Line(pt, nm, d, "97530", ["GP"], 1, 15))
        visit_allowed = sum(ln.allowed for ln in lines)
        if run + visit_allowed > 2480 - 200:
            kx_on = True
        run += visit_allowed
        n_since += 1
        pn = "Y" if n_since >= 8 else ""
        if pn:
            n_since = 0
        for ln in lines:
            ln.dx, ln.prov, ln.cred, ln.payer, ln.poc = neuro, PT1, "PT", mcr, poc
            ln.total = 75 if k else 70
            ln.pn = pn
            if kx_on:
                if d in late_plants and run > 2480 + 300:
                    ln.plant.append("NMR310")
                else:
                    ln.mods = [*ln.mods, "KX"]
        lines[0].pn = pn
        out += lines
    # --- ordinary PT / PTA / OT / COTA / SLP patients, 2x/week for 4-6 weeks
    kinds = ["pt"] * 8 + ["pta"] * 4 + ["ot"] * 4 + ["cota"] * 3 + ["slp"] * 3
    for i, kind in enumerate(kinds):
        pt, nm = names.new()
        s = start + dt.timedelta(days=7 * (i % 6))
        days = weekdays(s, s + dt.timedelta(days=35), (1, 3))
        poc = (s, s + dt.timedelta(days=60))
        n = 0
        for k, d in enumerate(days):
            n += 1
            pn = "Y" if n >= 7 else ""
            if pn:
                n = 0
            if kind in ("pt", "pta"):
                prov = PT2 if kind == "pt" else PTA
                q = ["CQ"] if kind == "pta" else []
                if k == 0:
                    ls = [Line(pt, nm, d, "97161", ["GP"], 1, None, prov=PT2, cred="DPT"),
                          Line(pt, nm, d, "97110", ["GP"], 1, 15, prov=PT2, cred="DPT")]
                    tot = 50
                elif k % 3 == 1:
                    # CMS Example 2: 20 + 20 = 40 min -> 3 units, either code takes 2
                    ls = [Line(pt, nm, d, "97112", ["GP", *q], 2 if i % 2 else 1, 20,
                               prov=prov),
                          Line(pt, nm, d, "97110", ["GP", *q], 1 if i % 2 else 2, 20,
                               prov=prov),
                          Line(pt, nm, d, "97010", ["GP", *q], 1, None, prov=prov)]
                    tot = 50
                elif k % 3 == 2:
                    # CMS Example 3: 97110 33 min + 97140 7 min -> 97110 x2 + 97140 x1
                    ls = [Line(pt, nm, d, "97110", ["GP", *q], 2, 33, prov=prov),
                          Line(pt, nm, d, "97140", ["GP", *q], 1, 7, prov=prov),
                          Line(pt, nm, d, "G0283", ["GP", *q], 1, None, prov=prov)]
                    tot = 55
                else:
                    # CMS Example 4-like: 97110 18 + 97140 13 + 97116 10 = 41 min -> 3
                    ls = [Line(pt, nm, d, "97110", ["GP", *q], 1, 18, prov=prov),
                          Line(pt, nm, d, "97140", ["GP", *q], 1, 13, prov=prov),
                          Line(pt, nm, d, "97116", ["GP", *q], 1, 10, prov=prov)]
                    tot = 45
                if k == 5 and kind == "pt":
                    pn = "Y"
            elif kind in ("ot", "cota"):
                prov = OT if kind == "ot" else COTA
                q = ["CO"] if kind == "cota" else []
                if k == 0:
                    ls = [Line(pt, nm, d, "97166", ["GO"], 1, None, prov=OT),
                          Line(pt, nm, d, "97535", ["GO"], 2, 30, prov=OT)]
                    tot = 75
                else:
                    ls = [Line(pt, nm, d, "97530", ["GO", *q], 2, 30, prov=prov),
                          Line(pt, nm, d, "97535", ["GO", *q], 1, 15, prov=prov)]
                    tot = 45
            else:
                prov = SLP
                ls = [Line(pt, nm, d, "92507", ["GN"], 1, None, prov=SLP)]
                if k == 0:
                    ls = [Line(pt, nm, d, "92523", ["GN"], 1, None, prov=SLP)]
                tot = 45
            for ln in ls:
                ln.dx = neuro if kind in ("pt", "pta") else (
                    ["I69.351", "R27.8"] if kind in ("ot", "cota") else ["R47.01", "I69.320"])
                ln.payer, ln.poc, ln.total, ln.pn = mcr, poc, tot, pn
                ln.cred = ln.cred or CREDS[ln.prov]
            out += ls
    # --- planted, each on its own visit
    p = D(2026, 2, 24)

    seq = iter(weekdays(p, p + dt.timedelta(days=30), (0, 1, 2, 3, 4)))

    def visit(items: list[tuple], prov: str = PT2, tot: int = 60, dx: list[str] = neuro,
              poc: tuple | None = None) -> None:
        pt, nm = names.new()
        d = next(seq)
        for code, mods, units, mins, plant in items:
            out.append(Line(pt, nm, d, code, mods, units, mins, dx=dx, prov=prov,
                            cred=CREDS[prov], payer=mcr, total=tot,
                            poc=poc or (d - dt.timedelta(days=20), d + dt.timedelta(days=40)),
                            plant=plant))

    # CMS Example 1 billed 2 + 2: 97110 carries more than its allocation
    visit([("97112", ["GP"], 2, 24, []), ("97110", ["GP"], 2, 23, ["NMR102"])])
    # CMS Example 3 billed 1 + 2
    visit([("97110", ["GP"], 1, 33, []), ("97140", ["GP"], 2, 7, ["NMR103"])])
    # a lone timed service under 8 minutes
    visit([("97161", ["GP"], 1, None, []), ("97110", ["GP"], 1, 7, ["NMR102"])])
    # underbilled: 38 min billed 2
    visit([("97110", ["GP"], 2, 38, ["NMR104"])])
    # PTA without CQ, COTA without CO
    visit([("97110", ["GP"], 2, 30, ["NMR305"])], prov=PTA)
    visit([("97530", ["GO"], 2, 30, ["NMR305"])], prov=COTA, dx=["I69.351"])
    # OT 97530 without GO
    visit([("97530", [], 2, 30, ["NMR304"])], prov=OT, dx=["I69.351"])
    # split timed code (same modifiers, two lines)
    visit([("97110", ["GP"], 1, 15, []), ("97112", ["GP"], 1, 15, []),
           ("97110", ["GP"], 1, 15, ["NMR005"])])
    # timed minutes over the total treatment time
    # (the finding is on the visit's first line holding the total time: 97110 sorts first)
    visit([("97112", ["GP"], 2, 25, []), ("97110", ["GP"], 1, 20, ["NMR107"])], tot=40)
    # DOS after the plan of care's end
    visit([("97110", ["GP"], 2, 30, ["NMR308"])],
          poc=(p - dt.timedelta(days=70), p - dt.timedelta(days=3)))
    # eval + 97140 without 59
    visit([("97162", ["GP"], 1, None, []), ("97140", ["GP"], 1, 15, ["NMR306"])], tot=75)
    # a PT/PTA split on one visit (allowed: CMS CQ billing examples)
    visit([("97110", ["GP"], 1, 15, []), ("97110", ["GP", "CQ"], 1, 15, [])])
    # Medicare patient 12 visits, no progress report since the evaluation
    pt, nm = names.new()
    days = weekdays(D(2026, 2, 2), D(2026, 3, 31), (0, 3))[:12]
    for k, d in enumerate(days):
        code, units, mins = ("97163", 1, None) if k == 0 else ("97110", 2, 30)
        out.append(Line(pt, nm, d, code, ["GP"], units, mins, dx=neuro, prov=PT2, cred="DPT",
                        payer=mcr, total=60, poc=(days[0], days[0] + dt.timedelta(days=80)),
                        plant=["NMR309"] if k >= 10 else []))
        if k == 0:
            out.append(Line(pt, nm, d, "97110", ["GP"], 1, 15, dx=neuro, prov=PT2,
                            cred="DPT", payer=mcr, total=60,
                            poc=(days[0], days[0] + dt.timedelta(days=80))))
    out.sort(key=lambda ln: (ln.dos, ln.name, ln.code))
    return out


# ---------------------------------------------------------------------------------------
# f04: commercial rehab: Aetna (dated standard), BCBS TN, UHC, no-profile payers

def rehab_commercial() -> list[Line]:
    names = Names("A")
    out: list[Line] = []
    neuro = ["G81.94", "R26.89"]
    # Aetna 97112 course from 2025-09-01, M/W/F to 2025-11-07: standard 18 visits / 42 days
    # until 2025-10-28; no standard from 2025-10-29
    pt, nm = names.new()
    days = weekdays(D(2025, 9, 1), D(2025, 11, 7), (0, 2, 4))
    first = days[0]
    for k, d in enumerate(days):
        over = (k >= 18 or (d - first).days > 42) and d < D(2025, 10, 29)
        out.append(Line(pt, nm, d, "97112", ["GP"], 2, 30, dx=neuro, prov=PT1, cred="PT",
                        payer="Aetna Choice POS II", one="Y", goal="independent transfers",
                        plant=["NMR207"] if over else []))
        out.append(Line(pt, nm, d, "97110", ["GP"], 1, 15, dx=neuro, prov=PT1, cred="PT",
                        payer="Aetna Choice POS II", one="Y", goal="independent transfers"))
    # ordinary commercial patients in 2026
    payers = ["Aetna", "UnitedHealthcare", "UHC Choice Plus", "Cigna", "Humana",
              "Blue Cross Blue Shield of Texas", "Tricare East", "Workers Comp - Liberty"]
    for i in range(16):
        pt, nm = names.new()
        payer = payers[i % len(payers)]
        s = D(2026, 1, 6) + dt.timedelta(days=3 * i)
        for d in weekdays(s, s + dt.timedelta(days=28), (1, 4)):
            g = ["GP"]
            if i % 4 == 0:
                # CMS Example 4-like: 97110 18 + 97140 13 + 97116 10 -> 1 + 1 + 1
                items = [("97110", 1, 18), ("97140", 1, 13), ("97116", 1, 10)]
            elif i % 4 == 1:
                items = [("97112", 2, 24), ("97110", 1, 23)]
            elif i % 4 == 2:
                items = [("97112", 2, 30), ("97530", 1, 15)]
            else:
                items = [("97110", 2, 33), ("97140", 1, 7)]
            for code, u, m in items:
                out.append(Line(pt, nm, d, code, g, u, m, dx=neuro, prov=PT2, cred="DPT",
                                payer=payer, one="Y", goal="walk 500 ft w/o device"))
        # a group session day (97150, untimed, no 97112 that day)
        gd = next(s + dt.timedelta(days=j) for j in range(1, 8)
                  if (s + dt.timedelta(days=j)).weekday() == 2)
        out.append(Line(pt, nm, gd, "97150", ["GP"], 1, None, dx=neuro,
                        prov=PTA, cred="PTA", payer=payer, one="N",
                        goal="walk 500 ft w/o device", notes="balance class, 4 pts"))
    p = D(2026, 3, 3)

    def visit(payer: str, items: list[tuple], one: str = "Y", goal: str = "gait") -> None:
        pt, nm = names.new()
        for code, mods, u, m, notes, plant in items:
            out.append(Line(pt, nm, p, code, mods, u, m, dx=neuro, prov=PT1, cred="PT",
                            payer=payer, one=one, goal=goal, notes=notes, plant=plant))

    visit("BCBS of Tennessee", [("97112", ["GP"], 2, 30, "", ["NMR208"])])
    visit("BlueCross BlueShield of Tennessee - Network S",
          [("97110", ["GP"], 2, 30, "", [])])  # 97110: not excluded
    visit("UnitedHealthcare", [("97112", ["GP"], 2, 24, "", []),
                               ("97110", ["GP"], 2, 23, "", ["NMR102"])])
    # 8 + 8 min: 1 unit under CMS, 2 under AMA (the default payer's method is only assumed)
    visit("Oscar Health", [("97110", ["GP"], 1, 8, "", ["NMR102"]),
                           ("97140", ["GP"], 1, 8, "", ["NMR102"])])
    visit("Aetna", [("97112", ["GP"], 2, 30, "", ["NMR201"])], one="N")
    visit("Cigna", [("97112", ["GP"], 2, 30, "", ["NMR209"])], goal="")
    visit("Aetna", [("97112", ["GP"], 1, 15, "", []),
                    ("97112", ["GP"], 1, 15, "", ["NMR003"])])
    # 97150 group with 97112 the same visit, no 59
    visit("Cigna", [("97150", ["GP"], 1, None, "balance class", []),
                    ("97112", ["GP"], 1, 15, "PNF 1:1 after class", ["NMR306"])])
    out.sort(key=lambda ln: (ln.dos, ln.name, ln.code))
    # the duplicate plant must sit on the later row
    return out


# ---------------------------------------------------------------------------------------
# f05: multi-discipline export, code and modifiers in one cell, credential in the name,
# Medicare Advantage plans written many ways under a financial class

def mixed_export() -> list[Line]:
    names = Names("M")
    out: list[Line] = []
    plans = ["Humana Gold Plus (HMO)", "UHC Medicare Advantage", "AARP Medicare Advantage",
             "Aetna Medicare Advantage", "Wellcare Medicare Advantage", "Medicare HMO - Humana",
             "Devoted Health Medicare Advantage", "Medicare Part B", "Medicare"]
    days = weekdays(D(2026, 3, 2), D(2026, 3, 20), (0, 2, 4))
    for i in range(18):
        pt, nm = names.new()
        plan = plans[i % len(plans)]
        for d in days[i % 3::3]:
            if i % 3 == 0:
                ls = [Line(pt, nm, d, "97110", ["GP", "CQ"], 2, 30, prov=PTA, cred="PTA"),
                      Line(pt, nm, d, "97140", ["GP", "CQ"], 1, 10, prov=PTA, cred="PTA")]
            elif i % 3 == 1:
                ls = [Line(pt, nm, d, "97530", ["GO"], 2, 28, prov=OT, cred="OTR/L"),
                      Line(pt, nm, d, "97535", ["GO"], 1, 12, prov=OT, cred="OTR/L")]
            else:
                ls = [Line(pt, nm, d, "97112", ["GP"], 2, 25, prov=PT1, cred="PT"),
                      Line(pt, nm, d, "97110", ["GP"], 1, 13, prov=PT1, cred="PT")]
            for ln in ls:
                ln.dx, ln.payer = ["I63.9", "R26.89"], plan
                ln.disc = {"PTA": "Physical Therapy", "PT": "Physical Therapy"}.get(
                    ln.cred, "Occupational Therapy")
            out += ls
    p = D(2026, 3, 18)
    for plan, code, mods, prov, cred, plant in [
        ("Humana Gold Plus (HMO)", "97110", [], PT1, "PT", ["NMR304"]),
        ("AARP Medicare Advantage", "97530", [], OT, "OTR/L", ["NMR304"]),
        ("Medicare HMO - Humana", "97112", [], PT1, "PT", ["NMR304"]),
        ("Medicare Part B", "97110", ["GP"], PTA, "PTA", ["NMR305"]),
        # Medicare Advantage: the Medicare-only assistant rule does not apply (correct line)
        ("UHC Medicare Advantage", "97110", ["GP"], PTA, "PTA", []),
    ]:
        pt, nm = names.new()
        out.append(Line(pt, nm, p, code, mods, 2, 30, dx=["I63.9", "R26.89"], prov=prov,
                        cred=cred, payer=plan, plant=plant,
                        disc="Occupational Therapy" if cred.startswith("OT") else
                        "Physical Therapy"))
    out.sort(key=lambda ln: (ln.dos, ln.name, ln.code))
    return out


# ---------------------------------------------------------------------------------------
# f06: a chiropractic office's quarter for Medicare: GY lines do not count toward KX;
# the in-house PT's lines do

def chiro_quarter() -> list[Line]:
    names = Names("Q")
    out: list[Line] = []
    days = weekdays(D(2026, 1, 5), D(2026, 3, 27), (0, 2, 4))
    dx = ["M99.01", "M99.03", "M54.2", "M54.50"]
    for _ in range(4):
        pt, nm = names.new()
        for d in days:
            out.append(Line(pt, nm, d, "98940", ["AT"], 1, dx=dx, prov=DC1, cred="DC",
                            payer="Medicare Part B"))
            for code in ("97140", "97112", "97110"):
                out.append(Line(pt, nm, d, code, ["GP", "GY", "59"] if code != "97110"
                                else ["GP", "GY"], 1,
                                dx=[*dx, "R26.89"], prov=DC1, cred="DC",
                                payer="Medicare Part B"))
    # a patient the in-house PT treats past the threshold (charges only: a warning)
    pt, nm = names.new()
    run = 0.0
    late = {days[-4], days[-2]}
    for d in days:
        ls = [Line(pt, nm, d, "97110", ["GP"], 2, None, prov=PT1, cred="PT"),
              Line(pt, nm, d, "97530", ["GP"], 1, None, prov=PT1, cred="PT")]
        c = sum(ln.charge for ln in ls)
        kx = run + c > 2480
        run += c
        for ln in ls:
            ln.dx, ln.payer = ["M54.50", "R26.89"], "Medicare Part B"
            if kx:
                if d in late:
                    ln.plant = ["NMR310"]
                else:
                    ln.mods = [*ln.mods, "KX"]
        out += ls
    out.sort(key=lambda ln: (ln.dos, ln.name, ln.code))
    return out


# ---------------------------------------------------------------------------------------
# f07: OT and SLP outpatient: OT's threshold is separate from PT + SLP

def ot_slp() -> list[Line]:
    names = Names("O")
    out: list[Line] = []
    days = weekdays(D(2026, 1, 5), D(2026, 3, 27), (0, 2, 4))
    # OT patient past the OT threshold on OT alone
    pt, nm = names.new()
    run = 0.0
    late = {days[-5], days[-1]}
    for d in days:
        ls = [Line(pt, nm, d, "97530", ["GO"], 2, 30, prov=OT, cred="OTR/L"),
              Line(pt, nm, d, "97535", ["GO"], 1, 15, prov=OT, cred="OTR/L")]
        a = sum(ln.allowed for ln in ls)
        kx = run + a > 2480 - 150
        run += a
        for ln in ls:
            ln.dx, ln.payer = ["I69.351"], "Medicare"
            if kx:
                if d in late:
                    ln.plant = ["NMR310"]
                else:
                    ln.mods = [*ln.mods, "KX"]
        out += ls
    # a patient with PT ~$1,900 and OT ~$1,300: neither threshold passed (no KX needed)
    pt, nm = names.new()
    for k, d in enumerate(days[:30]):
        if k % 2 == 0:
            ls = [Line(pt, nm, d, "97110", ["GP"], 2, 30, prov=PT1, cred="PT")]
        else:
            ls = [Line(pt, nm, d, "97530", ["GO"], 1, 15, prov=OT, cred="OTR/L")]
        for ln in ls:
            ln.dx, ln.payer = ["I69.351"], "Medicare"
        out += ls
    # SLP patients, untimed codes
    for i in range(6):
        pt, nm = names.new()
        for d in days[i::6]:
            code = ["92507", "92526", "92507"][i % 3]
            out.append(Line(pt, nm, d, code, ["GN"], 1, None, dx=["R13.12", "I69.391"],
                            prov=SLP, cred="CCC-SLP", payer="Medicare"))
    p = D(2026, 3, 10)
    pt, nm = names.new()
    out.append(Line(pt, nm, p, "92507", [], 1, None, dx=["R47.01"], prov=SLP,
                    cred="CCC-SLP", payer="Medicare", plant=["NMR304"]))
    pt, nm = names.new()
    out.append(Line(pt, nm, p, "97165", [], 1, None, dx=["I69.351"], prov=OT, cred="OTR/L",
                    payer="Medicare", plant=["NMR304"]))
    out.sort(key=lambda ln: (ln.dos, ln.name, ln.code))
    return out


# ---------------------------------------------------------------------------------------
# f08: chiropractic judgement edges (levels, extraspinal, GA for GY, dx spellings)

def chiro_edges() -> list[Line]:
    names = Names("E")
    out: list[Line] = []
    days = weekdays(D(2026, 3, 16), D(2026, 3, 27), (0, 1, 2, 3, 4))
    for i in range(12):
        pt, nm = names.new()
        payer = ["Medicare Part B", "Railroad Medicare", "Aetna", "Cigna"][i % 4]
        for d in days[i % 2::2]:
            if i % 3 == 0:
                code, dx = "98940", ["M9903", "M5450"]
            elif i % 3 == 1:
                code, dx = "98941", ["M99.00", "M99.02", "M99.03", "M54.6"]
            else:
                code, dx = "98940", ["M99.01", "M99.00", "M53.82"]
            mods = ["AT"] if "Medicare" in payer else []
            if i == 4:
                mods = ["GZ"]
            out.append(Line(pt, nm, d, code, mods, 1, dx=dx, prov=DC2, cred="D.C.",
                            payer=payer))
    p = D(2026, 3, 24)
    for code, mods, dx, payer, plant in [
        ("98940", ["AT", "GA"], ["M99.03", "M54.50"], "Medicare Part B", ["NMR302"]),
        ("98940", [], ["M99.03", "M54.50"], "Railroad Medicare", ["NMR302"]),
        ("98943", ["AT"], ["M99.07", "M25.511"], "Medicare Part B", ["NMR301"]),
        ("98941", ["AT"], ["M99.00", "M99.01", "M99.02", "M54.2"], "Medicare Part B",
         ["NMR312"]),
        ("98940", ["AT"], ["M99.03", "M99.13"], "Medicare Part B", ["NMR311"]),
        ("98941", [], ["M99.11", "M99.12", "M99.13", "M54.50"], "Cigna", []),
        ("97112", [], ["G44.209", "M99.01"], "Aetna", ["NMR205"]),
        ("97112", [], ["G56.01", "M54.2"], "Aetna", []),
    ]:
        pt, nm = names.new()
        out.append(Line(pt, nm, p, code, mods, 1, dx=dx, prov=DC1, cred="D.C.", payer=payer,
                        plant=plant))
    pt, nm = names.new()
    dx = ["M99.03", "M54.50"]
    out.append(Line(pt, nm, p, "98940", ["AT"], 1, dx=dx, prov=DC1, cred="D.C.",
                    payer="Medicare Part B"))
    out.append(Line(pt, nm, p, "97140", ["GP", "GA", "59"], 1, dx=dx, prov=DC1, cred="D.C.",
                    payer="Medicare Part B", plant=["NMR301"]))
    out.sort(key=lambda ln: (ln.dos, ln.name, ln.code))
    return out


# ---------------------------------------------------------------------------------------
# f09: the 8-minute rule over several codes, First Coast, pairs among therapy codes

def eight_minute() -> list[Line]:
    names = Names("T")
    out: list[Line] = []
    fc = "Medicare - First Coast JN"
    p = D(2026, 3, 2)
    seq = iter(weekdays(p, p + dt.timedelta(days=29), (0, 1, 2, 3, 4, 5, 6)))
    neuro = ["I69.351", "R26.89"]

    def visit(items: list[tuple], payer: str = "Medicare", tot: int | None = None) -> None:
        pt, nm = names.new()
        d = next(seq)
        for code, mods, u, m, prov, plant in items:
            out.append(Line(pt, nm, d, code, mods, u, m, dx=neuro, prov=prov,
                            cred=CREDS[prov], payer=payer, plant=plant,
                            total=tot if tot is not None else 200))

    for _ in range(3):
        # four codes at 8 minutes: 32 min -> 2 units, any two codes (a tie)
        visit([("97110", ["GP"], 1, 8, PT1, []), ("97112", ["GP"], 1, 8, PT1, []),
               ("97116", ["GP"], 0, 8, PT1, []), ("97140", ["GP", "59"], 0, 8, PT1, [])])
        # 68 min alone -> 5 units
        visit([("97110", ["GP"], 5, 68, PT1, [])])
        # past two hours: 60 + 60 + 8 = 128 min -> 9 units: 4 + 4 + 1
        visit([("97110", ["GP"], 4, 60, PT1, []), ("97530", ["GP", "59"], 4, 60, PT1, []),
               ("97112", ["GP"], 1, 8, PT1, [])])
        # PT and OT the same day: one code under two disciplines
        visit([("97530", ["GP"], 2, 30, PT1, []), ("97530", ["GO"], 2, 30, OT, [])])
        # PT and PTA split of one code at First Coast: allowed
        visit([("97110", ["GP"], 1, 15, PT1, []), ("97110", ["GP", "CQ"], 1, 15, PTA, [])],
              payer=fc)
        # every code under 8 minutes, together 14: one unit, on either
        visit([("97110", ["GP"], 1, 7, PT1, []), ("97112", ["GP"], 0, 7, PT1, [])])
    visit([("97110", ["GP"], 5, 67, PT1, ["NMR102"])])
    visit([("97110", ["GP"], 1, 7, PT1, ["NMR102"]), ("97112", ["GP"], 1, 7, PT1, ["NMR102"])])
    visit([("97110", ["GP"], 1, 15, PT1, []), ("97110", ["GP"], 1, 15, PT1, ["NMR005"])],
          payer=fc)
    visit([("97150", ["GP"], 1, None, PT1, []), ("97110", ["GP"], 2, 30, PT1, ["NMR306"])])
    visit([("97530", ["GP"], 2, 30, PT1, []), ("97140", ["GP"], 1, 15, PT1, ["NMR306"])])
    # timed minutes per discipline against the total time: OT's 30 > 25
    visit([("97530", ["GO"], 2, 30, OT, ["NMR107"])], tot=25)
    # lines of codes done but not billed (0 units) stay: their minutes count toward the visit
    out.sort(key=lambda ln: (ln.dos, ln.name, ln.code))
    return out


# ---------------------------------------------------------------------------------------

def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    man: dict = {}
    f01 = chiro_day_sheet()
    man["f01-chiro-day-sheet.xlsx"] = write_xlsx(
        OUT / "f01-chiro-day-sheet.xlsx",
        [("Day Sheet", ["Spine & Wellness Chiropractic", "Day Sheet 03/02/2026 - 03/13/2026",
                        ""],
          [("DOS", "dos"), ("Patient", "name"), ("Acct #", "pt"),
           ("Rendering Provider", "prov_cred"), ("CPT", "code"), ("Mod 1", "mod1"),
           ("Mod 2", "mod2"), ("Mod 3", "mod3"), ("Units", "units"), ("Dx 1", "dx1"),
           ("Dx 2", "dx2"), ("Dx 3", "dx3"), ("Dx 4", "dx4"), ("Dx 5", "dx5"),
           ("Dx 6", "dx6"), ("Primary Insurance", "payer"), ("Charge", "charge"),
           ("Notes", "notes")], f01)])
    f02 = chiro_ledger()
    man["f02-chiro-ledger.csv"] = write_csv(
        OUT / "f02-chiro-ledger.csv", [],
        [("Service Date", "dos"), ("Patient Name", "name"), ("Account", "pt"),
         ("Procedure", "code"), ("Modifiers", "mods_csv"), ("Qty", "units"),
         ("Minutes", "minutes"), ("Diagnosis Codes", "dx_all"), ("Provider", "prov"),
         ("Provider Type", "cred"), ("Insurance Plan", "payer"), ("Amount", "charge"),
         ("Comments", "notes")], f02)
    f03 = rehab_medicare()
    man["f03-rehab-medicare.xlsx"] = write_xlsx(
        OUT / "f03-rehab-medicare.xlsx",
        [("Charges", ["Riverside Rehab - Charge Detail Q1 2026"],
          [("Patient ID", "pt"), ("Patient", "name"), ("DOS", "dos"), ("CPT", "code"),
           ("Mod 1", "mod1"), ("Mod 2", "mod2"), ("Mod 3", "mod3"), ("Mod 4", "mod4"),
           ("Units", "units"), ("Minutes", "minutes"), ("Total Tx Time", "total"),
           ("Therapist", "prov"), ("Credential", "cred"), ("Payer", "payer"),
           ("Allowed", "allowed"), ("Charge", "charge"), ("POC Start", "poc_start"),
           ("POC End", "poc_end"), ("Progress Note", "pn"), ("Dx 1", "dx1"),
           ("Dx 2", "dx2"), ("Notes", "notes")], f03)])
    f04 = rehab_commercial()
    man["f04-rehab-commercial.xlsx"] = write_xlsx(
        OUT / "f04-rehab-commercial.xlsx",
        [("Visits", [],
          [("Date of Service", "dos"), ("Patient Name", "name"), ("MRN", "pt"),
           ("CPT Code", "code"), ("Modifier 1", "mod1"), ("Modifier 2", "mod2"),
           ("Units", "units"), ("Timed Minutes", "minutes"), ("1:1", "one"),
           ("Functional Goal", "goal"), ("Rendering Provider", "prov"),
           ("Credential", "cred"), ("Primary Payer", "payer"), ("ICD-10 1", "dx1"),
           ("ICD-10 2", "dx2"), ("Charge", "charge"), ("Visit Notes", "notes")], f04)],
        style="us")
    f05 = mixed_export()
    man["f05-mixed-export.xlsx"] = write_xlsx(
        OUT / "f05-mixed-export.xlsx",
        [("Export", [],
          [("Svc Date", "dos"), ("MRN", "pt"), ("Pt Name", "name"), ("HCPCS", "code_mods"),
           ("Qty", "units"), ("Tx Min", "minutes"), ("Rendering", "prov_cred"),
           ("Discipline", "disc"), ("Plan Name", "payer"), ("Dx", "dx_all"),
           ("Billed", "charge")], f05)])
    f06 = chiro_quarter()
    man["f06-chiro-quarter.xlsx"] = write_xlsx(
        OUT / "f06-chiro-quarter.xlsx",
        [("Q1", ["Charges by date, Q1 2026"],
          [("Date", "dos"), ("Account", "pt"), ("Patient", "name"), ("Code", "code"),
           ("M1", "mod1"), ("M2", "mod2"), ("M3", "mod3"), ("Units", "units"),
           ("Provider", "prov"), ("Cred", "cred"), ("Insurance", "payer"),
           ("Dx A", "dx1"), ("Dx B", "dx2"), ("Dx C", "dx3"), ("Dx D", "dx4"),
           ("Dx E", "dx5"), ("Charge", "charge")], f06)])
    f07 = ot_slp()
    man["f07-ot-slp.xlsx"] = write_xlsx(
        OUT / "f07-ot-slp.xlsx",
        [("Lines", [],
          [("Service Date", "dos"), ("Patient #", "pt"), ("Patient", "name"),
           ("Proc", "code"), ("Mod 1", "mod1"), ("Mod 2", "mod2"), ("Units", "units"),
           ("Minutes", "minutes"), ("Provider", "prov"), ("Credential", "cred"),
           ("Payer", "payer"), ("Dx 1", "dx1"), ("Dx 2", "dx2"), ("Allowed Amt", "allowed"),
           ("Charge", "charge")], f07)])
    f08 = chiro_edges()
    man["f08-chiro-edges.xlsx"] = write_xlsx(
        OUT / "f08-chiro-edges.xlsx",
        [("Charges", ["Ortiz Chiropractic", "Charges 03/16/2026 - 03/27/2026"],
          [("Svc Date", "dos"), ("Acct", "pt"), ("Patient Name", "name"), ("Proc", "code"),
           ("Mod A", "mod1"), ("Mod B", "mod2"), ("Mod C", "mod3"), ("Units", "units"),
           ("Diag 1", "dx1"), ("Diag 2", "dx2"), ("Diag 3", "dx3"), ("Diag 4", "dx4"),
           ("Provider", "prov"), ("Credentials", "cred"), ("Payer", "payer"),
           ("Charge", "charge")], f08)], style="us")
    f09 = eight_minute()
    man["f09-eight-minute.xlsx"] = write_xlsx(
        OUT / "f09-eight-minute.xlsx",
        [("Lines", [],
          [("DOS", "dos"), ("Acct #", "pt"), ("Patient", "name"), ("CPT", "code"),
           ("Mod 1", "mod1"), ("Mod 2", "mod2"), ("Units", "units"), ("Minutes", "minutes"),
           ("Total Treatment Time", "total"), ("Therapist", "prov"), ("Credential", "cred"),
           ("Payer", "payer"), ("Dx 1", "dx1"), ("Dx 2", "dx2"), ("Charge", "charge")],
          f09)])
    (OUT / "manifest.json").write_text(json.dumps(man, indent=1))
    for name, e in man.items():
        n = sum(len(s["lines"]) for s in e["sheets"].values())
        k = sum(len(s["planted"]) for s in e["sheets"].values())
        print(f"{name}: {n} lines, {k} planted")


if __name__ == "__main__":
    main()

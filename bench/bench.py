"""nmr-xl benchmark: throughput and end-to-end cost against same-run baselines.

    python bench/bench.py [--sizes 1000 10000 100000] [--repeat N] [--out DIR] [--profile]
    python bench/bench.py --compare-with SRC [--annotated] [--sizes 100000] [--repeat N]

For each size it generates (once, cached under bench/_data/) a realistic billing workbook of that
many billing lines and measures, interleaved, in one run:

  calamine    bare python-calamine read of every sheet to Python values (what the reader does)
  engine      nmr_xl.read.table.build_table + nmr_xl.engine.check_table over rows already in
              memory, split into parsing (build_table) and rules (check_table)
  no-annotate `nmr-xl check --no-annotate` via nmr_xl.cli.main
  openpyxl    bare openpyxl load_workbook + save of the same file
  check       `nmr-xl check FILE` (the annotated copy, beside the input) via nmr_xl.cli.main
  check-out   `nmr-xl check FILE --out DIR --force`: the copy and the state file in DIR

Every end-to-end measurement (all but the engine) runs in a fresh child interpreter, which
reports three times and its peak memory:
  op    timed inside the child around the work itself, after imports ("in-process");
  cpu   the CPU time of that work, the child's and its worker's (less disturbed by other work
        on the machine than op);
  wall  the whole child process as seen from outside: interpreter start-up, imports and work;
  peak  the child's peak resident set size (VmHWM from /proc/self/status at exit; ru_maxrss
        where there is no /proc), interpreter and imports included.
The engine is timed in this process on rows read beforehand, with the cyclic GC paused as
nmr_xl.runner.check_file pauses it.

Ratios are paired per repeat (each against the baseline measured next to it) and the median is
reported; absolute times are medians too. Targets are judged on op ratios. This is a benchmark,
not a test: it asserts nothing about time.

--compare-with SRC measures only the read path, interleaved: the bare calamine read, `check
--no-annotate` of this tree, and `check --no-annotate` of the nmr_xl package under SRC (another
checkout or an export of a branch, e.g. `git archive main | tar -x -C /tmp/main`), and reports
each no-annotate / calamine ratio and how much this tree moved it. With --annotated it measures
the annotated check of both trees instead, each against a bare openpyxl load + save beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
GENERATOR_VERSION = 3  # bump when the generated workbooks change, so caches are rebuilt
SEED = 97112
AS_OF = "2026-06-30"  # the data ends on this date; fixed so findings do not drift with today
SHEET = "Billing"

# Targets from the issue.
NO_ANNOTATE_MAX = 1.5  # check --no-annotate / bare calamine read
CHECK_MAX = 0.3  # check / bare openpyxl load + save (issue 14)
CHECK_PEAK_MAX = 0.5  # check's peak memory / bare openpyxl load + save's (issue 14)


# --- workbook generator ---------------------------------------------------------------------

HEADER = ["Patient ID", "Patient Name", "DOS", "CPT", "Units", "Minutes", "Dx 1", "Dx 2",
          "Dx 3", "Dx 4", "Rendering Provider", "Credential", "1:1", "Payer", "Notes", "Charge"]

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
         "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
        "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
        "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young"]
# (provider, credential, weight)
# (name, credential, weight): chiropractors do the adjustments, therapists the therapy.
DCS = [("Dr. Alan Reyes", "DC", 5), ("Dr. Beth Kowalski", "DC", 4)]
THERAPISTS = [("Carla Nguyen", "PT", 8), ("Derek Osei", "DPT", 6), ("Erin Walsh", "PTA", 6),
              ("Frank Li", "LMT", 1), ("Gina Russo", "Aide", 1)]
# (payer, Medicare rules?, weight)
PAYERS = [("Medicare", True, 5), ("Medicare Part B", True, 1), ("Aetna", False, 3),
          ("Aetna Better Health", False, 1), ("BCBS TN", False, 1),
          ("UnitedHealthcare", False, 3), ("Cigna", False, 2),
          ("Humana Medicare Advantage", False, 1), ("Self Pay", False, 1),
          ("Auto PIP - State Farm", False, 1)]
DX_NEURO = ["R26.81", "R26.89", "R42", "H81.10", "G20", "G35", "I69.351", "M62.81", "Z91.81",
            "R27.8", "G57.01", "S14.109A"]
DX_SUBLUXATION = ["M99.01", "M99.02", "M99.03", "M99.04"]
DX_MSK = ["M54.50", "M54.2", "S13.4XXA", "S33.5XXA", "M62.830", "M25.511", "M25.561", "M47.812",
          "M51.26", "M54.16"]
# (code, kind, fee per unit, weight); kind: cmt, em, timed (therapy) or modality (therapy)
SERVICES = [("98941", "cmt", 55.0, 6), ("98940", "cmt", 45.0, 3), ("97112", "timed", 38.0, 6),
            ("97110", "timed", 35.0, 6), ("97140", "timed", 36.0, 4), ("97530", "timed", 40.0, 2),
            ("97124", "timed", 30.0, 2), ("97035", "timed", 15.0, 1), ("97116", "timed", 34.0, 1),
            ("97012", "modality", 18.0, 2), ("G0283", "modality", 16.0, 3),
            ("99213", "em", 95.0, 1)]
# Bundled with CMT (or 97530) unless a distinct-service modifier is on the line.
NEEDS_59 = {"97112", "97124", "97140"}

_BENIGN = ["balance training on foam, tandem stance {n}x30s", "proprioceptive drills, single "
           "leg stance {n} sets", "gait training {n} laps with cues", "vestibular habituation, "
           "{n} reps", "coordination drills, ball toss {n} min", "postural retraining, mirror "
           "feedback", "therex: TB rows, bridges {n}x15", "manual: STM cervical paraspinals",
           "HEP reviewed and progressed", "pt tolerated well, progressing per POC"]
# Notes that some rules look for on a 97112 line (muscle work, devices, unattended, strength).
_FLAGGED = ["core strengthening, ROM exercises {n}x10", "trigger point work upper traps",
            "wobble chair {n} min", "pt worked on own while DC treated next pt",
            "group balance class", "stretching hamstrings {n}x30s"]
NOTES = {
    True: _BENIGN * 3 + _FLAGGED + [""] * 15,
    False: ["", "", "", "", "C2-C5, T4-T7 adjusted", "L4-L5 SI adjusted", "{n} min IFC lumbar",
            "traction {n} lbs", "re-eval, progressing per POC"],
}


def _weighted(rng: random.Random, items: list[tuple]) -> tuple:
    return rng.choices(items, weights=[i[-1] for i in items])[0]


def billing_rows(n: int, seed: int = SEED):
    """Yield `n` billing lines grouped into visits (one patient, one date, 1-5 services).

    Mostly billed as a careful clinic would (GP on therapy, AT on Medicare CMT, CQ for a PTA,
    59 where CMT bundles a code, a subluxation first for Medicare); a few per cent of lines
    carry the mistakes the rules look for.
    """
    rng = random.Random(seed)
    patients = []
    for i in range(max(20, n // 30)):
        payer, medicare, _ = _weighted(rng, PAYERS)
        dx = rng.sample(DX_MSK, 2)
        if medicare and rng.random() < 0.95:
            dx[0] = rng.choice(DX_SUBLUXATION)
        elif rng.random() < 0.5:
            dx[1] = rng.choice(DX_SUBLUXATION)
        if rng.random() < 0.8:
            dx.append(rng.choice(DX_NEURO))
        patients.append({"id": f"A{100000 + i * 7}", "name": f"{rng.choice(LAST)}, "
                         f"{rng.choice(FIRST)}", "payer": payer, "medicare": medicare, "dx": dx})
    first_day = dt.date(2025, 7, 1)
    span = (dt.date.fromisoformat(AS_OF) - first_day).days
    made = 0
    while made < n:
        day = first_day + dt.timedelta(days=made * span // n)  # the export is in date order
        if rng.random() < 0.001:
            day = day + dt.timedelta(days=400)  # a mistyped year: a future date of service
        patient = rng.choice(patients)
        medicare = patient["medicare"]
        dc = _weighted(rng, DCS)
        therapist = _weighted(rng, THERAPISTS)
        services = sorted({_weighted(rng, SERVICES) for _ in range(rng.randint(1, 5))})
        codes = {code for code, *_ in services}
        has_cmt = bool(codes & {"98940", "98941"})
        for code, kind, fee, _ in services:
            if made >= n:
                break
            therapy = kind in ("timed", "modality")
            provider, cred, _ = therapist if therapy and rng.random() > 0.15 else dc
            mods = []
            if kind == "cmt" and medicare and rng.random() < 0.97:
                mods.append("AT")
            if kind == "em" and has_cmt:
                mods.append("25")
            if therapy and rng.random() < 0.97:
                mods.append("GP")
            if therapy and medicare and cred == "DC" and rng.random() < 0.9:
                mods.append("GY")
            if medicare and cred == "PTA" and rng.random() < 0.95:
                mods.append("CQ")
            if (code in NEEDS_59 and (has_cmt or (code == "97140" and "97530" in codes))
                    and rng.random() < 0.92):
                mods.append("59")
            minutes = units = None
            if kind == "timed":
                units = rng.choice([1, 1, 2, 2, 2, 3])
                minutes = 15 * units + rng.randint(0, 2)  # consistent under the 8-minute rule
                if rng.random() < 0.03:
                    minutes -= 9  # over-billed: the minutes support one unit less
                if rng.random() < 0.01:
                    minutes = None  # minutes not recorded
            else:
                units = 1
            dx = list(patient["dx"]) + [None] * 4
            note = rng.choice(NOTES[kind == "timed"]).format(n=rng.randint(2, 5))
            if rng.random() < 0.005:
                note = (note + "; nmr: ignore NMR205").lstrip("; ")
            one_on_one = rng.choice(["Y"] * 20 + ["N", ""]) if kind == "timed" else None
            yield [
                patient["id"],
                patient["name"],
                day,
                rng.choice(["-", " ", "-"]).join([code, *mods]),
                units if rng.random() > 0.005 else None,  # a few lines miss their units
                minutes,
                dx[0], dx[1], dx[2], dx[3],
                provider,
                cred,
                one_on_one,
                patient["payer"],
                note or None,
                round(fee * units, 2),
            ]
            made += 1


def workbook_path(size: int, data_dir: Path) -> Path:
    return data_dir / f"billing-v{GENERATOR_VERSION}-{size}.xlsx"


def ensure_workbook(size: int, data_dir: Path) -> tuple[Path, bool]:
    """The cached workbook for `size`, generated (write-only openpyxl) when missing."""
    path = workbook_path(size, data_dir)
    if path.exists():
        return path, False
    generate_workbook(path, size)
    return path, True


def generate_workbook(path: Path, size: int, seed: int = SEED) -> None:
    """Write a billing workbook of `size` lines to `path` (atomically; the folder is created).
    The same (size, seed) always gives the same workbook."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    data_dir = path.parent
    data_dir.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(SHEET)
    for letter, width in zip("ABCDEFGHIJKLMNOP", (11, 22, 11, 13, 6, 8, 9, 9, 9, 9, 20, 10,
                                                   5, 20, 44, 9), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"
    bold = Font(bold=True)
    title = WriteOnlyCell(ws, "Billing export: Riverside Chiropractic & Rehab")
    title.font = Font(bold=True, size=14)
    ws.append([title])
    ws.append([f"Dates of service 2025-07-01 to {AS_OF}; generated by bench/bench.py"])
    header = []
    for text in HEADER:
        cell = WriteOnlyCell(ws, text)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    total = 0.0
    for row in billing_rows(size, seed):
        ws.append(row)
        total += row[-1]
    ws.append([])
    ws.append(["Total", None, None, None, None, None, None, None, None, None, None, None, None,
               None, None, f"=SUM(P4:P{size + 3})"])
    fees = book.create_sheet("Fee schedule")  # a second sheet that is not a billing table
    fees.append(["Code", "Fee"])
    for code, _, fee, _ in SERVICES:
        fees.append([code, fee])
    fd, tmp = tempfile.mkstemp(prefix=".gen-", suffix=".xlsx", dir=data_dir)
    os.close(fd)
    try:
        book.save(tmp)
        excel_like(Path(tmp), {"SUM": round(total, 2)})
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


_INLINE = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: [^>]*)?>(.*?)</t></is></c>',
                     re.DOTALL)
_NO_CACHED_VALUE = re.compile(rb"<f>(\w+)\(([^<]*)\)</f><v ?/>")
_SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def excel_like(path: Path, cached: dict[str, float]) -> None:
    """Rewrite an openpyxl-written package the way Excel saves it: text in a shared-strings
    table instead of inline strings, and formulas with a cached result. openpyxl and
    python-calamine both read shared strings once per distinct text, so this matters."""
    strings: dict[bytes, int] = {}
    count = 0

    def shared(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        index = strings.setdefault(match.group(3), len(strings))
        return b'<c %st="s"%s><v>%d</v></c>' % (match.group(1), match.group(2), index)

    def with_value(match: re.Match[bytes]) -> bytes:
        value = cached[match.group(1).decode()]
        return b"<f>%s(%s)</f><v>%s</v>" % (match.group(1), match.group(2), repr(value).encode())

    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    for name, data in parts.items():
        if name.startswith("xl/worksheets/sheet"):
            parts[name] = _NO_CACHED_VALUE.sub(with_value, _INLINE.sub(shared, data))
    table = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in strings)
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
        b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
        % (count, len(strings), table))
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST}"/>'
                     "</Types>".encode())
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Type="{_SST_REL}" Target="sharedStrings.xml" '
                             'Id="rIdSharedStrings"/></Relationships>'.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)


# --- child: one end-to-end operation in a fresh interpreter ---------------------------------

OPS = ("calamine", "no-annotate", "rezip", "openpyxl", "check", "check-out")


def _check_argv(op: str, path: Path, out: Path) -> list[str]:
    argv = ["check", str(path), "--as-of", AS_OF, "--fail-on", "never", "--jobs", "1"]
    if op == "no-annotate":
        return [*argv, "--no-annotate"]
    if op == "check-out":  # --force: the state file in --out would skip an unchanged input
        return [*argv, "--out", str(out), "--force"]
    return argv  # check: the copy goes beside the input, and nothing else is written


def _check_outputs(op: str, path: Path, out: Path) -> list[Path]:
    """The files `op` must write (removed before it runs, so a stale one cannot pass)."""
    if op == "check":
        return [path.with_name(f"{path.stem}.checked.xlsx")]
    if op == "check-out":
        return [out / f"{path.stem}.checked.xlsx"]  # one file: no batch summary
    return []


def child(op: str, path: Path, out: Path) -> dict[str, object]:
    """Run one operation; imports happen before the timer starts."""
    rc = size = 0
    if op == "calamine":
        import python_calamine as calamine

        t0, c0 = time.perf_counter(), cpu_seconds()
        book = calamine.CalamineWorkbook.from_path(str(path))
        cells = 0
        for meta in book.sheets_metadata:
            if meta.typ == calamine.SheetTypeEnum.WorkSheet:
                rows = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
                cells += sum(len(r) for r in rows)
        book.close()
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    elif op == "rezip":  # the floor of writing any copy: every entry unpacked and deflated
        from nmr_xl.write.package.opc import DEFLATE_LEVEL  # as hard as the copy's parts

        t0, c0 = time.perf_counter(), cpu_seconds()
        with zipfile.ZipFile(path) as src, \
                zipfile.ZipFile(out / f"{path.stem}.rezip.xlsx", "w", zipfile.ZIP_DEFLATED,
                                compresslevel=DEFLATE_LEVEL) as dst:
            for info in src.infolist():
                with src.open(info) as part, dst.open(info.filename, "w") as copy:
                    while chunk := part.read(1 << 20):
                        copy.write(chunk)
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    elif op == "openpyxl":
        import openpyxl

        t0, c0 = time.perf_counter(), cpu_seconds()
        wb = openpyxl.load_workbook(path)
        wb.save(out / f"{path.stem}.openpyxl.xlsx")
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        size = (out / f"{path.stem}.openpyxl.xlsx").stat().st_size
    elif op in ("no-annotate", "check", "check-out"):
        from nmr_xl import cli

        if op != "no-annotate":
            import nmr_xl.write.xlsx  # noqa: F401  (imported lazily by the CLI; not timed)
        outputs = _check_outputs(op, path, out)
        for output in outputs:
            output.unlink(missing_ok=True)
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            t0, c0 = time.perf_counter(), cpu_seconds()
            rc = cli.main(_check_argv(op, path, out))
            elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        if not all(output.exists() for output in outputs):
            rc = -1  # an output is missing: the timing would not be of the annotated path
        size = outputs[0].stat().st_size if outputs and outputs[0].exists() else 0
    else:
        raise SystemExit(f"unknown op {op}")
    return {"op_s": elapsed, "cpu_s": cpu, "rc": rc, "peak_mb": peak_rss_mb(), "size": size}


def cpu_seconds() -> float:
    """CPU time (user and system) of this process and of the worker processes it has waited for
    (nmr-xl's workers are reaped before its main() returns)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def peak_rss_mb() -> float:
    """The peak resident set size of this process or of any worker process it started (nmr-xl
    checks every input in a worker, a single file's too).

    Linux: VmHWM of /proc/self/status for this process. Not getrusage's ru_maxrss: exec keeps
    the larger of the child's and the parent's high-water mark at spawn time (subprocess uses
    vfork), so a child of a big parent would report the parent's peak. The workers are forked
    (not exec'd), so getrusage(RUSAGE_CHILDREN).ru_maxrss is their own largest peak.
    """
    scale = 2**20 if sys.platform == "darwin" else 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return max(int(line.split()[1]) / 1024, workers)
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale, workers)


def run_child(op: str, path: Path, out: Path, source: Path | None = None) -> dict[str, float]:
    """One operation in a fresh interpreter; `source`: import nmr_xl from that tree instead."""
    fd, result_name = tempfile.mkstemp(prefix=".result-", suffix=".json", dir=out)
    os.close(fd)
    result_file = Path(result_name)
    env = None
    if source is not None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(source), *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "_child", op, str(path), str(out),
             str(result_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False, env=env)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"bench: child {op} on {path.name} failed "
                             f"(exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        result = json.loads(result_file.read_text())
    finally:
        result_file.unlink(missing_ok=True)
    if result["rc"] not in (0, 1):
        raise SystemExit(f"bench: nmr-xl {op} on {path.name} exited {result['rc']} "
                         "(-1: the annotated copy was not written)")
    return {"op": result["op_s"], "cpu": result["cpu_s"], "wall": wall,
            "peak": result["peak_mb"], "size": result["size"]}


# --- engine, in this process ----------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[list[object]], int]:
    import python_calamine as calamine

    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        rows = book.get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    finally:
        book.close()
    return rows, max(len(r) for r in rows)


def time_engine(rows: list[list[object]], width: int) -> dict[str, float]:
    from nmr_xl.config.load import load_config
    from nmr_xl.engine import check_table
    from nmr_xl.model import Table
    from nmr_xl.read.table import build_table

    config = load_config()  # fresh each time: Config caches payer -> profile
    as_of = dt.date.fromisoformat(AS_OF)
    gc.collect()
    gc.disable()  # as nmr_xl.runner.check_file does around a check (its gc_paused)
    try:
        t0 = time.perf_counter()
        table = build_table(SHEET, rows, config, width=width)
        t1 = time.perf_counter()
        assert isinstance(table, Table), table
        result = check_table(table, config, as_of)
        t2 = time.perf_counter()
    finally:
        gc.enable()
    return {"parse": t1 - t0, "rules": t2 - t1, "engine": t2 - t0,
            "lines": len(table.lines), "findings": len(result.findings)}


# --- driver ---------------------------------------------------------------------------------


@dataclass
class SizeResult:
    size: int
    lines: int = 0
    findings: int = 0
    file_mb: float = 0.0
    samples: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    engine: list[dict[str, float]] = field(default_factory=list)

    def med(self, op: str, key: str) -> float:
        return statistics.median(s[key] for s in self.samples[op])

    def peak(self, op: str) -> float:
        return max(s["peak"] for s in self.samples[op])

    def eng(self, key: str) -> float:
        return statistics.median(e[key] for e in self.engine)

    def ratio(self, op: str, base: str, key: str = "op") -> float:
        """Median of per-repeat ratios, each against the baseline measured beside it."""
        return statistics.median(a[key] / b[key]
                                 for a, b in zip(self.samples[op], self.samples[base],
                                                 strict=True))

    def spread(self, op: str, base: str, key: str) -> str:
        """The lowest and highest of the per-repeat ratios."""
        ratios = [a[key] / b[key] for a, b in zip(self.samples[op], self.samples[base],
                                                   strict=True)]
        return f"{min(ratios):.2f}-{max(ratios):.2f}"

    def engine_vs_read(self) -> float:
        """Engine time / calamine read time, paired per repeat (< 1: engine is faster)."""
        return statistics.median(e["engine"] / c["op"]
                                 for e, c in zip(self.engine, self.samples["calamine"],
                                                 strict=True))


def default_repeat(size: int) -> int:
    return 5 if size <= 2_000 else 3 if size <= 20_000 else 1


def measure(size: int, repeat: int, data_dir: Path, log) -> SizeResult:
    path, made = ensure_workbook(size, data_dir)
    out = data_dir / "out"
    out.mkdir(parents=True, exist_ok=True)
    res = SizeResult(size, file_mb=path.stat().st_size / 1e6,
                     samples={op: [] for op in OPS})
    log(f"{size:>7} rows: {path.name} ({res.file_mb:.1f} MB{', generated' if made else ''}), "
        f"{repeat} repeat(s)")
    rows, width = read_rows(path)
    for r in range(repeat):
        for op in OPS:  # baselines interleaved with what they are compared against
            sample = run_child(op, path, out)
            res.samples[op].append(sample)
            log(f"    #{r + 1} {op:<12} op {sample['op']:7.3f}s  cpu {sample['cpu']:7.3f}s  "
                f"wall {sample['wall']:7.3f}s  peak {sample['peak']:6.0f} MB")
        # The engine is cheap next to the end-to-end runs but noisy on a shared machine: with
        # fewer than 3 repeats, time it 3 times per repeat and keep the run with the median time.
        runs = sorted((time_engine(rows, width) for _ in range(1 if repeat >= 3 else 3)),
                      key=lambda e: e["engine"])
        eng = runs[len(runs) // 2]
        res.engine.append(eng)
        res.lines, res.findings = int(eng["lines"]), int(eng["findings"])
        log(f"    #{r + 1} {'engine':<12} parse {eng['parse']:.3f}s  rules {eng['rules']:.3f}s  "
            f"({res.findings} findings)")
    del rows
    gc.collect()
    return res


def compare_read(size: int, repeat: int, data_dir: Path, source: Path, log) -> list[str]:
    """check --no-annotate of this tree and of `source`, each against the bare calamine read
    measured beside it, interleaved."""
    path, _ = ensure_workbook(size, data_dir)
    out = data_dir / "out"
    out.mkdir(parents=True, exist_ok=True)
    ratios: dict[str, list[float]] = {"this": [], "other": []}
    times: dict[str, list[float]] = {"calamine": [], "this": [], "other": []}
    for r in range(repeat):
        for label, op, tree in (("calamine", "calamine", None), ("this", "no-annotate", None),
                                ("other", "no-annotate", source)):
            sample = run_child(op, path, out, tree)
            times[label].append(sample["op"])
            log(f"    #{r + 1} {label:<9} op {sample['op']:7.3f}s  peak {sample['peak']:6.0f} MB")
        ratios["this"].append(times["this"][-1] / times["calamine"][-1])
        ratios["other"].append(times["other"][-1] / times["calamine"][-1])
    this, other = statistics.median(ratios["this"]), statistics.median(ratios["other"])
    med = {k: statistics.median(v) for k, v in times.items()}
    return [f"{size:>7} rows, {repeat} repeat(s): calamine read {med['calamine']:.3f}s; "
            f"check --no-annotate {med['this']:.3f}s here ({this:.2f}x read), "
            f"{med['other']:.3f}s under {source} ({other:.2f}x read); "
            f"this tree moves the ratio by {100 * (this / other - 1):+.1f}%"]


def compare_check(size: int, repeat: int, data_dir: Path, source: Path, log) -> list[str]:
    """The annotated check of this tree and of `source`, each against a bare openpyxl load +
    save measured beside it, interleaved: a before/after of the copy writer in one run."""
    path, _ = ensure_workbook(size, data_dir)
    out = data_dir / "out"
    out.mkdir(parents=True, exist_ok=True)
    samples: dict[str, list[dict[str, float]]] = {"openpyxl": [], "this": [], "other": []}
    for r in range(repeat):
        for label, op, tree in (("openpyxl", "openpyxl", None), ("this", "check", None),
                                ("other", "check", source)):
            sample = run_child(op, path, out, tree)
            samples[label].append(sample)
            log(f"    #{r + 1} {label:<9} op {sample['op']:7.3f}s  cpu {sample['cpu']:7.3f}s  "
                f"peak {sample['peak']:6.0f} MB  output {sample['size'] / 1e6:5.1f} MB")
    lines = [f"{size:>7} rows, {repeat} repeat(s), medians (range of the per-repeat ratios):"]
    base = samples["openpyxl"]
    for label, name in (("openpyxl", "openpyxl load+save"), ("this", "check, this tree"),
                        ("other", f"check under {source}")):
        own = samples[label]
        line = (f"  {name:<32} op {statistics.median(s['op'] for s in own):7.2f} s  cpu "
                f"{statistics.median(s['cpu'] for s in own):7.2f} s  peak "
                f"{max(s['peak'] for s in own):5.0f} MB  output "
                f"{statistics.median(s['size'] for s in own) / 1e6:5.1f} MB")
        if label != "openpyxl":
            for key in ("op", "cpu"):
                ratios = [a[key] / b[key] for a, b in zip(own, base, strict=True)]
                line += (f"  {key}/openpyxl {statistics.median(ratios):.2f}x "
                         f"({min(ratios):.2f}-{max(ratios):.2f})")
            peak = max(s["peak"] for s in own) / max(s["peak"] for s in base)
            line += f"  peak/openpyxl {peak:.2f}x"
        lines.append(line)
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report(results: list[SizeResult]) -> list[str]:
    lines = []
    lines.append("Times: median seconds. op = timed around the work inside a fresh child, after "
                 "imports; wall = the whole child (interpreter start-up + imports + work).")
    lines.append(f"{'rows':>7} {'file':>5} {'calamine':>15} {'engine parse+rules':>19} "
                 f"{'no-annotate':>15} {'openpyxl l+s':>15} {'check':>15} {'check --out':>15}")
    lines.append(f"{'':>7} {'MB':>5} {'op / wall':>15} {'(in-process)':>19} {'op / wall':>15} "
                 f"{'op / wall':>15} {'op / wall':>15} {'op / wall':>15}")
    for r in results:
        def ow(op: str, r: SizeResult = r) -> str:
            return f"{r.med(op, 'op'):.3f} / {r.med(op, 'wall'):.3f}"

        lines.append(f"{r.size:>7} {r.file_mb:>5.1f} {ow('calamine'):>15} "
                     f"{r.eng('parse'):>8.3f} + {r.eng('rules'):.3f} {ow('no-annotate'):>15} "
                     f"{ow('openpyxl'):>15} {ow('check'):>15} {ow('check-out'):>15}")
    lines.append("")
    lines.append(f"Ratios (median of per-repeat pairs; targets judged on op): engine rows/s vs "
                 f"calamine read rows/s (target: engine faster); no-annotate / calamine (target "
                 f"<= {NO_ANNOTATE_MAX}); check / openpyxl load+save (target <= {CHECK_MAX}); "
                 f"check --out / openpyxl load+save (no target: the copy plus the state file).")
    lines.append("The floor of an annotated check is the read and the rules (no-annotate) plus "
                 "unpacking and deflating the package once (rezip); check / floor shows how "
                 "close the copy writer gets to it.")
    lines.append(f"{'rows':>7} {'engine rows/s':>14} {'read rows/s':>12} {'':>8} "
                 f"{'no-annot/read':>14} {'wall':>6} {'':>8} {'check/openpyxl':>15} "
                 f"{'wall':>6} {'':>8} {'--out/openpyxl':>15} {'wall':>6}")
    for r in results:
        eng_rate = r.lines / r.eng("engine")
        read_rate = r.lines / r.med("calamine", "op")
        faster = r.engine_vs_read() < 1
        na = r.ratio("no-annotate", "calamine")
        ck = r.ratio("check", "openpyxl")
        lines.append(
            f"{r.size:>7} {eng_rate:>14,.0f} {read_rate:>12,.0f} {_met(faster):>8} "
            f"{na:>13.2f}x {r.ratio('no-annotate', 'calamine', 'wall'):>5.2f}x "
            f"{_met(na <= NO_ANNOTATE_MAX):>8} {ck:>14.2f}x "
            f"{r.ratio('check', 'openpyxl', 'wall'):>5.2f}x {_met(ck <= CHECK_MAX):>8} "
            f"{r.ratio('check-out', 'openpyxl'):>14.2f}x "
            f"{r.ratio('check-out', 'openpyxl', 'wall'):>5.2f}x   floor "
            f"{r.med('no-annotate', 'op') + r.med('rezip', 'op'):.2f} s, check/floor "
            f"{_floor_ratio(r, 'op'):.2f}x")
    lines.append("")
    lines.append("CPU time (user + system, the check's worker included; less disturbed by other "
                 "work on the machine than op), medians and the range of per-repeat ratios:")
    for r in results:
        lines.append(
            f"{r.size:>7} no-annotate {r.med('no-annotate', 'cpu'):.2f} s, rezip "
            f"{r.med('rezip', 'cpu'):.2f} s, openpyxl {r.med('openpyxl', 'cpu'):.2f} s, check "
            f"{r.med('check', 'cpu'):.2f} s; check/openpyxl "
            f"{r.ratio('check', 'openpyxl', 'cpu'):.2f}x ({r.spread('check', 'openpyxl', 'cpu')}), "
            f"check/floor "
            f"{_floor_ratio(r, 'cpu'):.2f}x; op: check/openpyxl "
            f"{r.spread('check', 'openpyxl', 'op')}, check/floor {_floor_ratio(r, 'op'):.2f}x")
    lines.append("")
    lines.append("Sizes (MB): the input; the annotated copy (check); openpyxl's re-save of the "
                 "input (no annotations):")
    for r in results:
        copy, resaved = r.med("check", "size") / 1e6, r.med("openpyxl", "size") / 1e6
        lines.append(f"{r.size:>7} input {r.file_mb:.1f}, copy {copy:.1f} "
                     f"({copy / r.file_mb:.2f}x the input), openpyxl {resaved:.1f}")
    lines.append("")
    lines.append("Peak RSS (MB, max over repeats; VmHWM of each fresh child, or of the worker "
                 "that checked the file, interpreter and imports included):")
    lines.append(f"{'rows':>7} {'calamine':>9} {'no-annotate':>12} {'openpyxl':>9} "
                 f"{'check':>9} {'check --out':>12}   {'check/openpyxl':>15} {'':>8} "
                 f"{'lines':>7} {'findings':>8}")
    for r in results:
        peak_ratio = r.peak("check") / r.peak("openpyxl")
        lines.append(f"{r.size:>7} {r.peak('calamine'):>9.0f} {r.peak('no-annotate'):>12.0f} "
                     f"{r.peak('openpyxl'):>9.0f} {r.peak('check'):>9.0f} "
                     f"{r.peak('check-out'):>12.0f}   {peak_ratio:>14.2f}x "
                     f"{_met(peak_ratio <= CHECK_PEAK_MAX):>8} {r.lines:>7} {r.findings:>8}")
    return lines


def _floor_ratio(r: SizeResult, key: str) -> float:
    """check / (no-annotate + rezip), median of the per-repeat ratios."""
    return statistics.median(
        c[key] / (n[key] + z[key]) for c, n, z in
        zip(r.samples["check"], r.samples["no-annotate"], r.samples["rezip"], strict=True))


def profile_no_annotate(path: Path, out: Path, top: int = 30) -> None:
    """cProfile of `check --no-annotate` in this process; prints the top functions."""
    import cProfile
    import pstats

    from nmr_xl import cli

    prof_file = out / f"{path.stem}.no-annotate.prof"
    profiler = cProfile.Profile()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        profiler.enable()
        cli.main(_check_argv("no-annotate", path, out))
        profiler.disable()
    profiler.dump_stats(prof_file)
    print(f"\ncProfile of check --no-annotate on {path.name} (saved to {prof_file}):")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"nmr_xl|calamine", top)
    stats.sort_stats("tottime").print_stats(top)


def _load() -> str:
    """The load averages (1, 5, 15 min): other work on the machine skews every figure."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_header(bench_name: str, packages: tuple[str, ...]) -> str:
    """The first line of every benchmark: what ran, on what, with which versions."""
    from importlib.metadata import version

    import nmr_xl

    versions = ", ".join(f"{name} {version(name)}" for name in packages)
    return (f"nmr-xl {version('nmr-xl')} {bench_name}: Python {platform.python_version()} on "
            f"{platform.machine()} ({os.cpu_count()} CPUs, {_load()}), {versions}; nmr_xl from "
            f"{Path(nmr_xl.__file__).parent}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        op, path, out, result_file = argv[1:5]
        result = child(op, Path(path), Path(out))
        Path(result_file).write_text(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000],
                        metavar="N", help="billing lines per workbook (default: 1000 10000 100000)")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help="repeats per size (default: 5 up to 2k rows, 3 up to 20k, else 1)")
    parser.add_argument("--out", type=Path, default=DATA, metavar="DIR",
                        help="folder for generated workbooks and copies (default: bench/_data)")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of check --no-annotate on the largest size")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the tables")
    parser.add_argument("--compare-with", type=Path, metavar="SRC",
                        help="only the read path, against the nmr_xl package under SRC")
    parser.add_argument("--annotated", action="store_true",
                        help="with --compare-with: the annotated check instead, both trees "
                             "against a bare openpyxl load + save")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        if not args.quiet:
            print(text, flush=True)

    if args.compare_with is not None:
        compare = compare_check if args.annotated else compare_read
        print(run_header("bench --compare-with", ("python-calamine", "openpyxl")), flush=True)
        for size in sorted(args.sizes):
            for line in compare(size, args.repeat or 3, args.out, args.compare_with, log):
                print(line)
        return 0

    print(run_header("bench", ("python-calamine", "openpyxl")), flush=True)
    started = time.perf_counter()
    results = []
    for size in sorted(args.sizes):
        results.append(measure(size, args.repeat or default_repeat(size), args.out, log))
    print()
    for line in report(results):
        print(line)
    print(f"\n(total bench time {time.perf_counter() - started:.0f}s; {_load()} at the end)")
    if args.profile:
        profile_no_annotate(workbook_path(max(args.sizes), args.out), args.out / "out")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""nmr-xl limits benchmark: how fast an absurd file gets its disposition, and how much memory the
largest files the limits let through cost.

    python bench/limits_bench.py [--out DIR] [-q]

It generates (once, cached under bench/_data/) and checks, each in a fresh interpreter:

  far-corner   a 5 KB workbook whose one far cell is XFD1048576 (python-calamine alone would ask
               for 512 GiB and abort): `too-large` from the package scan
  padded       a workbook whose sheet part is padded to 190 MiB at 1000:1: `too-large` from the
               zip directory
  dense-3.9M   244,000 lines x 16 columns (3.9 million cells; the issue's 7.6 MB workbook took
               379 s and 7.5 GB): checked, its copy refused (over MAX_COPY_CELLS)
  densest      190 MB of sheet XML packed with numbers (about 8 million cells): the most cells
               the 200 MB unpacked limit lets a workbook hold; checked with --no-annotate
  100k         bench.py's 100,000-line export, --no-annotate: the baseline for the ratios

Reported per run: op (the command, timed inside the interpreter after imports), the
disposition, and peak memory: the larger of the nmr-xl process's own VmHWM and its workers'
(getrusage(RUSAGE_CHILDREN).ru_maxrss, the workers being forked), with its ratio to the
baseline's. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the generator, paths and run header)

VERSION = 1  # bump when a generated file changes

_CHILD = r"""
import contextlib, json, os, resource, sys, time
from nmr_xl import cli
import nmr_xl.write.xlsx  # imported lazily by the CLI; not timed
argv = json.loads(sys.argv[1])
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    t0 = time.perf_counter()
    rc = cli.main(argv)
    elapsed = time.perf_counter() - t0
hwm = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"op": elapsed, "rc": rc, "parent_mb": hwm / 1024,
                  "worker_mb": children / 1024}))
"""

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                  b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                  b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
                  b'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
                  b'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                  b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
              b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
              b'http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              b'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.'
             b'org/officeDocument/2006/relationships"><sheets><sheet name="Billing" sheetId="1" '
             b'r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                  b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                  b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                  b'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
               b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"


def _package(path: Path, rows: bytes | list[bytes]) -> None:
    """A minimal one-sheet workbook whose sheetData is `rows` (written as it comes)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            for block in [rows] if isinstance(rows, bytes) else rows:
                sheet.write(block)
            sheet.write(_SHEET_TAIL)
    tmp.replace(path)


def _letters(column: int) -> bytes:
    text = b""
    while column:
        column, rest = divmod(column - 1, 26)
        text = bytes([65 + rest]) + text
    return text


def far_corner(path: Path) -> None:
    _package(path, b'<row r="1"><c r="A1" t="inlineStr"><is><t>Total</t></is></c></row>'
                   b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def padded(path: Path) -> None:
    pad = b" " * (1024 * 1024)
    _package(path, [b'<row r="1"><c r="A1"><v>1</v></c></row>', *([pad] * 190)])


def dense(path: Path, lines: int) -> None:
    """`lines` billing lines of 16 columns (header row first), as bench.py's generator makes
    them, written as inline strings and numbers."""
    columns = [_letters(c) for c in range(1, 17)]

    def cell(ref: bytes, value: object) -> bytes:
        if isinstance(value, int | float):
            return b'<c r="%s"><v>%s</v></c>' % (ref, repr(value).encode())
        text = str(value).replace("&", "&amp;").replace("<", "&lt;").encode()
        return b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, text)

    def blocks():
        header = b"".join(cell(c + b"1", h) for c, h in zip(columns, bench.HEADER, strict=True))
        yield b'<row r="1">' + header + b"</row>"
        chunk = []
        for number, line in enumerate(bench.billing_rows(lines), start=2):
            values = [v.toordinal() - 693594 if hasattr(v, "toordinal") else v for v in line]
            ref = str(number).encode()
            chunk.append(b'<row r="%s">' % ref + b"".join(
                cell(c + ref, "" if v is None else v) for c, v in zip(columns, values,
                                                                       strict=False))
                + b"</row>")
            if len(chunk) == 5000:
                yield b"".join(chunk)
                chunk = []
        yield b"".join(chunk)

    _package(path, blocks())


def densest(path: Path, megabytes: int = 190) -> None:
    """Numbers in 30 columns, as many rows as fit in `megabytes` of sheet XML."""
    columns = [_letters(c) for c in range(1, 31)]
    budget, written, row = megabytes * 1024 * 1024, 0, 0

    def blocks():
        nonlocal written, row
        while written < budget:
            chunk = []
            for _ in range(2000):
                row += 1
                ref = str(row).encode()
                chunk.append(b'<row r="%s">' % ref + b"".join(
                    b'<c r="%s%s"><v>%d</v></c>' % (c, ref, (row * 31 + i) % 1000)
                    for i, c in enumerate(columns)) + b"</row>")
            block = b"".join(chunk)
            written += len(block)
            yield block

    _package(path, blocks())


def ensure(name: str, data: Path, make) -> Path:  # type: ignore[no-untyped-def]
    path = data / f"limits-v{VERSION}-{name}.xlsx"
    if not path.is_file():
        started = time.perf_counter()
        make(path)
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - started:.0f}s", flush=True)
    return path


def run(argv: list[str]) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(argv)], capture_output=True,
                          text=True, check=False, cwd=HERE)
    if done.returncode != 0:
        raise SystemExit(f"limits bench: {argv} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=bench.DATA, metavar="DIR",
                        help="folder for generated workbooks and outputs (default: bench/_data)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the table")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(bench.run_header("limits bench", ("python-calamine", "openpyxl")), flush=True)
    baseline, _ = bench.ensure_workbook(100_000, args.out)
    files = {
        "far-corner": ensure("far-corner", args.out, far_corner),
        "padded": ensure("padded", args.out, padded),
        "dense-3.9M": ensure("dense-3.9M", args.out, lambda p: dense(p, 244_000)),
        "densest": ensure("densest", args.out, densest),
    }
    common = ["--as-of", bench.AS_OF, "--fail-on", "never", "--format", "json"]
    plan = [("100k", baseline, ["--no-annotate"]),
            ("far-corner", files["far-corner"], ["--no-annotate"]),
            ("far-corner", files["far-corner"], ["--out", "OUT"]),
            ("padded", files["padded"], ["--no-annotate"]),
            ("dense-3.9M", files["dense-3.9M"], ["--no-annotate"]),
            ("dense-3.9M", files["dense-3.9M"], ["--out", "OUT"]),
            ("densest", files["densest"], ["--no-annotate"])]
    rows = []
    for name, path, extra in plan:
        out = args.out / "limits-out" / name
        extra = [str(out) if e == "OUT" else e for e in extra]
        report = args.out / "limits-out" / f"{name}.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        result = run(["check", str(path), *common, *extra, "--force", "--report", str(report)]
                     if "--out" in extra else
                     ["check", str(path), *common, *extra, "--report", str(report)])
        entry = json.loads(report.read_text())["files"][0]
        what = entry["error"]["code"] if entry["error"] else entry["disposition"]
        if entry["warnings"] and entry["warnings"][0].startswith("No annotated copy"):
            what += ", no copy (too many cells)"
        peak = max(result["parent_mb"], result["worker_mb"])
        rows.append((name, " ".join(extra).replace(str(out), "DIR"), result["op"], what, peak,
                     path.stat().st_size / 1e6))
        if not args.quiet:
            print(f"  {name} {' '.join(extra)}: {result['op']:.2f} s, {what}, peak {peak:.0f} MB",
                  flush=True)
    base_peak = rows[0][4]
    print(f"\n{'file':<11} {'MB':>6} {'options':<16} {'op s':>7} {'peak MB':>8} {'x 100k':>7}  "
          "disposition")
    for name, options, op, what, peak, size in rows:
        print(f"{name:<11} {size:>6.1f} {options:<16} {op:>7.2f} {peak:>8.0f} "
              f"{peak / base_peak:>7.2f}  {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

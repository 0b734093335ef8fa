# ruff: noqa: E501
"""Score nmr-xl on the held-out files: `python heldout/score.py [--label NAME] [--md FILE]`.

Runs `nmr-xl check heldout/data --no-annotate --as-of 2026-03-31 --report ...` and compares
the findings with heldout/data/manifest.json (generate.py). A planted (row, rule) counts as
found when a finding of that rule is on that row. A finding on a correctly billed line, or on
a row that is not a charge line, is a false finding; a finding of another rule on a planted
line is listed as "also" (judged by hand in SCORE.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="run")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    manifest = json.loads((DATA / "manifest.json").read_text())
    report = HERE / f"report-{args.label}.json"
    # NMR_XL_SRC=<a source tree> scores that tree instead (e.g. `git archive` of an older commit)
    src = os.environ.get("NMR_XL_SRC")
    exe = ([sys.executable, "-c", "import sys; from nmr_xl.cli import main; sys.exit(main())"]
           if src else [str(Path(sys.executable).parent / "nmr-xl")])
    env = {**os.environ, "PYTHONPATH": src} if src else None
    files = [str(DATA / f) for f in manifest]
    subprocess.run([*exe, "check", *files, "--no-annotate", "--as-of", "2026-03-31",
                    "--report", str(report), "--quiet", "--fail-on", "never", "--jobs", "1"],
                   check=False, stdout=subprocess.DEVNULL, env=env)
    rep = json.loads(report.read_text())
    by_name = {Path(f["input"]).name: f for f in rep["files"]}
    tot_p = tot_f = tot_false = tot_unchecked = 0
    out = ["| file | found / planted | false | also | not fully checked | missed |",
           "|---|---|---|---|---|---|"]
    details: list[str] = []
    for name, entry in manifest.items():
        f = by_name.get(name)
        planted: set[tuple[str, int, str]] = set()
        lines: set[tuple[str, int]] = set()
        for sheet, s in entry["sheets"].items():
            for r, rule in s["planted"]:
                planted.add((sheet, r, rule))
            for r in s["lines"]:
                lines.add((sheet, r))
        found: set[tuple[str, int, str]] = set()
        false: list[str] = []
        also: list[str] = []
        if f is None or (f.get("status") not in (None, "ok", "checked", "findings") and not f.get("findings")):
            status = f.get("status") if f else "missing"
            err = f.get("error") if f else ""
        else:
            status, err = f.get("status"), f.get("error")
        sheets_in = {s for s, _, _ in planted} | {s for s, _ in lines}
        for x in (f or {}).get("findings", []):
            sheet = x["sheet"] if "*" not in sheets_in else "*"
            key = (sheet, x["row"], x["rule"])
            if key in planted:
                found.add(key)
            elif any(k[:2] == (sheet, x["row"]) for k in planted):
                also.append(f"{x['cell']} {x['rule']}: {x['message'][:150]}")
            else:
                kind = "line" if (sheet, x["row"]) in lines else "non-line row"
                false.append(f"{x['cell']} {x['rule']} ({kind}): {x['message'][:150]}")
        missed = sorted(planted - found, key=lambda k: (k[1], k[2]))
        warn = [w for w in (f or {}).get("warnings", []) if "cannot be fully checked" in w]
        tot_p += len(planted)
        tot_f += len(found)
        tot_false += len(false)
        tot_unchecked += bool(warn)
        out.append(f"| {name} | {len(found)}/{len(planted)} | {len(false)} | {len(also)} | "
                   f"{'yes' if warn else ''} | {', '.join(f'{r} row {n}' for _, n, r in missed)} |")
        details.append(f"### {name} (status {status}{', ' + str(err) if err else ''})")
        for w in warn:
            details.append(f"- not fully checked: {w[:400]}")
        for x in false:
            details.append(f"- FALSE {x}")
        for x in also:
            details.append(f"- also {x}")
        if args.verbose and f:
            for s in f.get("sheets", []):
                details.append(f"- sheet {s['name']} header {s['header_row']} rows {s['rows']}")
                for c in s.get("column_map", []):
                    details.append(f"  - {c['column']} {c['heading']!r} -> {c['field']} "
                                   f"({c['confidence']}: {c['why'][:100]})")
                details.append(f"  - not run: {s.get('rules_not_run')}")
                details.append(f"  - not charge rows: {s.get('not_charge_rows')}")
    out.append(f"| **total** | **{tot_f}/{tot_p} ({100 * tot_f / max(tot_p, 1):.0f}%)** | "
               f"**{tot_false}** | | **{tot_unchecked}** | |")
    print("\n".join(out))
    print()
    print("\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())

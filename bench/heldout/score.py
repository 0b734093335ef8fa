"""Score nmr-xl on a held-out set: `python bench/heldout/score.py [--set heldout2] [--label NAME]
[-v]` (the set is a folder of bench/ whose generate.py wrote data/; default: this one).

Runs `nmr-xl check bench/heldout/data --no-annotate --as-of 2026-03-31 --report ...` and compares
the findings with bench/heldout/data/manifest.json (generate.py). A planted (row, rule) counts as
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
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


@dataclass
class FileScore:
    planted: set[tuple[str, int, str]]
    found: set[tuple[str, int, str]]
    false: list[str]  # findings on a correctly billed line or a row that is not a charge
    also: list[str]  # findings of another rule on a planted line (judged by hand)
    not_fully_checked: list[str]
    status: str
    error: object


def score_file(entry: dict, result: dict | None) -> FileScore:
    """One file's findings (`result`, its entry in the JSON report) against its manifest entry."""
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
    sheets_in = {s for s, _, _ in planted} | {s for s, _ in lines}
    for x in (result or {}).get("findings", []):
        sheet = x["sheet"] if "*" not in sheets_in else "*"
        key = (sheet, x["row"], x["rule"])
        if key in planted:
            found.add(key)
        elif any(k[:2] == (sheet, x["row"]) for k in planted):
            also.append(f"{x['cell']} {x['rule']}: {x['message'][:150]}")
        else:
            kind = "line" if (sheet, x["row"]) in lines else "non-line row"
            false.append(f"{x['cell']} {x['rule']} ({kind}): {x['message'][:150]}")
    warn = [w for w in (result or {}).get("warnings", []) if "cannot be fully checked" in w]
    status = result.get("status", "") if result else "missing"
    error = result.get("error") if result else ""
    return FileScore(planted, found, false, also, warn, status, error)


def score(data: Path, report: Path, env: dict[str, str] | None = None) -> dict[str, FileScore]:
    """Check every file of `data` (written by generate.py) and score it, by file name."""
    manifest = json.loads((data / "manifest.json").read_text())
    exe = ([sys.executable, "-c", "import sys; from nmr_xl.cli import main; sys.exit(main())"]
           if env else [str(Path(sys.executable).parent / "nmr-xl")])
    subprocess.run([*exe, "check", *(str(data / f) for f in manifest), "--no-annotate",
                    "--as-of", "2026-03-31", "--report", str(report), "--quiet",
                    "--fail-on", "never", "--jobs", "1"],
                   check=False, stdout=subprocess.DEVNULL, env=env,
                   cwd=data)  # not the checkout: `python -c` would import its nmr_xl first
    by_name = {Path(f["input"]).name: f for f in json.loads(report.read_text())["files"]}
    return {name: score_file(entry, by_name.get(name)) for name, entry in manifest.items()}


def plain_ok(result: FileScore) -> bool:
    """A shape the manifest marks `"expect": "plain"` (nmr-xl cannot read it safely) passes when
    it is refused or said not fully checked, with nothing found on it."""
    said = result.status == "error" or bool(result.not_fully_checked)
    return said and not result.false and not result.found


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default=HERE.name, help="the held-out set: a folder of bench/")
    ap.add_argument("--label", default="run")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    folder = HERE.parent / args.set
    data = folder / "data"
    # NMR_XL_SRC=<a source tree> scores that tree instead (e.g. `git archive` of an older commit)
    src = os.environ.get("NMR_XL_SRC")
    report = folder / f"report-{args.label}.json"
    scores = score(data, report, {**os.environ, "PYTHONPATH": src} if src else None)
    rep = {Path(f["input"]).name: f for f in json.loads(report.read_text())["files"]}
    manifest = json.loads((data / "manifest.json").read_text())
    out = ["| file | found / planted | false | also | not fully checked | missed |",
           "|---|---|---|---|---|---|"]
    details: list[str] = []
    for name, sc in scores.items():
        missed = sorted(sc.planted - sc.found, key=lambda k: (k[1], k[2]))
        said = "yes" if sc.not_fully_checked else ""
        if sc.status == "error":
            said = f"refused ({sc.error.get('code') if isinstance(sc.error, dict) else sc.error})"
        verdict = ""
        if manifest[name].get("expect") == "plain":
            verdict = " (plain: ok)" if plain_ok(sc) else " (plain: NOT said)"
        out.append(f"| {name}{verdict} | {len(sc.found)}/{len(sc.planted)} | {len(sc.false)} | "
                   f"{len(sc.also)} | {said} | "
                   f"{', '.join(f'{r} row {n}' for _, n, r in missed)} |")
        details.append(f"### {name} (status {sc.status}{', ' + str(sc.error) if sc.error else ''})")
        details += [f"- not fully checked: {w[:400]}" for w in sc.not_fully_checked]
        details += [f"- FALSE {x}" for x in sc.false]
        details += [f"- also {x}" for x in sc.also]
        if args.verbose and name in rep:
            for s in rep[name].get("sheets", []):
                details.append(f"- sheet {s['name']} header {s['header_row']} rows {s['rows']}")
                for c in s.get("column_map", []):
                    details.append(f"  - {c['column']} {c['heading']!r} -> {c['field']} "
                                   f"({c['confidence']}: {c['why'][:100]})")
                details.append(f"  - not run: {s.get('rules_not_run')}")
                details.append(f"  - not charge rows: {s.get('not_charge_rows')}")
    planted = sum(len(sc.planted) for sc in scores.values())
    found = sum(len(sc.found) for sc in scores.values())
    out.append(f"| **total** | **{found}/{planted} ({100 * found / max(planted, 1):.0f}%)** | "
               f"**{sum(len(sc.false) for sc in scores.values())}** | | "
               f"**{sum(bool(sc.not_fully_checked) for sc in scores.values())}** | |")
    print("\n".join(out))
    print()
    print("\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())

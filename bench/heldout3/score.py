"""Score nmr-xl on the third held-out set: `python bench/heldout3/score.py [--label NAME]`.

Uses bench/heldout/score.py's `score()` on bench/heldout3/data (generate.py). A file whose
manifest says `"expect": "plain"` is a shape nmr-xl cannot read safely: it passes when it is
refused (`no-billing-table`) or reported as not fully checked, with no finding on it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def _heldout_score():  # type: ignore[no-untyped-def]
    path = HERE.parent / "heldout" / "score.py"
    spec = importlib.util.spec_from_file_location("heldout_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def plain_ok(result) -> bool:  # type: ignore[no-untyped-def]
    """A shape that cannot be read safely: refused or said not fully checked, nothing false."""
    said = result.status == "error" or bool(result.not_fully_checked)
    return said and not result.false and not result.found


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="run")
    args = ap.parse_args()
    src = os.environ.get("NMR_XL_SRC")
    scores = _heldout_score().score(DATA, HERE / f"report-{args.label}.json",
                                    {**os.environ, "PYTHONPATH": src} if src else None)
    manifest = json.loads((DATA / "manifest.json").read_text())
    out = ["| file | found / planted | false | also | not fully checked | missed |",
           "|---|---|---|---|---|---|"]
    details: list[str] = []
    for name, sc in scores.items():
        missed = sorted(sc.planted - sc.found, key=lambda k: (k[1], k[2]))
        plain = manifest[name].get("expect") == "plain"
        nfc = "yes" if sc.not_fully_checked else ""
        if sc.status == "error":
            nfc = f"refused ({sc.error})" if not isinstance(sc.error, dict) else \
                f"refused ({sc.error.get('code')})"
        verdict = (" (plain: ok)" if plain_ok(sc) else " (plain: NOT said)") if plain else ""
        out.append(f"| {name}{verdict} | {len(sc.found)}/{len(sc.planted)} | {len(sc.false)} | "
                   f"{len(sc.also)} | {nfc} | "
                   f"{', '.join(f'{r} row {n}' for _, n, r in missed)} |")
        details.append(f"### {name} (status {sc.status})")
        details += [f"- not fully checked: {w[:300]}" for w in sc.not_fully_checked]
        details += [f"- FALSE {x}" for x in sc.false]
        details += [f"- also {x}" for x in sc.also]
    planted = sum(len(sc.planted) for sc in scores.values())
    found = sum(len(sc.found) for sc in scores.values())
    out.append(f"| **total** | **{found}/{planted} ({100 * found / max(planted, 1):.0f}%)** | "
               f"**{sum(len(sc.false) for sc in scores.values())}** | | | |")
    print("\n".join(out))
    print()
    print("\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())

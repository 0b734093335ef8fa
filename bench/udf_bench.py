"""nmr-xl worksheet-function benchmark: =NMR_CHECK_TABLE against the engine on the same rows.

    python bench/udf_bench.py [--rows 10000] [--repeat 7] [--out DIR]

The rows are the main benchmark's generated workbook (bench.py, cached under bench/_data/), read
once with python-calamine; both sides get the same rows:

  engine   build_table + check_table (bench.time_engine: a fresh Config each repeat, the cyclic
           GC paused as a workbook check pauses it)
  udf      nmr_xl.excel.functions.NMR_CHECK_TABLE, with its cached Config after a warm-up call,
           as in a running Excel session (it pauses the GC itself)

The udf time is the engine's work plus everything the adapter adds: normalising the cells and
one status per row. xlwings hands a function floats, datetimes and None where calamine gives
dates and "": the reader parses both alike (tests/test_excel_functions.py checks the sample
both ways). The ratio udf / engine is paired per repeat; medians are reported. The
time Excel itself takes to pass 10,000 rows over COM and to spill the result is not included
(it needs Windows Excel). Both sides must agree on which rows have findings, or the run fails.
This is a benchmark, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # the workbook generator and engine timing of the main benchmark


def engine_reference(rows: list[list[object]], width: int) -> tuple[int, set[int]]:
    """The header row and the rows with findings, as the engine sees them."""
    from nmr_xl.config.load import load_config
    from nmr_xl.engine import check_table
    from nmr_xl.model import Table
    from nmr_xl.read.table import build_table

    config = load_config()
    table = build_table(bench.SHEET, rows, config, width=width)
    assert isinstance(table, Table), table
    result = check_table(table, config, dt.date.fromisoformat(bench.AS_OF))
    return table.header_row, {f.row for f in result.findings}


def time_udf(rows: list[list[object]]) -> tuple[float, list[list[object]]]:
    from nmr_xl.excel.functions import NMR_CHECK_TABLE

    gc.collect()  # start from a collected heap, as bench.time_engine does
    t0 = time.perf_counter()
    statuses = NMR_CHECK_TABLE(rows)
    return time.perf_counter() - t0, statuses


def flagged_rows(statuses: object, header_row: int) -> set[int]:
    if not isinstance(statuses, list):
        raise SystemExit(f"bench: NMR_CHECK_TABLE returned {statuses!r}")
    return {header_row + i for i, (status,) in enumerate(statuses, start=1)
            if status not in ("", "OK")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, metavar="N",
                        help="billing lines in the table (default: 10000)")
    parser.add_argument("--repeat", type=int, default=7, metavar="N",
                        help="repeats (default: 7)")
    parser.add_argument("--out", type=Path, default=bench.DATA, metavar="DIR",
                        help="folder for the generated workbook (default: bench/_data)")
    args = parser.parse_args(argv)

    from nmr_xl.excel import functions

    print(bench.run_header("udf bench", ("xlwings",)), flush=True)
    path, made = bench.ensure_workbook(args.rows, args.out)
    rows, width = bench.read_rows(path)
    print(f"{args.rows} billing lines: {path.name}{' (generated)' if made else ''}; "
          f"{len(rows)} rows x {width} columns passed to each side", flush=True)

    functions.AS_OF.set(dt.date.fromisoformat(bench.AS_OF))
    functions.NMR_CHECK_TABLE(rows[:50])  # warm-up: imports and the cached Config
    header_row, expected = engine_reference(rows, width)
    engine: list[float] = []
    udf: list[float] = []
    for r in range(args.repeat):
        eng = bench.time_engine(rows, width)
        elapsed, statuses = time_udf(rows)
        if flagged_rows(statuses, header_row) != expected:
            raise SystemExit("bench: NMR_CHECK_TABLE and the engine disagree on which rows "
                             "have findings")
        engine.append(eng["engine"])
        udf.append(elapsed)
        print(f"  #{r + 1} engine {eng['engine']:.3f}s (parse {eng['parse']:.3f} + rules "
              f"{eng['rules']:.3f})  NMR_CHECK_TABLE {elapsed:.3f}s  "
              f"ratio {elapsed / eng['engine']:.2f}x", flush=True)

    ratio = statistics.median(u / e for u, e in zip(udf, engine, strict=True))
    eng_med, udf_med = statistics.median(engine), statistics.median(udf)
    print()
    print(f"{'lines':>7} {'rows flagged':>12} {'engine s':>9} {'udf s':>7} {'added ms':>9} "
          f"{'udf / engine':>13}")
    print(f"{args.rows:>7} {len(expected):>12} {eng_med:>9.3f} {udf_med:>7.3f} "
          f"{(udf_med - eng_med) * 1000:>9.0f} {ratio:>12.2f}x")
    print(f"(medians over {args.repeat} repeats; the ratio is the median of per-repeat ratios; "
          f"{bench._load()} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

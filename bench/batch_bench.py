"""nmr-xl batch benchmark: one folder of generated workbooks checked with --jobs 1 and --jobs 2.

    python bench/batch_bench.py [--files 200] [--rows 2000] [--jobs 1 2] [--repeat 1]
                                [--modes annotated no-annotate] [--out DIR] [-q]

It generates (once, cached under bench/_data/) FILES billing workbooks of ROWS lines each, every
one from its own seed so no two have the same content (the batch checks identical inputs once),
and runs, in one session and interleaved,

  nmr-xl check DIR --out OUT --force --jobs N --as-of 2026-06-30 --fail-on never [--no-annotate]

for each N of --jobs, annotated and --no-annotate, each in a fresh interpreter, with OUT emptied
before the run (and --force, so the state file of an earlier run never skips an input). As the
memory baseline, the largest workbook of the batch is checked alone the same way, per mode.

Per run it reports
  wall    the whole command seen from outside (start-up, imports, collecting the inputs, the
          checks, batch-summary.xlsx and the text report): what a user waits for;
  phases  inside the command: collect (find and hash the inputs), run_batch (the checks, in
          worker processes when N > 1) and summary (batch-summary.xlsx, written by the parent);
  parent  peak RSS of the nmr-xl process itself (VmHWM from /proc/self/status when it exits);
  worker  the largest peak RSS of any process it started (the --jobs workers):
          getrusage(RUSAGE_CHILDREN).ru_maxrss once they have been waited for. The workers are
          forked (not exec'd) from the parent, so their high-water mark starts from their own
          RSS, which includes the pages they still share with it (interpreter, imports,
          configuration);
  total   the largest sum of the current RSS (VmRSS) of the parent and all its descendants seen
          in one sample every 0.2 s (shared pages counted once per process: an upper bound);
  x1      parent and worker peaks as ratios to the peak of the largest workbook checked alone
          (`nmr-xl check FILE --out ...`, same mode): "memory bounded by the largest single
          workbook" is a ratio near 1 that does not grow with --files.

The speed-up is wall(--jobs 1) / wall(--jobs N), paired per repeat, median over repeats. On C
cores the ideal is min(N, C); the parent's serial work (collect, summary) bounds it below that.
This is a benchmark, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (the workbook generator and conventions of the main benchmark)

DATA = bench.DATA
AS_OF = bench.AS_OF
MODES = ("annotated", "no-annotate")
POLL_S = 0.2


# --- the workbooks --------------------------------------------------------------------------


def pool_dir(rows: int, data_dir: Path) -> Path:
    return data_dir / f"batch-v{bench.GENERATOR_VERSION}-{rows}"


def _seed(index: int) -> int:
    return bench.SEED + 1 + index  # never the main benchmark's seed


def _generate(path: str, rows: int, seed: int) -> str:
    bench.generate_workbook(Path(path), rows, seed)
    return path


def ensure_batch(files: int, rows: int, data_dir: Path, log) -> tuple[Path, int]:
    """A folder holding exactly `files` workbooks of `rows` lines; returns it and how many
    workbooks had to be generated. Workbooks are cached in pool_dir (billing-000.xlsx ...) and
    the input folder holds hard links to the first `files` of them (copies where links fail)."""
    pool = pool_dir(rows, data_dir)
    wanted = [pool / f"billing-{i:03d}.xlsx" for i in range(files)]
    missing = [(i, p) for i, p in enumerate(wanted) if not p.exists()]
    if missing:
        log(f"generating {len(missing)} workbooks of {rows} rows in {pool} ...")
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
            list(ex.map(_generate, [str(p) for _, p in missing], [rows] * len(missing),
                        [_seed(i) for i, _ in missing], chunksize=4))
        log(f"  done in {time.perf_counter() - t0:.0f}s")
    folder = data_dir / f"batch-in-{rows}x{files}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for src in wanted:
        dst = folder / src.name
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    return folder, len(missing)


# --- child: one nmr-xl batch in a fresh interpreter -----------------------------------------


def _peak_rss_mb() -> float:
    return bench.peak_rss_mb()


def child(argv: list[str]) -> dict[str, object]:
    """Run `nmr-xl <argv>` through nmr_xl.cli.main (what the console script calls), timing
    its phases by wrapping the functions the CLI calls, when they are there."""
    from nmr_xl import cli

    phases: dict[str, float] = {}
    captured: dict[str, object] = {}

    def timed(name: str, func):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                value = func(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t0
            if name == "run_batch":
                captured["entries"] = value
            return value
        return wrapper

    for attr, name in (("collect", "collect"), ("run_batch", "run_batch"),
                       ("write_batch_summary", "summary")):
        if hasattr(cli, attr):
            setattr(cli, attr, timed(name, getattr(cli, attr)))
    if "--no-annotate" not in argv:
        import nmr_xl.write.xlsx  # noqa: F401  (imported lazily; import time is not work)
    t0 = time.perf_counter()
    rc = cli.main(argv)
    elapsed = time.perf_counter() - t0
    dispositions: dict[str, int] = {}
    findings = rows = 0
    for entry in captured.get("entries") or []:
        disposition = str(entry.disposition)  # an enum now, a plain string in older trees
        dispositions[disposition] = dispositions.get(disposition, 0) + 1
        findings += entry.counts.findings
        rows += entry.result.rows
    # the workers have been waited for (the pool is shut down): their exact peak, in KiB
    workers_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"op_s": elapsed, "rc": rc, "phases": phases, "dispositions": dispositions,
            "findings": findings, "rows": rows, "peak_mb": _peak_rss_mb(),
            "workers_mb": workers_kb / 1024}


# --- parent: run a child and watch its process tree -----------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    found = []  # no CONFIG_PROC_CHILDREN: scan every process for its parent
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _status_kb(pid: int, *keys: str) -> dict[str, int]:
    values = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in keys:
                values[key] = int(line.split()[1])
    return values


class TreeWatcher(threading.Thread):
    """Samples the peak RSS of every descendant of `pid`, and the summed RSS of the tree."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.hwm_kb: dict[int, int] = {}  # descendant pid -> largest VmHWM seen
        self.total_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(POLL_S)

    def sample(self) -> None:
        todo, total = [self.pid], 0
        while todo:
            pid = todo.pop()
            status = _status_kb(pid, "VmHWM", "VmRSS")
            total += status.get("VmRSS", 0)
            if pid != self.pid and "VmHWM" in status:
                self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status["VmHWM"])
            todo.extend(_children(pid))
        self.total_kb = max(self.total_kb, total)


def run_child(folder: Path, out: Path, jobs: int, annotate: bool) -> dict[str, object]:
    """`nmr-xl check FOLDER` (or one file) in a fresh interpreter, watched from outside."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    argv = ["check", str(folder), "--out", str(out), "--force", "--jobs", str(jobs),
            "--as-of", AS_OF, "--fail-on", "never"] + ([] if annotate else ["--no-annotate"])
    result_file = out.parent / f".result-{out.name}.json"
    result_file.unlink(missing_ok=True)
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "_child", str(result_file), *argv],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        watcher = TreeWatcher(proc.pid)
        watcher.start()
        _, stderr = proc.communicate()
        wall = time.perf_counter() - t0
        watcher.stop.set()
        watcher.join()
        if proc.returncode != 0:
            raise SystemExit(f"batch_bench: child failed (exit {proc.returncode}):\n"
                             f"{stderr[-2000:]}")
        result = json.loads(result_file.read_text())
    finally:
        result_file.unlink(missing_ok=True)
    if result["rc"] not in (0, 1):
        raise SystemExit(f"batch_bench: nmr-xl {' '.join(argv)} exited {result['rc']}:\n"
                         f"{stderr[-2000:]}")
    copies = len(list(out.glob("*.checked.xlsx")))
    return {"wall": wall, "op": result["op_s"], "phases": result["phases"],
            "dispositions": result["dispositions"], "findings": result["findings"],
            "rows": result["rows"], "parent_mb": result["peak_mb"],
            "worker_mb": result["workers_mb"], "workers": len(watcher.hwm_kb),
            "total_mb": watcher.total_kb / 1024, "copies": copies}


def single_file_peaks(folder: Path, out_root: Path, modes: list[str], log
                      ) -> dict[str, float]:
    """Peak RSS (MB) of the batch's largest workbook checked alone, per mode: the memory of
    one workbook, which a batch's parent and workers should stay near."""
    largest = max(folder.iterdir(), key=lambda p: (p.stat().st_size, p.name))
    peaks = {}
    for mode in modes:
        sample = run_child(largest, out_root / f"single-{mode}", 1, annotate=mode == "annotated")
        # checked alone, the file is in the one worker (every check runs in a worker process)
        peaks[mode] = max(float(sample["parent_mb"]), float(sample["worker_mb"]))
        log(f"  {mode:<12} {largest.name} alone: wall {sample['wall']:.1f}s, "
            f"peak {peaks[mode]:.0f} MB")
    return peaks


# --- driver ---------------------------------------------------------------------------------


def _median(samples: list[dict[str, object]], key: str) -> float:
    return statistics.median(float(s[key]) for s in samples)


def _phase(samples: list[dict[str, object]], name: str) -> str:
    values = [s["phases"].get(name) for s in samples]
    if any(v is None for v in values):
        return "-"
    return f"{statistics.median(values):.1f}"


def report(results: dict[tuple[str, int], list[dict[str, object]]], jobs: list[int],
           modes: list[str], files: int, rows: int, single: dict[str, float]) -> list[str]:
    base = jobs[0]
    lines = [f"Batch: {files} workbooks x {rows} rows. Seconds (median over repeats); "
             f"speed-up = wall(--jobs {base}) / wall(--jobs N), paired per repeat.",
             "One workbook (the largest) checked alone peaks at "
             + ", ".join(f"{single[m]:.0f} MB {m}" for m in modes)
             + "; x1 = a peak / that one (same mode).",
             f"{'mode':<12} {'jobs':>4} {'wall':>7} {'collect':>8} {'checks':>7} "
             f"{'summary':>8} {'files/s':>8} {'speed-up':>9} {'parent MB':>10} {'x1':>5} "
             f"{'worker MB':>10} {'x1':>5} {'total MB':>9}"]
    for mode in modes:
        for n in jobs:
            samples = results[(mode, n)]
            wall = _median(samples, "wall")
            if n == base:
                speed = "-"
            else:
                speed = statistics.median(
                    float(a["wall"]) / float(b["wall"])
                    for a, b in zip(results[(mode, base)], samples, strict=True))
                speed = f"{speed:.2f}x"
            parent = max(float(s["parent_mb"]) for s in samples)
            worker = max(float(s["worker_mb"]) for s in samples)
            lines.append(
                f"{mode:<12} {n:>4} {wall:>7.1f} {_phase(samples, 'collect'):>8} "
                f"{_phase(samples, 'run_batch'):>7} {_phase(samples, 'summary'):>8} "
                f"{files / wall:>8.1f} {speed:>9} {parent:>10.0f} "
                f"{parent / single[mode]:>4.2f}x "
                f"{(f'{worker:.0f}' if worker else '-'):>10} "
                f"{(f'{worker / single[mode]:.2f}x' if worker else '-'):>5} "
                f"{max(float(s['total_mb']) for s in samples):>9.0f}")
    lines.append("")
    lines.append("wall: the whole command; collect / checks / summary: inside it, finding and "
                 "hashing the inputs, run_batch, batch-summary.xlsx (parent only). parent MB: "
                 "peak RSS of the nmr-xl process; worker MB: largest peak RSS of a --jobs "
                 "worker (getrusage); total MB: largest summed RSS of the process tree "
                 "(sampled); x1: against the largest workbook checked alone.")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        result = child(argv[2:])
        Path(argv[1]).write_text(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200, metavar="N",
                        help="workbooks in the batch (default 200)")
    parser.add_argument("--rows", type=int, default=2000, metavar="N",
                        help="billing lines per workbook (default 2000)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], metavar="N",
                        help="--jobs values; the first is the baseline (default: 1 2)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES),
                        help="annotated and/or no-annotate (default: both)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="repeats of every run (default 1)")
    parser.add_argument("--out", type=Path, default=DATA, metavar="DIR",
                        help="folder for generated workbooks and outputs (default: bench/_data)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the table")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        if not args.quiet:
            print(text, flush=True)

    print(bench.run_header("batch bench", ("openpyxl", "python-calamine")), flush=True)
    started = time.perf_counter()
    folder, _ = ensure_batch(args.files, args.rows, args.out, log)
    size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    log(f"batch: {folder} ({args.files} workbooks, {size_mb:.1f} MB)")
    single = single_file_peaks(folder, args.out / "batch-out", args.modes, log)
    results: dict[tuple[str, int], list[dict[str, object]]] = {
        (m, n): [] for m in args.modes for n in args.jobs}
    for r in range(args.repeat):
        for mode in args.modes:
            for n in args.jobs:  # baseline and the others side by side
                out = args.out / "batch-out" / f"{mode}-jobs{n}"
                sample = run_child(folder, out, n, annotate=mode == "annotated")
                results[(mode, n)].append(sample)
                log(f"  #{r + 1} {mode:<12} --jobs {n}: wall {sample['wall']:6.1f}s  "
                    f"phases {', '.join(f'{k} {v:.1f}s' for k, v in sample['phases'].items())}"
                    f"  parent {sample['parent_mb']:.0f} MB  worker "
                    f"{sample['worker_mb']:.0f} MB ({sample['workers']} procs)  "
                    f"{sample['dispositions']}, {sample['rows']} rows, "
                    f"{sample['findings']} findings, {sample['copies']} copies")
                if sample["dispositions"] and sample["dispositions"] != {"checked": args.files}:
                    log(f"  warning: expected {args.files} checked inputs, got "
                        f"{sample['dispositions']}")
    counts = {(s["findings"], s["rows"]) for v in results.values() for s in v}
    if len(counts) > 1:
        log(f"  warning: runs disagree on (findings, rows): {sorted(counts)}")
    print()
    for line in report(results, args.jobs, args.modes, args.files, args.rows, single):
        print(line)
    print(f"\n(total bench time {time.perf_counter() - started:.0f}s; {bench._load()} at the "
          "end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

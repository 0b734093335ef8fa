"""The `nmr-xl` command: check, columns, rules, explain, units, addin.

Exit codes (a contract scripts rely on): 0 nothing at or above --fail-on; 1 something was;
2 an input could not be read, something could not be written to --out, or the command was
misused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from types import FrameType

from nmr_xl import __version__
from nmr_xl.atomic import private_file, quiet_failed_saves
from nmr_xl.batch import (
    DEFAULT_TASK_SECONDS,
    BatchEntry,
    BatchOptions,
    Interrupted,
    default_jobs,
    remember,
    run_batch,
)
from nmr_xl.batch_totals import BatchTotals, batch_totals
from nmr_xl.columns_report import columns_report
from nmr_xl.config.load import load_config
from nmr_xl.config.model import Config
from nmr_xl.docs import (
    dated_data_text,
    explain_text,
    find_setting,
    reference_text,
    rules_table,
    setting_text,
)
from nmr_xl.errors import ConfigError, InputError
from nmr_xl.excel.addin import ADDIN_NAME, AddinError, build_addin
from nmr_xl.inbox import CONTAINER_EXTS, InboxItem, collect, input_ext
from nmr_xl.inbox.driver import resolved
from nmr_xl.inbox.formats import INPUT_EXTS
from nmr_xl.inputs import STATE_FILE, SUMMARY_FILE
from nmr_xl.model import Severity
from nmr_xl.outdir import LOCK_FILE, OutputBusy, claim, remove_leftovers
from nmr_xl.pdf import NOT_INSTALLED, find_soffice
from nmr_xl.progress import batch_progress
from nmr_xl.report import batch_footer, report_text, write_report_json
from nmr_xl.rules import all_rules, get_rule
from nmr_xl.rules.common import TIMED_CODES
from nmr_xl.rules.registry import RETIRED
from nmr_xl.runner import Extras, read_input
from nmr_xl.units import allocate
from nmr_xl.write.batch_summary import write_batch_summary

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """Misuse of the command line: one line on stderr, exit 2."""


def _as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-03-31") from None


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of minutes (0 for no limit)")
    return value


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nmr-xl",
        description="Billing-compliance checks for 97112 (neuromuscular re-education) and the "
                    "timed therapy codes in Excel billing workbooks.",
    )
    parser.add_argument("--version", action="version", version=f"nmr-xl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check workbooks and write annotated copies")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                       help="workbooks (.xlsx, .xlsm, .xls, .ods), CSV exports (.csv, .tsv), "
                            "saved e-mails (.eml; .msg with nmr-xl[msg]), .zip files, or "
                            "folders of any of these (searched recursively)")
    check.add_argument("--out", type=Path, metavar="DIR",
                       help="folder for annotated copies (default: beside each input)")
    check.add_argument("--rules", type=Path, metavar="FILE",
                       help="rules file laid over the bundled defaults")
    check.add_argument("--as-of", type=_as_of, metavar="YYYY-MM-DD",
                       help="the date treated as today (default: today)")
    check.add_argument("--report", type=Path, metavar="FILE.json",
                       help="write the JSON report to this file ('-': on stdout, instead of "
                            "the text report)")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="what to print on stdout")
    check.add_argument("--fail-on", choices=("error", "warning", "info", "never"),
                       default="error", help="lowest severity that makes the exit code 1")
    check.add_argument("--no-annotate", action="store_true",
                       help="only report; write no annotated copy (fast read path)")
    check.add_argument("--jobs", type=_positive, metavar="N",
                       help="files checked in parallel (default: the number of cores)")
    check.add_argument("--quiet", "-q", action="store_true",
                       help="print one line per file and the batch's totals, not every finding "
                            "(the annotated copies and --report still have them all)")
    check.add_argument("--timeout", type=_minutes, metavar="MINUTES",
                       help="stop checking an input after this many minutes and report it "
                            "(timed-out); default 10, 0 for no limit")
    check.add_argument("--force", action="store_true",
                       help="check inputs again even when unchanged since the last run in --out")
    check.add_argument("--packets", action="store_true",
                       help="also write one workbook per rendering provider with only that "
                            "provider's lines and a cover sheet (<name>.checked.<provider>.xlsx)")
    check.add_argument("--pdf", action="store_true",
                       help="also render the annotated copies (and packets) to PDF with "
                            "LibreOffice, when it is installed")
    _reference_options(check)

    rules = sub.add_parser("rules", help="list the rules, and the dated data and reference "
                                         "files in force on a date")
    rules.add_argument("--rules", type=Path, metavar="FILE", help="rules file to apply")
    rules.add_argument("--as-of", type=_as_of, metavar="YYYY-MM-DD",
                       help="the date of service whose versions of dated data to show "
                            "(default: today)")
    _reference_options(rules)
    rules.add_argument("--markdown", action="store_true",
                       help="print the rule table as Markdown (as in the README)")

    columns = sub.add_parser("columns", help="show how every heading of a file is read, and "
                                             "the rules-file lines that pin that reading")
    columns.add_argument("path", type=Path, metavar="FILE",
                         help="a workbook (.xlsx, .xlsm, .xls, .ods) or CSV file")
    columns.add_argument("--rules", type=Path, metavar="FILE",
                         help="rules file laid over the bundled defaults (its layouts apply)")

    explain = sub.add_parser("explain", help="print a rule's documentation and settings, or "
                             "one setting's value and docs")
    explain.add_argument("code", help="rule code, e.g. NMR102, or a setting, e.g. "
                         "settings.date_order")
    explain.add_argument("--rules", type=Path, metavar="FILE",
                         help="rules file whose setting values to show (default: the bundled "
                              "defaults)")
    explain.add_argument("--as-of", type=_as_of, metavar="YYYY-MM-DD",
                         help="mark the version of each dated setting in force on this date "
                              "of service (default: today)")

    units = sub.add_parser("units", help="billable units for timed minutes")
    units.add_argument("minutes", nargs="+", metavar="MINUTES",
                       help="minutes per service, e.g. 24 23, or CODE=MIN: 97112=24 97110=23")
    units.add_argument("--method", choices=("cms", "ama"), default="cms",
                       help="CMS 8-minute rule (default) or AMA midpoint rule")
    units.add_argument("--rules", type=Path, metavar="FILE",
                       help="rules file whose [codes] timed says which codes are timed")

    addin = sub.add_parser("addin", help="the Excel add-in (nmr-xl.xlam): install, check, "
                                          "uninstall, build")
    addin_sub = addin.add_subparsers(dest="addin_command", required=True)
    addin_sub.add_parser("install", help="put the add-in into Excel for this Python and check "
                                         "everything it needs (Windows, macOS)")
    addin_sub.add_parser("doctor", help="check the add-in's whole chain and say how to fix "
                                        "each problem; changes nothing")
    addin_sub.add_parser("uninstall", help="take the add-in out of Excel")
    build = addin_sub.add_parser("build", help="build the add-in from xlwings' template "
                                               "(needs the test extra)")
    build.add_argument("--out", type=Path, default=Path(ADDIN_NAME), metavar="PATH",
                       help=f"where to write it (default: ./{ADDIN_NAME}; the repository's copy "
                            f"is workbooks/{ADDIN_NAME})")
    return parser


def _reference_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mue", type=Path, metavar="FILE", action="append",
                        help="CMS practitioner MUE file (CSV) for NMR105; repeat for several "
                             "quarters (each in force from the date in its name)")
    parser.add_argument("--ncci", type=Path, metavar="FILE", action="append",
                        help="CMS practitioner PTP edit file (tab-separated) for NMR306; "
                             "repeat for each of CMS's files (f1..f4), and for several quarters")


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.rules, mue_file=args.mue, ncci_file=args.ncci)


class Stopped(KeyboardInterrupt):
    """The run was stopped by a signal (Ctrl-C, `kill`, the terminal closing): the finally
    blocks still run, so the private work folder (extracted attachments, findings) is removed,
    the workers are stopped and --out is released."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                      if hasattr(signal, name))


@contextmanager
def _stoppable() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP stop the run the same way, through Stopped; once one came,
    the others are ignored while the run cleans up (a second Ctrl-C must not cut that short
    and print a traceback)."""
    def stop(signum: int, frame: FrameType | None) -> None:
        for each in previous:
            signal.signal(each, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {}
    try:
        for each in _STOP_SIGNALS:
            if signal.getsignal(each) is not signal.SIG_IGN:  # nohup, a background job: stays
                previous[each] = signal.signal(each, stop)
    except ValueError:  # not the main thread (an embedding program): keep its handlers
        pass
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # argparse exits 2 on misuse, as documented
    _printable_stdout()
    with _stoppable():
        return _main(args)


def _printable_stdout() -> None:
    """A name the terminal's encoding cannot show (a Linux file name that is not UTF-8, a
    Chinese name in a Windows console redirected to a file) is printed escaped (\\udcff), never
    a traceback. stderr does this already."""
    stream = sys.stdout
    if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
        with suppress(Exception):  # a stream that cannot be changed stays as it is
            stream.reconfigure(errors="backslashreplace")


def _main(args: argparse.Namespace) -> int:
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rules":
            if args.markdown:
                print(rules_table())
                return EXIT_OK
            return _rules(_config(args), args.as_of or dt.date.today())
        if args.command == "explain":
            return _explain(args.code, args.rules, args.as_of or dt.date.today())
        if args.command == "columns":
            return _columns(args.path, load_config(args.rules))
        if args.command == "addin":
            return _addin(args)
        return _units(args.minutes, args.method, load_config(args.rules))
    except (ConfigError, UsageError) as exc:
        print(f"nmr-xl: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `nmr-xl rules | head -1`: the reader has all it wanted
        stdout_gone()
        return EXIT_OK
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        print("nmr-xl: interrupted" if signum == signal.SIGINT else
              f"nmr-xl: stopped ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + signum


# --- check ----------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    config = _config(args)
    as_of = args.as_of or dt.date.today()
    if args.report is not None and str(args.report) == "-":
        args.report, args.format = None, "json"  # `--report -`: the JSON report on stdout
    _check_destinations(args)
    # private (0700): e-mail attachments, and the findings, spooled there until reported
    try:
        work = Path(tempfile.mkdtemp(prefix="nmr-xl-"))
    except OSError as exc:
        raise UsageError(f"no temporary folder can be made ({_reason(exc)}); set TMPDIR to a "
                         "folder you can write") from None
    try:
        items = collect(args.paths, work, exclude=[args.out] if args.out else [])
        _no_silent_folders(args.paths, items)
        _report_is_no_input(args.report, items)
        options = BatchOptions(as_of, args.out, work, annotate=not args.no_annotate,
                               jobs=args.jobs or default_jobs(), force=args.force,
                               extras=_extras(args), task_seconds=_task_seconds(args))
        with ExitStack() as held:
            if args.out and options.annotate:  # --no-annotate writes nothing at all
                options.out_problem = _hold_out_dir(args.out, held)
            show = sys.stderr.isatty()  # the bar is drawn on stderr: stdout stays the report
            try:
                with batch_progress(len(items), enabled=show) as bar:
                    entries = run_batch(items, config, options, bar.done, bar.tick)
            except Interrupted as stopped:
                if args.out and options.writes and stopped.done:
                    # the copies finished before the stop are complete: the next run skips
                    # them instead of checking everything again
                    with suppress(OSError):
                        remember(stopped.done, config, options)
                raise stopped.cause from None
            problems = [] if options.out_problem is None else [
                f"{options.out_problem}: no annotated copy, batch summary or state file was "
                "written there"]
            if args.out and options.writes:
                try:
                    remember(entries, config, options)
                except OSError as exc:
                    problems.append(f"{args.out}: the state file could not be saved "
                                    f"({_reason(exc)}); the next run checks every input again")
            return _report(args, entries, as_of, options, problems)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_destinations(args: argparse.Namespace) -> None:
    """Misuse of --out and --report found before any work: a file given as the output
    folder, a folder or a spreadsheet's name given as the report file."""
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"{args.out}: --out must be a folder, and this is a file")
    report = args.report
    if report is None:
        return
    if report.is_dir():
        raise UsageError(f"{report}: --report must be a file name (like report.json), and "
                         "this is a folder")
    if report.name in (STATE_FILE, LOCK_FILE):
        raise UsageError(f"{report}: --report names nmr-xl's own {report.name}; give the "
                         "report a name of its own")
    if report.suffix.lower() in INPUT_EXTS:
        raise UsageError(f"{report}: --report writes a JSON file; give it a name ending in "
                         f".json (a {report.suffix} name would be mistaken for a spreadsheet "
                         "or overwrite one)")


def _names_an_input(path: Path, entries: list[BatchEntry]) -> bool:
    return _is_input(path, [entry.item for entry in entries])


def _is_input(path: Path, items: list[InboxItem]) -> bool:
    """Whether `path` is one of the inputs, or a file an input came in (an e-mail, a zip)."""
    if not path.exists():
        return False
    target = resolved(path)
    return any(resolved(each) == target for item in items
               for each in (item.path, item.origin) if each is not None)


def _report_is_no_input(report: Path | None, items: list[InboxItem]) -> None:
    """--report must never overwrite an input, whatever its name."""
    if report is not None and _is_input(report, items):
        raise UsageError(f"{report}: --report names one of the inputs; give the report a name "
                         "of its own (an input is never overwritten)")


def _hold_out_dir(out: Path, held: ExitStack) -> str | None:
    """Make the output folder and hold it for this run (one run writes to a folder at a time),
    then remove what an interrupted run left there. Returns why the folder cannot be written,
    or None; raises UsageError when another run keeps holding it."""
    def waiting() -> None:
        if sys.stderr.isatty():  # a person is watching: say why nothing happens yet
            print(f"nmr-xl: waiting for another nmr-xl run to finish writing to {out} ...",
                  file=sys.stderr)

    try:
        out.mkdir(parents=True, exist_ok=True)
        held.enter_context(claim(out, waiting=waiting))
    except OutputBusy as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        return f"the output folder {out} cannot be written ({_reason(exc)})"
    remove_leftovers(out)
    return None


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _task_seconds(args: argparse.Namespace) -> float | None:
    if args.timeout is None:
        return DEFAULT_TASK_SECONDS
    return args.timeout * 60 or None


def _extras(args: argparse.Namespace) -> Extras:
    """--packets and --pdf; without LibreOffice, one line says how to get it and the run goes
    on without PDFs."""
    pdf = args.pdf and not args.no_annotate
    if pdf and find_soffice() is None:
        print(f"nmr-xl: {NOT_INSTALLED}", file=sys.stderr)
        pdf = False
    return Extras(packets=args.packets and not args.no_annotate, pdf=pdf)


def _report(args: argparse.Namespace, entries: list[BatchEntry], as_of: dt.date,
            options: BatchOptions, problems: list[str]) -> int:
    """The batch summary, the reports and the exit code. Each reads the findings back from
    the work folder, one input at a time; the totals are computed once for all of them."""
    inputs = [entry.as_input() for entry in entries]
    totals = batch_totals(inputs)
    summary = None
    if args.out and options.writes and _is_batch(args.paths) and _names_an_input(
            args.out / SUMMARY_FILE, entries):
        problems.append(f"{args.out / SUMMARY_FILE}: the batch summary was not written: that "
                        "file is one of the inputs, and an input is never overwritten")
    elif args.out and options.writes and _is_batch(args.paths):
        with quiet_failed_saves():
            try:
                summary = write_batch_summary(inputs, totals, args.out, as_of)
            except OSError as exc:
                problems.append(f"{args.out}: the batch summary could not be written "
                                f"({_reason(exc)})")
    try:
        if args.format == "text":
            batch = len(entries) > 1
            for line in report_text(entries, batch=batch, quiet=args.quiet):
                print(line)
            if batch:
                for line in batch_footer(inputs, totals, summary):
                    print(line)
        if args.format == "json":
            write_report_json(sys.stdout, entries, as_of, totals)
        sys.stdout.flush()
    except BrokenPipeError:  # `nmr-xl check ... | head`: the report file and exit code still count
        stdout_gone()
    if args.report:
        _write_report(args.report, entries, as_of, totals)
    for problem in problems:
        print(f"nmr-xl: {problem}", file=sys.stderr)
    if problems or any(entry.result.write_error for entry in entries):
        return EXIT_ERROR
    return _exit_code(entries, args.fail_on)


def stdout_gone() -> None:
    """The program reading our output stopped (`| head`): send the rest nowhere, so that
    Python's own flush at exit does not fail too and print a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _is_batch(paths: list[Path]) -> bool:
    """Several paths, a folder, an e-mail or a zip: a batch, which gets batch-summary.xlsx.
    One workbook or CSV file named alone gets its annotated copy only (its own summary sheet
    says all a batch summary would)."""
    return len(paths) > 1 or paths[0].is_dir() or input_ext(paths[0].name) in CONTAINER_EXTS


def _no_silent_folders(paths: list[Path], items: list[InboxItem]) -> None:
    """A folder given on the command line that held nothing to check is a mistake worth a line."""
    for path in paths:
        if path.is_dir() and not any(item.origin is not None and (
                item.origin == path or path in item.origin.parents) for item in items):
            if _holds_our_output(path):
                raise UsageError(f"{path}: nothing to check: this folder holds only nmr-xl's "
                                 "own output (annotated .checked. copies, the batch summary); "
                                 "give the folder the inputs are in")
            raise UsageError(f"{path}: no workbooks (.xlsx, .xlsm, .xls, .ods), CSV files or "
                             "e-mails with spreadsheet attachments in this folder")


def _holds_our_output(folder: Path) -> bool:
    """Whether a folder (an earlier run's --out, given as an input) holds copies or a batch
    summary nmr-xl wrote, which are never checked again."""
    for _, _, names in os.walk(folder):
        if any(".checked." in name.lower() or name == SUMMARY_FILE for name in names):
            return True
    return False


def _write_report(path: Path, entries: list[BatchEntry], as_of: dt.date,
                  totals: BatchTotals) -> None:
    try:
        if _is_stream(path):  # /dev/stdout, a pipe: written to, never replaced by a file
            # (appending: /dev/stdout redirected to a file must keep what was printed there)
            with path.open("a", encoding="utf-8") as out:
                write_report_json(out, entries, as_of, totals)
            return
        with private_file(path) as tmp, tmp.open("w", encoding="utf-8") as out:
            write_report_json(out, entries, as_of, totals)
    except BrokenPipeError:  # --report /dev/stdout | head
        stdout_gone()
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the report ({_reason(exc)})") from None


def _is_stream(path: Path) -> bool:
    """A named pipe or a device, or anything in /dev or /proc (/dev/stdout is a link to the
    run's standard output, whatever that is): a report written there must go into it, never
    replace it (as root, os.replace would swap /dev/null or /dev/stdout for a file)."""
    if os.path.abspath(path).startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def _exit_code(entries: list[BatchEntry], fail_on: str) -> int:
    if any(entry.result.error for entry in entries):
        return EXIT_ERROR
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity(fail_on).rank
    if threshold <= Severity.WARNING.rank and any(entry.result.cannot_check
                                                  for entry in entries):
        return EXIT_FINDINGS  # a file that could not be fully checked is a warning
    found = any(f.severity.rank >= threshold for entry in entries for f in entry.findings)
    return EXIT_FINDINGS if found else EXIT_OK


# --- columns ----------------------------------------------------------------------------------


def _columns(path: Path, config: Config) -> int:
    try:
        with ExitStack() as scratch:
            book = read_input(path, config, scratch)[-1]
    except InputError as exc:
        print(f"{path}: error [{exc.code}] {exc.message}")
        return EXIT_ERROR
    for line in columns_report(path, book):
        print(line)
    return EXIT_OK


# --- rules, explain ---------------------------------------------------------------------------


def rule_status(code: str, config: Config) -> str:
    """"on", "off", or how the payer profiles change it."""
    rule_ = get_rule(code)
    assert rule_ is not None
    level = config.rule_levels.get(code, rule_.severity.value)
    base = "Medicare payers" if rule_.medicare_only else "on"
    if level == "off":
        base = "off"
    elif level != rule_.severity.value:
        base += f" as {level}"
    overrides = [f"{p.id}: {p.rule_levels[code]}" for p in config.profiles.values()
                 if code in p.rule_levels]
    return base + (f" ({', '.join(overrides)})" if overrides else "")


def _rules(config: Config, as_of: dt.date) -> int:
    width = max(len(r.name) for r in all_rules()) + 2
    print(f"{'code':<8}{'name':<{width}}{'default':<9}status")
    for rule_ in all_rules():
        print(f"{rule_.code:<8}{rule_.name:<{width}}{rule_.severity.value:<9}"
              f"{rule_status(rule_.code, config)}")
    for line in ["", *dated_data_text(config, as_of), "", *reference_text(config, as_of)]:
        print(line)
    return EXIT_OK


def _explain(code: str, rules: Path | None, as_of: dt.date) -> int:
    rule_ = get_rule(code)
    gone = RETIRED.get(code.upper())
    if rule_ is None and gone is not None:
        instead = f" (see {', '.join(gone.replaced_by)})" if gone.replaced_by else ""
        raise UsageError(f"{gone.code} ({gone.name}) was retired on "
                         f"{gone.retired.isoformat()}: {gone.why}{instead}")
    setting = find_setting(code) if rule_ is None else None
    if setting is not None:
        print(setting_text(setting, load_config(rules), as_of))
        return EXIT_OK
    if rule_ is None:
        raise UsageError(f"'{code}' is not a rule or a setting; `nmr-xl rules` lists the rules "
                         "and docs/rules.md the settings")
    print(explain_text(rule_, load_config(rules), as_of))
    return EXIT_OK


# --- units ------------------------------------------------------------------------------------

_UNITS_ARG = re.compile(r"(?:([0-9A-Za-z]{5})=)?(\d+(?:\.\d+)?)")


def _units(items: list[str], method: str, config: Config) -> int:
    minutes: dict[str, float] = {}
    untimed: list[str] = []
    for index, item in enumerate(items, start=1):
        match = _UNITS_ARG.fullmatch(item)
        if not match:
            raise UsageError(f"'{item}' is not minutes (30) or CODE=MINUTES (97112=30)")
        label = match.group(1).upper() if match.group(1) else f"service {index}"
        if label in minutes or label in untimed:
            raise UsageError(f"{label} is given twice; add its minutes together")
        if match.group(1) and label not in config.value(TIMED_CODES):
            untimed.append(label)  # billed per service: its minutes earn no units
            continue
        minutes[label] = float(match.group(2))
    for code in untimed:
        print(f"{code} is not a timed code ([codes] timed in the rules file): it is billed per "
              "service, not per 15 minutes, and its minutes do not count toward the units.")
    if not minutes:
        return EXIT_OK
    allocation = allocate(minutes, method)
    name = "CMS 8-minute rule" if method == "cms" else "AMA midpoint rule"
    total = sum(int(m) for m in minutes.values())
    unit_word = "unit" if allocation.total == 1 else "units"
    print(f"{total} timed minutes -> {allocation.total} {unit_word} ({name})")
    for label, m in minutes.items():
        print(f"  {label}: {m:g} min -> {allocation.units_of(label)}")
    return EXIT_OK


# --- addin ------------------------------------------------------------------------------------


def _addin(args: argparse.Namespace) -> int:
    """install and doctor print one line per check and exit 1 while a problem is left;
    anything that stops them (no Excel here, Excel running) is one line on stderr, exit 2."""
    from nmr_xl.excel import install

    try:
        if args.addin_command == "build":
            print(f"built {build_addin(args.out)}")
            return EXIT_OK
        machine = install.Machine.current()
        if args.addin_command == "uninstall":
            removed = install.uninstall(machine)
            print("\n".join(removed) if removed else "nmr-xl's add-in was not installed.")
            print(f"Your settings file stays: {machine.settings_path} (delete it if you no "
                  "longer need it). To remove nmr-xl itself: pip uninstall nmr-xl")
            return EXIT_OK
        if args.addin_command == "install":
            report = install.install(machine)
            done = "nmr-xl add-in installed"
            then = "Start Excel: the nmr-xl tab appears on the ribbon."
        else:
            report = install.doctor(machine)
            done, then = "Checked", "Everything the add-in needs is in place."
    except AddinError as exc:
        raise UsageError(str(exc)) from None
    left = report.problems
    problems = f"{left} problem{'s' if left > 1 else ''} left: see the fixes above."
    print(report.text(f"{done}. {problems if left else then}"))
    return EXIT_FINDINGS if left else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

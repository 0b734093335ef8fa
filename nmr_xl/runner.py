"""Check one file end to end: sniff, read (a workbook or a CSV file), run the rules, plan and
write the annotated copy."""

from __future__ import annotations

import datetime as dt
import gc
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nmr_xl import __version__
from nmr_xl.config.model import Config
from nmr_xl.engine import TableResult, check_table
from nmr_xl.errors import InputError
from nmr_xl.inbox.names import shown
from nmr_xl.model import ColumnRead, Finding, SkippedSheet, Table, Workbook, column_letter
from nmr_xl.plan import FindingTally, SheetExtent, build_plan, tally_findings
from nmr_xl.read.csv_source import CSV_SUFFIXES, CsvData, csv_workbook, load_csv
from nmr_xl.read.html_source import load_html
from nmr_xl.read.package import Package, inspect, mend, too_many_cells_to_copy
from nmr_xl.read.rows import sentence as not_charges_sentence
from nmr_xl.read.sources import read_workbook, sniff
from nmr_xl.read.table import SEVERAL_LINES_A_ROW

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
# Everything check_file reads (CSV by its extension): for callers that search folders
INPUT_SUFFIXES = WORKBOOK_SUFFIXES | CSV_SUFFIXES


@dataclass
class SheetReport:
    name: str
    header_row: int
    rows: int
    columns: dict[str, str]
    not_run: list[str]
    reads: list[ColumnRead] = field(default_factory=list)  # how every heading was read
    not_charges: dict[str, int] = field(default_factory=dict)  # rows that are not charges
    notes: list[str] = field(default_factory=list)  # about the reading
    missing: list[str] = field(default_factory=list)  # critical fields with no column

    @classmethod
    def of(cls, checked: TableResult) -> SheetReport:
        t = checked.table
        return cls(t.sheet, t.header_row, len(t.lines), t.mapping(), checked.not_run, t.reads,
                   t.not_charges, t.notes, [f.value for f in checked.missing])

    @property
    def guessed(self) -> list[ColumnRead]:
        return [r for r in self.reads if r.guessed]


@dataclass
class FileResult:
    input: str
    output: str | None = None
    error: InputError | None = None
    warnings: list[str] = field(default_factory=list)
    # the file could not be fully checked (a sheet lacks a column whole rule families need):
    # file-level warnings, shown first and caught by --fail-on warning
    cannot_check: list[str] = field(default_factory=list)
    sheets: list[SheetReport] = field(default_factory=list)
    skipped: list[SkippedSheet] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    payers: dict[str, str] = field(default_factory=dict)
    # findings counted by the payer and the rendering provider of their line: the summary
    # sheet shows them, a batch adds them up
    tally: FindingTally = field(default_factory=FindingTally)
    # why the annotated copy could not be written where it belongs (a read-only or full output
    # folder): the check counts, but the run's exit status says something went wrong
    write_error: str | None = None
    packets: list[str] = field(default_factory=list)  # one workbook per rendering provider
    pdfs: list[str] = field(default_factory=list)  # the copy and packets rendered as PDF

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.sheets)


MAX_COPY_STEM_BYTES = 120  # file systems allow 255 bytes a name: room for ".checked.<provider>"


def output_path(source: Path, out_dir: Path | None, macro: bool, number: int = 1) -> Path:
    """`<name>.checked.xlsx` (`<name> (2).checked.xlsx` ... for `number` 2 ...). The name is
    the input's, made fit for a file name of its own: a name that is not UTF-8 (a Linux file
    name may hold any bytes) or holds control characters (a newline) is shown as it reads,
    and a long one is cut so that the copy's name stays within what file systems allow."""
    suffix = ".xlsm" if macro else ".xlsx"
    stem = shown(source.stem, control="_")
    numbered = f" ({number})" if number > 1 else ""
    limit = MAX_COPY_STEM_BYTES - len(numbered)
    if len(stem.encode("utf-8")) > limit:
        stem = stem.encode("utf-8")[:limit].decode("utf-8", "ignore").rstrip(" .") + "…"
    return (out_dir or source.parent) / f"{stem}{numbered}.checked{suffix}"


@dataclass(frozen=True)
class Extras:
    """What a check writes besides the annotated copy, when asked."""

    packets: bool = False  # a workbook per rendering provider, beside the copy
    pdf: bool = False  # the copy (and packets) rendered to PDF with LibreOffice


NO_EXTRAS = Extras()


def check_file(path: Path, config: Config, as_of: dt.date, *, out_dir: Path | None = None,
               annotate: bool = True, dest: Path | None = None,
               extras: Extras = NO_EXTRAS) -> FileResult:
    """Check one workbook or CSV file. User-caused problems end up in `result.error`, never
    raised. The annotated copy goes to `dest` when given, else output_path(path, out_dir, ...)."""
    result = FileResult(input=str(path))
    with gc_paused(), ExitStack() as scratch:
        try:
            read = read_input(path, config, scratch)
            kind, csv_data, source, package, book = read
            if package is not None and package.bad_checksums:
                result.warnings.append(_CHECKSUM_NOTE)
            result.skipped = book.skipped
            if not book.tables:
                raise _no_table_error(book.skipped, csv_data is not None)
            checked = [check_table(table, config, as_of) for table in book.tables]
            _collect(result, checked)
            if annotate:
                target = dest or output_path(path, out_dir, kind == "xlsm")
                blocker = _copy_blocker(package, csv_data)
                if blocker:
                    result.warnings.append(f"No annotated copy: {blocker}")
                else:
                    _annotate(result, source, target, kind, checked, config, as_of, csv_data,
                              extras)
        except InputError as exc:
            # keep no frames (nor the workbooks in them) alive with the result
            exc.__traceback__ = exc.__context__ = None
            result.error = exc
    return result


def read_input(path: Path, config: Config, scratch: ExitStack
               ) -> tuple[str, CsvData | None, Path, Package | None, Workbook]:
    """What the file is (sniff's kind), its text when it is a CSV file, the file an annotated
    copy is made from, the workbook package's limits (an .xlsx or .xlsm file; python-calamine
    bounds .xls and .ods itself), and its tables. Raises InputError for a file that cannot be
    read; temporary files go into `scratch`."""
    kind = sniff(path)
    if kind in ("csv", "html"):  # a web page saved as .xls is read as its text, as CSV is
        csv_data = load_csv(path) if kind == "csv" else load_html(path)
        return "csv", csv_data, path, None, csv_workbook(csv_data, config)
    if kind not in ("xlsx", "xlsm"):
        return kind, None, path, None, read_workbook(path, config, kind=kind)
    package = inspect(path)
    source, book = _read_package(path, package, config, scratch, kind)
    return kind, None, source, package, book


_CHECKSUM_NOTE = ("Some parts of the workbook's zip package carry checksums that do not match "
                  "their content (Excel does not check them); it was read as Excel reads it.")


def _read_package(path: Path, package: Package, config: Config, scratch: ExitStack,
                  kind: str) -> tuple[Path, Workbook]:
    """Read a workbook package within the limits inspect() found: sheets too large are skipped,
    and the readers get a mended copy (in a private temporary folder) when the package needs
    one. Returns the file the annotated copy is to be made from, and the workbook read."""
    refused = package.refused_sheets()
    if "" in refused:  # a worksheet part the sheet list did not name: which sheet is unclear
        raise _no_table_error([SkippedSheet("(unnamed)", refused[""])])
    source = calamine_source = path
    if package.needs_mending():
        folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="nmr-xl-")))
        source, calamine_source = mend(path, package, folder)
    book = read_workbook(calamine_source, config, kind=kind, refused=refused,
                         error_sheets=package.error_sheets())
    book.skipped.extend(SkippedSheet(name, reason) for name, reason in package.unopenable.items())
    return source, book


def _copy_blocker(package: Package | None, csv_data: CsvData | None) -> str | None:
    """Why no annotated copy can be written at all (too many cells for openpyxl)."""
    if package is not None:
        return package.copy_blocker()
    if csv_data is None:
        return None  # an .xls / .ods workbook: at most 65,536 rows (.xls); its values are copied
    return too_many_cells_to_copy(sum(len(row) for row in csv_data.rows), "file")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Lines and findings are plain acyclic objects: the cyclic collector only re-scans them,
    a third of the run time on a big sheet (measured). Reference counting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _no_table_error(skipped: list[SkippedSheet], csv: bool = False) -> InputError:
    large = [s for s in skipped if s.reason.startswith("too large")]
    if large:
        return InputError("too-large", "; ".join(f"sheet {s.name} is {s.reason}" for s in large))
    broken = [s for s in skipped if s.reason.startswith("cannot be read")]
    if broken:
        return InputError("corrupt", "; ".join(f"sheet {s.name} {s.reason}" for s in broken))
    if not skipped or all(s.reason == "empty" for s in skipped):
        return InputError("empty", f"the {'CSV file' if csv else 'workbook'} has no data")
    wide = [s for s in skipped if s.reason.startswith(SEVERAL_LINES_A_ROW)]
    if wide:  # a layout seen and refused: say which and why, not "no billing table"
        return InputError("no-billing-table", "; ".join(
            f"the sheet '{s.name}' cannot be checked: {s.reason}" for s in wide))
    where = "the CSV file has no" if csv else "no sheet has a"
    return InputError("no-billing-table",
                      f"{where} billing table: a header row naming a CPT/procedure code "
                      "column and at least two other billing columns (date of service, units, "
                      "patient ...)")


def _collect(result: FileResult, checked: list[TableResult]) -> None:
    for tr in checked:
        result.sheets.append(SheetReport.of(tr))
        result.cannot_check.extend(tr.cannot_check)
        result.findings.extend(tr.findings)
        result.suppressed += tr.suppressed
        result.payers.update(tr.payers)
    result.tally = tally_findings((tr.table, tr.findings) for tr in checked)


def run_facts(result: FileResult, config: Config, as_of: dt.date) -> list[tuple[str, str]]:
    facts = [
        ("Input", shown(Path(result.input).name)),
        ("Checked as of", as_of.isoformat()),
        ("Rules", "; ".join(config.sources)),
        ("nmr-xl version", __version__),
        ("Sheets checked", "; ".join(f"{s.name} (header row {s.header_row}, {s.rows} billing "
                                     "lines)" for s in result.sheets)),
        ("Billing lines checked", str(result.rows)),
    ]
    if result.skipped:
        facts.append(("Sheets skipped", "; ".join(f"{s.name}: {s.reason}"
                                                  for s in result.skipped)))
    for sheet in result.sheets:
        facts.extend(sheet_facts(sheet))
    if result.payers:
        facts.append(("Payer profiles", "; ".join(
            f"{payer} -> {pid}" + (" (no profile matched)" if pid == "default" else "")
            for payer, pid in sorted(result.payers.items()))))
    facts.append(("Suppressed by markers", str(result.suppressed)))
    return facts


def sheet_facts(sheet: SheetReport) -> list[tuple[str, str]]:
    """How a sheet was read: its columns (guesses marked), columns not read, rows that are not
    charge lines, notes on the reading, rules not run."""
    guessed = {r.column for r in sheet.guessed}
    mapping = ", ".join(
        f"{field} = {header}" + (" (guessed)" if any(
            r.column in guessed and r.field is not None and r.field.value == field
            for r in sheet.reads) else "")
        for field, header in sheet.columns.items())
    facts = [(f"Columns read ({sheet.name})", mapping)]
    if guessed:
        facts.append((f"Columns guessed ({sheet.name})", "; ".join(
            f"{r.heading} ({column_letter(r.column)}) as {r.field.value}: {r.why}"
            for r in sheet.guessed if r.field is not None)))
    unread = [r for r in sheet.reads if r.field is None]
    if unread:
        facts.append((f"Columns not read ({sheet.name})", "; ".join(
            f"{r.heading} ({column_letter(r.column)}): {r.why}" for r in unread)))
    if sheet.not_charges:
        facts.append((f"Not charge lines ({sheet.name})",
                      not_charges_sentence(sheet.not_charges) + "; they were left out"))
    if sheet.notes:
        facts.append((f"Reading notes ({sheet.name})", " ".join(sheet.notes)))
    if sheet.not_run:
        facts.append((f"Rules not run ({sheet.name})", "; ".join(sheet.not_run)))
    return facts


_CONVERTED = ("{} workbook; this copy is a new .xlsx workbook holding its values (formula "
              "results as last calculated): its formulas, formatting, comments, charts and "
              "pictures are not in the copy")


def _annotate(result: FileResult, source: Path, dest: Path, kind: str,
              checked: list[TableResult], config: Config, as_of: dt.date,
              csv_data: CsvData | None = None, extras: Extras = NO_EXTRAS) -> None:
    # openpyxl and lxml: only when writing
    from nmr_xl.write.values_copy import FORMAT_NAMES, values_workbook
    from nmr_xl.write.xlsx import findings_extents, write_copy, write_rows_copy

    facts = run_facts(result, config, as_of)
    if csv_data:
        facts.insert(1, ("Input format", f"{csv_data.format} ({csv_data.describe()}); this "
                                         "copy is a new "
                                         ".xlsx workbook holding every value as text, exactly "
                                         "as in the file"))
    converted = _CONVERTED.format(FORMAT_NAMES[kind]) if kind in FORMAT_NAMES else None
    if converted:
        facts.insert(1, ("Input format", converted))
    tables = [(tr.table, tr.findings) for tr in checked]
    names = [s.name for s in result.sheets] + [s.name for s in result.skipped]
    with ExitStack() as scratch:
        try:
            if converted:  # an .xls / .ods input: its values, in a private temporary .xlsx
                folder = scratch.enter_context(tempfile.TemporaryDirectory(prefix="nmr-xl-"))
                source = values_workbook(source, kind, Path(folder))
            extents = findings_extents(source, {tr.table.sheet: tr.table.last_column
                                                for tr in checked}) if not csv_data else {}
            plan = build_plan(tables, facts, result.payers, extents, names, result.cannot_check,
                              as_of.isoformat(), result.tally)
            if csv_data:
                losses = write_rows_copy(csv_data.rows, csv_data.sheet, dest, plan)
            else:
                losses = write_copy(source, dest, plan, kind == "xlsm",
                                    [tr.table.sheet for tr in checked])
        except InputError as exc:
            result.warnings.append(f"No annotated copy: {exc.message}")
            return
        except MemoryError:  # the worker's ceiling: the check's findings still count
            result.warnings.append("No annotated copy: writing it needed more memory than one "
                                   "input may use")
            return
        except OSError as exc:  # the output folder: read-only, full, not ours to write
            result.write_error = (f"cannot write {shown(dest.name)} in {shown(str(dest.parent))} "
                                  f"({exc.strerror or type(exc).__name__})")
            result.warnings.append(f"No annotated copy: {result.write_error}")
            return
        result.output = str(dest)
        if converted:
            result.warnings.append(converted[:1].upper() + converted[1:] + ".")
        if csv_data:
            result.warnings.append(f"The annotated copy is a new .xlsx workbook made from the "
                                   f"{csv_data.noun} ({csv_data.describe()}): every value "
                                   "is kept as "
                                   "text, exactly as in the file.")
        result.warnings.extend([*plan.notices, *losses])
        if extras.packets:
            if csv_data:
                result.warnings.append("No provider packets: they are written for workbooks, "
                                       "not for CSV files.")
            else:  # inside the scratch block: an .xls / .ods input's values workbook is there
                _packets(result, source, dest, tables, facts, extents, names, as_of)
    if extras.pdf:
        from nmr_xl.pdf import render_pdfs

        result.pdfs, problems = render_pdfs([dest, *map(Path, result.packets)])
        result.warnings.extend(problems)


def _packets(result: FileResult, source: Path, dest: Path,
             tables: list[tuple[Table, list[Finding]]], facts: list[tuple[str, str]],
             extents: dict[str, SheetExtent], names: list[str], as_of: dt.date) -> None:
    """A workbook per rendering provider beside the copy, named by the provider."""
    from nmr_xl.packet import packets
    from nmr_xl.write.xlsx import write_packet_file

    made = packets(tables, facts, result.payers, extents, names, as_of.isoformat(),
                   shown(Path(result.input).name))
    used: set[str] = set()
    for packet in made:
        target = packet_path(dest, packet.provider, used)
        problem = write_packet_file(source, target, packet)
        if problem:
            result.warnings.append(f"No provider packets: {problem}")
            return
        result.packets.append(str(target))


def packet_path(copy: Path, provider: str, used: set[str]) -> Path:
    """`<name>.checked.<provider>.xlsx` beside the copy: the provider's name made safe as a
    file name (it comes from a cell), unique among the packets (as file systems compare)."""
    from nmr_xl.inbox.names import safe_name, unique_name

    stem = copy.name[:-len(copy.suffix)] if copy.suffix else copy.name
    name = unique_name(safe_name(provider, 80, "provider"), used, 80)
    return copy.with_name(f"{stem}.{name}.xlsx")

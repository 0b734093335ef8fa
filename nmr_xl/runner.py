"""Check one file end to end: sniff, read (a workbook or a CSV file), run the rules, plan and
write the annotated copy."""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nmr_xl import __version__
from nmr_xl.config import Config
from nmr_xl.engine import TableResult, check_table
from nmr_xl.errors import InputError
from nmr_xl.model import Finding, SkippedSheet, Table
from nmr_xl.plan import SheetExtent, build_plan
from nmr_xl.read.csv_source import CSV_SUFFIXES, CsvData, csv_workbook, load_csv
from nmr_xl.read.sources import read_workbook, sniff
from nmr_xl.spool import read_findings

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
# Everything check_file reads (CSV by its extension): for callers that search folders
INPUT_SUFFIXES = WORKBOOK_SUFFIXES | CSV_SUFFIXES


@dataclass
class SheetReport:
    name: str
    header_row: int
    rows: int
    columns: dict[str, str]
    not_run: list[str]


@dataclass
class FileResult:
    input: str
    output: str | None = None
    error: InputError | None = None
    warnings: list[str] = field(default_factory=list)
    sheets: list[SheetReport] = field(default_factory=list)
    skipped: list[SkippedSheet] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    payers: dict[str, str] = field(default_factory=dict)
    # findings counted by the payer and the rendering provider of their line (batch totals)
    findings_by_payer: Counter[str] = field(default_factory=Counter)
    findings_by_provider: Counter[str] = field(default_factory=Counter)
    # set by a batch run: what became of the input, where else it arrived from, its e-mail
    disposition: str | None = None
    sources: list[str] = field(default_factory=list)
    email: dict[str, str | None] | None = None
    # a batch moves the findings here once it has counted them (nmr_xl.spool), so that its
    # parent process never holds every finding of the batch at once
    findings_file: Path | None = None
    packets: list[str] = field(default_factory=list)  # one workbook per rendering provider
    pdfs: list[str] = field(default_factory=list)  # the copy and packets rendered as PDF

    def all_findings(self) -> Iterator[Finding]:
        """The findings, one at a time: those held, then those moved to `findings_file`."""
        yield from self.findings
        if self.findings_file is not None:
            yield from read_findings(self.findings_file)

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        return "skipped" if self.disposition == "skipped-unchanged" else "checked"

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.sheets)


def output_path(source: Path, out_dir: Path | None, macro: bool) -> Path:
    suffix = ".xlsm" if macro else ".xlsx"
    return (out_dir or source.parent) / f"{source.stem}.checked{suffix}"


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
    with gc_paused():
        try:
            kind = sniff(path)
            csv_data = load_csv(path) if kind == "csv" else None
            book = csv_workbook(csv_data, config) if csv_data else read_workbook(path, config)
            result.skipped = book.skipped
            if not book.tables:
                raise _no_table_error(book.skipped, csv_data is not None)
            checked = [check_table(table, config, as_of) for table in book.tables]
            _collect(result, checked)
            if annotate:
                target = dest or output_path(path, out_dir, kind == "xlsm")
                _annotate(result, path, target, kind == "xlsm", checked, config, as_of, csv_data,
                          extras)
        except InputError as exc:
            result.error = exc
    return result


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
    broken = [s for s in skipped if s.reason.startswith("cannot be read")]
    if broken:
        return InputError("corrupt", "; ".join(f"sheet {s.name} {s.reason}" for s in broken))
    if not skipped or all(s.reason == "empty" for s in skipped):
        return InputError("empty", f"the {'CSV file' if csv else 'workbook'} has no data")
    where = "the CSV file has no" if csv else "no sheet has a"
    return InputError("no-billing-table",
                      f"{where} billing table: a header row naming a CPT/procedure code "
                      "column and at least two other billing columns (date of service, units, "
                      "patient ...)")


def _collect(result: FileResult, checked: list[TableResult]) -> None:
    for tr in checked:
        t = tr.table
        result.sheets.append(SheetReport(t.sheet, t.header_row, len(t.lines), t.mapping(),
                                         tr.not_run))
        result.findings.extend(tr.findings)
        result.suppressed += tr.suppressed
        result.payers.update(tr.payers)
        lines = {line.row: line for line in t.lines}
        for f in tr.findings:
            line = lines.get(f.row)
            result.findings_by_payer[(line.payer if line else None) or "(no payer)"] += 1
            result.findings_by_provider[(line.provider if line else None) or "(no provider)"] += 1


def run_facts(result: FileResult, config: Config, as_of: dt.date) -> list[tuple[str, str]]:
    facts = [
        ("Input", Path(result.input).name),
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
        mapping = ", ".join(f"{field} = {header}" for field, header in sheet.columns.items())
        facts.append((f"Columns read ({sheet.name})", mapping))
        if sheet.not_run:
            facts.append((f"Rules not run ({sheet.name})", "; ".join(sheet.not_run)))
    if result.payers:
        facts.append(("Payer profiles", "; ".join(
            f"{payer} -> {pid}" + (" (no profile matched)" if pid == "default" else "")
            for payer, pid in sorted(result.payers.items()))))
    facts.append(("Suppressed by markers", str(result.suppressed)))
    return facts


def _annotate(result: FileResult, source: Path, dest: Path, macro: bool,
              checked: list[TableResult], config: Config, as_of: dt.date,
              csv_data: CsvData | None = None, extras: Extras = NO_EXTRAS) -> None:
    # openpyxl and lxml: only when writing
    from nmr_xl.write.xlsx import findings_extents, write_copy, write_rows_copy

    facts = run_facts(result, config, as_of)
    if csv_data:
        facts.insert(1, ("Input format", f"CSV ({csv_data.describe()}); this copy is a new "
                                         ".xlsx workbook holding every value as text, exactly "
                                         "as in the file"))
    tables = [(tr.table, tr.findings) for tr in checked]
    names = [s.name for s in result.sheets] + [s.name for s in result.skipped]
    extents = findings_extents(source, {tr.table.sheet: tr.table.last_column for tr in checked}
                               ) if not csv_data else {}
    plan = build_plan(tables, facts, result.payers, extents, names, as_of.isoformat())
    try:
        if csv_data:
            losses = write_rows_copy(csv_data.rows, csv_data.sheet, dest, plan)
        else:
            losses = write_copy(source, dest, plan, macro, [tr.table.sheet for tr in checked])
    except InputError as exc:
        result.warnings.append(f"No annotated copy: {exc.message}")
        return
    result.output = str(dest)
    if csv_data:
        result.warnings.append(f"The annotated copy is a new .xlsx workbook made from the CSV "
                               f"file ({csv_data.describe()}): every value is kept as text, "
                               "exactly as in the file.")
    result.warnings.extend([*plan.notices, *losses])
    if extras.packets:
        if csv_data:
            result.warnings.append("No provider packets: they are written for .xlsx and .xlsm "
                                   "workbooks, not for CSV files.")
        else:
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
                   Path(result.input).name)
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
    from nmr_xl.inbox import safe_name, unique_name

    stem = copy.name[:-len(copy.suffix)] if copy.suffix else copy.name
    name = unique_name(safe_name(provider, 80, "provider"), used, 80)
    return copy.with_name(f"{stem}.{name}.xlsx")

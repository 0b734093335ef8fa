"""Findings -> AnnotationPlan: what every writer applies (cell styles, notes, findings column,
summary sheet). Computed once, so the openpyxl copy and the in-place Excel check cannot drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from nmr_xl.model import Field, Finding, Severity, Table
from nmr_xl.print_layout import (
    OwnPrint,
    PageSetup,
    SheetFont,
    findings_width,
    line_points,
    row_points,
    sheet_page_setup,
)
from nmr_xl.rules import get_rule

FINDINGS_HEADER = "nmr-xl findings"
SUMMARY_SHEET = "nmr-xl summary"
NOTE_AUTHOR = "nmr-xl"
NOTE_SEPARATOR = "\n\n— nmr-xl —\n"
FINDINGS_SHEET = "nmr-xl findings"  # where the findings go when no column is free
MAX_COLUMNS = 16_384  # what one Excel sheet holds (column XFD)
MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class Style:
    """Excel's built-in "Bad" / "Neutral" colours, and a light blue for information."""

    fill: str  # RRGGBB
    font: str
    label: str
    meaning: str


STYLES: dict[Severity, Style] = {
    Severity.ERROR: Style("FFC7CE", "9C0006", "Error",
                          "Will be denied or is non-compliant as billed: fix before submitting."),
    Severity.WARNING: Style("FFEB9C", "9C5700", "Warning",
                            "Likely to be questioned: check the notes and fix or document."),
    Severity.INFO: Style("DDEBF7", "1F4E78", "Info",
                         "Worth a look: possible lost revenue or a stale marker."),
}


@dataclass(frozen=True)
class CellMark:
    sheet: str
    row: int
    col: int
    severity: Severity  # the worst finding on the cell
    note: str


@dataclass(frozen=True)
class FindingsColumn:
    sheet: str
    col: int
    header_row: int
    entries: dict[int, tuple[Severity, str]]  # row -> worst severity, text
    # None: in `sheet` itself, at `col`. Else the name of a sheet of its own that holds them
    # row for row (row N's findings in row N) in column `col` (1), as `sheet` has no free column.
    on_sheet: str | None = None
    width: float = 30.0  # in characters; its text wraps
    heights: dict[int, float] = field(default_factory=dict)  # rows the wrapped text needs, in
    # points (a row is made this tall unless it is taller)
    font: SheetFont = field(default_factory=SheetFont)  # the sheet's own font, for our cells


@dataclass(frozen=True)
class SheetExtent:
    """What a writer sees of a sheet beyond the billing table, to place the findings column: the
    reader that sized the table does not see a formula without a stored result or an empty text."""

    last_column: int  # the last column any cell is in (0: none)
    taken: frozenset[int] = frozenset()  # columns right of the table holding a value or formula
    # columns just right of an Excel table: writing there in Excel widens the table over them
    table_ends: frozenset[int] = frozenset()
    # columns the findings must pass over: hidden ones, or with merged cells in the table's rows
    skip: frozenset[int] = frozenset()
    own: OwnPrint = field(default_factory=OwnPrint)  # its own print settings, widths and font


@dataclass(frozen=True)
class FindingTally:
    """Findings counted by the payer and by the rendering provider of their line, in the order
    first found: a copy's summary sheet shows them, and a batch adds them up."""

    by_payer: Counter[str] = field(default_factory=Counter)
    by_provider: Counter[str] = field(default_factory=Counter)


def tally_findings(tables: Iterable[tuple[Table, list[Finding]]]) -> FindingTally:
    tally = FindingTally()
    for table, findings in tables:
        lines = {line.row: line for line in table.lines}
        for f in findings:
            line = lines.get(f.row)
            tally.by_payer[(line.payer if line else None) or "(no payer)"] += 1
            tally.by_provider[(line.provider if line else None) or "(no provider)"] += 1
    return tally


@dataclass
class SummaryData:
    facts: list[tuple[str, str]]
    by_severity: list[tuple[str, int]]
    by_rule: list[tuple[str, str, str, int]]  # code, name, default severity, count
    by_payer: list[tuple[str, str, int]]  # payer, profile, findings
    by_provider: list[tuple[str, int]]
    findings: list[Finding]
    # the file could not be fully checked: shown first, above the run facts
    warnings: list[str] = field(default_factory=list)
    font: SheetFont = field(default_factory=SheetFont)  # the checked sheet's font, for the summary
    checked_as_of: str | None = None  # for the page header


@dataclass
class AnnotationPlan:
    cells: list[CellMark]
    columns: list[FindingsColumn]
    summary: SummaryData
    notices: list[str] = field(default_factory=list)  # for the run's warnings (also in the facts)
    pages: dict[str, PageSetup] = field(default_factory=dict)  # checked sheet -> its page setup


def note_text(findings: list[Finding]) -> str:
    """The note on one cell: what is wrong, what to do, why, and the source, per finding."""
    parts = []
    for f in findings:
        rule_ = get_rule(f.rule)
        docs = rule_.docs if rule_ else None
        text = f"{f.rule} {f.name} ({f.severity.value})\n{f.message}\nWhat to do: {f.suggestion}"
        if docs:
            why = docs.why.split(". ")[0].rstrip(".") + "."
            text += f"\nWhy: {why}\nSource ({docs.source_kind}): {docs.source}"
        parts.append(text)
    return "\n\n".join(parts)


def findings_cell_text(findings: list[Finding], separator: str = "\n") -> str:
    """A line's findings, one per line (the findings column wraps; the notes hold the
    explanations), or joined by `separator` where a cell shows one line."""
    return separator.join(f"{f.rule} {f.severity.value}: {f.message}" for f in findings)


def findings_column(sheet: str, col: int, header_row: int,
                    entries: dict[int, tuple[Severity, str]], font: SheetFont,
                    on_sheet: str | None = None) -> FindingsColumn:
    """The column with its width and the heights its wrapped text needs."""
    width = findings_width([FINDINGS_HEADER, *(text for _, text in entries.values())])
    one_line = line_points(font.size) + 2
    heights = {row: height for row, (_, text) in entries.items()
               if (height := row_points(text, width, font.size)) > one_line}
    return FindingsColumn(sheet, col, header_row, entries, on_sheet, width, heights, font)


def worst_severity(findings: list[Finding]) -> Severity:
    return max((f.severity for f in findings), key=lambda s: s.rank)


def findings_column_at(table_last: int, extent: SheetExtent | None) -> int | None:
    """The column right of a table whose last column is `table_last` where its findings go, or
    None when none is free within the MAX_COLUMNS a sheet holds. The next column, unless
    something is in it or it would widen an Excel table; then the first column past every used
    one (and past a table ending there)."""
    wanted = table_last + 1
    if extent is not None:
        if wanted in extent.taken or wanted in extent.table_ends:
            wanted = max(extent.last_column, table_last) + 1
        if wanted in extent.table_ends:
            wanted += 1
        while wanted in extent.skip:
            wanted += 1
    return wanted if wanted <= MAX_COLUMNS else None


def _free_name(wanted: str, taken: set[str]) -> str:
    name, n = wanted, 2
    while name.lower() in taken:
        name, n = f"{wanted} ({n})", n + 1
    taken.add(name.lower())
    return name


def build_plan(tables: list[tuple[Table, list[Finding]]], facts: list[tuple[str, str]],
               payers: dict[str, str], extents: Mapping[str, SheetExtent] | None = None,
               sheet_names: Collection[str] = (), warnings: list[str] | None = None,
               checked_as_of: str | None = None, tally: FindingTally | None = None
               ) -> AnnotationPlan:
    """`extents` (by sheet) place the findings columns and lay out the pages; `sheet_names` are
    the workbook's sheets, so that a findings sheet of our own gets a name of its own;
    `warnings` say the file could not be fully checked (shown first on the summary sheet);
    `checked_as_of` goes into the page headers; `tally` is tally_findings(tables), when the
    caller has it already."""
    cells: list[CellMark] = []
    columns: list[FindingsColumn] = []
    notices: list[str] = []
    pages: dict[str, PageSetup] = {}
    names = {name.lower() for name in sheet_names}
    all_findings: list[Finding] = []
    for table, findings in tables:
        all_findings.extend(findings)
        by_cell: dict[tuple[int, int], list[Finding]] = {}
        by_row: dict[int, list[Finding]] = {}
        for f in findings:
            by_cell.setdefault((f.row, f.col_index), []).append(f)
            by_row.setdefault(f.row, []).append(f)
        cells.extend(CellMark(table.sheet, row, col, worst_severity(fs), note_text(fs))
                     for (row, col), fs in by_cell.items())
        entries = {row: (worst_severity(fs), findings_cell_text(fs)) for row, fs in by_row.items()}
        extent = (extents or {}).get(table.sheet)
        own = extent.own if extent else OwnPrint()
        col = findings_column_at(table.last_column, extent)
        if col is not None:
            column = findings_column(table.sheet, col, table.header_row, entries, own.font)
        else:
            on_sheet = _free_name(FINDINGS_SHEET, names)
            column = findings_column(table.sheet, 1, table.header_row, entries, own.font,
                                     on_sheet)
            notices.append(f"The sheet '{table.sheet}' has no free column right of its table "
                           f"(a sheet holds {MAX_COLUMNS:,} columns), so its findings column is "
                           f"on the sheet '{on_sheet}', row for row.")
        columns.append(column)
        ids = [c for f in (Field.PATIENT, Field.PATIENT_NAME, Field.DOS)
               if (c := table.column_of(f)) is not None]
        pages[table.sheet] = sheet_page_setup(
            own, table.last_column, None if col is None else (col, column.width),
            table.header_row, ids, checked_as_of)
    if tally is None:
        tally = tally_findings(tables)

    severity_counts = Counter(f.severity for f in all_findings)
    rule_counts = Counter(f.rule for f in all_findings)
    by_rule = []  # most found first: the chart shows them in this order
    for code, count in sorted(rule_counts.items(), key=lambda item: (-item[1], item[0])):
        rule_ = get_rule(code)
        by_rule.append((code, rule_.name if rule_ else "", rule_.severity.value if rule_ else "",
                        count))
    summary = SummaryData(
        facts=[*facts, *(("Findings column", notice) for notice in notices)],
        by_severity=[(s.value, severity_counts.get(s, 0)) for s in Severity],
        by_rule=by_rule,
        by_payer=[(p, payers.get(p, "default"), n) for p, n in tally.by_payer.most_common()],
        by_provider=tally.by_provider.most_common(),
        findings=all_findings,
        warnings=list(warnings or ()),
        font=columns[0].font if columns else SheetFont(),
        checked_as_of=checked_as_of,
    )
    return AnnotationPlan(cells, columns, summary, notices, pages)

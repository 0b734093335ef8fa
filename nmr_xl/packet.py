"""One packet per rendering provider, as data: which lines (worksheet rows) each provider's
workbook keeps, the annotation plan for just those lines, and the cover sheet that says in plain
words what to fix first, grouped by problem, with the why and the source of each.

A packet holds only its provider's lines: every other line, and everything else that could name
another patient (other sheets, the rows below a table, the sheet's own notes, formulas that
reach into other rows, charts, tables, defined names, the document properties) is left out by
the writer; LEFT_OUT says so on the cover. Rows keep the numbers they have in the full workbook,
so a doctor and a biller talk about the same rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from nmr_xl.model import Field, Finding, Severity, Table
from nmr_xl.plan import STYLES, AnnotationPlan, SheetExtent, build_plan
from nmr_xl.print_layout import (
    FOOTER,
    Margins,
    PageSetup,
    SheetFont,
    header_text,
    line_points,
    page_breaks,
    row_points,
    usable_points,
)
from nmr_xl.rules import get_rule
from nmr_xl.summary_layout import (
    BOLD,
    BOLD_WRAPPED,
    TITLE,
    WRAPPED,
    CellStyle,
    SummaryLayout,
    legend_style,
    link_to,
)

NO_PROVIDER = "(no rendering provider)"
COVER_SHEET = "What to fix first"
LEFT_OUT = (
    "Only the lines billed under this provider are in this workbook. Every other line, and so "
    "every other patient, is left out: their rows are not in the file at all (the rows between "
    "yours are empty placeholders, hidden so that the pages print without gaps). Row numbers "
    "are those of the full workbook, so you and your biller mean the same rows.",
    "Also left out, as they may name other patients: the workbook's other sheets, the rows "
    "below the billing table (totals), the sheet's own notes, pictures, charts, Excel tables, "
    "filters, conditional formats, links and defined names, and the document properties. "
    "Formulas are kept as the values they last showed.",
)
_WIDTHS = {1: 14.0, 2: 80.0}  # label, text (B): portrait Letter or A4 at 100%
_MARGINS = Margins(left=0.6, right=0.6, top=0.75, bottom=0.75, header=0.3, footer=0.3)


@dataclass
class Packet:
    """One provider's workbook: the rows kept on each checked sheet and what to mark there."""

    provider: str  # as the sheets write it, or NO_PROVIDER
    rows: dict[str, frozenset[int]]  # sheet -> the worksheet rows kept (titles, header, lines)
    plan: AnnotationPlan
    cover: SummaryLayout
    lines: int = 0
    findings: list[Finding] = field(default_factory=list)


def provider_of(provider: str | None) -> str:
    return " ".join(provider.split()) if provider and provider.strip() else NO_PROVIDER


def packets(tables: list[tuple[Table, list[Finding]]], facts: list[tuple[str, str]],
            payers: dict[str, str], extents: Mapping[str, SheetExtent] | None,
            sheet_names: list[str], checked_as_of: str | None, input_name: str
            ) -> list[Packet]:
    """A packet per rendering provider of the tables' lines (lines without one: a packet of
    their own), providers in order of first appearance."""
    by_provider: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for table, _ in tables:
        for line in table.lines:
            by_provider[provider_of(line.provider)][table.sheet].append(line.row)
    result = []
    for provider, sheets in by_provider.items():
        subset: list[tuple[Table, list[Finding]]] = []
        rows: dict[str, frozenset[int]] = {}
        for table, findings in tables:
            mine = set(sheets.get(table.sheet, ()))
            if not mine:
                continue
            lines = [line for line in table.lines if line.row in mine]
            subset.append((replace(table, lines=lines),
                           [f for f in findings if f.row in mine]))
            rows[table.sheet] = frozenset(range(1, table.header_row + 1)) | frozenset(mine)
        plan = build_plan(subset, facts, payers, extents, sheet_names,
                          checked_as_of=checked_as_of)
        found = [f for _, fs in subset for f in fs]
        count = sum(len(t.lines) for t, _ in subset)
        column = any(table.has(Field.PROVIDER) for table, _ in subset)
        cover = cover_layout(provider, input_name, checked_as_of, count, found,
                             plan.summary.font, column)
        result.append(Packet(provider, rows, plan, cover, count, found))
    return result


# --- the cover ----------------------------------------------------------------------------------


def _problems(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings by rule: errors first, then the most found."""
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[f.rule].append(f)
    return sorted(groups.items(), key=lambda item: (
        -max(f.severity.rank for f in item[1]), -len(item[1]), item[0]))


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


def cover_layout(provider: str, input_name: str, checked_as_of: str | None, lines: int,
                 findings: list[Finding], font: SheetFont, provider_column: bool = True
                 ) -> SummaryLayout:
    """The cover sheet: who and what, then each problem with why, source and the lines."""
    layout = SummaryLayout(font=font, widths=dict(_WIDTHS))
    name = provider if provider != NO_PROVIDER else "lines without a rendering provider"
    layout.put(1, 1, f"Billing check: {name}", TITLE)
    severities = Counter(f.severity for f in findings)
    facts = [("Workbook", input_name), ("Checked as of", checked_as_of or ""),
             ("Your lines", _count(lines, "billing line")),
             ("Found", ", ".join(_count(severities.get(s, 0), s.value) for s in Severity)
              if findings else "nothing to fix")]
    if provider == NO_PROVIDER:
        facts.insert(2, ("Provider", "These lines name no rendering provider: whoever rendered "
                                     "them should add it, then check them with the others."
                         if provider_column else
                         "The sheet has no rendering provider column, so all its lines are "
                         "here."))
    row = 3
    for label, value in facts:
        _line(layout, row, label, value, BOLD_WRAPPED)
        row += 1
    row += 1
    if findings:
        row = _text(layout, row, "Fix the red ones first (they will be denied or are not "
                                 "compliant as billed), then the yellow ones (likely to be "
                                 "questioned); blue ones are worth a look. Each problem says why "
                                 "it matters and where the rule comes from; the sheets after "
                                 "this one show your lines with the cells coloured, a note on "
                                 "each and the findings at the end of each line.")
    for number, (code, group) in enumerate(_problems(findings), start=1):
        row = _problem(layout, row + 1, number, code, group)
    row += 1
    start = row
    layout.put(row, 1, "Left out", BOLD)
    row += 1
    for text in LEFT_OUT:
        row = _text(layout, row, text)
    layout.blocks.append((start, row - 1))
    _pages(layout, checked_as_of)
    return layout


def _line(layout: SummaryLayout, row: int, label: str, text: str,
          label_style: CellStyle | None = None, link: str | None = None,
          text_style: CellStyle = WRAPPED) -> None:
    """A label (a link to `link`, when given) and its text."""
    layout.put(row, 1, label, label_style or WRAPPED, link=link)
    layout.put(row, 2, text, text_style)
    layout.heights[row] = max(row_points(text, _WIDTHS[2], layout.font.size),
                              row_points(label, _WIDTHS[1], layout.font.size))


def _text(layout: SummaryLayout, row: int, text: str) -> int:
    """A paragraph across both columns."""
    layout.put(row, 1, text, WRAPPED)
    layout.merges.append((row, 1, row, 2))
    layout.heights[row] = row_points(text, sum(_WIDTHS.values()), layout.font.size)
    return row + 1


def _problem(layout: SummaryLayout, row: int, number: int, code: str,
             group: list[Finding]) -> int:
    rule = get_rule(code)
    worst = max((f.severity for f in group), key=lambda s: s.rank)
    start = row
    summary = rule.docs.summary if rule else code
    _line(layout, row, STYLES[worst].label, f"{number}. {summary} ({code} {group[0].name}; "
                                           f"{_count(len(group), 'line')})",
          replace(legend_style(worst), wrap_top=True), text_style=BOLD_WRAPPED)
    row += 1
    if rule:
        _line(layout, row, "Why", rule.docs.why)
        # The kind leads, as in cell notes: a source's text may go on to qualify it.
        _line(layout, row + 1, "Source", f"{rule.docs.source_kind.capitalize()}: "
                                         f"{rule.docs.source}")
        row += 2
    sheets = {f.sheet for f in group}
    for f in group:
        where = f"Row {f.row}" if len(sheets) == 1 else f"{f.sheet}, row {f.row}"
        _line(layout, row, where, f"{f.column} ({f.cell}): {f.message} What to do: "
                                  f"{f.suggestion}", link=link_to(f.sheet, f.cell))
        row += 1
    # the problem's heading, why and source stay on one page with its first line
    layout.blocks.append((start, min(row - 1, start + 3)))
    return row


def _pages(layout: SummaryLayout, checked_as_of: str | None) -> None:
    last = max(cell.row for cell in layout.cells)
    one = line_points(layout.font.size) + 2
    heights = [layout.heights.get(row, one) for row in range(1, last + 1)]
    page = usable_points("portrait", _MARGINS)[1]
    layout.page = PageSetup(orientation="portrait", scale=100,
                            header=header_text(checked_as_of), footer=FOOTER,
                            margins=_MARGINS, row_breaks=page_breaks(heights, layout.blocks,
                                                                     page))

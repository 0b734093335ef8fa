"""Run the rules over a Table: severities per payer, suppression markers, skipped rules."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from nmr_xl.config.model import Config
from nmr_xl.model import Field, Finding, Line, Severity, Table, column_letter
from nmr_xl.rules import RULES, Rule, all_rules, level_for
from nmr_xl.rules.common import LABELS
from nmr_xl.rules.registry import Context, Hit

UNUSED_SUPPRESSION = "NMR090"
# Fields whole rule families need: a sheet without a column for one cannot be fully checked,
# which is a warning about the file, not a note under "rules not run".
CRITICAL_FIELDS = (Field.PATIENT, Field.DOS, Field.CODE, Field.UNITS)
_MARKER = re.compile(r"nmr\s*:\s*ignore\s+((?:NMR\d{3}\b[\s,;]*)+)", re.IGNORECASE)


@dataclass
class TableResult:
    table: Table
    findings: list[Finding]
    suppressed: int
    # "NMR101, NMR102: no minutes column" — rules that could not run on this sheet, and why
    not_run: list[str] = field(default_factory=list)
    # payer text as written -> profile id, for the summary
    payers: dict[str, str] = field(default_factory=dict)
    # critical fields the sheet has no column for, and one sentence on each (a file warning)
    missing: list[Field] = field(default_factory=list)
    cannot_check: list[str] = field(default_factory=list)


def suppression_markers(notes: str | None) -> set[str]:
    if not notes or "nmr" not in notes.lower():
        return set()
    return {code.upper() for m in _MARKER.finditer(notes)
            for code in re.findall(r"NMR\d{3}", m.group(1), re.IGNORECASE)}


def _has(table: Table, need: Field | tuple[Field, ...]) -> bool:
    return any(table.has(f) for f in need) if isinstance(need, tuple) else table.has(need)


# A field whose column was read as another field instead, and what the rules that need the
# first say about it: a minutes column that gives each visit's minutes, not each line's.
_READ_AS = {Field.MINUTES: (Field.VISIT_MINUTES, "minutes are given per visit, not per line")}
_STAND_INS = frozenset(instead for instead, _ in _READ_AS.values())


def _why_missing(table: Table, need: Field | tuple[Field, ...]) -> str:
    for f in need if isinstance(need, tuple) else (need,):
        instead = _READ_AS.get(f)
        if instead is not None and table.has(instead[0]):
            return instead[1]
    return f"no {_label(need)} column"


def _label(need: Field | tuple[Field, ...]) -> str:
    # a field read in place of another (the visit's minutes) is not named: "no minutes column"
    if isinstance(need, tuple):
        return " or ".join(LABELS[f] for f in need if f not in _STAND_INS)
    return LABELS[need]


def _finding(rule_: Rule, severity: Severity, hit: Hit, table: Table) -> Finding:
    f = hit.field or rule_.target
    col = table.column_of(f) or table.column_of(Field.CODE)
    assert col is not None  # every table has a code column
    if table.moved:
        col = table.cell_column(hit.line.row, col)
    return Finding(
        rule=rule_.code,
        name=rule_.name,
        severity=severity,
        sheet=table.sheet,
        row=hit.line.row,
        column=table.headers.get(col, LABELS[f]),
        cell=f"{column_letter(col)}{hit.line.row}",
        col_index=col,
        message=hit.message,
        suggestion=hit.suggestion,
    )


def _hits(rule_: Rule, ctx: Context, by_code: dict[str | None, list[Line]],
          switched_off: set[str], profile_id: dict[str | None, str]) -> Iterable[Hit]:
    assert rule_.check is not None
    ctx.rule = rule_
    if rule_.scope == "table":
        return rule_.check(ctx.table.lines, ctx)
    if rule_.codes is None:
        lines: Iterable[Line] = ctx.table.lines
    elif rule_.codes.dated:  # the lines whose code is on the list in force on their date
        codes = rule_.codes
        wanted = frozenset().union(*(v.value for v in ctx.versions(codes).versions))
        lines = [line for code in wanted for line in by_code.get(code, ())
                 if code in ctx.value(codes, on=line.dos)]
    else:
        wanted = ctx.value(rule_.codes)
        lines = [line for code in wanted for line in by_code.get(code, ())]
    if switched_off:  # e.g. a Medicare-only rule: never run it on other payers' lines
        lines = [line for line in lines if profile_id[line.payer] not in switched_off]
    check = rule_.check
    return (hit for line in lines for hit in check(line, ctx))


def check_table(table: Table, config: Config, as_of: dt.date,
                scopes: tuple[str, ...] = ("line", "table")) -> TableResult:
    """Every finding on one table, sorted by row; `scopes` limits the run to line rules."""
    ctx = Context(config=config, table=table, as_of=as_of)
    by_code: dict[str | None, list[Line]] = defaultdict(list)
    for line in table.lines:
        by_code[line.code].append(line)
    # Payer cell text -> profile id, once per distinct payer (a sheet has few).
    # (in sheet order, so that reports list payers the same way on every run)
    profile_id = {payer: config.profile_for(payer).id
                  for payer in dict.fromkeys(ln.payer for ln in table.lines)}
    markers = {line.row: m for line in table.lines if (m := suppression_markers(line.notes))}
    used: set[tuple[int, str]] = set()
    findings: list[Finding] = []
    suppressed = 0
    missing_by_reason: dict[str, list[str]] = defaultdict(list)

    for rule_ in all_rules():
        if rule_.scope not in scopes:
            continue
        missing = [need for need in rule_.requires if not _has(table, need)]
        if missing:
            reason = " and ".join(_why_missing(table, need) for need in missing)
            missing_by_reason[reason].append(rule_.code)
            continue
        levels = {pid: level_for(rule_, profile, config)
                  for pid, profile in config.profiles.items()}
        switched_off = {pid for pid, level in levels.items() if level is None}
        if len(switched_off) == len(levels):
            continue
        for hit in _hits(rule_, ctx, by_code, switched_off, profile_id):
            severity = levels[profile_id[hit.line.payer]]
            if severity is None:
                continue
            if hit.at_most is not None and severity.rank > hit.at_most.rank:
                severity = hit.at_most
            if rule_.code in markers.get(hit.line.row, ()):
                used.add((hit.line.row, rule_.code))
                suppressed += 1
                continue
            findings.append(_finding(rule_, severity, hit, table))

    findings.extend(_unused_markers(markers, used, table, ctx, scopes))
    findings.sort(key=lambda f: (f.row, f.col_index, f.rule))
    payers = {payer: pid for payer, pid in profile_id.items() if payer}
    not_run = [f"{', '.join(codes)}: {reason}" for reason, codes in missing_by_reason.items()]
    absent = [critical for critical in CRITICAL_FIELDS if not table.has(critical)]
    return TableResult(table, findings, suppressed, not_run, payers, absent,
                       [*(_cannot_check(table, critical, scopes) for critical in absent),
                        *(f"The sheet '{table.sheet}' cannot be fully checked: {text}."
                          for text in table.not_read),
                        *_outside_reference_files(table, config)])


def _dates_text(days: list[dt.date]) -> str:
    """"1 line dated 2026-10-02", "12 lines dated 2026-10-01 to 2026-11-14"."""
    first, last = min(days), max(days)
    span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    return f"{'1 line' if len(days) == 1 else f'{len(days)} lines'} dated {span}"


def _outside_reference_files(table: Table, config: Config) -> list[str]:
    """One sentence per kind of CMS file loaded (MUE, PTP) when lines of the sheet have dates
    of service outside every loaded file's period: they were checked against the nearest file
    all the same, but the file of their quarter may say otherwise."""
    days = [line.dos for line in table.lines if line.dos is not None]
    notes = []
    mue = config.mue
    outside = [day for day in days if not mue.covers(day)]
    if outside:
        first, _ = mue.period(0)
        _, last = mue.period(len(mue.files) - 1)
        names = ", ".join(f.name for f in mue.files)
        them = "it" if len(outside) == 1 else "them"
        if last and min(outside) > last:
            where, against = f"after the loaded CMS MUE files' period (up to {last})", "latest"
        else:
            where, against = f"outside the loaded CMS MUE files' period ({first} to {last})", \
                "nearest"
        notes.append(f"The sheet '{table.sheet}' has {_dates_text(outside)}, {where}: NMR105 "
                     f"checked {them} against the {against} file ({names}); load the MUE file "
                     f"of {'its' if them == 'it' else 'their'} quarter.")
    current = [f.current_until for f in config.ptp_files if f.current_until]
    late = [day for day in days if current and day > max(current)]
    if late:
        them = "it" if len(late) == 1 else "them"
        notes.append(f"The sheet '{table.sheet}' has {_dates_text(late)}, after {max(current)}, "
                     "the end of the quarter of the loaded CMS PTP files' latest edits "
                     f"({', '.join(f.name for f in config.ptp_files)}): NMR306 checked {them} "
                     "against those edits; load the current quarter's PTP files.")
    return notes


def _cannot_check(table: Table, missing: Field, scopes: tuple[str, ...]) -> str:
    """One sentence: which field has no column, the rules that would run with it (their other
    columns are there), and the columns that may hold it."""
    label = LABELS[missing]
    all_needing = [r for r in all_rules() if r.scope in scopes and any(
        missing == need or (isinstance(need, tuple) and missing in need) for need in r.requires)]
    codes = [r.code for r in all_needing
             if all(_has(table, need) or need in CRITICAL_FIELDS for need in r.requires)]
    text = (f"The sheet '{table.sheet}' cannot be fully checked: no column was read as the "
            f"{label}")
    if codes:
        text += (f", so {len(codes)} rule{'s' if len(codes) > 1 else ''} did not run "
                 f"({', '.join(codes)})")
    if len(codes) < len(all_needing):
        text += " (others need more columns: see the rules not run)"
    hints = [f"'{r.heading}' ({column_letter(r.column)}: {r.why})" for r in table.reads
             if r.looks_like is missing]
    if hints:
        text += f". Columns that may be it: {'; '.join(hints)}"
    return (text + f". If a column holds the {label}, pin it in a rules file: `nmr-xl columns` "
            "on this file prints how every heading was read and the lines to pin.")


def _unused_markers(markers: dict[int, set[str]], used: set[tuple[int, str]], table: Table,
                    ctx: Context, scopes: tuple[str, ...]) -> Iterable[Finding]:
    rule_ = RULES[UNUSED_SUPPRESSION]
    lines = {line.row: line for line in table.lines}
    for row, codes in markers.items():
        line = lines[row]
        severity = level_for(rule_, ctx.profile(line), ctx.config)
        if severity is None:
            continue
        for code in sorted(codes):
            if (row, code) in used or (code in RULES
                                       and RULES[code].scope not in (*scopes, "engine")):
                continue  # it suppressed something, or its rule did not run (a line-only check)
            why = ("is not a rule" if code not in RULES
                   else "found nothing on this line to suppress")
            yield _finding(rule_, severity, Hit(
                line,
                f"The marker \"nmr: ignore {code}\" {why}.",
                "Remove the marker, or correct the rule code, so it cannot hide a future "
                "problem.",
                Field.NOTES,
            ), table)

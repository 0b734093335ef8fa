"""Worksheet functions: =NMR_CHECK, =NMR_CHECK_TABLE, =NMR_UNITS and =NMR_EXPLAIN.

The add-in carries a VBA wrapper for each function (written by `nmr-xl addin build` from what
@worksheet_function and the argument annotations record: nmr_xl.excel.udf_vba), which hands the
call to this module through xlwings. On Windows xlwings' decorators make the functions callable
from cells; elsewhere they are pass-throughs and the functions are plain Python, which is how the
tests call them. Each argument's options and help text are in its Annotated hint, which xlwings
reads on Windows and the add-in build reads everywhere.

Every function returns a value for its cell and never raises: a bad argument gives one line
starting "nmr-xl:". A blank argument gives a blank cell, so a formula can be filled down past
the last line. The checks use the bundled rules with the practice's files from the add-in's
settings laid over (nmr_xl.excel.settings; reloaded when they change), as of today (AS_OF fixes
the date for tests and benchmarks).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import traceback
from collections import defaultdict
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, TypeVar

import xlwings as xw

from nmr_xl.config.model import Config
from nmr_xl.engine import check_table
from nmr_xl.errors import ConfigError
from nmr_xl.excel.settings import ConfigCache
from nmr_xl.excel.template import TEMPLATE_HEADER
from nmr_xl.excel.values import rows_from_excel
from nmr_xl.model import Field, Finding, Table
from nmr_xl.normalize import norm
from nmr_xl.plan import STYLES, findings_cell_text, worst_severity
from nmr_xl.read.table import MIN_FIELDS, build_table, find_header
from nmr_xl.read.values import Unreadable, parse_minutes
from nmr_xl.rules import get_rule
from nmr_xl.runner import gc_paused
from nmr_xl.units import allocate

# Annotations stay within what xlwings can convert (Any, str, list ...): on Windows it turns
# each parameter's annotation into a converter, and a union or `object` has none.

CATEGORY = "nmr-xl"  # the group the functions are listed under in Excel's Insert Function
AS_OF: ContextVar[dt.date | None] = ContextVar("nmr_xl_as_of", default=None)
_SHEET = "range"  # a Table needs a sheet name; findings from a range never show it
_log = logging.getLogger(__name__)
_UDF = TypeVar("_UDF", bound=Callable[..., Any])


def worksheet_function(*, call_in_wizard: bool = True) -> Callable[[_UDF], _UDF]:
    """xw.func in our category, recording `call_in_wizard` for the add-in build as well
    (xlwings' own decorators record nothing outside Windows)."""

    def register(udf: _UDF) -> _UDF:
        udf.call_in_wizard = call_in_wizard  # type: ignore[attr-defined]
        return xw.func(category=CATEGORY, call_in_wizard=call_in_wizard)(udf)

    return register


def _cells(doc: str) -> dict[str, object]:
    """How xlwings reads an argument as a 2-D range (a single cell too), cell errors as their
    text."""
    return {"ndim": 2, "err_to_str": True, "doc": doc}


class BadArgument(ValueError):
    """An argument a function cannot use; the message goes into the cell."""


def _in_cell(udf: Callable[..., Any]) -> Callable[..., Any]:
    """Whatever happens, the cell gets a value. An unexpected error is logged by type and place
    only: its message could quote a cell, and cells hold patient data."""

    @functools.wraps(udf)
    def run(*args: Any) -> Any:
        try:
            return udf(*args)
        except BadArgument as exc:
            return f"nmr-xl: {exc}"
        except ConfigError as exc:  # a practice file named in the add-in's settings
            return f"nmr-xl: settings: {exc}"
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            _log.error("%s failed: %s at %s:%s", udf.__name__, type(exc).__name__,
                       Path(frame.filename).name, frame.lineno)
            return f"nmr-xl: internal error ({type(exc).__name__}); please report it"

    return run


_CONFIGS = ConfigCache()


def _config() -> Config:
    return _CONFIGS.get()


def _today() -> dt.date:
    return AS_OF.get() or dt.date.today()


def line_status(findings: list[Finding]) -> str:
    """"OK", or the worst severity and then each finding as the findings column words it."""
    if not findings:
        return "OK"
    return f"{STYLES[worst_severity(findings)].label}: {findings_cell_text(findings, ' | ')}"


# --- checks -----------------------------------------------------------------------------------


_LINE = Annotated[Any, _cells("One billing line: a row of cells.")]
_HEADER = Annotated[Any, _cells("Optional: the header row naming the line's columns (default: "
                                "the billing template's columns, in order).")]
_TABLE = Annotated[Any, _cells("The billing table, from its header row down (title rows above "
                               "it may be included).")]
_MINUTES = Annotated[Any, _cells("Minutes of one timed service, or of each timed service of one "
                                 "visit (a range).")]
_METHOD = Annotated[Any, {"doc": 'Optional: "cms" (8-minute rule, the default) or "ama" '
                                 '(midpoint rule).'}]
_CODE = Annotated[Any, {"err_to_str": True, "doc": "A rule code, such as NMR102."}]


@worksheet_function()
@_in_cell
def NMR_CHECK(line: _LINE, header: _HEADER = None) -> str:
    """Status of one billing line (line-level rules): OK, or the worst severity and findings."""
    cells = _one_row(line, "the line must be one row (NMR_CHECK_TABLE checks a whole table)")
    if header is None:
        names: list[object] = list(TEMPLATE_HEADER)
    else:
        names = _one_row(header, "the header must be one row")
        _check_header(names)
        if len(names) != len(cells):
            raise BadArgument(f"the header has {len(names)} cells but the line has {len(cells)}; "
                              "give two ranges of the same columns")
    table = _table([names, cells])
    if not table.lines:
        return ""  # a blank line, or one without a code: not a billing line
    result = check_table(table, _config(), _today(), scopes=("line",))
    return line_status(result.findings)


@worksheet_function(call_in_wizard=False)
@_in_cell
def NMR_CHECK_TABLE(table: _TABLE) -> Any:
    """Status of every line of a billing table (all rules), one per row below the header."""
    with gc_paused():  # as for a workbook check: a big table is many small acyclic objects
        rows = rows_from_excel(table)
        parsed = _table(rows)
        first = parsed.header_row + 1
        if first > len(rows):
            raise BadArgument("the range has no rows below its header row")
        findings: dict[int, list[Finding]] = defaultdict(list)
        for finding in check_table(parsed, _config(), _today()).findings:
            findings[finding.row].append(finding)
        billing = {line.row for line in parsed.lines}
        return [[line_status(findings[row]) if row in billing else ""]
                for row in range(first, len(rows) + 1)]


def _one_row(value: object, problem: str) -> list[object]:
    rows = rows_from_excel(value)
    if len(rows) != 1:
        raise BadArgument(problem)
    return rows[0]


def _check_header(names: list[object]) -> None:
    config = _config()
    spellings = config.columns[Field.CODE]
    if not any(isinstance(name, str) and norm(name) in spellings for name in names):
        raise BadArgument("no CPT code column in the header")
    if find_header([names], config) is None:
        raise BadArgument(f"the header names fewer than {MIN_FIELDS} billing columns (a CPT code "
                          f"column and at least {MIN_FIELDS - 1} others, such as DOS and Units)")


def _table(rows: list[list[object]]) -> Table:
    width = max((len(row) for row in rows), default=0)
    table = build_table(_SHEET, rows, _config(), width=width)
    if isinstance(table, Table):
        return table
    raise BadArgument("the range is empty" if table.reason == "empty" else table.reason)


# --- units and explanations -------------------------------------------------------------------


@worksheet_function()
@_in_cell
def NMR_UNITS(minutes: _MINUTES, method: _METHOD = "cms") -> Any:
    """Billable units for timed minutes; for several services, each one's share of the visit."""
    rule = _method(method)
    rows = rows_from_excel(minutes)
    cells = [(f"{r},{c}", cell) for r, row in enumerate(rows) for c, cell in enumerate(row)]
    services: dict[str, float] = {}  # position in the range -> minutes; blanks are no service
    for n, (key, cell) in enumerate(cells, start=1):
        value = _minutes(cell, f" in cell {n} of the range" if len(cells) > 1 else "")
        if value is not None:
            services[key] = value
    allocation = allocate(services, rule)

    def units(key: str) -> object:
        if key not in services:
            return ""
        low, high = allocation.low[key], allocation.high[key]
        return low if low == high else allocation.units_of(key)

    if len(cells) <= 1:
        return units(cells[0][0]) if cells else ""
    return [[units(f"{r},{c}") for c in range(len(row))] for r, row in enumerate(rows)]


def _method(value: object) -> str:
    method = ("" if value is None else str(value).strip().lower()) or "cms"
    if method not in ("cms", "ama"):
        raise BadArgument('the method is "cms" (CMS 8-minute rule) or "ama" (AMA midpoint rule)')
    return method


def _minutes(cell: object, where: str) -> float | None:
    try:
        return parse_minutes(cell)
    except Unreadable as exc:
        raise BadArgument(f"cannot read the minutes{where}: {exc}") from None


@worksheet_function()
@_in_cell
def NMR_EXPLAIN(code: _CODE) -> str:
    """One rule's short explanation: code, name, default severity and what it catches."""
    cells = [cell for row in rows_from_excel(code) for cell in row]
    if len(cells) != 1:
        raise BadArgument("give one rule code, such as NMR102")
    text = _rule_code(cells[0])
    if not text:
        return ""
    rule_ = get_rule(text)
    if rule_ is None:
        raise BadArgument(f"{text} is not a rule code (NMR_EXPLAIN takes a code such as NMR102)")
    return f"{rule_.code} {rule_.name} ({rule_.severity.value}): {rule_.docs.summary}"


def _rule_code(cell: object) -> str:
    """"NMR102", " nmr102 ", 102 or 102.0 -> "NMR102"; a blank -> ""."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = "" if cell is None else str(cell).strip().upper()
    return f"NMR{int(text):03d}" if text.isdigit() and len(text) <= 3 else text

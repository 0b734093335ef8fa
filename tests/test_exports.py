"""Exports in the layouts of real systems (tests/exports.py) are read with no configuration:
every field the rules need is mapped, the planted problems are found, no line that is billed
correctly and no row that is not a charge gets a finding, and the rows that are not charges are
counted by kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from exports import EXPORTS, PARTLY_READ, Export, therabill

from nmr_xl.config.load import load_config
from nmr_xl.runner import FileResult, check_file

AS_OF = dt.date(2026, 3, 31)


def check(export: Export, tmp_path: Path, annotate: bool = False) -> FileResult:
    path = export.write(tmp_path)
    result = check_file(path, load_config(), AS_OF, out_dir=tmp_path / "out", annotate=annotate)
    assert result.error is None, result.error
    return result


@pytest.mark.parametrize("build", EXPORTS, ids=[b.__name__ for b in EXPORTS])
def test_export_is_read_and_checked(build: Callable[[], Export], tmp_path: Path) -> None:
    export = build()
    result = check(export, tmp_path)
    (sheet,) = result.sheets
    read = {f: sheet.columns.get(f) for f in export.columns}
    assert read == export.columns
    # patient, date of service, code and units all read; any part not read said plainly
    assert len(result.cannot_check) == len(export.warned), result.cannot_check
    for said, start in zip(result.cannot_check, export.warned, strict=True):
        assert said.startswith(start), said
    found = {(f.row, f.rule) for f in result.findings}
    messages = sorted((f.row, f.rule, f.message) for f in result.findings
                      if (f.row, f.rule) not in export.findings)
    assert found == export.findings, messages
    assert sheet.not_charges == export.not_charges


def test_a_layout_without_units_says_so_first(tmp_path: Path) -> None:
    export = therabill()
    result = check(export, tmp_path)
    (sheet,) = result.sheets
    assert {f: sheet.columns.get(f) for f in export.columns} == export.columns
    assert sheet.missing == ["units"]
    (warning,) = result.cannot_check
    assert warning.startswith("The sheet 'Session Balance' cannot be fully checked: no column "
                              "was read as the units")
    assert sheet.not_charges == export.not_charges


@pytest.mark.parametrize(("build", "warning"), PARTLY_READ,
                         ids=[b.__name__ for b, _ in PARTLY_READ])
def test_a_layout_read_in_part_says_what_it_did_not_read(
        build: Callable[[], Export], warning: str, tmp_path: Path) -> None:
    """A part of the layout no reading of which is safe is left unread, the file says so, and
    the rules that can run still find the planted problems, and nothing else."""
    export = build()
    result = check(export, tmp_path)
    (sheet,) = result.sheets
    assert {f: sheet.columns.get(f) for f in export.columns} == export.columns
    (said,) = result.cannot_check
    assert said.startswith(warning), said
    found = {(f.row, f.rule) for f in result.findings}
    assert found == export.findings, sorted((f.row, f.rule, f.message) for f in result.findings)
    assert sheet.not_charges == export.not_charges

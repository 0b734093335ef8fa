"""Provider packets (check --packets): one workbook per rendering provider beside the full copy.
Every line of a packet is its provider's, the packets together hold exactly the copy's lines,
no other patient's identifier is anywhere in a packet's zip (shared strings, notes, other sheets,
cached results, defined names, document properties ...), the findings are marked as in the copy,
every part validates, and a provider's name cannot steer where the file goes. A Strict
workbook's packets are Strict workbooks, with the same lines.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import make_workbooks
import openpyxl
import pytest
from conftest import (
    AS_OF,
    BILLING_SHEET,
    CLEAN_ROWS,
    DEFAULT_ROWS,
    FIRST_DATA_ROW,
    PATIENT_IDS,
    PATIENT_NAMES,
    build_billing_workbook,
    to_strict,
)
from ooxml_schema import package_errors, transitional_namespaces

from nmr_xl.config.load import load_config
from nmr_xl.packet import COVER_SHEET, LEFT_OUT, NO_PROVIDER
from nmr_xl.plan import FINDINGS_HEADER
from nmr_xl.read.sources import read_workbook
from nmr_xl.rules import get_rule

SAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "sample-billing.xlsx"
HOSTILE = "../../Dr C/..\\evil:*?"  # a provider cell trying to steer the packet's path
HOSTILE_FILE = "Dr C .. evil"  # its packet's name: no separators, no leading dots
# A patient without a rendering provider, and one whose provider's name is hostile.
ORPHAN = ["NP-55555", "Ottoline Nobody", dt.datetime(2026, 3, 9), "97110", "GP", 30, 2,
          "Aetna", None, "PT", "G35", "exercise", 40]
STEERED = ["HS-70707", "Hieronymus Stray", dt.datetime(2026, 3, 10), "97110", "GP", 30, 2,
           "Aetna", HOSTILE, "PT", "G35", "exercise", 40]
ALL_IDS = (*PATIENT_IDS, "NP-55555", "HS-70707")
ALL_NAMES = (*PATIENT_NAMES, "Ottoline Nobody", "Hieronymus Stray")


def _check(cli, book: Path, out: Path, as_of: str = AS_OF) -> dict:
    run = cli("check", book, "--as-of", as_of, "--out", out, "--packets", "--format", "json",
              "--fail-on", "never")
    (result,) = json.loads(run.out)["files"]
    assert result["status"] == "checked", result
    return result


@pytest.fixture
def packets(cli, tmp_path: Path) -> tuple[Path, Path, dict[str, Path]]:
    book = build_billing_workbook(tmp_path / "in" / "billing.xlsx",
                                  [*DEFAULT_ROWS, ORPHAN, STEERED])
    out = tmp_path / "out"
    copy = Path(_check(cli, book, out)["output"])
    found = {}
    for path in out.iterdir():
        if path.name.startswith("billing.checked.") and path != copy:
            found[path.name.removeprefix("billing.checked.").removesuffix(".xlsx")] = path
    return book, copy, found


def _lines(path: Path) -> dict[tuple[str, int], str | None]:
    """(sheet, row) -> rendering provider of every billing line the reader finds."""
    tables = read_workbook(path, load_config(None)).tables
    return {(t.sheet, line.row): line.provider for t in tables for line in t.lines}


def _patients(rows: list[list[object]]) -> dict[str | None, set[str]]:
    by_provider: dict[str | None, set[str]] = {}
    for row in rows:
        by_provider.setdefault(row[8], set()).update({row[0], row[1]})  # type: ignore[arg-type]
    return by_provider


def test_one_packet_per_provider_named_safely(packets) -> None:
    _, copy, found = packets
    assert set(found) == {"Dr A", "Dr B", NO_PROVIDER, HOSTILE_FILE}
    for path in found.values():  # the hostile name stays a file name in the output folder
        assert path.parent == copy.parent and path.suffix == ".xlsx"


def test_every_line_is_its_providers_and_together_they_are_the_copy(packets) -> None:
    _, copy, found = packets
    full = _lines(copy)
    union: dict[tuple[str, int], str | None] = {}
    for name, path in found.items():
        lines = _lines(path)
        assert lines, name
        wanted = None if name == NO_PROVIDER else name
        for key, provider in lines.items():
            assert provider == wanted or (name == HOSTILE_FILE and provider == HOSTILE)
            assert key not in union  # no line in two packets
        union.update(lines)
    assert union == full


def test_no_other_patient_anywhere_in_a_packets_zip(packets) -> None:
    """Every part, unpacked: shared strings, sheets, notes, drawings, names, properties."""
    _, _, found = packets
    rows = [*DEFAULT_ROWS, ORPHAN, STEERED]
    by_provider = _patients(rows)
    for name, path in found.items():
        provider = None if name == NO_PROVIDER else (HOSTILE if name == HOSTILE_FILE else name)
        mine = by_provider[provider]
        others = [v for v in (*ALL_IDS, *ALL_NAMES) if v not in mine]
        assert others
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                data = archive.read(info).decode("utf-8", "replace")
                for value in others:
                    assert value not in data, (name, info.filename, value)
            names = set(archive.namelist())
        assert not any("sharedstrings" in n.lower() or n.startswith("docProps") for n in names)


def test_packet_is_marked_as_the_copy_and_leaves_out_what_may_name_others(packets) -> None:
    _, copy, found = packets
    full = openpyxl.load_workbook(copy)[BILLING_SHEET]
    packet = openpyxl.load_workbook(found["Dr B"])
    assert packet.sheetnames == [COVER_SHEET, BILLING_SHEET]  # other sheets left out
    ws = packet[BILLING_SHEET]
    header = [c.value for c in ws[4]]
    findings_col = header.index(FINDINGS_HEADER) + 1
    dr_b_rows = [FIRST_DATA_ROW + i for i, row in enumerate(DEFAULT_ROWS) if row[8] == "Dr B"]
    for row in dr_b_rows:  # same colours, notes and findings text as the full copy
        for col in range(1, findings_col + 1):
            ours, theirs = ws.cell(row, col), full.cell(row, col)
            assert ours.value == theirs.value or (theirs.data_type == "f"), (row, col)
            assert ours.fill.fgColor.rgb == theirs.fill.fgColor.rgb, (row, col)
            if ours.comment is not None:  # ours only: the sheet's own notes are left out
                assert ours.comment.text in theirs.comment.text
                assert ours.comment.text.startswith("NMR")
    # other providers' rows are not in the file (hidden empty placeholders keep the numbers)
    for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(CLEAN_ROWS)):
        assert all(c.value is None for c in ws[row]) and ws.row_dimensions[row].hidden
    assert not ws.merged_cells.ranges or all(r.max_row < FIRST_DATA_ROW
                                             for r in ws.merged_cells.ranges)
    assert not packet.defined_names and not ws.tables and not ws._charts
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)  # values only
    with zipfile.ZipFile(found["Dr B"]) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
    assert "_xlnm.Print_Titles" in workbook  # the header row repeats on every page


def test_cover_says_what_to_fix_first_with_why_and_source(packets) -> None:
    _, _, found = packets
    cover = openpyxl.load_workbook(found["Dr B"])[COVER_SHEET]
    text = [str(c.value) for row in cover.iter_rows() for c in row if c.value is not None]
    joined = "\n".join(text)
    assert "Billing check: Dr B" in joined
    error, warning = get_rule("NMR102"), get_rule("NMR206")
    assert error and warning
    first_error = next(i for i, t in enumerate(text) if error.docs.summary in t)
    first_warning = next(i for i, t in enumerate(text) if warning.docs.summary in t)
    assert first_error < first_warning  # errors first
    for rule in (error, warning):
        assert rule.docs.why in text and any(rule.docs.source in t for t in text)
    assert all(part in text for part in LEFT_OUT)
    orphan = openpyxl.load_workbook(found[NO_PROVIDER])[COVER_SHEET]
    assert any("name no rendering provider" in str(c.value)
               for row in orphan.iter_rows() for c in row)


def test_every_packet_part_validates(packets) -> None:
    _, _, found = packets
    for path in found.values():
        assert package_errors(path) == {}, path.name


def test_sample_packets_validate_and_hold_every_line(cli, tmp_path: Path) -> None:
    """The bundled sample: inline strings, formulas with results, a packet per provider."""
    book = tmp_path / "sample" / SAMPLE.name
    book.parent.mkdir()
    book.write_bytes(SAMPLE.read_bytes())
    result = _check(cli, book, tmp_path / "out", "2026-03-31")
    full = _lines(Path(result["output"]))
    union: dict[tuple[str, int], str | None] = {}
    packets = sorted((tmp_path / "out").glob("sample-billing.checked.*.xlsx"))
    providers = {line["Rendering Provider"] for block in make_workbooks.sample_blocks()
                 for line in block.rows}
    assert len(packets) == len(providers) == 8
    for path in packets:
        lines = _lines(path)
        assert len({provider for provider in lines.values()}) == 1, path.name
        union.update(lines)
        assert package_errors(path) == {}, path.name
    assert union == full


def test_csv_gets_no_packets_and_says_so(cli, tmp_path: Path) -> None:
    source = tmp_path / "billing.csv"
    source.write_text("Acct #,DOS,CPT,Units,Rendering Provider\nA1,03/02/2026,97110,1,Dr A\n")
    result = _check(cli, source, tmp_path / "out")
    assert any(w.startswith("No provider packets") for w in result["warnings"])


def test_a_strict_workbooks_packets_are_strict(cli, tmp_path: Path) -> None:
    """A packet is a new workbook in the source's conformance class: every part of a Strict
    workbook's packets validates (against the Strict schemas where it is in Strict's
    namespaces), none is Transitional, and each holds the lines the Transitional one does."""
    plain = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    strict = to_strict(plain, tmp_path / "in" / "strict.xlsx")
    _check(cli, plain, tmp_path / "plain")
    _check(cli, strict, tmp_path / "strict")
    plain_packets = {p.name.removeprefix("billing.checked."): p
                     for p in (tmp_path / "plain").glob("billing.checked.*.xlsx")}
    strict_packets = {p.name.removeprefix("strict.checked."): p
                      for p in (tmp_path / "strict").glob("strict.checked.*.xlsx")}
    assert strict_packets.keys() == plain_packets.keys() and len(strict_packets) >= 2
    for name, path in strict_packets.items():
        assert package_errors(path) == {}, name
        with zipfile.ZipFile(path) as archive:
            for part in archive.namelist():
                if part.endswith((".xml", ".rels")):
                    assert transitional_namespaces(archive.read(part)) == set(), (name, part)
            assert b"purl.oclc.org/ooxml/spreadsheetml/main" in archive.read("xl/workbook.xml")
        assert _lines(path) == _lines(plain_packets[name]), name

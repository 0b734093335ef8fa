"""The package writer (nmr_xl.write.package): the annotated copy made by editing the workbook's
package. What it does not need to change stays byte for byte; what it changes keeps every
element it had and validates against the ECMA-376 schemas (a Strict workbook's in Strict, with
nothing Transitional in it); it gives the same
colours, notes, findings column and summary as the openpyxl path (and, in test_in_place, as the
in-place check); it refuses what the reader refuses; and a sheet with no free column gets its
findings on a sheet of their own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import python_calamine as calamine
from conftest import (
    AS_OF,
    BILLING_SHEET,
    EXPECTED_FINDINGS,
    FAKE_VBA,
    HEADER_ROW,
    PLAIN_COMMENT,
    build_billing_workbook,
    make_xlsm,
    rewrite_parts,
    to_strict,
)
from lxml import etree
from ooxml_schema import lost_elements, package_errors, transitional_namespaces

from nmr_xl.errors import InputError
from nmr_xl.plan import FINDINGS_HEADER, FINDINGS_SHEET, SUMMARY_SHEET, build_plan
from nmr_xl.write.package import write_package_copy
from nmr_xl.write.xlsx import write_copy

SAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "sample-billing.xlsx"
SAMPLE_AS_OF = "2026-03-31"
# What annotating the fixture workbook's Billing sheet rewrites; every other entry stays.
FIXTURE_CHANGED = {"[Content_Types].xml", "xl/workbook.xml",
                   "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml",
                   "xl/worksheets/_rels/sheet1.xml.rels", "xl/comments/comment1.xml",
                   "xl/drawings/commentsDrawing1.vml"}


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def check_copy(cli, book: Path, as_of: str = AS_OF) -> dict:
    run = cli("check", book, "--as-of", as_of, "--format", "json", "--fail-on", "never")
    (result,) = json.loads(run.out)["files"]
    assert result["status"] == "checked", result
    assert result["output"], result["warnings"]
    return result


def _sample(tmp_path: Path) -> Path:
    """The bundled sample, copied: its annotated copy must not land in the repository."""
    copy = tmp_path / "sample" / SAMPLE.name
    copy.parent.mkdir()
    copy.write_bytes(SAMPLE.read_bytes())
    return copy


@pytest.fixture
def fixture_copy(cli, billing_xlsx: Path) -> tuple[Path, Path, dict]:
    result = check_copy(cli, billing_xlsx)
    return billing_xlsx, Path(result["output"]), result


# --- what stays and what changes -----------------------------------------------------------------


def test_unchanged_entries_are_byte_identical(fixture_copy) -> None:
    source, copy, result = fixture_copy
    assert result["warnings"] == []
    before, after = entries(source), entries(copy)
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed == FIXTURE_CHANGED
    added = set(after) - set(before)
    assert {name.split("/")[1] for name in added} == {"worksheets", "tables", "charts",
                                                      "drawings"}


def test_changed_parts_keep_every_element(fixture_copy) -> None:
    source, copy, _ = fixture_copy
    before, after = entries(source), entries(copy)
    for name in FIXTURE_CHANGED:
        assert lost_elements(before[name], after[name]) == Counter(), name


@pytest.mark.parametrize("book", ["fixture", "sample"])
def test_every_written_part_validates(cli, billing_xlsx: Path, book: str,
                                      tmp_path: Path) -> None:
    source = billing_xlsx if book == "fixture" else _sample(tmp_path)
    copy = Path(check_copy(cli, source, AS_OF if book == "fixture" else SAMPLE_AS_OF)["output"])
    before, after = entries(source), entries(copy)
    written = {name.lower() for name in after if before.get(name) != after[name]}
    assert len(written) >= 12
    assert package_errors(copy, written) == {}


def test_formula_cells_and_results_untouched(cli, tmp_path: Path) -> None:
    """The sample is saved as Excel saves (shared strings, cached formula results)."""
    copy = Path(check_copy(cli, _sample(tmp_path), SAMPLE_AS_OF)["output"])
    original = openpyxl.load_workbook(SAMPLE, data_only=True)
    copied = openpyxl.load_workbook(copy, data_only=True)
    formulas = openpyxl.load_workbook(SAMPLE)
    checked = 0
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert copied[ws.title][cell.coordinate].value == \
                        original[ws.title][cell.coordinate].value is not None
                    checked += 1
    assert checked > 10


def test_notes_merge_into_the_sheets_own_comments_and_drawing(fixture_copy) -> None:
    _, copy, _ = fixture_copy
    ws = openpyxl.load_workbook(copy)[BILLING_SHEET]
    cell, author, text = PLAIN_COMMENT
    assert (ws[cell].comment.text, ws[cell].comment.author) == (text, author)
    notes = [c for row in ws.iter_rows() for c in row if c.comment]
    assert len(notes) == 1 + len(EXPECTED_FINDINGS)  # the plain note, ours (one merged)
    vml = entries(copy)["xl/drawings/commentsDrawing1.vml"]
    shapes = etree.fromstring(vml).findall("{urn:schemas-microsoft-com:vml}shape")
    anchored = {(s.find("{urn:schemas-microsoft-com:office:excel}ClientData/"
                        "{urn:schemas-microsoft-com:office:excel}Row").text,
                 s.find("{urn:schemas-microsoft-com:office:excel}ClientData/"
                        "{urn:schemas-microsoft-com:office:excel}Column").text) for s in shapes}
    assert len(anchored) == len(shapes) == len(notes)  # one shape per note, none twice
    assert len({s.get("id") for s in shapes}) == len(shapes)


def test_macros_are_kept(cli, tmp_path: Path) -> None:
    source = make_xlsm(build_billing_workbook(tmp_path / "plain.xlsx"), tmp_path / "m.xlsm")
    result = check_copy(cli, source)
    assert result["output"].endswith(".checked.xlsm")
    after = entries(Path(result["output"]))
    assert after["xl/vbaProject.bin"] == FAKE_VBA
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in after["[Content_Types].xml"]


# --- the same marks as the openpyxl path ---------------------------------------------------------


def _marks(path: Path) -> dict[str, object]:
    """Colours and notes of every cell, the findings column and the summary's values."""
    book = openpyxl.load_workbook(path)
    cells = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                fill = c.fill.fgColor.rgb if c.fill.fill_type == "solid" else None
                colour = c.font.color.rgb if c.font and c.font.color is not None else None
                if c.hyperlink:  # Office's hyperlink blue: a named style, or its RGB
                    colour = None
                if fill or c.comment or (ws.title == SUMMARY_SHEET and c.value is not None):
                    cells[(ws.title, c.coordinate)] = (
                        str(fill)[-6:] if fill else None,
                        str(colour)[-6:] if isinstance(colour, str) else None,
                        c.comment.text if c.comment else None, c.value)
    summary = book[SUMMARY_SHEET]
    return {"cells": cells, "sheets": book.sheetnames,
            "links": {c.coordinate: c.hyperlink.location for row in summary.iter_rows()
                      for c in row if c.hyperlink},
            "table": dict(summary.tables.items()),
            "charts": len(summary._charts), "merges": sorted(map(str, summary.merged_cells))}


@pytest.mark.parametrize("book", ["fixture", "sample"])
def test_same_marks_as_the_openpyxl_path(cli, billing_xlsx: Path, book: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    source = billing_xlsx if book == "fixture" else _sample(tmp_path)
    as_of = AS_OF if book == "fixture" else SAMPLE_AS_OF
    package = _marks(Path(check_copy(cli, source, as_of)["output"]))
    from nmr_xl.write import xlsx
    from nmr_xl.write.package import Unsupported

    def refuse(*_: object) -> None:
        raise Unsupported("parity test")

    monkeypatch.setattr(xlsx, "write_package_copy", refuse)
    through_openpyxl = _marks(Path(check_copy(cli, source, as_of)["output"]))
    # The openpyxl copy says on its summary which path wrote it (and, for the sample, that it
    # dropped the formula results); nothing else may differ.
    notice = {key for key, value in through_openpyxl["cells"].items()
              if isinstance(value[3], str) and value[3].startswith(("This copy was written",
                                                                    "Formula results"))}
    assert notice
    for key in notice:
        del through_openpyxl["cells"][key]
    package_cells = {k: v for k, v in package["cells"].items()
                     if not (isinstance(v[3], str) and v[3].startswith("Nothing: every"))}
    assert package_cells == through_openpyxl.pop("cells")
    package.pop("cells")
    assert package == through_openpyxl


# --- item 5 of issue 16: a sheet with no free column ---------------------------------------------


def _full_width(tmp_path: Path) -> Path:
    """The fixture workbook with a note in column XFD (16,384) of its header row."""
    plain = build_billing_workbook(tmp_path / "plain.xlsx")
    book = openpyxl.load_workbook(plain)
    book[BILLING_SHEET].cell(row=HEADER_ROW, column=16_384, value="last column")
    book.save(tmp_path / "wide.xlsx")
    return tmp_path / "wide.xlsx"


@pytest.mark.parametrize("path", ["package", "openpyxl"])
def test_findings_go_to_a_sheet_of_their_own_when_no_column_is_free(
        cli, tmp_path: Path, path: str, request: pytest.FixtureRequest) -> None:
    if path == "openpyxl":
        request.getfixturevalue("openpyxl_path")
    result = check_copy(cli, _full_width(tmp_path))
    said = [w for w in result["warnings"] if "no free column" in w]
    assert said and FINDINGS_SHEET in said[0]
    copy = Path(result["output"])
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames[:3] == [SUMMARY_SHEET, BILLING_SHEET, FINDINGS_SHEET]
    assert book[BILLING_SHEET].max_column == 16_384  # nothing past XFD
    findings = book[FINDINGS_SHEET]
    assert findings.cell(HEADER_ROW, 1).value == f"{FINDINGS_HEADER} ({BILLING_SHEET})"
    for rule, _, ref in EXPECTED_FINDINGS:
        assert findings.cell(int(ref[1:]), 1).value.startswith(rule)
    facts = [row[1] for row in book[SUMMARY_SHEET].iter_rows(values_only=True)
             if row[0] == "Findings column"]
    assert facts == said
    if path == "package":
        before, after = entries(_full_width(tmp_path)), entries(copy)
        written = {n.lower() for n in after if before.get(n) != after[n]}
        assert package_errors(copy, written) == {}


# --- what the package writer refuses --------------------------------------------------------------


def test_a_declared_dtd_is_refused(tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "plain.xlsx")

    def add_dtd(name: str, data: bytes) -> bytes:
        if name == "docProps/core.xml":
            return b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
        return data

    bomb = rewrite_parts(source, tmp_path / "dtd.xlsx", add_dtd)
    with pytest.raises(InputError) as caught:
        write_copy(bomb, tmp_path / "copy.xlsx", build_plan([], [], {}), False, [])
    assert caught.value.code == "unsafe-xml"
    assert not (tmp_path / "copy.xlsx").exists()


def test_a_decompression_bomb_part_is_refused(tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "plain.xlsx")
    bomb = rewrite_parts(source, tmp_path / "bomb.xlsx", lambda _, data: data,
                         add={"xl/media/padding.bin": bytes(64 * 1024 * 1024)})
    with pytest.raises(InputError) as caught:
        write_package_copy(bomb, tmp_path / "copy.xlsx", build_plan([], [], {}))
    assert caught.value.code == "too-large"


# --- item 6 of issue 16: parts a copy through openpyxl cannot carry are named --------------------

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FEATURES = {  # what the openpyxl path must name, by the words it names it with
    "WPS in-cell picture part": b"<etc:cellImages xmlns:etc=\"http://www.wps.cn/officeDocument/"
                                b"2017/etCustomData\"/>",
    "dynamic-array": None, "print header or footer": None, "protected range": None,
    "XML map": None, "sort state": None, "read-only-recommended flag": None,
}


def _with_features(tmp_path: Path) -> Path:
    """The fixture workbook with the parts and settings openpyxl drops."""
    plain = build_billing_workbook(tmp_path / "plain.xlsx")

    def edit(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(b'<c r="N5"', b'<c r="N5" cm="1"', 1)
            data = data.replace(b"</sheetData>", b'</sheetData><protectedRanges><protectedRange '
                                b'sqref="A5:A6" name="Accounts"/></protectedRanges><sortState '
                                b'ref="A5:N10"><sortCondition ref="C5:C10"/></sortState>', 1)
            return re.sub(rb"(<pageMargins[^>]*/>)", rb"\1<headerFooter><oddHeader>&amp;CCharges"
                          rb"</oddHeader></headerFooter>", data, count=1)
        if name == "xl/workbook.xml":
            return data.replace(b"<workbookPr", b'<fileSharing readOnlyRecommended="1"/>'
                                b"<workbookPr", 1)
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", (
                f'<Relationship Id="rIdMeta" Type="{_REL}/sheetMetadata" Target="metadata.xml"/>'
                f'<Relationship Id="rIdMaps" Type="{_REL}/xmlMaps" Target="xmlMaps.xml"/>'
                '<Relationship Id="rIdWps" Type="http://www.wps.cn/officeDocument/2020/cellImage"'
                ' Target="cellimages.xml"/></Relationships>').encode())
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", (
                b'<Override PartName="/xl/metadata.xml" ContentType="application/vnd.openxml'
                b'formats-officedocument.spreadsheetml.sheetMetadata+xml"/><Override PartName='
                b'"/xl/xmlMaps.xml" ContentType="application/xml"/><Override PartName="/xl/'
                b'cellimages.xml" ContentType="application/vnd.wps-officedocument.cellimage+xml"/>'
                b"</Types>"))
        return data

    main = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return rewrite_parts(plain, tmp_path / "features.xlsx", edit, add={
        "xl/metadata.xml": b"<metadata " + main + b'><metadataTypes count="1"><metadataType '
                           b'name="XLDAPR" minSupportedVersion="120000"/></metadataTypes>'
                           b"</metadata>",
        "xl/xmlMaps.xml": b"<MapInfo " + main + b' SelectionNamespaces=""/>',
        "xl/cellimages.xml": _FEATURES["WPS in-cell picture part"],
    })


def test_package_writer_carries_what_openpyxl_drops(cli, tmp_path: Path) -> None:
    source = _with_features(tmp_path)
    result = check_copy(cli, source)
    assert result["warnings"] == []
    before, after = entries(source), entries(Path(result["output"]))
    for part in ("xl/metadata.xml", "xl/xmlMaps.xml", "xl/cellimages.xml"):
        assert after[part] == before[part]
    sheet = after["xl/worksheets/sheet1.xml"]
    for marker in (b'cm="1"', b"<protectedRange ", b"<sortState ", b"<oddHeader>"):
        assert marker in sheet, marker
    assert b'readOnlyRecommended="1"' in after["xl/workbook.xml"]


def test_openpyxl_path_names_what_it_drops(cli, tmp_path: Path, openpyxl_path: str) -> None:
    result = check_copy(cli, _with_features(tmp_path))
    lost = " ".join(w for w in result["warnings"] if w.startswith("The annotated copy could"))
    dropped = [words for words in _FEATURES if words.split(" (")[0] in lost]
    assert dropped, result["warnings"]
    with zipfile.ZipFile(result["output"]) as archive:
        names = set(archive.namelist())
        sheet = archive.read("xl/worksheets/sheet2.xml")  # openpyxl numbers the summary 1
        workbook = archive.read("xl/workbook.xml")
    kept = {"WPS in-cell picture part": "xl/cellimages.xml" in names,
            "XML map": "xl/xmlMaps.xml" in names, "dynamic-array": b'cm="1"' in sheet,
            "print header or footer": re.search(rb"<oddHeader[^>]*>[^<]", sheet) is not None,
            "protected range": b"<protectedRange " in sheet, "sort state": b"<sortState " in sheet,
            "read-only-recommended flag": b"readOnlyRecommended" in workbook}
    # everything openpyxl did not keep is named
    assert {words for words, there in kept.items() if not there} == set(dropped), lost


# --- Strict Open XML -----------------------------------------------------------------------------

@pytest.fixture
def strict_copy(cli, billing_xlsx: Path) -> tuple[Path, Path, dict]:
    """The fixture workbook (with its notes, VML drawing and chart) in Strict, and its copy."""
    source = to_strict(billing_xlsx, billing_xlsx.with_name("strict.xlsx"))
    assert b"purl.oclc.org" in entries(source)["xl/workbook.xml"]
    result = check_copy(cli, source)
    return source, Path(result["output"]), result


def test_a_strict_workbook_is_edited_in_strict(strict_copy) -> None:
    """The package writer, not openpyxl (which cannot read Strict), writes the copy: the same
    parts change as in Transitional, each keeps every element, every part written validates
    against the Strict schemas, and none uses a Transitional namespace or relationship type."""
    source, copy, result = strict_copy
    assert result["warnings"] == []
    before, after = entries(source), entries(copy)
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed == FIXTURE_CHANGED
    for name in changed:
        assert lost_elements(before[name], after[name]) == Counter(), name
    added = set(after) - set(before)
    assert {name.split("/")[1] for name in added} == {"worksheets", "tables", "charts",
                                                      "drawings"}
    written = changed | added
    assert package_errors(copy, {name.lower() for name in written}) == {}
    for name in written:
        if name.endswith((".xml", ".rels")):
            assert transitional_namespaces(after[name]) == set(), name
    rels = after["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    assert "http://purl.oclc.org/ooxml/officeDocument/relationships/comments" in rels
    assert "http://purl.oclc.org/ooxml/officeDocument/relationships/vmlDrawing" in rels
    chart = next(data for name, data in after.items() if name in added and "/charts/" in name)
    assert b'<gapWidth val="150%"/>' in chart  # Strict's ST_GapAmount is a percentage


def _calamine_rows(path: Path) -> dict[str, list[list[object]]]:
    book = calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_calamine_reads_the_strict_copy(strict_copy) -> None:
    """python-calamine reads the Strict copy: the summary sheet first, every sheet's values as
    they were, and the findings column beside the billing table."""
    source, copy, _ = strict_copy
    before, after = _calamine_rows(source), _calamine_rows(copy)
    names = list(after)
    assert names[0] == SUMMARY_SHEET and names[1:] == list(before)
    summary = {str(value) for row in after[SUMMARY_SHEET] for value in row}
    assert {rule for rule, _, _ in EXPECTED_FINDINGS} <= summary
    for name, rows in before.items():
        width = max((len(row) for row in rows), default=0)
        assert [row[:width] for row in after[name][:len(rows)]] == rows, name
    header = after[BILLING_SHEET][HEADER_ROW - 1]
    assert FINDINGS_HEADER in header
    column = header.index(FINDINGS_HEADER)
    flagged = [row[column] for row in after[BILLING_SHEET][HEADER_ROW:] if row[column]]
    assert len(flagged) >= 3 and all(isinstance(text, str) for text in flagged)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_libreoffice_reads_the_strict_copy(strict_copy, tmp_path: Path) -> None:
    """LibreOffice opens the Strict copy (saved again as an .xlsx): the summary sheet first,
    the findings column on the billing sheet, and our notes."""
    _, copy, _ = strict_copy
    out = tmp_path / "lo"
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(copy)],
                   capture_output=True, timeout=180, check=False)
    saved = out / copy.name
    assert saved.is_file(), "LibreOffice did not convert the copy"
    wb = openpyxl.load_workbook(saved)
    assert wb.sheetnames[0] == SUMMARY_SHEET
    ws = wb[BILLING_SHEET]
    header = [cell.value for cell in ws[HEADER_ROW]]
    assert FINDINGS_HEADER in header
    noted = [cell for row in ws.iter_rows() for cell in row if cell.comment]
    assert len(noted) == 1 + len(EXPECTED_FINDINGS)  # the plain note, ours (one merged)

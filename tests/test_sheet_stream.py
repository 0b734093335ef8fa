"""A worksheet part streamed as rows of bytes (nmr_xl.write.package.scan) and what the probe and
the rewrite make of it. The rows are found without parsing them, so the same sheet must come out
the same whichever way its rows come: as bytes (UTF-8, the split path), as lxml elements (a UTF-16
part, which is not split), and in blocks of any size. Rows the plan does not touch are copied
byte for byte; a part whose rows cannot be followed is refused, never guessed at.
"""

from __future__ import annotations

import io
import re

import pytest
from lxml import etree

from nmr_xl.model import Severity
from nmr_xl.write.package import scan
from nmr_xl.write.package.opc import Unsupported
from nmr_xl.write.package.probe import probe_sheet
from nmr_xl.write.package.scan import SheetSplit
from nmr_xl.write.package.sheet import SheetEdit, SheetStyles, rewrite_sheet

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_M = f"{{{MAIN}}}"

# Rows in every form the scanner must follow: Excel's, rows without numbers or with the number
# not first, a self-closing row, '>' inside an attribute value, markup whose content looks like
# rows (a comment, CDATA, a processing instruction), odd spacing inside tags, character
# references, and a cell right of the table that holds a formula without a stored result.
PLAIN_ROWS = (
    '<row r="1" spans="1:3"><c r="A1" t="inlineStr"><is><t>Patient</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>CPT</t></is></c><c r="C1" t="inlineStr"><is><t>Units</t>'
    '</is></c></row>\n'
    '<row r="2"><c r="A2" s="1" t="inlineStr"><is><t>P-1 &amp; &#10;co</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>97112</t></is></c><c r="C2"><v>3</v></c></row>\n'
    "<row r='3' ht='20' customHeight='1'><c r='A3' t='inlineStr'><is><t>P-2</t></is></c>"
    '<c r="C3" ><v >2</v ></c></row>\n'
    '<row spans="1:3" r="5"><c r="A5" t="inlineStr"><is><t>a&gt;b</t></is></c>'
    '<c r="B5" t="inlineStr"><is><t>97140</t></is></c><c r="C5"><v>1</v></c></row>\n'
    '<row><c r="A6" t="inlineStr"><is><t>no number</t></is></c><c r="C6"><v>4</v></c></row>\n'
    '<row r="8" x14ac:dyDescent="0.25" note="a &gt; b > c"><c r="A8" t="inlineStr"><is><t>P-4'
    '</t></is></c><c r="B8" t="inlineStr"><is><t>97110</t></is></c><c r="C8"><v>1</v></c>'
    '<c r="E8"><f>SUM(C2:C8)</f></c></row>\n'
    '<!-- <row r="9"><c r="A9"><v>1</v></c></row> -->\n'
    '<row r="10"><c r="A10" t="inlineStr"><is><t><![CDATA[<row r="11">]]></t></is></c>'
    '<?keep <row r="12"> ?><c r="C10"><v>2</v></c></row>\n'
    '<row r="13"/>\n'
    '<row r="14"><c r="A14" t="inlineStr"><is><t>last</t></is></c><c r="D14" s="2"/>'
    '<c r="F14"></c></row>\n'
    '<row r="15" ht="10" spans="1:7"><c r="A15" t="s"><v>0</v></c><c r="B15" s="4"/>'
    '<c r="C15" ><v>1</v></c><c r="D15" t="n" ><v >2</v ></c></row>\n'
)


def sheet(rows: str, prefix: str = "", tail: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns{":" + prefix if prefix else ""}="{MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<{p}worksheet {ns} xmlns:x14ac="http://schemas.microsoft.com/office/'
            f'spreadsheetml/2009/9/ac"><{p}dimension ref="A1:C14"/><{p}sheetData>\n'
            + rows.replace("<row", f"<{p}row").replace("</row", f"</{p}row")
            .replace("<c ", f"<{p}c ").replace("</c>", f"</{p}c>")
            .replace("<is>", f"<{p}is>").replace("</is>", f"</{p}is>")
            .replace("<t>", f"<{p}t>").replace("</t>", f"</{p}t>")
            .replace("<v>", f"<{p}v>").replace("</v>", f"</{p}v>")
            .replace("<f>", f"<{p}f>").replace("</f>", f"</{p}f>")
            + f'</{p}sheetData><{p}pageMargins left="0.7" right="0.7" top="0.75" '
            f'bottom="0.75" header="0.3" footer="0.3"/>{tail}</{p}worksheet>')


def utf16(xml: str) -> bytes:
    """The same part in UTF-16, which is not split: its rows come through lxml."""
    return xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


@pytest.fixture(params=[7, 64, 1 << 20], ids=["7-byte blocks", "64-byte blocks", "1 MiB blocks"])
def block(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(scan, "_CHUNK", request.param)
    return request.param


def rows_of(xml: bytes) -> list[tuple[int, bytes]]:
    split = SheetSplit(io.BytesIO(xml))
    assert split.split
    found = []
    for batch in split.batches():
        found += [(number, batch.data[slice(*batch.span(i))])
                  for i, number in enumerate(batch.numbers)]
    assert b"".join(split.tail()).startswith(b"</")
    return found


def numbered_rows(xml: bytes) -> list[tuple[int, str]]:
    """The rows as lxml reads them: number (implicit ones counted) and first cell."""
    rows, last = [], 0
    for row in etree.fromstring(xml).iter(f"{_M}row"):
        last = int(row.get("r")) if row.get("r") else last + 1
        rows.append((last, row[0].get("r") if len(row) else ""))
    return rows


@pytest.mark.parametrize("prefix", ["", "x"])
def test_rows_are_found_in_any_form_and_block_size(block: int, prefix: str) -> None:
    xml = sheet(PLAIN_ROWS, prefix).encode()
    found = rows_of(xml)
    first_cells = [re.search(rb'<(?:\w+:)?c r=["\x27](\w+)', data) for _, data in found]
    assert [(n, m.group(1).decode() if m else "") for (n, _), m in
            zip(found, first_cells, strict=True)] == numbered_rows(xml)
    # every byte of the rows is in exactly one row (or before the first)
    body = xml[xml.index(b"<" + (prefix.encode() + b":" if prefix else b"") + b"row"):
               xml.rindex(b"</" + (prefix.encode() + b":" if prefix else b"") + b"sheetData")]
    assert b"".join(data for _, data in found) == body


def edit() -> SheetEdit:
    """Marks on existing cells and on an empty one, findings on rows with and without a
    number, a taller row, and a row the sheet does not have (7)."""
    marks = {2: {2: Severity.ERROR, 3: Severity.WARNING}, 3: {3: Severity.INFO},
             6: {1: Severity.INFO}, 8: {2: Severity.ERROR}, 14: {2: Severity.WARNING},
             7: {3: Severity.ERROR}, 15: {2: Severity.WARNING, 3: Severity.ERROR}}
    texts = {1: (None, "Findings"), 2: (Severity.ERROR, "NMR305 error: 97112 & co\nline 2"),
             6: (Severity.INFO, " spaced "), 8: (Severity.ERROR, "NMR102"),
             7: (Severity.ERROR, "added"), 15: (Severity.WARNING, "a\r<b> & c _x0041_")}
    return SheetEdit(marks, 7, 1, texts, None, 30.0, {2: 45.0, 3: 12.0, 15: 30.0})


STYLES = SheetStyles(lambda base, severity: 100 + 10 * base + list(Severity).index(severity),
                     lambda severity: 200 if severity is None else 201)


def rewritten(data: bytes) -> bytes:
    out = io.BytesIO()
    rewrite_sheet(io.BytesIO(data), "xl/worksheets/sheet1.xml", edit(), STYLES, out.write)
    return out.getvalue()


def normalised(xml: bytes) -> bytes:
    """The XML as a reader sees it: implicit row numbers written out, white space between
    elements left out."""
    root = etree.fromstring(xml, etree.XMLParser(remove_blank_text=True, strip_cdata=True))
    last = 0
    for row in root.iter(f"{_M}row"):
        last = int(row.get("r")) if row.get("r") else last + 1
        row.set("r", str(last))
    for node in root.iter(etree.Comment, etree.ProcessingInstruction):
        node.getparent().remove(node)
    return etree.tostring(root, method="c14n")


@pytest.mark.parametrize("prefix", ["", "x"])
def test_rewrite_is_the_same_whichever_way_the_rows_come(block: int, prefix: str) -> None:
    xml = sheet(PLAIN_ROWS, prefix)
    as_bytes = rewritten(xml.encode())
    as_elements = rewritten(utf16(xml))
    assert normalised(as_bytes) == normalised(as_elements)
    rows = {int(r.get("r")): r for r in etree.fromstring(as_bytes).iter(f"{_M}row")
            if r.get("r")}
    assert [c.get("r") for c in rows[7]] == ["C7", "G7"]  # the row the sheet lacked
    assert rows[2].get("ht") == "45" and "spans" not in rows[2].attrib
    assert [c.get("s") for c in rows[2]] == ["1", str(STYLES.mark(0, Severity.ERROR)),
                                             str(STYLES.mark(0, Severity.WARNING)),
                                             str(STYLES.findings(Severity.ERROR))]
    assert rows[15].get("ht") == "30" and rows[3].get("ht") == "20"
    assert rows[15][1].get("s") == str(STYLES.mark(4, Severity.WARNING))
    findings = next(cell for cell in rows[15] if cell.get("r") == "G15")
    assert findings[0][0].text == "a\r<b> & c _x005F_x0041_"
    added = rows[14][1]  # a flagged empty cell, in column order
    assert added.get("r") == "B14" and added.get("s") == str(STYLES.mark(0, Severity.WARNING))


def test_untouched_rows_are_copied_byte_for_byte() -> None:
    xml = sheet(PLAIN_ROWS).encode()
    out = rewritten(xml)
    for number, data in rows_of(xml):
        if number in (5, 10, 13):
            assert data in out, number
    # in a row the plan changes, the cells it does not change keep their bytes too
    assert b'<c r="A15" t="s"><v>0</v></c><c r="B15" s="' in out
    assert b'<c r="D15" t="n" ><v >2</v ></c>' in out


@pytest.mark.parametrize("prefix", ["", "x"])
def test_probe_is_the_same_whichever_way_the_rows_come(block: int, prefix: str) -> None:
    # Right of a table ending in column D: a formula without a result (E8) is something; an
    # empty element (F14) is not, but counts for the extent.
    p = f"{prefix}:" if prefix else ""
    xml = sheet(PLAIN_ROWS, prefix, tail=f'<{p}legacyDrawing r:id="rId9" xmlns:r="http://'
                'schemas.openxmlformats.org/officeDocument/2006/relationships"/>')
    for data in (xml.encode(), utf16(xml)):
        probe = probe_sheet(io.BytesIO(data), "sheet1.xml", 4)
        assert probe.extent.taken == frozenset({5})
        assert probe.extent.last_column == 6
        assert probe.own.rows == 15
        assert probe.legacy_drawing == "rId9"
        assert probe.own.margins is not None and probe.own.margins.left == 0.7


def test_probe_finds_what_is_right_of_the_table(block: int) -> None:
    # an empty styled cell (C2) and an empty element (D2) hold nothing; a formula without a
    # result (E2) and an empty text (AA2) do: the reader sees neither
    rows = ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
            '<row r="2"><c r="A2"><v>1</v></c><c r="C2" s="3"/><c r="D2"></c><c r="E2"><f>A1'
            '</f></c><c r="AA2" t="inlineStr"><is><t></t></is></c></row><row r="3"/>')
    for data in (sheet(rows).encode(), utf16(sheet(rows))):
        probe = probe_sheet(io.BytesIO(data), "sheet1.xml", 2)
        assert probe.extent.taken == frozenset({5, 27})
        assert probe.extent.last_column == 27
        assert probe.own.rows == 3


def test_probe_reads_cells_in_other_forms() -> None:
    # cells without a reference follow the one before; a reference need not come first
    rows = ('<row r="1"><c r="A1"><v>1</v></c><c><v>2</v></c><c t="n" r="E1"><v>3</v></c>'
            '</row><row r="2"><c r="A2"/><c/><c/><c><f>A1</f></c></row>')
    probe = probe_sheet(io.BytesIO(sheet(rows).encode()), "sheet1.xml", 2)
    assert probe.extent.taken == frozenset({4, 5})
    assert probe.extent.last_column == 5


def test_a_row_that_cannot_be_placed_among_rows_out_of_order_is_refused() -> None:
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="6"/><row r="4"/><row r="8"/>'
    edit_rows = SheetEdit({5: {1: Severity.ERROR}}, None, 1, {}, None)  # row 5: added
    with pytest.raises(Unsupported):
        rewrite_sheet(io.BytesIO(sheet(rows).encode()), "s", edit_rows, STYLES, io.BytesIO().write)


@pytest.mark.parametrize("cut", ['<row r="14"><c r="A14"', "</sheetData>"])
def test_a_part_that_ends_inside_its_rows_is_refused(cut: str) -> None:
    xml = sheet(PLAIN_ROWS).encode()
    with pytest.raises(Unsupported):
        rewritten(xml[:xml.index(cut.encode())])

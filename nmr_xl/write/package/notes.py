"""Cell notes: the comments part of a sheet and the VML drawing Excel shows them with. A sheet's
own notes stay; a flagged cell that has one gets ours below it, the others a note of their own
(a comment and a hidden VML shape anchored beside the cell, as Excel writes them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from nmr_xl.plan import NOTE_AUTHOR, NOTE_SEPARATOR
from nmr_xl.write.package.opc import MAIN, q
from nmr_xl.write.package.sheet import cell_column, column_letters, set_text

VML = "urn:schemas-microsoft-com:vml"
OFFICE = "urn:schemas-microsoft-com:office:office"
EXCEL = "urn:schemas-microsoft-com:office:excel"
_NOTE_SHAPE_TYPE = "_x0000_t202"
_SHAPE_ID = re.compile(r"_x0000_s(\d+)")
_IDMAP = re.compile(rb"<o:idmap\b[^>]*\bdata=\"([\d,\s]*)\"")
_THREADED_AUTHOR = "tc="  # the legacy note Excel keeps beside a threaded comment


@dataclass(frozen=True)
class Note:
    row: int
    col: int
    text: str


def used_shape_blocks(vml_parts: Iterable[bytes]) -> set[int]:
    """The o:idmap blocks (of 1,024 shape ids each) the package's VML drawings use."""
    blocks: set[int] = set()
    for data in vml_parts:
        for match in _IDMAP.finditer(data):
            blocks.update(int(n) for n in re.split(rb"[,\s]+", match.group(1)) if n)
    return blocks


# --- comments part -----------------------------------------------------------------------------


def merge_comments(root: etree._Element | None, notes: list[Note]) -> tuple[etree._Element,
                                                                            list[Note], int]:
    """The comments part with our notes: (its root, the notes that need a new VML shape, the
    number of notes not added because the cell holds a threaded comment)."""
    if root is None:
        root = etree.Element(q(MAIN, "comments"), nsmap={None: MAIN})
    authors = _child(root, "authors", 0)
    names = [author.text or "" for author in authors]
    if NOTE_AUTHOR in names:
        ours = names.index(NOTE_AUTHOR)
    else:
        etree.SubElement(authors, q(MAIN, "author")).text = NOTE_AUTHOR
        ours = len(names)
    comment_list = _child(root, "commentList", 1)
    existing = {}
    for comment in comment_list:
        ref = comment.get("ref", "")
        try:
            existing[(_row(ref), cell_column(ref))] = comment
        except (ValueError, LookupError):
            continue
    fresh: list[Note] = []
    threaded = 0
    for note in notes:
        comment = existing.get((note.row, note.col))
        if comment is None:
            comment = etree.SubElement(comment_list, q(MAIN, "comment"),
                                       ref=f"{column_letters(note.col)}{note.row}",
                                       authorId=str(ours), shapeId="0")
            _run(_child(comment, "text", 0), note.text)
            fresh.append(note)
            continue
        author = int(comment.get("authorId", "0"))
        if 0 <= author < len(names) and names[author].startswith(_THREADED_AUTHOR):
            threaded += 1  # writing into it would break the thread Excel shows
            continue
        _run(_child(comment, "text", 0), NOTE_SEPARATOR + note.text)
    return root, fresh, threaded


def _row(ref: str) -> int:
    return int(re.sub(r"^\$?[A-Za-z]+\$?", "", ref))


def _child(parent: etree._Element, name: str, position: int) -> etree._Element:
    found = parent.find(q(MAIN, name))
    if found is None:
        found = parent.makeelement(q(MAIN, name), {})
        parent.insert(position, found)
    return found


def _run(text: etree._Element, content: str) -> None:
    """Append a run to a comment's rich text (before any phonetic runs, as CT_Rst orders them)."""
    run = text.makeelement(q(MAIN, "r"), {})
    set_text(etree.SubElement(run, q(MAIN, "t")), content)
    for index, child in enumerate(text):
        if child.tag in (q(MAIN, "rPh"), q(MAIN, "phoneticPr")):
            text.insert(index, run)
            return
    text.append(run)


# --- VML drawing -------------------------------------------------------------------------------


def new_vml(block: int) -> etree._Element:
    root = etree.Element("xml", nsmap={"v": VML, "o": OFFICE, "x": EXCEL})
    layout = etree.SubElement(root, q(OFFICE, "shapelayout"), {q(VML, "ext"): "edit"})
    etree.SubElement(layout, q(OFFICE, "idmap"), {q(VML, "ext"): "edit", "data": str(block)})
    return root


def add_note_shapes(root: etree._Element, notes: list[Note], free_block: int) -> None:
    """A hidden note shape per note, numbered after the drawing's own shapes (in blocks of
    1,024 the drawing's o:idmap lists)."""
    if not notes:
        return
    _ensure_shape_type(root)
    ids = [int(m.group(1)) for shape in root.iter(q(VML, "shape"))
           if (m := _SHAPE_ID.fullmatch(shape.get("id", "")))]
    idmap = next(root.iter(q(OFFICE, "idmap")), None)
    data = idmap.get("data", "") if idmap is not None else ""
    blocks = [int(n) for n in re.split(r"[,\s]+", data) if n]
    if not blocks:
        blocks = [free_block]
    next_id = max([*ids, blocks[0] * 1024]) + 1
    for note in notes:
        _shape(root, next_id, note)
        next_id += 1
    last_block = (next_id - 1) // 1024
    wanted = sorted(set(blocks) | set(range(blocks[0], last_block + 1)))
    if idmap is None:
        layout = root.find(q(OFFICE, "shapelayout"))
        if layout is None:
            layout = root.makeelement(q(OFFICE, "shapelayout"), {q(VML, "ext"): "edit"})
            root.insert(0, layout)
        idmap = etree.SubElement(layout, q(OFFICE, "idmap"), {q(VML, "ext"): "edit"})
    idmap.set("data", ",".join(str(b) for b in wanted))


def _ensure_shape_type(root: etree._Element) -> None:
    for shape_type in root.iter(q(VML, "shapetype")):
        if shape_type.get("id") == _NOTE_SHAPE_TYPE:
            return
    shape_type = etree.Element(q(VML, "shapetype"), {
        "id": _NOTE_SHAPE_TYPE, "coordsize": "21600,21600", q(OFFICE, "spt"): "202",
        "path": "m,l,21600r21600,l21600,xe"})
    etree.SubElement(shape_type, q(VML, "stroke"), joinstyle="miter")
    etree.SubElement(shape_type, q(VML, "path"), {"gradientshapeok": "t",
                                                  q(OFFICE, "connecttype"): "rect"})
    layout = root.find(q(OFFICE, "shapelayout"))
    root.insert(0 if layout is None else root.index(layout) + 1, shape_type)


def _shape(root: etree._Element, shape_id: int, note: Note) -> None:
    lines = note.text.count("\n") + 1 + len(note.text) // 60
    height = min(450, 12 * lines + 15)  # points, as the openpyxl copy sizes its notes
    shape = etree.SubElement(root, q(VML, "shape"), {
        "id": f"_x0000_s{shape_id}", "type": f"#{_NOTE_SHAPE_TYPE}",
        "style": f"position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:315pt;"
                 f"height:{height}pt;z-index:{shape_id % 1024 + 1};visibility:hidden",
        "fillcolor": "#ffffe1", q(OFFICE, "insetmode"): "auto"})
    etree.SubElement(shape, q(VML, "fill"), color2="#ffffe1")
    etree.SubElement(shape, q(VML, "shadow"), on="t", color="black", obscured="t")
    etree.SubElement(shape, q(VML, "path"), {q(OFFICE, "connecttype"): "none"})
    box = etree.SubElement(shape, q(VML, "textbox"), style="mso-direction-alt:auto")
    etree.SubElement(box, "div", style="text-align:left")
    data = etree.SubElement(shape, q(EXCEL, "ClientData"), ObjectType="Note")
    etree.SubElement(data, q(EXCEL, "MoveWithCells"))
    etree.SubElement(data, q(EXCEL, "SizeWithCells"))
    col, row = note.col - 1, note.row - 1  # zero-based, as VML counts
    rows = max(3, int(height // 15))
    etree.SubElement(data, q(EXCEL, "Anchor")).text = \
        f"{col + 1}, 15, {max(row - 1, 0)}, 2, {col + 6}, 15, {max(row - 1, 0) + rows}, 16"
    etree.SubElement(data, q(EXCEL, "AutoFill")).text = "False"
    etree.SubElement(data, q(EXCEL, "Row")).text = str(row)
    etree.SubElement(data, q(EXCEL, "Column")).text = str(col)

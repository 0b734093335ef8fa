"""Cell notes: the comments part of a sheet and the VML drawing Excel shows them with. A sheet's
own notes stay; a flagged cell that has one gets ours below it, the others a note of their own
(a comment and a hidden VML shape anchored beside the cell, as Excel writes them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from nmr_xl.model import column_letter
from nmr_xl.plan import NOTE_AUTHOR, NOTE_SEPARATOR
from nmr_xl.write.package.opc import TRANSITIONAL, namespace_of, q, xml_bytes
from nmr_xl.write.package.refs import cell_column, xstring
from nmr_xl.write.package.sheet import set_text

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


_PLACEHOLDER = "nmr-xl notes"  # where the new notes go, in the serialised part


def merge_comments(root: etree._Element | None, notes: list[Note],
                   main: str = TRANSITIONAL.main) -> tuple[etree._Element, list[Note], int, int]:
    """Our notes into the comments part: a cell's own note gets ours below it. Returns the
    part's root, the notes that need a comment (and a VML shape) of their own, the number of
    notes not added because the cell holds a threaded comment, and our author's index. A new
    part is in the SpreadsheetML namespace `main`; what is added to one, in its namespace."""
    if root is None:
        root = etree.Element(q(main, "comments"), nsmap={None: main})
    authors = _child(root, "authors", 0)
    names = [author.text or "" for author in authors]
    if NOTE_AUTHOR in names:
        ours = names.index(NOTE_AUTHOR)
    else:
        etree.SubElement(authors, q(namespace_of(authors.tag), "author")).text = NOTE_AUTHOR
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
            fresh.append(note)
            continue
        author = int(comment.get("authorId", "0"))
        if 0 <= author < len(names) and names[author].startswith(_THREADED_AUTHOR):
            threaded += 1  # writing into it would break the thread Excel shows
            continue
        _run(_child(comment, "text", 0), NOTE_SEPARATOR + note.text)
    return root, fresh, threaded, ours


def comments_part(root: etree._Element, fresh: list[Note], author: int) -> Iterator[bytes]:
    """The comments part, with a comment for each of the `fresh` notes (written as text: a
    sheet can get tens of thousands)."""
    comment_list = root.find(q(namespace_of(root.tag), "commentList"))
    assert comment_list is not None
    name = _prefixed(comment_list, "")
    yield from _around_placeholder(root, comment_list, (
        f'<{name}comment ref="{column_letter(n.col)}{n.row}" authorId="{author}" '
        f'shapeId="0"><{name}text><{name}r><{name}t xml:space="preserve">'
        f"{escape(xstring(n.text))}</{name}t></{name}r></{name}text></{name}comment>"
        for n in fresh))


def _prefixed(el: etree._Element, name: str) -> str:
    return f"{el.prefix}:{name}" if el.prefix else name


def _around_placeholder(root: etree._Element, parent: etree._Element,
                        items: Iterable[str]) -> Iterator[bytes]:
    marker = etree.Comment(_PLACEHOLDER)
    parent.append(marker)
    data = xml_bytes(root.getroottree())
    parent.remove(marker)
    before, after = data.split(f"<!--{_PLACEHOLDER}-->".encode(), 1)
    yield before
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= 1000:
            yield "".join(chunk).encode()
            chunk.clear()
    yield "".join(chunk).encode()
    yield after


def _row(ref: str) -> int:
    return int(re.sub(r"^\$?[A-Za-z]+\$?", "", ref))


def _child(parent: etree._Element, name: str, position: int) -> etree._Element:
    tag = q(namespace_of(parent.tag), name)
    found = parent.find(tag)
    if found is None:
        found = parent.makeelement(tag, {})
        parent.insert(position, found)
    return found


def _run(text: etree._Element, content: str) -> None:
    """Append a run to a comment's rich text (before any phonetic runs, as CT_Rst orders them)."""
    main = namespace_of(text.tag)
    run = text.makeelement(q(main, "r"), {})
    set_text(etree.SubElement(run, q(main, "t")), content)
    for index, child in enumerate(text):
        if child.tag in (q(main, "rPh"), q(main, "phoneticPr")):
            text.insert(index, run)
            return
    text.append(run)


# --- VML drawing ----------------------------------------------------------------------------------


def new_vml(block: int) -> etree._Element:
    root = etree.Element("xml", nsmap={"v": VML, "o": OFFICE, "x": EXCEL})
    layout = etree.SubElement(root, q(OFFICE, "shapelayout"), {q(VML, "ext"): "edit"})
    etree.SubElement(layout, q(OFFICE, "idmap"), {q(VML, "ext"): "edit", "data": str(block)})
    return root


def vml_part(root: etree._Element, notes: list[Note], free_block: int) -> Iterator[bytes]:
    """The VML drawing with a hidden note shape per note, numbered after the drawing's own
    shapes (in blocks of 1,024 that the drawing's o:idmap lists)."""
    _ensure_shape_type(root)
    ids = [int(m.group(1)) for shape in root.iter(q(VML, "shape"))
           if (m := _SHAPE_ID.fullmatch(shape.get("id", "")))]
    idmap = next(root.iter(q(OFFICE, "idmap")), None)
    data = idmap.get("data", "") if idmap is not None else ""
    blocks = [int(n) for n in re.split(r"[,\s]+", data) if n] or [free_block]
    first = max([*ids, blocks[0] * 1024]) + 1
    last_block = (first + len(notes) - 1) // 1024
    if idmap is None:
        layout = root.find(q(OFFICE, "shapelayout"))
        if layout is None:
            layout = root.makeelement(q(OFFICE, "shapelayout"), {q(VML, "ext"): "edit"})
            root.insert(0, layout)
        idmap = etree.SubElement(layout, q(OFFICE, "idmap"), {q(VML, "ext"): "edit"})
    idmap.set("data", ",".join(str(b) for b in sorted(
        set(blocks) | set(range(blocks[0], last_block + 1)))))
    # our shapes name the namespaces with our prefixes, declared where the part does not
    declare = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in
                      (("v", VML), ("o", OFFICE), ("x", EXCEL)) if root.nsmap.get(prefix) != uri)
    yield from _around_placeholder(root, root, (_shape(first + i, note, declare)
                                                for i, note in enumerate(notes)))


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


def _shape(shape_id: int, note: Note, declare: str) -> str:
    """A hidden note shape beside its cell, as Excel writes one."""
    lines = note.text.count("\n") + 1 + len(note.text) // 60
    height = min(450, 12 * lines + 15)  # points, as the openpyxl copy sizes its notes
    col, row = note.col - 1, note.row - 1  # zero-based, as VML counts
    top = max(row - 1, 0)
    anchor = f"{col + 1}, 15, {top}, 2, {col + 6}, 15, {top + max(3, height // 15)}, 16"
    return (f'<v:shape{declare} id="_x0000_s{shape_id}" type="#{_NOTE_SHAPE_TYPE}" '
            f'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:315pt;'
            f'height:{height}pt;z-index:{shape_id % 1024 + 1};visibility:hidden" '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/>'
            '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
            f"<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>")

"""The styles part, edited: the workbook's own fonts, fills and cell formats stay as they are
(indexes included, so every existing cell keeps its look); the formats nmr-xl needs are appended.
A flagged cell gets a new format that is its own (number format, borders, alignment, protection)
with our fill, and its own font in our colour.
"""

from __future__ import annotations

from copy import deepcopy

from lxml import etree

from nmr_xl.model import Severity
from nmr_xl.plan import STYLES
from nmr_xl.print_layout import SheetFont
from nmr_xl.summary_layout import HYPERLINK_BLUE, CellStyle
from nmr_xl.write.package.opc import (
    TRANSITIONAL,
    conformance,
    local,
    namespace_of,
    parser,
    q,
)

_LIST_TAGS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs")
# CT_Stylesheet's children, in the schema's order (to insert a missing list in its place)
_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
          "dxfs", "tableStyles", "colors", "extLst"]
# CT_Font's children in the order Excel writes them (the schema allows any order)
_FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign",
               "sz", "color", "name", "family", "charset", "scheme"]

_EMPTY_STYLESHEET = (
    '<styleSheet xmlns="{main}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
    '<{first}/><{second}/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf '
    'numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf '
    'numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
    '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def empty_stylesheet(main: str = TRANSITIONAL.main) -> etree._Element:
    """Excel's default stylesheet, in the SpreadsheetML namespace `main` (and that class's
    names for a border's sides)."""
    sides = (conformance(main) or TRANSITIONAL).border_sides
    return etree.fromstring(_EMPTY_STYLESHEET.format(main=main, first=sides[0],
                                                     second=sides[1]).encode(), parser())


def _argb(rgb: str) -> str:
    return "FF" + rgb.upper()


class StyleBook:
    """The stylesheet of the copy; every method returns a cellXfs index."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.main = namespace_of(root.tag)  # what the part is in, and what we add to it
        self.lists = {name: self._list(name) for name in _LIST_TAGS}
        defaults = empty_stylesheet(self.main)
        for name in ("fonts", "fills", "borders", "cellStyleXfs", "cellXfs"):
            if not len(self.lists[name]):  # an empty stylesheet: Excel's defaults, as it reads it
                for el in defaults.find(q(self.main, name)):
                    self._append(name, el)
        self._fills: dict[str, int] = {}
        self._bases: dict[SheetFont, int] = {}
        self._fonts: dict[tuple[int, str | None, bool, float | None, bool], int] = {}
        self._xfs: dict[tuple[object, ...], int] = {}

    def _list(self, name: str) -> etree._Element:
        found = self.root.find(q(self.main, name))
        if found is not None:
            return found
        created = self.root.makeelement(q(self.main, name), {})
        later = [q(self.main, n) for n in _ORDER[_ORDER.index(name) + 1:]]
        for index, child in enumerate(self.root):
            if child.tag in later:
                self.root.insert(index, created)
                break
        else:
            self.root.append(created)
        return created

    def _append(self, name: str, el: etree._Element) -> int:
        parent = self.lists[name]
        parent.append(el)
        parent.set("count", str(len(parent)))
        return len(parent) - 1

    # --- fills and fonts ---

    def fill(self, rgb: str) -> int:
        if rgb not in self._fills:
            fill = self.root.makeelement(q(self.main, "fill"), {})
            pattern = etree.SubElement(fill, q(self.main, "patternFill"), patternType="solid")
            etree.SubElement(pattern, q(self.main, "fgColor"), rgb=_argb(rgb))
            etree.SubElement(pattern, q(self.main, "bgColor"), indexed="64")
            self._fills[rgb] = self._append("fills", fill)
        return self._fills[rgb]

    def font(self, base: int, color: str | None = None, bold: bool = False,
             size: float | None = None, underline: bool = False) -> int:
        """Font `base` of the workbook with the changes asked for."""
        fonts = self.lists["fonts"]
        base = base if 0 <= base < len(fonts) else 0
        key = (base, color, bold, size, underline)
        if key not in self._fonts:
            font = deepcopy(fonts[base])
            font.tail = None
            if color:
                _put(font, "color", rgb=_argb(color))
            if bold:
                _put(font, "b")
            if size:
                _put(font, "sz", val=f"{size:g}")
            if underline:
                _put(font, "u")
            self._fonts[key] = self._append("fonts", font)
        return self._fonts[key]

    def base_font(self, font: SheetFont) -> int:
        """A plain font of the workbook in `font`'s name and size (the workbook's default font
        changed to it, when it has none)."""
        if font.name is None:
            return 0
        if font not in self._bases:
            fonts = self.lists["fonts"]
            for index, el in enumerate(fonts):
                if font_of(el) == font and not any(el.find(q(self.main, name)) is not None
                                                   for name in ("b", "i", "u", "strike")):
                    self._bases[font] = index
                    break
            else:
                el = deepcopy(fonts[0])
                el.tail = None
                scheme = el.find(q(self.main, "scheme"))
                if scheme is not None:  # a theme font would override the name
                    el.remove(scheme)
                _put(el, "name", val=font.name)
                _put(el, "sz", val=f"{font.size:g}")
                self._bases[font] = self._append("fonts", el)
        return self._bases[font]

    def sheet_font(self, xf: int) -> SheetFont:
        """The font of cell format `xf`."""
        xfs, fonts = self.lists["cellXfs"], self.lists["fonts"]
        xf_el = xfs[xf] if 0 <= xf < len(xfs) else None
        index = int(xf_el.get("fontId", "0")) if xf_el is not None and \
            (xf_el.get("fontId") or "").isdigit() else 0
        return font_of(fonts[index]) if 0 <= index < len(fonts) else SheetFont()

    # --- cell formats ---

    def _xf(self, key: tuple[object, ...], base: int, font: int, fill: int | None,
            top: bool = False, wrap: bool = False) -> int:
        if key not in self._xfs:
            xfs = self.lists["cellXfs"]
            xf = deepcopy(xfs[base if 0 <= base < len(xfs) else 0])
            xf.tail = None
            xf.set("fontId", str(font))
            xf.set("applyFont", "1")
            if fill is not None:
                xf.set("fillId", str(fill))
                xf.set("applyFill", "1")
            if top or wrap:
                alignment = xf.find(q(self.main, "alignment"))
                if alignment is None:
                    alignment = xf.makeelement(q(self.main, "alignment"), {})
                    xf.insert(0, alignment)
                if top:
                    alignment.set("vertical", "top")
                if wrap:
                    alignment.set("wrapText", "1")
                xf.set("applyAlignment", "1")
            self._xfs[key] = self._append("cellXfs", xf)
        return self._xfs[key]

    def mark(self, base: int, severity: Severity) -> int:
        """A flagged cell: its own format, our fill, its own font in our colour."""
        xfs = self.lists["cellXfs"]
        base = base if 0 <= base < len(xfs) else 0
        style = STYLES[severity]
        font = self.font(int(xfs[base].get("fontId", "0")), color=style.font)
        return self._xf(("mark", base, severity), base, font, self.fill(style.fill))

    def plain(self, style: CellStyle | None, link: bool = False,
              font: SheetFont | None = None) -> int:
        """A cell of ours (findings column, summary sheet), in the sheet's font."""
        base = self.base_font(font or SheetFont())
        if style is None and not link and base == 0:
            return 0
        style = style or CellStyle()
        color = HYPERLINK_BLUE if link else style.font_color
        font_id = self.font(base, color=color, bold=style.bold, size=style.size,
                            underline=link)
        fill = self.fill(style.fill) if style.fill else None
        return self._xf(("plain", style, link, base), 0, font_id, fill, top=style.wrap_top,
                        wrap=style.wrap_top)

    def findings(self, severity: Severity | None, font: SheetFont | None = None) -> int:
        """The findings column, wrapped, in the sheet's font: the header bold, each line's text
        in its severity's colours."""
        if severity is None:
            return self.plain(CellStyle(bold=True), font=font)
        style = STYLES[severity]
        base = self.base_font(font or SheetFont())
        font_id = self.font(base, color=style.font)
        # at the foot of the row, as the line's own values (Excel's default), so that a taller
        # row's findings read as that line's
        return self._xf(("findings", severity, base), 0, font_id, self.fill(style.fill),
                        wrap=True)


def font_of(el: etree._Element) -> SheetFont:
    """A <font>'s name and size."""
    main = namespace_of(el.tag)
    name, size = el.find(q(main, "name")), el.find(q(main, "sz"))
    try:
        points = float(size.get("val", "11")) if size is not None else 11.0
    except ValueError:
        points = 11.0
    return SheetFont(name.get("val") if name is not None else None, points)


def _put(font: etree._Element, name: str, **attrib: str) -> None:
    """Set a child of a font, replacing one of the same name, in Excel's order."""
    tag = q(namespace_of(font.tag), name)
    for child in font:
        if child.tag == tag:
            child.attrib.clear()
            child.attrib.update(attrib)
            return
    el = font.makeelement(tag, attrib)
    rank = _FONT_ORDER.index(name)
    for index, child in enumerate(font):
        other = local(child.tag)
        if other in _FONT_ORDER and _FONT_ORDER.index(other) > rank:
            font.insert(index, el)
            return
    font.append(el)

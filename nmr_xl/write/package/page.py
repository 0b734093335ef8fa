"""A sheet's print settings as SpreadsheetML: what a PageSetup of the plan (nmr_xl.print_layout)
adds to a sheet, and what a sheet sets itself (read back into an OwnPrint for the plan).
Elements are built with lxml, so the sheet rewrite writes them with the sheet's own prefixes;
new ones in the SpreadsheetML namespace `main` of the package's conformance class, those added
to an element of the sheet in that element's own namespace.
"""

from __future__ import annotations

from lxml import etree

from nmr_xl.model import column_letter
from nmr_xl.print_layout import Margins, PageSetup
from nmr_xl.write.package.opc import namespace_of, q

_TRUE = ("1", "true")


def _element(name: str, main: str, **attrib: str) -> etree._Element:
    return etree.Element(q(main, name), attrib, nsmap={None: main})


def _in(el: etree._Element, name: str) -> str:
    """`name` in the namespace of `el` (a child of it is in its namespace)."""
    return q(namespace_of(el.tag), name)


def margins_element(margins: Margins, main: str) -> etree._Element:
    return _element("pageMargins", main, **{
        name: f"{getattr(margins, name):g}"
        for name in ("left", "right", "top", "bottom", "header", "footer")})


def set_page_setup(el: etree._Element, page: PageSetup) -> None:
    """The plan's orientation, scale and page order on a <pageSetup> (its other settings, the
    paper size and printer settings among them, stay)."""
    if page.orientation:
        el.set("orientation", page.orientation)
    if page.scale:
        el.set("scale", str(page.scale))
    if page.across_then_down:
        el.set("pageOrder", "overThenDown")


def page_setup_element(page: PageSetup, main: str) -> etree._Element | None:
    if not (page.orientation or page.scale or page.across_then_down):
        return None
    el = _element("pageSetup", main)
    set_page_setup(el, page)
    return el


def add_header_footer(el: etree._Element, page: PageSetup) -> None:
    """Our page header and footer into a <headerFooter> that has neither (CT_HeaderFooter lists
    oddHeader, oddFooter first)."""
    for index, (name, text) in enumerate((("oddHeader", page.header),
                                          ("oddFooter", page.footer))):
        if text and el.find(_in(el, name)) is None:
            child = el.makeelement(_in(el, name), {})
            child.text = text
            el.insert(index, child)


def header_footer_element(page: PageSetup, main: str) -> etree._Element | None:
    if not (page.header or page.footer):
        return None
    el = _element("headerFooter", main)
    add_header_footer(el, page)
    return el


def row_breaks_element(rows: tuple[int, ...], main: str) -> etree._Element | None:
    if not rows:
        return None
    el = _element("rowBreaks", main, count=str(len(rows)), manualBreakCount=str(len(rows)))
    for row in rows:
        etree.SubElement(el, q(main, "brk"), id=str(row), max="16383", man="1")
    return el


def add_pane(view: etree._Element, freeze: tuple[int, int]) -> None:
    """Freeze `freeze` (rows, columns) in a <sheetView> that has no pane (CT_SheetView lists
    pane first)."""
    rows, cols = freeze
    if view.find(_in(view, "pane")) is not None or not (rows or cols):
        return
    active = ("bottomRight" if rows and cols else "bottomLeft" if rows else "topRight")
    pane = view.makeelement(_in(view, "pane"), {})
    if cols:
        pane.set("xSplit", str(cols))
    if rows:
        pane.set("ySplit", str(rows))
    pane.set("topLeftCell", f"{column_letter(cols + 1)}{rows + 1}")
    pane.set("activePane", active)
    pane.set("state", "frozen")
    view.insert(0, pane)
    for selection in view.findall(_in(view, "selection")):
        if selection.get("pane") is None:  # the selection now belongs to the scrolling pane
            selection.set("pane", active)


def sheet_views_element(freeze: tuple[int, int], main: str) -> etree._Element:
    views = _element("sheetViews", main)
    view = etree.SubElement(views, q(main, "sheetView"), workbookViewId="0")
    add_pane(view, freeze)
    return views


def fit_to_page_off(sheet_pr: etree._Element) -> None:
    """A scale of ours replaces fit-to-page (Excel prints fit-to-page when it is on)."""
    setup = sheet_pr.find(_in(sheet_pr, "pageSetUpPr"))
    if setup is not None and setup.get("fitToPage") in _TRUE:
        setup.set("fitToPage", "0")


def is_true(value: str | None) -> bool:
    return value in _TRUE

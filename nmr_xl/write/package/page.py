"""A sheet's print settings as SpreadsheetML: what a PageSetup of the plan (nmr_xl.print_layout)
adds to a sheet, and what a sheet sets itself (read back into an OwnPrint for the plan).
Elements are built with lxml, so the sheet rewrite writes them with the sheet's own prefixes.
"""

from __future__ import annotations

from lxml import etree

from nmr_xl.model import column_letter
from nmr_xl.print_layout import Margins, PageSetup
from nmr_xl.write.package.opc import MAIN, q

_TRUE = ("1", "true")


def _element(name: str, **attrib: str) -> etree._Element:
    return etree.Element(q(MAIN, name), attrib, nsmap={None: MAIN})


def margins_element(margins: Margins) -> etree._Element:
    return _element("pageMargins", **{
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


def page_setup_element(page: PageSetup) -> etree._Element | None:
    if not (page.orientation or page.scale or page.across_then_down):
        return None
    el = _element("pageSetup")
    set_page_setup(el, page)
    return el


def add_header_footer(el: etree._Element, page: PageSetup) -> None:
    """Our page header and footer into a <headerFooter> that has neither (CT_HeaderFooter lists
    oddHeader, oddFooter first)."""
    for index, (name, text) in enumerate((("oddHeader", page.header),
                                          ("oddFooter", page.footer))):
        if text and el.find(q(MAIN, name)) is None:
            child = el.makeelement(q(MAIN, name), {})
            child.text = text
            el.insert(index, child)


def header_footer_element(page: PageSetup) -> etree._Element | None:
    if not (page.header or page.footer):
        return None
    el = _element("headerFooter")
    add_header_footer(el, page)
    return el


def row_breaks_element(rows: tuple[int, ...]) -> etree._Element | None:
    if not rows:
        return None
    el = _element("rowBreaks", count=str(len(rows)), manualBreakCount=str(len(rows)))
    for row in rows:
        etree.SubElement(el, q(MAIN, "brk"), id=str(row), max="16383", man="1")
    return el


def add_pane(view: etree._Element, freeze: tuple[int, int]) -> None:
    """Freeze `freeze` (rows, columns) in a <sheetView> that has no pane (CT_SheetView lists
    pane first)."""
    rows, cols = freeze
    if view.find(q(MAIN, "pane")) is not None or not (rows or cols):
        return
    active = ("bottomRight" if rows and cols else "bottomLeft" if rows else "topRight")
    pane = view.makeelement(q(MAIN, "pane"), {})
    if cols:
        pane.set("xSplit", str(cols))
    if rows:
        pane.set("ySplit", str(rows))
    pane.set("topLeftCell", f"{column_letter(cols + 1)}{rows + 1}")
    pane.set("activePane", active)
    pane.set("state", "frozen")
    view.insert(0, pane)
    for selection in view.findall(q(MAIN, "selection")):
        if selection.get("pane") is None:  # the selection now belongs to the scrolling pane
            selection.set("pane", active)


def sheet_views_element(freeze: tuple[int, int]) -> etree._Element:
    views = _element("sheetViews")
    view = etree.SubElement(views, q(MAIN, "sheetView"), workbookViewId="0")
    add_pane(view, freeze)
    return views


def fit_to_page_off(sheet_pr: etree._Element) -> None:
    """A scale of ours replaces fit-to-page (Excel prints fit-to-page when it is on)."""
    setup = sheet_pr.find(q(MAIN, "pageSetUpPr"))
    if setup is not None and setup.get("fitToPage") in _TRUE:
        setup.set("fitToPage", "0")


def is_true(value: str | None) -> bool:
    return value in _TRUE

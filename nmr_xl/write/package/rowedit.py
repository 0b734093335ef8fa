"""A row the plan changes, edited as bytes where it has the usual form: its number in its start
tag, every cell starting `<c r="`, each flagged cell there already, and nothing in or right of
the findings column. That is nearly every row an export has, and editing the bytes is several
times as quick as parsing the row and writing it out again. Any other row goes through lxml
(nmr_xl.write.package.sheet), which gives the same XML: a test holds the two ways to the same
result. The cells the plan does not change keep their bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nmr_xl.model import Severity, column_letter
from nmr_xl.write.package.refs import decimal, letters_after, xstring

_ATTRIBUTES = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""
_ATTRIBUTE = re.compile(rb"""\s+([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")


@dataclass
class RowPatch:
    """A row found editable as bytes: where its start tag ends and its end tag starts, and its
    flagged cells' start tags (by column)."""

    data: bytes
    index: int
    head: re.Match[bytes]
    end: int
    cells: dict[int, re.Match[bytes]]


class RowEditor:
    """Edits rows of a sheet whose <sheetData> start tag has `prefix`, as the plan says: a style
    on flagged cells (`marks`), a findings cell in column `findings[0]` (texts by row), a row
    height; `mark_style(own, severity)` and `findings_style(severity)` give style indexes as
    text."""

    def __init__(self, prefix: bytes, marks: dict[int, dict[int, Severity]],
                 findings: tuple[int, dict[int, tuple[Severity | None, str]]] | None,
                 heights: dict[int, float], mark_style: Callable[[int, Severity], str],
                 findings_style: Callable[[Severity | None], str]) -> None:
        name = re.escape(prefix)
        self.prefix = prefix
        self._row = re.compile(rb"<" + name + rb"row(" + _ATTRIBUTES + rb")\s*>")
        self._cell = re.compile(rb"<" + name + rb'c r="[A-Za-z]{1,3}\d+"(' + _ATTRIBUTES
                                + rb")\s*(/?)>")
        self._c = b"<" + prefix + b"c"  # a cell's start tag, or another element's beginning so
        self._numbered_cell = b"<" + prefix + b'c r="'
        self._end = b"</" + prefix + b"row>"
        self._other = re.compile(rb"<[!?]|<" + name + rb"extLst[\s/>]")
        self._in_findings = re.compile(re.escape(self._numbered_cell) + rb"(?:" + letters_after(
            findings[0] - 1 if findings is not None else 1 << 20) + rb")\d")
        self.marks, self.findings, self.heights = marks, findings, heights
        self.mark_style, self.findings_style = mark_style, findings_style

    def patch(self, data: bytes, index: int) -> RowPatch | None:
        """`data` (one row, and the white space after it), if it can be edited as bytes."""
        head = self._row.match(data)
        if head is None:
            return None
        start, end = head.end(), data.rfind(self._end)
        if (end < start or data[end + len(self._end):].strip()
                or self._other.search(data, start, end) or not _numbered(head.group(1))
                or data.count(self._c, start, end) != data.count(self._numbered_cell, start, end)):
            return None  # markup, an extLst, a cell without its reference first, rich text ...
        cells = {}
        for col in self.marks.get(index, {}):
            ref = b'%s%s%d"' % (self._numbered_cell, column_letter(col).encode(), index)
            found = data.find(ref, start, end)
            cell = self._cell.match(data, found) if found >= 0 else None
            if cell is None or data.count(ref, start, end) > 1:
                return None  # a flagged empty cell (a new cell, placed by lxml), or two
            cells[col] = cell
        if (self.findings is not None and index in self.findings[1]
                and self._in_findings.search(data, start, end)):
            return None  # something in or right of the findings column
        return RowPatch(data, index, head, end, cells)

    def apply(self, patch: RowPatch) -> bytes:
        """The row edited, as lxml would write the changes (attributes added at the end)."""
        data, index = patch.data, patch.index
        attributes = _ATTRIBUTE.findall(patch.head.group(1))
        height = self.heights.get(index)
        if height is not None and height > decimal(_value(attributes, b"ht"), 0):
            attributes = _set(_set(attributes, b"ht", f"{height:g}"), b"customHeight", "1")
        attributes = [(name, value) for name, value in attributes if name != b"spans"]
        tags = {}  # the flagged cells' new start tags, styled in column order as lxml does
        for col, severity in sorted(self.marks.get(index, {}).items()):
            cell = patch.cells[col]
            own = _value(cell_attributes := _ATTRIBUTE.findall(cell.group(1)), b"s")
            style = self.mark_style(int(own) if own and own.isdigit() else 0, severity)
            tags[cell.start()] = (cell, b"".join([data[cell.start():cell.start(1)],
                                                  *_written(_set(cell_attributes, b"s", style)),
                                                  cell.group(2), b">"]))
        pieces = [b"<" + self.prefix + b"row", *_written(attributes), b">"]
        position = patch.head.end()
        for cell, tag in (tags[at] for at in sorted(tags)):
            pieces += [data[position:cell.start()], tag]
            position = cell.end()
        pieces.append(data[position:patch.end])
        if self.findings is not None and index in self.findings[1]:
            pieces.append(self._findings_cell(self.findings[0], index, *self.findings[1][index]))
        pieces.append(data[patch.end:])
        return b"".join(pieces)

    def _findings_cell(self, col: int, index: int, severity: Severity | None, text: str
                       ) -> bytes:
        p = self.prefix.decode()
        space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
        body = (xstring(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\r", "&#13;"))
        return (f'<{p}c r="{column_letter(col)}{index}" s="{self.findings_style(severity)}" '
                f't="inlineStr"><{p}is><{p}t{space}>{body}</{p}t></{p}is></{p}c>').encode()


def _numbered(attributes: bytes) -> bool:
    """Whether a row's start tag gives its number."""
    return attributes.startswith(b' r="') or any(
        found == b"r" for found, _ in _ATTRIBUTE.findall(attributes))


def _value(attributes: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for found, value in attributes:
        if found == name:
            return value[1:-1].decode()
    return None


def _set(attributes: list[tuple[bytes, bytes]], name: bytes, value: str
         ) -> list[tuple[bytes, bytes]]:
    """The attribute set where it is, or added at the end (as lxml does)."""
    quoted = f'"{value}"'.encode()
    if any(found == name for found, _ in attributes):
        return [(found, quoted if found == name else old) for found, old in attributes]
    return [*attributes, (name, quoted)]


def _written(attributes: list[tuple[bytes, bytes]]) -> list[bytes]:
    return [b" " + name + b"=" + value for name, value in attributes]

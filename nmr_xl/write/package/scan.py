"""A worksheet part streamed in two layers: its rows as bytes, found without parsing them, and
the rest of the part (its skeleton: what comes before and after the rows) through lxml.

A 100,000-line sheet is some 50 MB of row XML, and a writer changes a few rows in six: parsing
and serialising every row with lxml cost more than the rest of the copy. Here the rows are
located by their start tags alone, which is exact for well-formed XML: inside <sheetData> every
'<' starts a tag, a comment, a CDATA section or a processing instruction (a '<' cannot stand in
text or in an attribute value), and the latter three are stepped over whole. A writer then
parses only the rows it needs. The skeleton is parsed as a document of its own (the part with
its rows left out), so its elements come through lxml's checks as before.

A part that is not UTF-8 (Excel never writes another encoding) is not split: its rows come
through lxml as elements, as every other element does.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import IO, TypeVar

from lxml import etree

from nmr_xl.write.package.opc import (
    PARSER_OPTIONS,
    TRANSITIONAL,
    Unsupported,
    local,
    namespace_of,
    parser,
    q,
    refuse_dtd,
)

T = TypeVar("T")
_CHUNK = 1 << 20
# The most of a part held at once: the skeleton before the rows (a part whose rows do not start
# within it is streamed through lxml instead), or one row (a longer one is refused). Neither
# happens with what spreadsheets write.
_HELD_LIMIT = 32 << 20
_ATTRIBUTES = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""
_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"
_HEAD = re.compile(rb"<(?:(?P<prefix>" + _NAME + rb")sheetData" + _ATTRIBUTES
                   + rb"\s*(?P<empty>/?)>|(?P<skip>!--|!\[CDATA\[|\?))")
_SKIP_ENDS = {b"!--": b"-->", b"![CDATA[": b"]]>", b"?": b"?>"}
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_DECLARED = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_BOM = b"\xef\xbb\xbf"


class RowBatch:
    """Part of the rows' bytes: `data[:end]`. Rows start at `starts` (each going on to the next
    one's start, the last to `end`), numbered `numbers`; the bytes before the first row (white
    space, comments) belong to no row. A row that carries its number first (`<row r="5"`, as
    Excel and most programs write them) is found by it without listing every row."""

    def __init__(self, data: bytes, end: int, previous: int, patterns: _Patterns,
                 found: list[re.Match[bytes]] | None = None) -> None:
        self.data, self.end = data, end
        self._previous = previous  # the number of the row before the batch
        self._patterns = patterns
        self._found = found
        self._rows: tuple[list[int], list[int]] | None = None

    @property
    def starts(self) -> list[int]:
        return self._listed()[0]

    @property
    def numbers(self) -> list[int]:
        return self._listed()[1]

    def _listed(self) -> tuple[list[int], list[int]]:
        if self._rows is None:
            found = self._found
            if found is None:
                found = list(self._patterns.plain.finditer(self.data, 0, self.end))
            self._rows = [match.start() for match in found], _numbers(found, self._previous)
        return self._rows

    def span(self, i: int) -> tuple[int, int]:
        """Where the i-th row starts and ends."""
        starts = self.starts
        return starts[i], starts[i + 1] if i + 1 < len(starts) else self.end

    @property
    def last_number(self) -> int | None:
        """The number of the batch's last row (None: it has none)."""
        if self._found is None:
            start = self._patterns.last_start(self.data, self.end)
            if start < 0:
                return None
            match = self._patterns.plain.match(self.data, start)
            if match is not None and match.group("number"):
                return int(match.group("number"))
        numbers = self.numbers
        return numbers[-1] if numbers else None

    def find(self, number: int, after: int = 0) -> tuple[int, int] | None:
        """Where the row numbered `number` starts and ends, looked for from `after`: by its
        number where it carries it first; in a batch with comments ..., in the list of its rows
        (which must be in order). None: not found (it may still be there, numbered otherwise)."""
        if self._found is None:
            start = self.data.find(b'%s%d"' % (self._patterns.numbered, number), after, self.end)
            if start < 0:
                return None
            following = self._patterns.next_start(self.data, start + 1, self.end)
            return start, following if following >= 0 else self.end
        numbers = self.numbers
        i = bisect_left(numbers, number)
        if i < len(numbers) and numbers[i] == number and self.starts[i] >= after:
            return self.span(i)
        return None


class _Patterns:
    """How the rows of a part whose <sheetData> start tag has `prefix` are found."""

    def __init__(self, prefix: bytes) -> None:
        name = re.escape(prefix)
        row = rb'row(?: r="(?P<number>\d*)")?(?P<attributes>' + _ATTRIBUTES + rb")\s*/?>"
        end = rb"/" + name + rb"sheetData\s*>"
        # row start tags, the end of <sheetData>, and markup whose content is stepped over
        self.markup = re.compile(rb"<(?:" + name + row + rb"|(?P<end>" + end
                                 + rb")|(?P<skip>!--|!\[CDATA\[|\?))")
        self.plain = re.compile(rb"<" + name + row)  # row start tags alone
        self.end = re.compile(rb"<" + end)
        self.start = b"<" + prefix + b"row"
        self.numbered = b"<" + prefix + b'row r="'

    def next_start(self, data: bytes, start: int, end: int) -> int:
        """Where the first row start tag at or after `start` is (-1: none before `end`)."""
        while (found := data.find(self.start, start, end)) >= 0:
            if data[found + len(self.start):found + len(self.start) + 1] in _AFTER_NAME:
                return found
            start = found + 1
        return -1

    def last_start(self, data: bytes, end: int) -> int:
        """Where the last row start tag before `end` is (-1: none)."""
        while (found := data.rfind(self.start, 0, end)) >= 0:
            if data[found + len(self.start):found + len(self.start) + 1] in _AFTER_NAME:
                return found
            end = found
        return -1


_AFTER_NAME = (b" ", b"\t", b"\n", b"\r", b">", b"/", b"")  # what may follow a tag's name


def _numbers(found: list[re.Match[bytes]], previous: int) -> list[int]:
    values = [match.group("number") for match in found]
    if all(values):  # every row numbered, as Excel writes them
        return list(map(int, values))
    numbers = []
    for match, value in zip(found, values, strict=True):
        previous = int(value) if value else _row_number(match.group("attributes"), previous)
        numbers.append(previous)
    return numbers


class SheetSplit:
    """A worksheet part read from `source`: the skeleton before its rows (`head`, which ends
    with the <sheetData> start tag), its rows (`batches()`) and what follows them (`tail()`).
    When the part cannot be split, `split` is False, and head and tail are the whole part."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.split = False
        self.prefix = b""
        self._rest = b""
        self._last_row = 0
        self.head = self._read_head()

    def _read_head(self) -> bytes:
        data = b""
        scanned = 0  # where the search for <sheetData> goes on from
        while len(data) <= _HELD_LIMIT:
            block = self.source.read(_CHUNK)
            if not block:
                break
            data += block
            if not _utf8(data):
                break
            found, scanned = _sheet_data(data, scanned)
            if found is None:
                continue
            if found.group("empty"):  # no rows: nothing to split
                break
            self.split = True
            self.prefix = found.group("prefix")
            self._patterns = _Patterns(self.prefix)
            self._rest = data[found.end():]
            return data[:found.end()]
        return data

    def batches(self) -> Iterator[RowBatch]:
        """The rows, a megabyte or so at a time; then tail() holds what follows them."""
        assert self.split
        data = self._rest
        while True:
            block = self.source.read(_CHUNK)
            data = data + block if data else block
            batch, done = self._batch(data, final=not block)
            if batch.end:
                yield batch
            data = data[batch.end:]
            if done:
                self._rest = data
                return
            if len(data) > _HELD_LIMIT:
                raise Unsupported("a row of a worksheet part is too long")

    def _batch(self, data: bytes, final: bool) -> tuple[RowBatch, bool]:
        patterns = self._patterns
        found = None
        # Without comments, CDATA or processing instructions (nearly always), rows and the end
        # of <sheetData> are searched for apart, each by its literal start: several times faster.
        if has_markup(data, 0, len(data)):
            found, stop, done = self._with_markup(data)
        else:
            end = patterns.end.search(data)
            stop, done = (end.start(), True) if end else (len(data), False)
        if not done:
            if final:
                raise Unsupported("a worksheet part ends inside its rows")
            # the last row may go on in the next block: it is read again with it
            if found is not None:
                stop = found.pop().start() if found else 0
            else:
                stop = max(patterns.last_start(data, stop), 0)
        batch = RowBatch(data, stop, self._last_row, patterns, found)
        last = batch.last_number
        if last is not None:
            self._last_row = last
        return batch, done

    def _with_markup(self, data: bytes) -> tuple[list[re.Match[bytes]], int, bool]:
        """Row start tags up to the end of <sheetData> (found: True) or of `data`, stepping over
        comments, CDATA and processing instructions (where one goes on past `data`, up to it)."""
        found: list[re.Match[bytes]] = []
        skip_until = 0
        for match in self._patterns.markup.finditer(data):
            if match.start() < skip_until:
                continue
            if match.lastgroup == "end":
                return found, match.start(), True
            skip = match.group("skip")
            if not skip:
                found.append(match)
                continue
            after = data.find(_SKIP_ENDS[skip], match.end())
            if after < 0:
                return found, match.start(), False
            skip_until = after + len(_SKIP_ENDS[skip])
        return found, len(data), False

    def tail(self) -> Iterator[bytes]:
        """The rest of the part: after the rows when it was split, else after `head`."""
        if self._rest:
            yield self._rest
        while block := self.source.read(_CHUNK):
            yield block


def _sheet_data(data: bytes, scanned: int) -> tuple[re.Match[bytes] | None, int]:
    """The <sheetData> start tag in `data`, searched from `scanned` on; else None, and where to
    search from once more has been read."""
    skip_until = scanned
    for match in _HEAD.finditer(data, scanned):
        if match.start() < skip_until:
            continue
        skip = match.group("skip")
        if not skip:
            return match, match.end()
        stop = data.find(_SKIP_ENDS[skip], match.end())
        if stop < 0:
            return None, match.start()
        skip_until = stop + len(_SKIP_ENDS[skip])
    cut = data.rfind(b"<", skip_until)  # a tag may be cut at the end of what was read
    return None, cut if cut >= 0 else len(data)


def has_markup(data: bytes, start: int, end: int) -> bool:
    """Whether `data[start:end]` holds a comment, CDATA or a processing instruction (looked for
    by '!' and '?' first: a search for '<!' is slow where every tenth byte is a '<')."""
    return any(data.find(mark, start, end) >= 0 and data.find(b"<" + mark, start, end) >= 0
               for mark in (b"!", b"?"))


def _row_number(attributes: bytes, previous: int) -> int:
    """A row's number (r), or the one after the row before when it has none, as Excel reads it."""
    if attributes.startswith(b' r="'):
        value = attributes[4:attributes.find(b'"', 4)]
    else:
        found = _ROW_NUMBER.search(attributes)
        value = found.group(1) if found else b""
    return int(value) if value.isdigit() else previous + 1


def _utf8(data: bytes) -> bool:
    """Whether the part is UTF-8: no other byte-order mark, and no other encoding declared."""
    text = data[len(_BOM):] if data.startswith(_BOM) else data
    if text[:2] in (b"\xff\xfe", b"\xfe\xff") or text[:1] == b"\x00" or text[1:2] == b"\x00":
        return False
    declared = _DECLARED.match(text)
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")


def parse_rows(data: bytes, spans: list[tuple[int, int]], wrap: tuple[bytes, bytes]
               ) -> list[list[etree._Element]]:
    """The rows at `spans` of `data`, parsed in one document inside `wrap` (the <sheetData>
    start and end tags, which declare the namespaces in scope): for each, its element and the
    nodes that follow it before the next row (comments, processing instructions)."""
    if not spans:
        return []
    fragment = b"".join([wrap[0], *(data[start:end] for start, end in spans), wrap[1]])
    try:
        holder = etree.fromstring(fragment, parser())
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"rows of a sheet cannot be parsed ({str(exc).splitlines()[0][:100]})"
                          ) from None
    groups: list[list[etree._Element]] = []
    row = q(namespace_of(holder.tag), "row")  # in the namespace of its <sheetData>
    for node in holder:
        if node.tag == row:
            groups.append([node])
        elif groups:
            groups[-1].append(node)
    if len(groups) != len(spans) or (holder.text or "").strip():
        raise Unsupported("the rows of a sheet are not as they were found")
    return groups


class SheetEvents:
    """What a pass over a sheet does with it: `event` for the skeleton's elements (and for each
    row, when the part is not split), `rows` for the rows' bytes, right after <sheetData>
    starts."""

    def event(self, event: str, el: etree._Element) -> None:
        raise NotImplementedError

    def rows(self, batches: Iterator[RowBatch], sheet_data: etree._Element) -> None:
        raise NotImplementedError


def stream_sheet(source: IO[bytes], name: str, tags: list[str], handler: SheetEvents,
                 worksheet: str = q(TRANSITIONAL.main, "worksheet")) -> None:
    """Stream the worksheet part `name` from `source` into `handler`: the start and end events
    of the elements named in `tags` (lxml's, as iterparse gives them), and the rows as bytes.
    The part's root must be `worksheet` (the name in the package's conformance class)."""
    split = SheetSplit(source)
    parser = etree.XMLPullParser(events=("start", "end"), tag=tags, **PARSER_OPTIONS)
    state = _Checked(name, worksheet)
    sheet_data = q(namespace_of(worksheet), "sheetData")

    def feed(data: bytes) -> None:
        _guard(lambda: parser.feed(data), name)
        for event, el in _guard(lambda: list(parser.read_events()), name):
            state.check(el)
            handler.event(event, el)
            state.last = (event, el)

    feed(split.head)
    if split.split:
        event, el = state.last or ("", None)
        if (event != "start" or el is None or el.tag != sheet_data
                or el.getparent() is not el.getroottree().getroot()):
            raise Unsupported(f"the rows of {name} cannot be found")
        handler.rows(split.batches(), el)
    for data in split.tail():
        feed(data)
    _guard(parser.close, name)
    if state.last is None:
        raise Unsupported(f"{name} holds no worksheet")


class _Checked:
    """The first element of a part: no DTD, and a worksheet."""

    def __init__(self, name: str, worksheet: str) -> None:
        self.name = name
        self.worksheet = worksheet
        self.last: tuple[str, etree._Element] | None = None

    def check(self, el: etree._Element) -> None:
        if self.last is not None:
            return
        refuse_dtd(el.getroottree(), self.name)
        root = el.getroottree().getroot()
        if root.tag != self.worksheet:
            raise Unsupported(f"{self.name} is not a worksheet ({local(root.tag)})")


def _guard(call: Callable[[], T], name: str) -> T:
    try:
        return call()
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"the sheet part {name} cannot be parsed "
                          f"({str(exc).splitlines()[0][:100]})") from None

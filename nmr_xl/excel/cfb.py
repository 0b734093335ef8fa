"""Write a Microsoft compound file ([MS-CFB] version 3), the container of vbaProject.bin.

olefile reads these files but can only overwrite a stream with one of the same size; a VBA
module whose source changed needs a new file. Only what a VBA project uses is supported: streams
in nested storages, no class ids, no timestamps (so the output depends on the input alone).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096  # smaller streams live in the mini stream, in 64-byte sectors
_LINKS_PER_SECTOR = SECTOR // 4
_ENTRY_SIZE = 128
_HEADER_FAT_SLOTS = 109  # FAT sector locations the header holds; more would need DIFAT sectors

_FREE, _END_OF_CHAIN, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_BLACK = 1  # an all-black tree is valid ([MS-CFB] 2.6.4): siblings only need to be sorted
_ENTRY_LAYOUT = "<64sHBBIII16sIQQIQ"


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    start: int = 0  # first sector (mini sector for small streams)
    left: int = _NO_STREAM
    right: int = _NO_STREAM
    child: int = _NO_STREAM


def write_compound_file(streams: Mapping[str, bytes]) -> bytes:
    """A compound file holding `streams`, keyed by path ("PROJECT", "VBA/dir")."""
    root = _tree(streams)
    entries = _numbered(root)
    small = [e for e in entries if e.kind == _STREAM and len(e.data) < MINI_CUTOFF]
    large = [e for e in entries if e.kind == _STREAM and len(e.data) >= MINI_CUTOFF]
    for entry, first in zip(small, _firsts([len(e.data) for e in small], MINI_SECTOR, 0),
                            strict=True):
        entry.start = first
    mini_stream = b"".join(_padded(e.data, MINI_SECTOR) for e in small)
    mini_fat = _chains([len(e.data) for e in small], MINI_SECTOR, 0)
    mini_fat_bytes = _links(mini_fat + [_FREE] * (-len(mini_fat) % _LINKS_PER_SECTOR))

    # After the FAT sectors, in this order: directory, mini FAT, mini stream, large streams.
    sizes = [len(entries) * _ENTRY_SIZE, len(mini_fat_bytes), len(mini_stream)]
    sizes += [len(e.data) for e in large]
    fat_count = 1
    while fat_count * _LINKS_PER_SECTOR < fat_count + sum(_count(s, SECTOR) for s in sizes):
        fat_count += 1
    if fat_count > _HEADER_FAT_SLOTS:
        raise ValueError("compound file too large for a header-only FAT")
    dir_first, mini_fat_first, root.start, *large_firsts = _firsts(sizes, SECTOR, fat_count)
    for entry, first in zip(large, large_firsts, strict=True):
        entry.start = first

    fat = [_FAT_SECTOR] * fat_count + _chains(sizes, SECTOR, fat_count)
    fat += [_FREE] * (fat_count * _LINKS_PER_SECTOR - len(fat))
    directory = b"".join(_entry_bytes(e, len(mini_stream)) for e in entries)
    directory += _free_entry() * (-len(entries) % (SECTOR // _ENTRY_SIZE))
    header = _header(fat_count, dir_first, mini_fat_first, _count(len(mini_fat_bytes), SECTOR))
    body = [directory, mini_fat_bytes, mini_stream, *(e.data for e in large)]
    return header + _links(fat) + b"".join(_padded(part, SECTOR) for part in body)


def _tree(streams: Mapping[str, bytes]) -> _Entry:
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        if not data:
            raise ValueError(f"{path}: empty streams are not supported")
        *storages, name = path.split("/")
        parent = root
        for storage in storages:
            parent = parent.children.setdefault(storage, _Entry(storage, _STORAGE))
        parent.children[name] = _Entry(name, _STREAM, data)
    return root


def _numbered(root: _Entry) -> list[_Entry]:
    """Every entry in directory order, root first, with sibling trees and child links set."""
    entries = [root]

    def add_children(parent: _Entry) -> None:
        siblings = sorted(parent.children.values(), key=_cfb_order)
        first = len(entries)
        entries.extend(siblings)
        parent.child = _balanced(entries, first, first + len(siblings))
        for sibling in siblings:
            if sibling.kind == _STORAGE:
                add_children(sibling)

    add_children(root)
    return entries


def _cfb_order(entry: _Entry) -> tuple[int, str]:
    """Shorter names first, then by upper-cased name ([MS-CFB] 2.6.4)."""
    return len(entry.name), entry.name.upper()


def _balanced(entries: list[_Entry], low: int, high: int) -> int:
    """Link sorted entries[low:high] into a balanced binary tree; return its root's index."""
    if low >= high:
        return _NO_STREAM
    middle = (low + high) // 2
    entries[middle].left = _balanced(entries, low, middle)
    entries[middle].right = _balanced(entries, middle + 1, high)
    return middle


def _firsts(sizes: list[int], unit: int, first: int) -> list[int]:
    """The first sector of each blob laid out back to back from sector `first`."""
    firsts = []
    for size in sizes:
        firsts.append(first if size else _END_OF_CHAIN)
        first += _count(size, unit)
    return firsts


def _chains(sizes: list[int], unit: int, first: int) -> list[int]:
    """Allocation-table links for blobs laid out back to back from sector `first`."""
    table: list[int] = []
    for size in sizes:
        start = first + len(table)
        count = _count(size, unit)
        table += [start + i + 1 for i in range(count - 1)] + [_END_OF_CHAIN] * min(count, 1)
    return table


def _entry_bytes(entry: _Entry, mini_stream_size: int) -> bytes:
    name = (entry.name + "\0").encode("utf-16-le")
    size = {_ROOT: mini_stream_size, _STORAGE: 0, _STREAM: len(entry.data)}[entry.kind]
    start = 0 if entry.kind == _STORAGE else entry.start
    return struct.pack(_ENTRY_LAYOUT, name, len(name), entry.kind, _BLACK, entry.left,
                       entry.right, entry.child, bytes(16), 0, 0, 0, start, size)


def _free_entry() -> bytes:
    return struct.pack(_ENTRY_LAYOUT, b"", 0, 0, 0, _NO_STREAM, _NO_STREAM, _NO_STREAM,
                       bytes(16), 0, 0, 0, 0, 0)


def _header(fat_count: int, dir_first: int, mini_fat_first: int, mini_fat_count: int) -> bytes:
    fat_slots = [*range(fat_count)] + [_FREE] * (_HEADER_FAT_SLOTS - fat_count)
    return struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I", bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16),
        0x003E, 0x0003, 0xFFFE, 9, 6, bytes(6),  # minor/major version, byte order, 2**9, 2**6
        0, fat_count, dir_first, 0, MINI_CUTOFF, mini_fat_first, mini_fat_count,
        _END_OF_CHAIN, 0, *fat_slots)  # no DIFAT sectors


def _links(table: list[int]) -> bytes:
    return struct.pack(f"<{len(table)}I", *table)


def _count(size: int, unit: int) -> int:
    return -(-size // unit)


def _padded(data: bytes, unit: int) -> bytes:
    return data + bytes(-len(data) % unit)

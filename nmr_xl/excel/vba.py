"""Replace modules' source in a vbaProject.bin without Excel, following [MS-OVBA].

xlwings builds its templates the same way (its release script sets the xlwings module's source
outside Excel): the project is already in the interoperable form, `_VBA_PROJECT` version 0xFFFF,
so Excel ignores every cached compiled form and compiles the modules from their source. We
replace a module's source, drop that module's stale compiled code (its MODULEOFFSET in the
`dir` stream becomes 0) and keep every other stream byte for byte. No module is added or
removed: that would change the project's other streams too (PROJECT, PROJECTwm).

Reading needs olefile and oletools' decompressor (the `test` extra); writing uses our own
compressor and compound-file writer, so every build is checked by an independent reader.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import olefile
from oletools.olevba import decompress_stream

from nmr_xl.excel.cfb import write_compound_file

CHUNK = 4096  # bytes of source per compressed chunk (MS-OVBA 2.4.1.1.4)

# dir stream record ids (MS-OVBA 2.3.4.2)
_PROJECTCODEPAGE = 0x0003
_PROJECTVERSION = 0x0009  # its size field says 4 but 6 bytes follow
_MODULENAME = 0x0019
_MODULESTREAMNAME = 0x001A
_MODULEOFFSET = 0x0031
_DIR_TERMINATOR = 0x0010
_INTEROPERABLE_VERSION = 0xFFFF  # _VBA_PROJECT.Version that makes Excel ignore the caches


@dataclass(frozen=True)
class _Module:
    name: str
    stream: str
    offset_at: int  # where its MODULEOFFSET sits in the decompressed dir stream


def module_sources(project: bytes) -> dict[str, str]:
    """Each module's name -> source (with its Attribute lines), as the project holds it."""
    streams, directory, codepage = _open(project)
    sources = {}
    for m in _modules(directory, codepage):
        start = struct.unpack_from("<I", directory, m.offset_at)[0]  # after any compiled code
        source = decompress_stream(bytearray(streams[f"VBA/{m.stream}"][start:]))
        sources[m.name] = bytes(source).decode(codepage)
    return sources


def replace_module_sources(project: bytes, sources: dict[str, str]) -> bytes:
    """The vbaProject.bin `project` with each named module's source replaced (CRLF lines) and
    its stale compiled code dropped; every other stream kept byte for byte."""
    streams, directory, codepage = _open(project)
    modules = {m.name: m for m in _modules(directory, codepage)}
    for name, source in sources.items():
        if name not in modules:
            raise ValueError(f"the VBA project has no module {name!r}")
        target = modules[name]
        struct.pack_into("<I", directory, target.offset_at, 0)  # no compiled code, source only
        streams[f"VBA/{target.stream}"] = compress(source.encode(codepage))
    streams["VBA/dir"] = compress(bytes(directory))
    return write_compound_file(streams)


def _open(project: bytes) -> tuple[dict[str, bytes], bytearray, str]:
    with olefile.OleFileIO(io.BytesIO(project)) as ole:
        streams = {"/".join(path): ole.openstream(path).read() for path in ole.listdir()}
    _require_interoperable(streams)
    directory = bytearray(decompress_stream(bytearray(streams["VBA/dir"])))
    return streams, directory, f"cp{_codepage(directory)}"


def _require_interoperable(streams: dict[str, bytes]) -> None:
    """Refuse a project whose compiled caches Excel would trust over our new source."""
    version = struct.unpack_from("<H", streams["VBA/_VBA_PROJECT"], 2)[0]
    cached = [path for path in streams if path.startswith("VBA/__SRP_")]
    if version != _INTEROPERABLE_VERSION or cached:
        raise ValueError("the template's VBA project carries Excel's compiled caches "
                         f"(_VBA_PROJECT version {version:#06x}, {len(cached)} SRP streams); "
                         "only a project in the interoperable form can be edited safely")


def _records(directory: bytes | bytearray) -> list[tuple[int, int, int]]:
    """(id, start, size) of each dir stream record up to the terminator."""
    records, at = [], 0
    while at < len(directory):
        record_id, size = struct.unpack_from("<HI", directory, at)
        if record_id == _PROJECTVERSION:
            size = 6
        records.append((record_id, at + 6, size))
        at += 6 + size
        if record_id == _DIR_TERMINATOR:
            break
    return records


def _codepage(directory: bytes | bytearray) -> int:
    for record_id, start, _ in _records(directory):
        if record_id == _PROJECTCODEPAGE:
            return int(struct.unpack_from("<H", directory, start)[0])
    raise ValueError("the VBA project's dir stream has no code page")


def _modules(directory: bytes | bytearray, codepage: str) -> list[_Module]:
    modules: list[_Module] = []
    name = stream = ""
    for record_id, start, size in _records(directory):
        text = bytes(directory[start:start + size])
        if record_id == _MODULENAME:
            name = text.decode(codepage)
        elif record_id == _MODULESTREAMNAME:
            stream = text.decode(codepage)
        elif record_id == _MODULEOFFSET:
            modules.append(_Module(name, stream, start))
    return modules


# --- compression (MS-OVBA 2.4.1.3) ----------------------------------------------------------


def compress(data: bytes) -> bytes:
    """A CompressedContainer of `data`. Each chunk is compressed (source text always shrinks);
    a chunk that would not is refused rather than stored raw, which pads with zero bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        body = _compress_chunk(data[start:start + CHUNK])
        if len(body) > CHUNK:
            raise ValueError("a 4 KB chunk of VBA source does not compress")
        header = (len(body) + 2 - 3) | 0b011 << 12 | 1 << 15  # size - 3, signature, compressed
        out += struct.pack("<H", header) + body
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions, for the matcher
    indexed = pos = 0
    while pos < len(chunk):
        flag_at = len(out)
        out.append(0)
        for bit in range(8):
            if pos >= len(chunk):
                break
            while indexed < pos:
                seen.setdefault(chunk[indexed:indexed + 3], []).append(indexed)
                indexed += 1
            offset, length = _longest_match(chunk, pos, seen)
            if length:
                bit_count = max((pos - 1).bit_length(), 4)  # CopyToken help (2.4.1.3.19.1)
                out += struct.pack("<H", (offset - 1) << (16 - bit_count) | (length - 3))
                out[flag_at] |= 1 << bit
                pos += length
            else:
                out.append(chunk[pos])
                pos += 1
    return bytes(out)


def _longest_match(chunk: bytes, pos: int, seen: dict[bytes, list[int]]) -> tuple[int, int]:
    """(offset, length) of a copy for `pos`, or (0, 0): the longest match up to the chunk's end,
    capped only afterwards (2.4.1.3.19.4). On ties the farthest wins, as in the compressor that
    wrote xlwings' template: our output for its xlwings module and dir stream is identical."""
    rest = len(chunk) - pos
    best_at, best = 0, 0
    for candidate in seen.get(chunk[pos:pos + 3], ()):
        length = 0
        while length < rest and chunk[candidate + length] == chunk[pos + length]:
            length += 1
        if length > best:
            best_at, best = candidate, length
            if best == rest:
                break
    if best < 3:
        return 0, 0
    bit_count = max((pos - 1).bit_length(), 4)
    return pos - best_at, min(best, (0xFFFF >> bit_count) + 3)

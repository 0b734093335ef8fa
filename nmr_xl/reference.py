"""CMS reference files a practice downloads each quarter: the practitioner MUE table (CSV) and
the practitioner NCCI procedure-to-procedure (PTP) edit files (tab-separated .TXT).

Both carry preamble lines (an AMA copyright notice, a title, a header wrapped over several
lines); rows are recognised by their shape, not by the header text, which varies by release.
A malformed row is a ConfigError naming the file and line: a half-read edit table would make
findings silently wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from nmr_xl.errors import ConfigError

_CODE = re.compile(r"[A-Z0-9]{5}")
_PTP_ROW = re.compile(r"[A-Z0-9]{5}\t[A-Z0-9]{5}\t")
_PTP_DATE = re.compile(r"\d{8}|\*|")  # cheap shape check on every row, kept or not
INDICATOR_NOT_APPLICABLE = 9


@dataclass(frozen=True, slots=True)
class MueLimit:
    value: int
    per_line: bool = False  # adjudication indicator 1: each claim line on its own


@dataclass(frozen=True, slots=True)
class PtpEdit:
    column1: str
    column2: str
    indicator: int  # 0: never together; 1: allowed with a distinct-service modifier; 9: n/a
    effective: dt.date | None = None
    deletion: dt.date | None = None  # last date the edit applies; None: still in force
    source: str = ""

    def applies_on(self, day: dt.date) -> bool:
        if self.indicator == INDICATOR_NOT_APPLICABLE:
            return False
        if self.effective and day < self.effective:
            return False
        return not (self.deletion and day > self.deletion)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read reference file ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # CMS publishes these files in Latin-1


def load_mue_file(path: Path) -> dict[str, MueLimit]:
    """Code -> practitioner MUE value, from the CMS CSV (header `HCPCS/CPT Code,Practitioner
    Services MUE Values,MUE Adjudication Indicator,MUE Rationale`)."""
    # newline="": only CR / LF end a line (str.splitlines would also split at a Windows-1252
    # byte such as 0x85, read as a Latin-1 control character, and misnumber every later line).
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    values: dict[str, MueLimit] = {}
    header_seen = False
    for record in reader:
        fields = [f.strip() for f in record]
        if not any(fields):
            continue
        first = " ".join(fields[0].split()).upper()
        if not header_seen:
            header_seen = first.replace(" ", "") == "HCPCS/CPTCODE"
            if header_seen and "practitioner" not in " ".join(fields[1:2]).lower():
                raise ConfigError(f"{path}:{reader.line_num}: this MUE table is not the "
                                  "practitioner services table (its second column is "
                                  f"'{fields[1] if len(fields) > 1 else ''}')")
            continue
        line = reader.line_num
        if not _CODE.fullmatch(first) or len(fields) < 2:
            raise ConfigError(f"{path}:{line}: expected a HCPCS/CPT code and its MUE value, "
                              f"found a row of another shape")
        try:
            value = int(fields[1])
        except ValueError:
            raise ConfigError(f"{path}:{line}: the MUE value of {first} is not a whole "
                              "number") from None
        indicator = fields[2][:1] if len(fields) > 2 else ""
        values[first] = MueLimit(value, per_line=indicator == "1")
    if not header_seen:
        raise ConfigError(f"{path}: no 'HCPCS/CPT Code, Practitioner Services MUE Values, ...' "
                          "header: is this the CMS practitioner MUE file?")
    if not values:  # a truncated download must not silently switch NMR105's file values off
        raise ConfigError(f"{path}: no MUE rows after the header: is the file complete?")
    return values


def _yyyymmdd(text: str, path: Path, line: int, what: str) -> dt.date | None:
    if text in ("", "*"):
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise ConfigError(f"{path}:{line}: the {what} '{text}' is not a date like 20260101"
                          ) from None


def load_ptp_file(path: Path, keep: Callable[[str, str], bool]) -> list[PtpEdit]:
    """PTP edits from a CMS practitioner PTP file, keeping pairs for which `keep` is true
    (a full file holds over a million edits; a practice needs the few among its own codes)."""
    edits: list[PtpEdit] = []
    started = False
    text = _read_text(path).replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): see above
        if not started:
            started = bool(_PTP_ROW.match(line))
            if not started:
                continue  # preamble and the wrapped header
        if not line.strip():
            continue
        fields = line.split("\t")
        if not _PTP_ROW.match(line) or len(fields) < 6:
            raise ConfigError(f"{path}:{number}: expected column 1, column 2, prior-to-1996 "
                              "flag, effective date, deletion date and modifier indicator, "
                              "separated by tabs")
        column1, column2 = fields[0], fields[1]
        indicator = fields[5].strip()
        if indicator not in ("0", "1", "9"):
            raise ConfigError(f"{path}:{number}: the modifier indicator must be 0, 1 or 9, "
                              f"not '{indicator}'")
        if not (_PTP_DATE.fullmatch(fields[3].strip()) and _PTP_DATE.fullmatch(fields[4].strip())):
            raise ConfigError(f"{path}:{number}: the effective and deletion dates must be like "
                              "20260101 (or * for no deletion date)")
        if not keep(column1, column2):
            continue
        edits.append(PtpEdit(
            column1, column2, int(indicator),
            _yyyymmdd(fields[3].strip(), path, number, "effective date"),
            _yyyymmdd(fields[4].strip(), path, number, "deletion date"),
            f"CMS PTP file {path.name}" + (f": {fields[6].strip()}" if len(fields) > 6 else ""),
        ))
    if not started:
        raise ConfigError(f"{path}: no PTP edit rows (column 1<TAB>column 2<TAB>...): is this "
                          "the CMS practitioner PTP file?")
    return edits


def index_by_column2(edits: Iterable[PtpEdit]) -> dict[str, list[PtpEdit]]:
    index: dict[str, list[PtpEdit]] = {}
    for edit in edits:
        index.setdefault(edit.column2, []).append(edit)
    return index

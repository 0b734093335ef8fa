"""CMS reference files a practice downloads each quarter: the practitioner MUE table (CSV) and
the practitioner NCCI procedure-to-procedure (PTP) edit files (tab-separated .TXT).

Both carry preamble lines (an AMA copyright notice, a title, a header wrapped over several
lines); rows are recognised by their shape, not by the header text, which varies by release.
A malformed row is a ConfigError naming the file and line: a half-read edit table would make
findings silently wrong.

Both change every quarter (January, April, July and October 1), and a line is checked against
the data in force on its date of service. A PTP row carries its own effective and deletion
dates; a PTP file is current until the end of the quarter of its latest edit. An MUE file has
no dates in its rows: it is in force from the date in its name (`..._Eff_07-01-2026.csv`) until
the next loaded MUE file's date, the last one until the end of its quarter.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nmr_xl.config.dated import Dated
from nmr_xl.errors import ConfigError

_CODE = re.compile(r"[A-Z0-9]{5}")
_PTP_ROW = re.compile(r"[A-Z0-9]{5}\t[A-Z0-9]{5}\t")
_PTP_DATE = re.compile(r"\d{8}|\*|")  # cheap shape check on every row, kept or not
_MUE_EFFECTIVE = re.compile(r"eff_(\d{2})-(\d{2})-(\d{4})", re.IGNORECASE)
INDICATOR_NOT_APPLICABLE = 9


def quarter_end(day: dt.date) -> dt.date:
    """The last day of the calendar quarter `day` falls in (CMS's files change quarterly)."""
    month = (day.month - 1) // 3 * 3 + 3
    following = dt.date(day.year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class MueLimit:
    value: int
    per_line: bool = False  # adjudication indicator 1: each claim line on its own


@dataclass(frozen=True)
class MueFile:
    """One CMS practitioner MUE file: its values, and the date in force from its name."""

    path: Path
    effective: dt.date | None  # None: the name carries no `_Eff_MM-DD-YYYY`
    limits: Mapping[str, MueLimit]

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class MueTable:
    """NMR105's limits by date of service: the loaded CMS MUE files, each in force from the date
    in its name until the next one's (the last one until the end of its quarter); a code none
    of them holds takes rules.toml's [mue] value in force on that date."""

    files: tuple[MueFile, ...] = ()  # by effective date; an undated file only alone
    table: Mapping[str, Dated[MueLimit | None]] = field(default_factory=dict)

    def limit(self, code: str, day: dt.date) -> MueLimit | None:
        chosen = self.file_on(day)
        if chosen is not None and code in chosen.limits:
            return chosen.limits[code]
        dated = self.table.get(code)
        return dated.on(day) if dated is not None else None

    def file_on(self, day: dt.date) -> MueFile | None:
        """The file in force on `day`; outside every file's period, the nearest one."""
        if not self.files:
            return None
        earlier = [f for f in self.files if f.effective is None or f.effective <= day]
        return earlier[-1] if earlier else self.files[0]

    def period(self, index: int) -> tuple[dt.date | None, dt.date | None]:
        """(first, last) date of service the file `index` is in force for (None: open)."""
        start = self.files[index].effective
        if start is None:
            return None, None
        if index + 1 < len(self.files):
            following = self.files[index + 1].effective
            assert following is not None  # several files: every one is dated
            return start, following - dt.timedelta(days=1)
        return start, quarter_end(start)

    def covers(self, day: dt.date) -> bool:
        """Whether a loaded file is in force on `day` (True when none is loaded)."""
        if not self.files:
            return True
        first, _ = self.period(0)
        _, last = self.period(len(self.files) - 1)
        return (first is None or first <= day) and (last is None or day <= last)


def mue_effective(path: Path) -> dt.date | None:
    """The date in an MUE file's name (`MCR_MUE_PractitionerServices_Eff_07-01-2026.csv`)."""
    match = _MUE_EFFECTIVE.search(path.name)
    if not match:
        return None
    month, day, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ConfigError(f"{path}: the date in the file name, {match.group(0)}, is not a "
                          "real date") from None


def mue_files(files: Sequence[MueFile]) -> tuple[MueFile, ...]:
    """Several MUE files in date order; each needs its date, and no two the same."""
    if len(files) > 1:
        undated = [f.path for f in files if f.effective is None]
        if undated:
            raise ConfigError(f"{undated[0]}: with several MUE files, each needs the date it is "
                              "in force from in its name, as CMS names them "
                              "(MCR_MUE_PractitionerServices_Eff_07-01-2026.csv)")
    ordered = sorted(files, key=lambda f: f.effective or dt.date.min)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.effective == later.effective:
            raise ConfigError(f"{later.path}: in force from the same date as {earlier.name}; "
                              "load one file per quarter")
    return tuple(ordered)


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


def load_mue_file(path: Path) -> MueFile:
    """Code -> practitioner MUE value, from the CMS CSV (header `HCPCS/CPT Code,Practitioner
    Services MUE Values,MUE Adjudication Indicator,MUE Rationale`), and the date in force from
    its name."""
    effective = mue_effective(path)
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
    return MueFile(path, effective, values)


def _yyyymmdd(text: str, path: Path, line: int, what: str) -> dt.date | None:
    if text in ("", "*"):
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise ConfigError(f"{path}:{line}: the {what} '{text}' is not a date like 20260101"
                          ) from None


@dataclass(frozen=True)
class PtpFile:
    """The edits kept from one CMS practitioner PTP file, and the latest effective date of all
    its rows (the quarter it is current for)."""

    name: str
    edits: list[PtpEdit]
    latest: dt.date | None

    @property
    def current_until(self) -> dt.date | None:
        """The last date of service it is current for: the end of its latest edit's quarter."""
        return quarter_end(self.latest) if self.latest else None


def load_ptp_file(path: Path, keep: Callable[[str, str], bool]) -> PtpFile:
    """PTP edits from a CMS practitioner PTP file, keeping pairs for which `keep` is true
    (a full file holds over a million edits; a practice needs the few among its own codes)."""
    edits: list[PtpEdit] = []
    latest, latest_text = None, ""  # YYYYMMDD sorts as text
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
        effective = fields[3].strip()
        if not (_PTP_DATE.fullmatch(effective) and _PTP_DATE.fullmatch(fields[4].strip())):
            raise ConfigError(f"{path}:{number}: the effective and deletion dates must be like "
                              "20260101 (or * for no deletion date)")
        if len(effective) == 8 and effective > latest_text:
            latest_text = effective
            latest = _yyyymmdd(effective, path, number, "effective date")
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
    return PtpFile(path.name, edits, latest)


def index_by_column2(edits: Iterable[PtpEdit]) -> dict[str, list[PtpEdit]]:
    index: dict[str, list[PtpEdit]] = {}
    for edit in edits:
        index.setdefault(edit.column2, []).append(edit)
    return index

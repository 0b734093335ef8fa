"""Cell values as spreadsheets hold them -> typed billing values.

Each parser takes a raw cell value (None, str, int, float, bool, date, datetime, time, timedelta)
and returns the parsed value, None for a blank cell, or raises Unreadable with a short reason.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from dateutil import parser as date_parser

from nmr_xl.normalize import norm


class Unreadable(ValueError):
    """A cell that holds something, but not a value of the kind its column needs.

    The reason never repeats the cell's content (findings must not carry patient data); a
    reader may name the value with with_value() when it is safe to show.
    """


# The shapes of a value that can only be a mistyped date or code, never a name or an account
# number: such a value may be quoted in a finding ("3/42/2026" is not a real date).
DATE_SHAPE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{2}|\d{4})|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}"
                        r"|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}")
CODE_SHAPE = re.compile(r"(?=(?:[A-Za-z]*\d){3})[A-Za-z0-9]{4,5}")


def with_value(reason: str, raw: object, shape: re.Pattern[str]) -> str:
    """`reason` ("it is not a real date") naming the value it is about ("3/42/2026" is not a
    real date) when the value has `shape`, so it can only be a mistyped date or code (9714O,
    3/42/2026). Anything else, a name or an account number typed into the wrong column
    included, stays "it": the reason goes into findings, which carry no patient data."""
    if not reason.startswith("it ") or not isinstance(raw, str):
        return reason
    text = raw.strip()
    if not shape.fullmatch(text):
        return reason
    return f"\"{text}\"{reason[2:]}"


_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's 1900 leap bug is allowed
_MAX_SERIAL = 2958465  # 9999-12-31
_ERROR_VALUES = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!",
                 "#CALC!", "#GETTING_DATA"}


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.startswith("'"):  # Excel's text prefix typed or exported literally: '97112, '2
        text = text[1:].strip()
    if text.upper() in _NULLS:
        return None
    return text or None


# How database dumps write an empty field: SQL's NULL, as SQL Server, MySQL and Oracle print it.
_NULLS = {"NULL", "(NULL)", "<NULL>", "[NULL]"}


def _reject_error(text: str) -> None:
    if text.upper() in _ERROR_VALUES:
        raise Unreadable(f"the cell shows the error {text.upper()}")


def is_error(value: object) -> bool:
    """A cell showing a spreadsheet error (#N/A, #REF! ...), as every reader hands it over."""
    return isinstance(value, str) and value.strip().upper() in _ERROR_VALUES


def parse_text(value: object) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 12345.0 from a numeric ID column reads as "12345"
    text = _text(value)
    if text is not None:
        _reject_error(text)
    return text


# --- dates ----------------------------------------------------------------------------------

_DEFAULT_A = dt.datetime(2001, 1, 1)
_DEFAULT_B = dt.datetime(2002, 2, 2)


def parse_date(value: object, *, day_first: bool = False) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise Unreadable("it is not a date")
    if isinstance(value, int | float):
        return yyyymmdd(value) or _from_serial(value)
    text = _text(value)
    if text is None:
        return None
    _reject_error(text)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _from_serial(float(text))
    if re.fullmatch(r"\d{8}", text):  # 20260302: claim files and database dumps
        found = yyyymmdd(int(text))
        if found is None:
            raise Unreadable("it is not a real date when read as year, month, day")
        return found
    numeric = NUMERIC_DATE.fullmatch(text)
    if numeric:  # 03/04/2026: read in the configured order only, never swapped to make it fit
        return _numeric_date(*numeric.groups(), day_first=day_first)
    span = _date_range(text)
    if span is not None:  # "03/02/2026 - 03/02/2026" (a "Svc Dates" column): that one day
        start, end = (parse_date(end, day_first=day_first) for end in span)
        if start != end:  # "03/02/2026 - 03/09/2026": which day each unit was given is unknown
            raise Unreadable("it is a range of dates (from one day to another); a charge line "
                             "needs one date of service")
        return start
    # A year-first text (2026-03-02) is year-month-day whatever the date order setting.
    day_first = day_first and not re.match(r"\d{4}[-/.]", text)
    # Parse twice with different defaults: a text missing its day, month or year ("March 3")
    # would otherwise be completed silently from the default.
    try:
        first = date_parser.parse(text, dayfirst=day_first, default=_DEFAULT_A)
        second = date_parser.parse(text, dayfirst=day_first, default=_DEFAULT_B)
    except (ValueError, OverflowError):
        raise Unreadable("it is not a real date") from None
    if first.date() != second.date():
        raise Unreadable("it is not a complete date (day, month and year)")
    return first.date()


NUMERIC_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})")
# A from-to range in one cell: "03/02/2026 - 03/02/2026", "3/2/26 (en dash) 3/2/26", "2026-03-02 to
# 2026-03-06", "03/02/2026-03/02/2026".
_RANGE_SPLITS = (re.compile(r"\s*[\u2013\u2014]\s*"),
                 re.compile(r"\s+(?:-|to|thru|through)\s+", re.IGNORECASE),
                 re.compile(r"(?<=\d/\d\d)-(?=\d)|(?<=\d/\d\d\d\d)-(?=\d)"))


def _date_range(text: str) -> tuple[str, str] | None:
    """The two ends of a date range written in one cell, or None."""
    for split in _RANGE_SPLITS:
        parts = split.split(text)
        if len(parts) == 2 and all(any(ch.isdigit() for ch in p) for p in parts):
            return parts[0].strip(), parts[1].strip()
    return None


def _numeric_date(first: str, second: str, year: str, *, day_first: bool) -> dt.date:
    day, month = (first, second) if day_first else (second, first)
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return dt.date(full_year, int(month), int(day))
    except ValueError:
        order = "day/month/year" if day_first else "month/day/year"
        raise Unreadable(f"it is not a real date when read as {order}") from None


def yyyymmdd(value: float) -> dt.date | None:
    """20260302 -> 2026-03-02 (a date written as a number, as claim files do), else None."""
    if not (19000101 <= value <= 29991231) or not float(value).is_integer():
        return None
    number = int(value)
    try:
        return dt.date(number // 10000, number // 100 % 100, number % 100)
    except ValueError:
        return None


def _from_serial(serial: float) -> dt.date:
    if math.isnan(serial) or not 1 <= serial <= _MAX_SERIAL:
        raise Unreadable("the number is not a date")
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


# --- codes and modifiers ----------------------------------------------------------------------

# CPT: 5 digits, or 4 digits + F/T/U (category II/III, PLA); HCPCS level II: letter A-V + 4 digits.
_CODE = re.compile(r"\d{5}|\d{4}[FTU]|[A-V]\d{4}")
_JOINED = re.compile(r"(\d{5}|\d{4}[FTU]|[A-V]\d{4})((?:[A-Z0-9]{2})+)")
_SPLIT = re.compile(r"[\s,;/|:\-]+")


def parse_code(value: object, known: frozenset[str] | None = None
               ) -> tuple[str, tuple[str, ...]] | None:
    """The code of a cell and any modifiers written with it: "97112-GP 59" -> 97112, (GP, 59)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Unreadable("it is not a CPT/HCPCS code")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise Unreadable("it is not a CPT/HCPCS code")
        value = f"{int(value):05d}"
    text = _text(value)
    if text is None:
        return None
    _reject_error(text)
    tokens = [t for t in _SPLIT.split(text.upper()) if t]
    if len(tokens) > 1 and tokens[0] in _CODE_LABELS:
        tokens = tokens[1:]  # "CPT 97112", "HCPCS: G0283": the code after its label
    if not tokens:  # "-" or "/" typed as a placeholder
        raise Unreadable("it is not a CPT/HCPCS code")
    head = tokens[0]
    if head.endswith(".0") and _CODE.fullmatch(head[:-2]):
        head = head[:-2]  # "97112.0" from a number stored as text
    if head == "HC" and len(tokens) > 1:  # an 837 composite: HC:97112:GP:59
        head, tokens = tokens[1], tokens[1:]
    if _CODE.fullmatch(head):
        return head, _modifier_tokens(tokens[1:], known)
    joined = _JOINED.fullmatch(head)
    if joined:
        mods = joined.group(2)
        return joined.group(1), tuple(mods[i:i + 2] for i in range(0, len(mods), 2))
    labelled = _LABELLED.search(text.upper())
    if labelled:  # "Neuromuscular Re-ed (97112)": the code inside its label
        return labelled.group(1), ()
    raise Unreadable("it is not a CPT/HCPCS code")


_LABELLED = re.compile(r"\((\d{5}|\d{4}[FTU]|[A-V]\d{4})\)\s*$")
# Words a code may follow in its cell ("CPT 97112", "HCPCS G0283", "Code: 97110").
_CODE_LABELS = {"CPT", "CPT4", "CPT®", "HCPCS", "CPT/HCPCS", "CODE", "PROC"}
# Modifiers in brackets: "(GP)", "(GP)(59)", "(GP, 59)", "[GP]".
_BRACKETED = re.compile(r"[(\[]\s*([A-Z0-9]{2}(?:\s*[,/ ]\s*[A-Z0-9]{2})*)\s*[)\]]")


def _modifier_tokens(tokens: list[str], known: frozenset[str] | None) -> tuple[str, ...]:
    # Words after the code ("97112 Neuro Re-ed", "(NMR)") are its label: modifiers come before
    # them, and nothing after the first word of the label is taken for a modifier, except
    # modifiers in brackets at the very end ("98940 Chiropractic Manipulation (AT)", "97112
    # (GP)(59)"). A bracket is part of the label unless every token in it is a known modifier
    # (`known`; any two characters when not given) and it is not the initials of the label's
    # words before it: "Therapeutic Activities (TA)", "(x2)" are the label's own.
    found = []
    rest = tokens
    for index, t in enumerate(tokens):
        if t.startswith(("(", "[")) or (len(t) >= 3 and t.isalpha()):
            rest = tokens[index:]
            break
        found.append(t)
    else:
        rest = []
    tail = " ".join(rest)
    brackets = list(_BRACKETED.finditer(tail))
    if brackets and "".join(m.group(0) for m in brackets).replace(" ", "") == \
            tail[brackets[0].start():].replace(" ", ""):
        inside = [x for m in brackets for x in re.split(r"[\s,/]+", m.group(1)) if x]
        words = [w for w in re.split(r"[^A-Z]+", tail[:brackets[0].start()]) if w]
        initials = "".join(w[0] for w in words)
        if (known is None or known.issuperset(inside)) and \
                not any(initials.endswith(x) for x in inside if x.isalpha()):
            found += inside
    return tuple(found)


def parse_modifiers(value: object) -> tuple[str, ...]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (f"{int(value):02d}",)  # 59 typed into a numeric cell
    text = _text(value)
    if text is None or text.upper() in _NO_MODIFIER:
        return ()
    _reject_error(text)
    return tuple(t for t in _MODIFIER_SPLIT.split(text.upper()) if t)


def split_joined(modifiers: tuple[str, ...], known: frozenset[str]) -> tuple[str, ...]:
    """Modifiers typed without a separator ("GP59", "GPKX") read as the known two-character
    modifiers they are made of; anything else is kept as it was (and reported if unknown)."""
    out: list[str] = []
    for m in modifiers:
        parts = [m[i:i + 2] for i in range(0, len(m), 2)]
        if m not in known and len(m) >= 4 and len(m) % 2 == 0 and known.issuperset(parts):
            out.extend(parts)
        else:
            out.append(m)
    return tuple(out)


_MODIFIER_SPLIT = re.compile(r"[\s,;/|:\-\[\]'\"()]+")  # also a list written ['GP', '59']
_NO_MODIFIER = {"N/A", "NA", "NONE", "-", "--", "0"}  # placeholders exports put in empty cells


# --- numbers ----------------------------------------------------------------------------------

_NUMBER = re.compile(r"\$?\s*(\d[\d,]*(?:\.\d+)?|\.\d+)\s*([a-z.]*)")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_MINUTE_WORDS = {"", "m", "min", "mins", "min.", "mins.", "minute", "minutes"}
_UNIT_WORDS = {"", "u", "u.", "unit", "units", "x"}
_MONEY_WORDS = {"", "usd"}
# A decimal comma ("45,00", European Excel): one or two digits after a lone comma are never a
# thousands group.
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")


def _number(value: object, words: set[str], what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise Unreadable(f"it is not a number of {what}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value)
        if text is None:
            return None
        _reject_error(text)
        match = _NUMBER.fullmatch(text.lower())
        if not match or match.group(2) not in words:
            if text.lstrip().startswith("-"):
                raise Unreadable("it is negative")
            raise Unreadable(f"it is not a number of {what}")
        digits = match.group(1)
        number = float(digits.replace(",", "." if _DECIMAL_COMMA.fullmatch(digits) else ""))
    if math.isnan(number) or math.isinf(number):
        raise Unreadable(f"it is not a number of {what}")
    if number < 0:
        raise Unreadable("it is negative")
    return number


def parse_minutes(value: object) -> float | None:
    """Minutes from 30, "30 min", "0:30" (h:mm), a time-of-day or a duration cell."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 60
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute + value.second / 60
    if isinstance(value, dt.datetime):
        raise Unreadable("it is a date, not a number of minutes")
    if isinstance(value, str):
        clock = _CLOCK.fullmatch(value.strip())
        if clock:
            hours, mins, secs = clock.groups()
            return int(hours) * 60 + int(mins) + int(secs or 0) / 60
        hm = _HOURS_MINUTES.fullmatch(value.strip().lower())
        if hm and (hm.group(1) or hm.group(2)) and float(hm.group(1) or 0) < _MAX_HOURS:
            return float(hm.group(1) or 0) * 60 + float(hm.group(2) or 0)
    return _number(value, _MINUTE_WORDS, "minutes")


_MAX_HOURS = 10  # "30 hrs" is no session's length: a typing slip, left unread
# A duration in hours and minutes: "1h 5m", "1h", "0h 30m", "1 hr 5 min", "1 hour 5 minutes".
_HOURS_MINUTES = re.compile(r"(?:(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hour|hours)\.?)?\s*"
                            r"(?:(\d+)\s*(?:m|min|mins|minute|minutes)\.?)?")


def parse_units(value: object) -> float | None:
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise Unreadable("it is a date or time, not a number of units")
    number = _number(value, _UNIT_WORDS, "units")
    if number is not None and not number.is_integer():
        raise Unreadable("it is not a whole number of units")
    return number


def negative_amount(value: object) -> float | None:
    """The size of a negative number of units or dollars (-45, "-45.00", "($45.00)"), or None:
    a ledger writes a reversal or a credit so."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return -float(value) if value < 0 else None
    text = _text(value)
    if text is None:
        return None
    match = _NEGATIVE.fullmatch(text)
    if not match:
        return None
    return float(next(g for g in match.groups() if g).replace(",", ""))


# -45, ($45.00), and the accounting styles 45.00- and $45.00 CR
_NEGATIVE = re.compile(r"-\s*\$?\s*(\d[\d,]*(?:\.\d+)?)|\(\s*\$?\s*(\d[\d,]*(?:\.\d+)?)\s*\)"
                       r"|\$?\s*(\d[\d,]*(?:\.\d+)?)\s*(?:-|CR)", re.IGNORECASE)


def parse_money(value: object) -> float | None:
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise Unreadable("it is a date or time, not an amount")
    return _number(value, _MONEY_WORDS, "dollars")


# --- diagnoses ----------------------------------------------------------------------------------

_ICD10 = re.compile(r"[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
_DX_SPLIT = re.compile(r"[\s,;/|:]+")


def parse_diagnoses(value: object) -> tuple[str, ...]:
    """ICD-10-CM codes in a cell ("M54.5, G20; R26.89", "ICD10|G20:ICD10|R26.81:"); anything
    else in it is ignored."""
    text = _text(value)
    if text is None:
        return ()
    _reject_error(text)
    return tuple(t for t in _DX_SPLIT.split(text.upper()) if _ICD10.fullmatch(t))


def is_diagnosis_code(value: object) -> bool:
    """A cell that holds an ICD-10 code and nothing a procedure code could be: "R26.81", "G20",
    "M99.03". Dotless codes of five characters ("M5450") could be HCPCS codes and do not count."""
    text = _text(value)
    if text is None:
        return False
    codes = parse_diagnoses(text) if not is_error(text) else ()
    return bool(codes) and not _CODE.fullmatch(codes[0]) and not _JOINED.fullmatch(codes[0])


# --- yes / no -----------------------------------------------------------------------------------


def parse_progress_report(value: object, *, yes: frozenset[str], no: frozenset[str],
                          day_first: bool = False) -> bool | dt.date | None:
    """A progress-report cell: yes / no for "written on this visit", or the date of one."""
    flag = parse_yes_no(value, yes, no)
    if flag is not None:
        return flag
    try:
        return parse_date(value, day_first=day_first)
    except Unreadable:
        raise Unreadable("it is neither yes / no nor a date") from None


def parse_yes_no(value: object, yes: frozenset[str], no: frozenset[str]) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else None
    text = _text(value)
    if text is None:
        return None
    key = norm(text)
    if key in yes:
        return True
    if key in no:
        return False
    return None

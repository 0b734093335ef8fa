"""Cell values as spreadsheets hold them -> typed billing values (nmr_xl.read.values)."""

from __future__ import annotations

import datetime as dt

import pytest

from nmr_xl.read.values import (
    Unreadable,
    parse_code,
    parse_date,
    parse_diagnoses,
    parse_minutes,
    parse_modifiers,
    parse_money,
    parse_text,
    parse_units,
    parse_yes_no,
)

MAR_2 = dt.date(2026, 3, 2)

# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    MAR_2,
    dt.datetime(2026, 3, 2, 14, 30),
    46083,  # Excel serial number
    46083.0,
    46083.75,  # serial with a time of day
    "46083",
    "2026-03-02",
    "03/02/2026",
    "3/2/2026",
    "03-02-2026",
    "3/2/26",
    "March 2, 2026",
    "Mar 2 2026",
    "2 March 2026",
    " 03/02/2026 ",
])
def test_dates_month_first(raw: object) -> None:
    assert parse_date(raw) == MAR_2


@pytest.mark.parametrize("raw", [
    "03/02/2026 - 03/02/2026", "03/02/2026 \u2013 03/02/2026", "3/2/26-3/2/26",
    "03/02/2026-03/02/2026", "2026-03-02 to 2026-03-02", "3/2/2026 thru 3/2/2026",
    "Mar 2, 2026 - Mar 2, 2026",
])
def test_a_one_day_range_in_one_cell_is_that_date(raw: str) -> None:
    """A "Svc Dates" column prints the line's from and to dates in one cell; when both are the
    same day, that is the date of service (held-out review, 3E)."""
    assert parse_date(raw) == MAR_2


@pytest.mark.parametrize("raw", [
    "03/02/2026 - 03/09/2026", "03/02/2026-03/06/2026", "2026-03-02 to 2026-03-06",
    "3/2/2026 thru 3/5/2026", "Mar 2, 2026 - Mar 3, 2026", "03/09/2026 - 03/02/2026",
])
def test_a_range_of_different_days_is_unreadable(raw: str) -> None:
    """97112 x4 billed "03/02/2026 - 03/09/2026" is not 4 units on 03/02: the day of service is
    unknown, and the reason says so without repeating the dates."""
    with pytest.raises(Unreadable) as caught:
        parse_date(raw)
    message = str(caught.value)
    assert "range of dates" in message and "one date of service" in message
    assert "2026" not in message and "03" not in message


def test_a_range_with_a_bad_end_is_still_unreadable() -> None:
    with pytest.raises(Unreadable):
        parse_date("03/45/2026 - 03/02/2026")


@pytest.mark.parametrize("raw", ["02/03/2026", "2/3/2026", "02.03.2026"])
def test_dates_day_first(raw: object) -> None:
    assert parse_date(raw, day_first=True) == MAR_2


def test_date_order_setting_decides_ambiguous_dates() -> None:
    assert parse_date("03/04/2026") == dt.date(2026, 3, 4)
    assert parse_date("03/04/2026", day_first=True) == dt.date(2026, 4, 3)


@pytest.mark.parametrize("raw", ["2026-03-02", "2026/03/02", "2026.03.02", "2026-3-2"])
def test_year_first_text_is_never_day_first(raw: str) -> None:
    assert parse_date(raw, day_first=True) == MAR_2


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_dates(raw: object) -> None:
    assert parse_date(raw) is None


@pytest.mark.parametrize("raw", [
    "2026-02-30",  # no 30 February
    "13/45/2026",
    "02/30/2026",
    "2025-02-29",  # not a leap year
    "March 2",  # no year
    "2026-03",  # no day
    "tomorrow",
    "#N/A",
    "#VALUE!",
    True,
    0,
    -5,
    3_000_000,  # past 9999-12-31
    float("nan"),
])
def test_unreadable_dates(raw: object) -> None:
    with pytest.raises(Unreadable):
        parse_date(raw)


def test_leap_day_is_a_real_date() -> None:
    assert parse_date("2028-02-29") == dt.date(2028, 2, 29)


def test_unreadable_reason_is_a_short_sentence() -> None:
    with pytest.raises(Unreadable, match="not a real date"):
        parse_date("2026-02-30")
    with pytest.raises(Unreadable, match="#N/A"):
        parse_date("#n/a")


# --- codes and modifiers ----------------------------------------------------------------------


@pytest.mark.parametrize("raw, parsed", [
    ("97112", ("97112", ())),
    (97112, ("97112", ())),
    (97112.0, ("97112", ())),
    ("97112.0", ("97112", ())),
    (" 97112 ", ("97112", ())),
    ("97112-GP", ("97112", ("GP",))),
    ("97112 GP 59", ("97112", ("GP", "59"))),
    ("97112-gp,59", ("97112", ("GP", "59"))),
    ("97112GP", ("97112", ("GP",))),
    ("97112GP59", ("97112", ("GP", "59"))),
    ("97112 (NMR)", ("97112", ())),  # a label after the code is not a modifier
    ("CPT 97112", ("97112", ())),  # the code after its label
    ("CPT 97112 (GP)", ("97112", ("GP",))),  # modifiers in brackets
    ("97112 (GP)(59)", ("97112", ("GP", "59"))),
    ("97112 [GP, 59]", ("97112", ("GP", "59"))),
    ("98940 Chiropractic Manipulation (AT)", ("98940", ("AT",))),  # bracketed, after a label
    ("'97112", ("97112", ())),  # Excel's text prefix exported literally
    ("G0283", ("G0283", ())),
    ("g0283", ("G0283", ())),
    ("0001F", ("0001F", ())),
    ("0552T", ("0552T", ())),
    (None, None),
    ("", None),
])
def test_codes(raw: object, parsed: object) -> None:
    assert parse_code(raw) == parsed


@pytest.mark.parametrize(("raw", "parsed"), [
    ("97110 Therapeutic Exercise (TE)", ("97110", ())),  # the label's own initials
    ("97140 Manual Therapy (MT)", ("97140", ())),
    ("97530 Therapeutic Activities (TA)", ("97530", ())),  # TA is a modifier, but the initials
    ("97110 (x2)", ("97110", ())),  # not a known modifier: part of the label
    ("97112 (GP, TE)", ("97112", ())),  # one unknown token: the whole bracket is the label's
    ("CPT 97112 (GP)", ("97112", ("GP",))),
    ("97112 (GP)(59)", ("97112", ("GP", "59"))),
    ("97112 [GP, 59]", ("97112", ("GP", "59"))),
    ("98940 Chiropractic Manipulation (AT)", ("98940", ("AT",))),
])
def test_bracketed_modifiers_only_known_and_not_initials(raw: object, parsed: object) -> None:
    known = frozenset({"GP", "59", "TA", "AT", "KX"})
    assert parse_code(raw, known) == parsed


@pytest.mark.parametrize("raw", ["9711", "971122", "NMR", "W1234", "97112.5", 97112.5, True,
                                 "#REF!", "CPT 9711", "CPT"])
def test_unreadable_codes(raw: object) -> None:
    with pytest.raises(Unreadable):
        parse_code(raw)


@pytest.mark.parametrize("raw, mods", [
    ("GP", ("GP",)),
    ("gp, 59", ("GP", "59")),
    ("GP/59", ("GP", "59")),
    ("GP-KX", ("GP", "KX")),
    (59, ("59",)),
    (59.0, ("59",)),
    ("(GP)(CQ)", ("GP", "CQ")),
    ("NULL", ()),  # a database dump's empty field
    (None, ()),
    ("", ()),
])
def test_modifiers(raw: object, mods: tuple[str, ...]) -> None:
    assert parse_modifiers(raw) == mods


# --- units, minutes, money ----------------------------------------------------------------------


@pytest.mark.parametrize("raw, units", [
    (2, 2.0), (2.0, 2.0), ("2", 2.0), (" 2 ", 2.0), ("2 units", 2.0), ("1 unit", 1.0),
    ("2u", 2.0), ("2x", 2.0), (0, 0.0), ("0", 0.0), (None, None), ("", None),
])
def test_units(raw: object, units: float | None) -> None:
    assert parse_units(raw) == units


@pytest.mark.parametrize("raw", [-1, "-1", "-1 unit", "two", "x2", 1.5, "1.5", "#N/A", True,
                                 MAR_2, dt.time(0, 30), float("inf")])
def test_unreadable_units(raw: object) -> None:
    with pytest.raises(Unreadable):
        parse_units(raw)


def test_negative_units_say_so() -> None:
    with pytest.raises(Unreadable, match="negative"):
        parse_units("-1")
    with pytest.raises(Unreadable, match="negative"):
        parse_units(-2)


@pytest.mark.parametrize("raw, minutes", [
    (30, 30.0),
    (30.0, 30.0),
    ("30", 30.0),
    ("30 min", 30.0),
    ("30min", 30.0),
    ("30 mins", 30.0),
    ("30 minutes", 30.0),
    ("0:30", 30.0),
    ("1:05", 65.0),
    ("0:30:30", 30.5),
    (dt.time(0, 30), 30.0),  # 0:30 typed into a time-formatted cell
    (dt.timedelta(minutes=45), 45.0),
    ("1h 5m", 65.0),  # hours and minutes, as therapy EMRs print a duration
    ("0h 30m", 30.0),
    ("1h", 60.0),
    ("1 hr 15 min", 75.0),
    ("'30", 30.0),  # Excel's text prefix exported literally
    ("NULL", None),  # a database dump's empty field
    (0, 0.0),
    (None, None),
    ("", None),
])
def test_minutes(raw: object, minutes: float | None) -> None:
    assert parse_minutes(raw) == minutes


@pytest.mark.parametrize("raw", ["thirty", "-30", -30, "30 hrs", "#VALUE!", True,
                                 dt.datetime(2026, 3, 2, 0, 30)])
def test_unreadable_minutes(raw: object) -> None:
    with pytest.raises(Unreadable):
        parse_minutes(raw)


@pytest.mark.parametrize("raw, amount", [
    (45, 45.0), ("45", 45.0), ("$45.00", 45.0), ("$ 1,200.50", 1200.5), ("45 USD", 45.0),
    (".50", 0.5), (None, None),
    # a decimal comma (European Excel): never a thousands group of one or two digits
    ("45,00", 45.0), ("136,5", 136.5), ("2,500", 2500.0), ("1,234,567", 1234567.0),
])
def test_money(raw: object, amount: float | None) -> None:
    assert parse_money(raw) == amount


@pytest.mark.parametrize("raw", ["n/c", "-45", "45 EUR", MAR_2])
def test_unreadable_money(raw: object) -> None:
    with pytest.raises(Unreadable):
        parse_money(raw)


# --- text, diagnoses, yes / no --------------------------------------------------------------------


@pytest.mark.parametrize("raw, text", [
    ("  Jane  ", "Jane"), (12345, "12345"), (12345.0, "12345"), ("", None), ("   ", None),
    (None, None),
])
def test_text(raw: object, text: str | None) -> None:
    assert parse_text(raw) == text


@pytest.mark.parametrize("raw, codes", [
    ("M54.50", ("M54.50",)),
    ("m54.50", ("M54.50",)),
    ("M54.50, G20; R26.89", ("M54.50", "G20", "R26.89")),
    ("M5450 G20", ("M5450", "G20")),
    ("S13.4XXA / M99.01", ("S13.4XXA", "M99.01")),
    ("1. M54.50 (low back pain)", ("M54.50",)),  # pointer numbers and words are ignored
    ("", ()),
    (None, ()),
])
def test_diagnoses(raw: object, codes: tuple[str, ...]) -> None:
    assert parse_diagnoses(raw) == codes


YES = frozenset({"yes", "y", "1 1", "one on one", "x"})
NO = frozenset({"no", "n", "group", "unattended"})


@pytest.mark.parametrize("raw, value", [
    ("Y", True), ("yes", True), ("1:1", True), ("One-on-One", True), ("x", True),
    ("N", False), ("No", False), ("GROUP", False), ("unattended", False),
    (True, True), (False, False), (1, True), (0, False),
    ("maybe", None), (2, None), ("", None), (None, None),
])
def test_yes_no(raw: object, value: bool | None) -> None:
    assert parse_yes_no(raw, YES, NO) is value


@pytest.mark.parametrize("text, day_first, expected", [
    ("03/04/2026", False, dt.date(2026, 3, 4)),
    ("03/04/2026", True, dt.date(2026, 4, 3)),
    ("3/4/26", False, dt.date(2026, 3, 4)),
    ("31.03.2026", True, dt.date(2026, 3, 31)),
])
def test_numeric_text_dates_follow_the_configured_order(text: str, day_first: bool,
                                                        expected: dt.date) -> None:
    assert parse_date(text, day_first=day_first) == expected


@pytest.mark.parametrize("text, day_first", [("13/03/2026", False), ("03/13/2026", True)])
def test_numeric_text_dates_are_never_swapped_to_fit(text: str, day_first: bool) -> None:
    with pytest.raises(Unreadable, match="when read as"):
        parse_date(text, day_first=day_first)


@pytest.mark.parametrize(("raw", "size"), [
    ("($96.00)", 96.0), ("-$96.00", 96.0), ("$1,234.00-", 1234.0), ("$96.00 CR", 96.0),
    ("96.00cr", 96.0), ("96.00", None), (2, None),
])
def test_negative_amounts_in_accounting_styles(raw: object, size: float | None) -> None:
    """A reversal or credit written the accounting way ("96.00-", "$96.00 CR") is negative."""
    from nmr_xl.read.values import negative_amount

    assert negative_amount(raw) == size

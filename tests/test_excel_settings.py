"""The add-in's own settings (nmr_xl.excel.settings): the settings file xlwings' VBA writes for
the ribbon's Reference files menu, read back by Python for the ribbon's check and the worksheet
functions; the practice's rules, MUE and NCCI files laid over the bundled rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlwings
import xlwings_double as double
from conftest import BILLING_SHEET, build_billing_workbook

from nmr_xl.errors import ConfigError
from nmr_xl.excel import functions, ribbon, settings
from nmr_xl.excel.functions import NMR_CHECK
from nmr_xl.excel.settings import ConfigCache, ReferenceFiles, read_settings, settings_file
from nmr_xl.reference import MueLimit

AS_OF = dt.date(2026, 3, 31)
# A 97112 line billed not one-on-one (NMR201, an error), in the billing template's columns.
LINE = ["P1", "Doe, Jane", dt.datetime(2026, 3, 2), "97112", "GP", None, None, None, 1.0, 15.0,
        "G20", None, None, None, "Natarajan, Priya", "PT", "No", "Aetna", "balance",
        "walk 150 ft", 60.0]


def write_settings(path: Path, pairs: dict[str, str]) -> Path:
    """As xlwings' SaveConfigToFile writes it: VBA's Write # — quoted, comma-separated, CRLF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(f'"{k}","{v}"\r\n'.encode() for k, v in pairs.items()))
    return path


@pytest.fixture
def settings_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / ".nmr-xl" / "nmr-xl.conf"
    monkeypatch.setattr(settings, "settings_file", lambda: path)
    return path


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The worksheet functions' settings cache, with a clock the test moves."""
    now = [0.0]
    monkeypatch.setattr(functions, "_CONFIGS", ConfigCache(clock=lambda: now[0]))
    token = functions.AS_OF.set(AS_OF)
    yield now
    functions.AS_OF.reset(token)


def rules_file(folder: Path, text: str) -> Path:
    path = folder / "practice-rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- where the settings are, and how they read ------------------------------------------------


def test_the_settings_file_is_nmr_xls_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """Where xlwings' VBA GetConfigFilePath puts it for PROJECT_NAME "nmr-xl": not myaddin.conf,
    which every add-in built from xlwings' template shares."""
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "Users" / "biller"))
    assert settings_file("win32") == tmp_path / "Users" / "biller" / ".nmr-xl" / "nmr-xl.conf"
    assert settings_file("darwin", tmp_path) == (
        tmp_path / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "nmr-xl.conf")
    assert settings.SETTINGS_SHEET == "nmr-xl.conf"


def test_the_file_reads_as_vba_writes_it(settings_path: Path) -> None:
    write_settings(settings_path, {"Rules File": r"C:\Practice, Inc\rules.toml",
                                   "MUE FILE": "", "NCCI FILES": "a.txt;b.txt; c.txt;"})
    found = read_settings(settings_path)
    assert found == {"RULES FILE": r"C:\Practice, Inc\rules.toml", "MUE FILE": "",
                     "NCCI FILES": "a.txt;b.txt; c.txt;"}
    files = ReferenceFiles.from_settings(found)
    assert files == ReferenceFiles(Path(r"C:\Practice, Inc\rules.toml"), (),
                                   (Path("a.txt"), Path("b.txt"), Path("c.txt")))
    assert read_settings(settings_path.parent / "missing.conf") == {}


def test_no_settings_means_the_bundled_rules(settings_path: Path) -> None:
    files = settings.current_files()
    assert files == ReferenceFiles()
    assert files.describe() == ["Practice rules file: none (the bundled rules.toml)",
                                "CMS MUE files: none (the MUE values in the rules)",
                                "CMS NCCI files: none (the NCCI pairs in the rules)"]


def test_a_missing_file_is_named(settings_path: Path, tmp_path: Path) -> None:
    write_settings(settings_path, {"MUE FILE": str(tmp_path / "gone.csv")})
    with pytest.raises(ConfigError, match=r"gone\.csv: file not found \(chosen under nmr-xl"):
        settings.excel_config()


def test_mue_and_ncci_files_from_the_settings_are_loaded(settings_path: Path,
                                                         tmp_path: Path) -> None:
    mue = tmp_path / "mue.csv"
    mue.write_text("HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication "
                   "Indicator,MUE Rationale\n97112,3,3 Date of Service Edit: Clinical,"
                   "Clinical\n", encoding="latin-1")
    ptp = tmp_path / "ptp.txt"
    ptp.write_text("Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP "
                   "Edit Rationale\n97140\t97530\t\t20200101\t*\t1\tMisuse of column two "
                   "code with column one code\n", encoding="latin-1")
    write_settings(settings_path, {"MUE FILE": str(mue), "NCCI FILES": f"{ptp};"})
    config = settings.excel_config()
    assert config.mue.limit("97112", dt.date(2026, 3, 2)) == MueLimit(3)
    assert any(edit.column1 == "97140" and "ptp.txt" in edit.source
               for edit in config.ncci["97530"])


def test_several_mue_files_each_for_its_quarter(settings_path: Path, tmp_path: Path) -> None:
    """As the command line's --mue takes several quarters' files: the setting's paths,
    separated by ";" (the ribbon writes them so when several files are selected)."""
    header = ("HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,"
              "MUE Rationale\n")
    quarters = []
    for month, limit in (("04", 3), ("07", 4)):
        path = tmp_path / f"MCR_MUE_PractitionerServices_Eff_{month}-01-2026.csv"
        path.write_text(header + f"97112,{limit},3 Date of Service Edit: Clinical,Clinical\n",
                        encoding="latin-1")
        quarters.append(path)
    write_settings(settings_path, {"MUE FILE": f"{quarters[1]}; {quarters[0]};"})
    files = settings.current_files()
    assert files.mue == (quarters[1], quarters[0])
    assert files.describe()[1] == f"CMS MUE files: {quarters[1]}; {quarters[0]}"
    config = settings.excel_config()
    assert config.mue.limit("97112", dt.date(2026, 6, 30)) == MueLimit(3)
    assert config.mue.limit("97112", dt.date(2026, 7, 1)) == MueLimit(4)
    write_settings(settings_path, {"MUE FILE": str(quarters[0])})  # one path, as written before
    assert settings.current_files().mue == (quarters[0],)


# --- the worksheet functions use them, and notice a change ------------------------------------


def test_functions_use_the_practice_rules_and_notice_changes(settings_path: Path,
                                                             tmp_path: Path,
                                                             clock: list[float]) -> None:
    assert NMR_CHECK(LINE).startswith("Error: NMR201")
    rules = rules_file(tmp_path, '[rules]\nNMR201 = "off"\n')
    write_settings(settings_path, {"RULES FILE": str(rules)})
    assert NMR_CHECK(LINE).startswith("Error: NMR201")  # not looked at again yet
    clock[0] += settings.RECHECK_SECONDS
    assert NMR_CHECK(LINE) == "OK"
    rules.write_text('[rules]\nNMR201 = "warning"\n', encoding="utf-8")  # edited in place
    clock[0] += settings.RECHECK_SECONDS
    assert NMR_CHECK(LINE).startswith("Warning: NMR201")


def test_a_broken_practice_file_is_one_line_in_the_cell(settings_path: Path, tmp_path: Path,
                                                        clock: list[float]) -> None:
    write_settings(settings_path, {"RULES FILE": str(rules_file(tmp_path, "[rules\n"))})
    result = NMR_CHECK(LINE)
    assert result.startswith("nmr-xl: settings: ") and "practice-rules.toml" in result
    assert "\n" not in result


# --- the ribbon uses them, and shows them -----------------------------------------------------


@pytest.fixture
def billing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> double.Book:
    book = double.load_book(build_billing_workbook(tmp_path / "billing.xlsx"))
    book.sheets[BILLING_SHEET].activate()
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: book))
    return book


def test_check_sheet_uses_the_practice_rules(settings_path: Path, tmp_path: Path,
                                             billing: double.Book) -> None:
    """The fixture has an error, a warning and an info; the practice switches the warning off."""
    write_settings(settings_path, {"RULES FILE": str(rules_file(
        tmp_path, '[rules]\nNMR206 = "off"\n'))})
    ribbon.check_sheet()
    message = billing.app.double_alerts[-1][0]
    assert ": 1 error, 0 warnings, 1 info." in message


def test_show_settings_lists_the_files_and_whether_they_load(settings_path: Path,
                                                             tmp_path: Path,
                                                             billing: double.Book) -> None:
    ribbon.show_settings()
    text, _, mode = billing.app.double_alerts[-1]
    assert mode == "info"
    assert text.startswith("Practice rules file: none (the bundled rules.toml)\n")
    assert "Everything loads" in text and str(settings_path) in text

    rules = rules_file(tmp_path, '[rules]\nNMR999 = "off"\n')
    write_settings(settings_path, {"RULES FILE": str(rules)})
    ribbon.show_settings()
    text, _, mode = billing.app.double_alerts[-1]
    assert mode == "critical"
    assert text.startswith(f"Practice rules file: {rules}\n")
    assert "This does not load: " in text and "NMR999" in text

"""The Excel add-in file: reproducible build and structure (ribbon, VBA, worksheet functions,
settings). Installing it: tests/test_addin_install.py.

No Excel here: the VBA project is read back with oletools (olevba) and olefile, and, where it is
installed, LibreOffice as a third, independent reader; the settings sheet with openpyxl. The
worksheet functions' VBA is compared with what xlwings' own generator writes for them.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import re
import shutil
import subprocess
import sys
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import olefile
import pytest
import xlwings
from addin_files import settings_rows, zip_parts
from oletools.olevba import VBA_Parser, decompress_stream

from nmr_xl.cli import main
from nmr_xl.excel import addin, functions, settings
from nmr_xl.excel.cfb import write_compound_file
from nmr_xl.excel.vba import compress

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECKED_IN = REPO_ROOT / "workbooks" / addin.ADDIN_NAME
TEMPLATE = Path(xlwings.__file__).parent / addin.TEMPLATE_NAME
EXCEL_CONTROL_IDS = Path(__file__).parent / "fixtures" / "excel-control-ids.tsv"
REBUILD = f"rebuild it: nmr-xl addin build --out workbooks/{addin.ADDIN_NAME}"
CUSTOM_UI_NS = "{http://schemas.microsoft.com/office/2006/01/customui}"
CALLBACKS = ("onAction", "getVisible")
UDF_NAMES = ("NMR_CHECK", "NMR_CHECK_TABLE", "NMR_EXPLAIN", "NMR_UNITS")  # dir() order
CHANGED_MODULES = {addin.RIBBON_MODULE, addin.WORKBOOK_MODULE, addin.XLWINGS_MODULE}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("addin") / addin.ADDIN_NAME
    assert main(["addin", "build", "--out", str(out)]) == 0
    return out


def vba_streams(xlam: Path) -> dict[str, bytes]:
    project = zip_parts(xlam.read_bytes())["xl/vbaProject.bin"]
    with olefile.OleFileIO(io.BytesIO(project)) as ole:
        return {"/".join(path): ole.openstream(path).read() for path in ole.listdir()}


def vba_sources(xlam: Path) -> dict[str, str]:
    """Module name -> source (with its Attribute lines), as olevba reads it."""
    parser = VBA_Parser(str(xlam))
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def ribbon(xlam: Path) -> ElementTree.Element:
    return ElementTree.fromstring(zip_parts(xlam.read_bytes())["customUI/customUI.xml"])


# --- the build --------------------------------------------------------------------------------


def test_rebuild_gives_the_checked_in_file_byte_for_byte(built):
    assert CHECKED_IN.is_file(), REBUILD
    ours, theirs = zip_parts(built.read_bytes()), zip_parts(CHECKED_IN.read_bytes())
    assert list(ours) == list(theirs), f"different zip entries; {REBUILD}"
    changed = [name for name in ours if ours[name] != theirs[name]]
    assert not changed, f"{changed} differ from the checked-in add-in; {REBUILD}"
    assert built.read_bytes() == CHECKED_IN.read_bytes(), f"zip layout differs; {REBUILD}"


def test_zip_is_written_reproducibly(built):
    with zipfile.ZipFile(built) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert infos[0].filename == "[Content_Types].xml"
    assert {(i.date_time, i.compress_type, i.create_system) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), zipfile.ZIP_STORED, 0)}


def test_document_properties_name_the_add_in(built):
    core = ElementTree.fromstring(zip_parts(built.read_bytes())["docProps/core.xml"])
    title = core.find("{http://purl.org/dc/elements/1.1/}title")
    assert title is not None and title.text == "nmr-xl"


# --- the ribbon -------------------------------------------------------------------------------


def test_ribbon_tab_groups_and_buttons(built):
    tabs = ribbon(built).findall(f".//{CUSTOM_UI_NS}tab")
    assert [t.get("label") for t in tabs] == ["nmr-xl"]
    groups = {g.get("label"): [b.get("label") for b in g.iter(f"{CUSTOM_UI_NS}button")]
              for g in tabs[0].findall(f"{CUSTOM_UI_NS}group")}
    assert groups == {
        "Billing check": ["Check sheet", "Clear"],
        "Share": ["Values only copy"],
        "Settings": ["Practice rules file...", "CMS MUE files...", "CMS NCCI files...",
                     "Show and test settings", "Bundled rules only"]}
    for control in [*tabs[0].iter(f"{CUSTOM_UI_NS}button"), *tabs[0].iter(f"{CUSTOM_UI_NS}menu")]:
        assert control.get("imageMso") and control.get("screentip"), control.get("id")
        assert 40 < len(control.get("supertip", "")) <= 1024, control.get("id")  # Office's limit
    assert not re.search("Import functions|Trust access", ribbon_text(built))


def ribbon_text(xlam: Path) -> str:
    return zip_parts(xlam.read_bytes())["customUI/customUI.xml"].decode("utf-8")


def excel_control_ids() -> dict[str, set[str]]:
    """Excel's control ids (Office 2013, 2016 and 365) -> their control types."""
    ids = {}
    for line in EXCEL_CONTROL_IDS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, kinds = line.split("\t")
            ids[name] = set(kinds.split(","))
    return ids


def test_every_icon_is_an_excel_control_with_an_image(built):
    """imageMso names Office's own icons. An id of another Office application (the earlier
    Check sheet icon, AcceptInvitation, is Outlook's) shows no icon in Excel."""
    known = excel_control_ids()
    assert len(known) > 1500 and "AcceptInvitation" not in known
    icons = {e.get("id"): e.get("imageMso") for e in ribbon(built).iter() if e.get("imageMso")}
    assert len(icons) == 9
    for control, icon in icons.items():
        assert icon in known, f"{control}: {icon} is not an Excel control id"
        assert known[icon] & {"button", "toggleButton", "splitButton", "menu", "gallery"}, icon


def test_ids_are_unique_and_ours(built):
    ids = [e.get("id") for e in ribbon(built).iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("nmrXl") for i in ids), ids  # no clash with other add-ins' ids


def callbacks(xlam: Path) -> list[tuple[str, str, str]]:
    """(attribute, module, macro) for every callback the ribbon names."""
    found = []
    for element in ribbon(xlam).iter():
        for attribute in CALLBACKS:
            if element.get(attribute):
                module, _, macro = element.get(attribute, "").partition(".")
                found.append((attribute, module, macro))
    return found


def test_every_callback_is_a_public_macro_with_the_ribbon_signature(built):
    sources = vba_sources(built)
    found = callbacks(built)
    assert len(found) == 9
    for attribute, module, macro in found:
        assert module in sources, f"{module}.{macro}: no VBA module {module}"
        extra = r", ByRef returnedVal\)" if attribute == "getVisible" else r"\)"
        signature = rf"^Sub {macro}\(control As IRibbonControl{extra}\r$"
        assert re.search(signature, sources[module], re.MULTILINE), f"{module}.{macro}"


# --- the worksheet functions, as xlwings' importer would write them ---------------------------


@pytest.fixture(scope="module")
def functions_on_windows() -> Iterator[tuple[ModuleType, ModuleType]]:
    """xlwings.udfs (the Windows-only generator) and nmr_xl.excel.functions decorated by it,
    as on Windows. The COM modules xlwings.udfs imports at the top are stand-ins: the generator
    itself only writes text."""
    stand_ins = {"pythoncom": types.SimpleNamespace(CoInitialize=lambda: None),
                 "pywintypes": types.SimpleNamespace(com_error=Exception),
                 "win32com": types.ModuleType("win32com"),
                 "win32com.client": types.SimpleNamespace(Dispatch=None)}
    saved = {name: sys.modules.get(name) for name in [*stand_ins, "xlwings.udfs"]}
    sys.modules.update(stand_ins)  # type: ignore[arg-type]
    decorators = xlwings.func, xlwings.arg
    try:
        udfs = importlib.import_module("xlwings.udfs")
        xlwings.func, xlwings.arg = udfs.xlfunc, udfs.xlarg
        spec = importlib.util.spec_from_file_location("functions_on_windows", functions.__file__)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield udfs, module
    finally:
        xlwings.func, xlwings.arg = decorators
        for name, value in saved.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value


def xlwings_import_file(udfs: ModuleType, module: ModuleType) -> str:
    """What xlwings' import_udfs writes for the add-in, before Excel imports it."""
    out = io.StringIO()
    udfs.generate_vba_wrapper(addin.UDF_MODULE, module, out,
                              types.SimpleNamespace(Name=addin.ADDIN_NAME))
    return out.getvalue()


def test_the_add_in_holds_the_wrappers_xlwings_would_import(built, functions_on_windows):
    udfs, module = functions_on_windows
    theirs = xlwings_import_file(udfs, module)
    assert [n for n in dir(module) if hasattr(getattr(module, n), "__xlfunc__")] == list(
        UDF_NAMES)
    assert [re.findall(r"^Function (\w+)\(", theirs, re.MULTILINE)] == [list(UDF_NAMES)]
    ribbon_module = vba_sources(built)[addin.RIBBON_MODULE]
    assert theirs.replace("\n", "\r\n") in ribbon_module
    # the conditional constant the wrappers' #If lines read, as in xlwings' module xlwings_udfs
    assert "\r\n#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel\r\n" in (
        ribbon_module)
    assert not re.search(r"^Option Explicit", ribbon_module, re.MULTILINE)


def test_the_wrappers_call_the_functions_module(built):
    calls = re.findall(r'XLPy\.CallUDF\("([\w.]+)", "(\w+)", Array\(([^)]*)\)',
                       vba_sources(built)[addin.RIBBON_MODULE])
    assert len(calls) == 2 * len(UDF_NAMES)
    for module_name, name, args in calls:
        udf = getattr(importlib.import_module(module_name), name)
        assert args.split(", ") == list(inspect_parameters(udf))


def inspect_parameters(udf: object) -> list[str]:
    import inspect

    return list(inspect.signature(udf).parameters)  # type: ignore[arg-type]


MACRO_OPTIONS = re.compile(
    r"Application\.MacroOptions Macro:=\"'\" & ThisWorkbook\.Name & \"'!(\w+)\", _\r\n"
    r"\s+Description:=(\"(?:[^\"]|\"\")*\"), _\r\n"
    r"\s+Category:=(\"(?:[^\"]|\"\")*\"), _\r\n"
    r"\s+ArgumentDescriptions:=Array\(((?:\"(?:[^\"]|\"\")*\"(?:, )?)*)\)\r\n")


def vba_strings(text: str) -> list[str]:
    return [s.replace('""', '"') for s in re.findall(r'"((?:[^"]|"")*)"', text)]


def test_insert_function_help_is_what_xlwings_registers(built, functions_on_windows):
    """The description, category and argument help xlwings' import_udfs gives each function
    (Application.MacroOptions), registered by the add-in each time it opens."""
    _, module = functions_on_windows
    source = vba_sources(built)[addin.RIBBON_MODULE]
    registered = {name: (vba_strings(doc)[0], vba_strings(category)[0], vba_strings(args))
                  for name, doc, category, args in MACRO_OPTIONS.findall(source)}
    expected = {}
    for name in UDF_NAMES:
        xlfunc = getattr(module, name).__xlfunc__
        expected[name] = (xlfunc["ret"]["doc"][:255], xlfunc["category"],
                          [arg["doc"][:255] for arg in xlfunc["args"] if not arg["vba"]])
    assert registered == expected
    assert {category for _, category, _ in registered.values()} == {functions.CATEGORY}
    workbook_open = vba_sources(built)[addin.WORKBOOK_MODULE]
    assert re.search(rf"^Private Sub Workbook_Open\(\)\r\n\s+{addin.DESCRIBE_MACRO}\r\n"
                     r"End Sub\r$", workbook_open, re.MULTILINE)


def test_windows_keeps_each_arguments_conversion(functions_on_windows):
    """The options xlwings converts each argument with (from the Annotated hints): a range as
    rows of cells, cell errors as their text."""
    _, module = functions_on_windows
    options = {(name, arg["name"]): {k: v for k, v in arg["options"].items() if k != "convert"}
               for name in UDF_NAMES for arg in getattr(module, name).__xlfunc__["args"]}
    cells = {"ndim": 2, "err_to_str": True}
    assert options == {("NMR_CHECK", "line"): cells, ("NMR_CHECK", "header"): cells,
                       ("NMR_CHECK_TABLE", "table"): cells, ("NMR_UNITS", "minutes"): cells,
                       ("NMR_UNITS", "method"): {}, ("NMR_EXPLAIN", "code"): {"err_to_str": True}}
    assert [getattr(module, n).__xlfunc__["call_in_wizard"] for n in UDF_NAMES] == [
        True, False, True, True]


# --- the VBA project --------------------------------------------------------------------------


def test_vba_modules_as_intended(built):
    ours, template = vba_sources(built), vba_sources(TEMPLATE)
    assert list(ours) == list(template)
    assert ours[addin.RIBBON_MODULE] == addin.ribbon_module_source()
    for module in template:
        if module not in CHANGED_MODULES:
            assert ours[module] == template[module], module


def test_the_project_name_is_nmr_xl_and_the_workbook_settings_layers_are_off(built):
    """PROJECT_NAME names the settings sheet and files xlwings' VBA reads: ours, not the
    template's `myaddin` that every add-in built from it shares."""
    ours = vba_sources(built)[addin.XLWINGS_MODULE].splitlines()
    template = vba_sources(TEMPLATE)[addin.XLWINGS_MODULE].splitlines()
    changed = [(a, b) for a, b in zip(template, ours, strict=True) if a != b]
    assert changed == [('Public Const PROJECT_NAME As String = "myaddin"',
                        'Public Const PROJECT_NAME As String = "nmr-xl"'),
                       *addin.WORKBOOK_SETTINGS_LINES.items()]
    assert f'"{settings.PROJECT_NAME}"' in changed[0][1]


def test_a_received_workbook_cannot_choose_the_add_ins_settings(built):
    """GetConfig's layers that read the active workbook (a settings sheet in it, a settings file
    beside it) are off: such a workbook could otherwise name the interpreter the add-in starts."""
    module = vba_sources(built)[addin.XLWINGS_MODULE]
    get_config = module[module.index("Function GetConfig("):]
    get_config = get_config[:get_config.index("End Function")]
    assert "SheetExists(ActiveWorkbook" not in get_config
    assert "GetFullName(ActiveWorkbook)" not in get_config
    assert get_config.count("If False Then ' nmr-xl:") == 2


def test_every_other_stream_is_the_templates_byte_for_byte(built):
    ours, template = vba_streams(built), vba_streams(TEMPLATE)
    assert set(ours) == set(template)
    changed = {path for path in template if ours[path] != template[path]}
    assert changed == {"VBA/dir", *(f"VBA/{m}" for m in CHANGED_MODULES)}


def test_dir_stream_only_drops_the_changed_modules_compiled_code(built):
    """The only changes in `dir`: the changed modules' MODULEOFFSET is 0 (source only, no stale
    compiled code); each changed module stream is its compressed source alone."""
    ours, template = vba_streams(built), vba_streams(TEMPLATE)
    new, old = (bytes(decompress_stream(bytearray(s["VBA/dir"]))) for s in (ours, template))
    assert len(new) == len(old)
    differing = [i for i in range(len(new)) if new[i] != old[i]]
    offsets = [i for i in range(len(new) - 10) if new[i:i + 6] == b"\x31\x00\x04\x00\x00\x00"]
    for i in differing:  # every differing byte lies in a MODULEOFFSET value
        assert any(at + 6 <= i < at + 10 for at in offsets), i
    for module in CHANGED_MODULES:
        stream_name_at = new.index(module.encode() + b"\x32\x00")  # its unicode copy follows
        offset_at = next(at for at in offsets if at > stream_name_at)
        assert new[offset_at + 6:offset_at + 10] == bytes(4), module
        source = bytes(decompress_stream(bytearray(ours[f"VBA/{module}"]))).decode("cp1252")
        assert source == vba_sources(built)[module]


def test_olevba_sees_no_stomped_code(built):
    """Compiled code that disagrees with the source ("VBA stomping") is what malware does and
    what virus scanners flag; the build leaves none."""
    parser = VBA_Parser(str(built))
    try:
        assert parser.detect_vba_stomping() is False
    finally:
        parser.close()


def test_template_version_is_the_pinned_xlwings(built):
    xlwings_module = vba_sources(built)["xlwings"]
    assert f'XLWINGS_VERSION As String = "{addin.XLWINGS_VERSION}"' in xlwings_module
    assert xlwings.__version__ == addin.XLWINGS_VERSION, (
        f"the add-in holds xlwings {addin.XLWINGS_VERSION}'s VBA: pin that version or {REBUILD}")


RUNPYTHON = re.compile(r'"import ([\w.]+); \1\.(\w+)\(\)"')


def test_ribbon_macros_run_existing_python_functions():
    commands = RUNPYTHON.findall(addin.RIBBON_CALLBACKS)
    assert {function for _, function in commands} == {
        "check_sheet", "clear_sheet", "values_only_copy", "show_settings"}
    for module_name, function in commands:
        module = importlib.import_module(module_name)
        assert callable(getattr(module, function, None)), f"{module_name}.{function}"


def test_settings_macros_write_the_keys_python_reads():
    written = set(re.findall(r'"([A-Z ]+)"', " ".join(re.findall(
        r"(?:SaveConfigToFile GetConfigFilePath\(\)|NmrXlSaveSetting|NmrXlChooseFiles?) "
        r'"[A-Z ]+"', addin.RIBBON_CALLBACKS))))
    assert written == {settings.RULES_KEY, settings.MUE_KEY, settings.NCCI_KEY}


def test_udf_module_exists():
    importlib.import_module(addin.UDF_MODULE)


# --- the settings sheet -----------------------------------------------------------------------


def test_settings_sheet_is_nmr_xls_own_and_filled_in(built):
    sheets, rows = settings_rows(built.read_bytes())
    assert sheets == [settings.SETTINGS_SHEET] == ["nmr-xl.conf"]
    assert rows == [*addin.SETTINGS]
    assert ("UDF Modules", "nmr_xl.excel.functions") in rows
    workbook = zip_parts(built.read_bytes())["xl/workbook.xml"]
    assert b"myaddin" not in workbook


# --- MS-OVBA compression and the compound-file writer ------------------------------------------


def test_compressor_reproduces_the_templates_own_streams():
    """xlwings' template holds streams written outside Excel (its xlwings module, `dir`): our
    compressor gives the same bytes, so it follows the same reading of the spec."""
    template = vba_streams(TEMPLATE)
    for path in ("VBA/xlwings", "VBA/dir"):
        source = bytes(decompress_stream(bytearray(template[path])))
        assert compress(source) == template[path], path


def test_compressor_round_trips_through_olevba():
    samples = [b"", b"a", b"abc" * 3000, bytes(range(256)) * 8, b"Sub X()\r\n" * 1000]
    for sample in samples:
        assert bytes(decompress_stream(bytearray(compress(sample)))) == sample


def test_compound_file_reads_back_with_olefile():
    streams = {"PROJECT": b"p" * 10, "VBA/dir": b"d" * 5000, "VBA/Module1": bytes(range(256)),
               "VBA/Sub/Deep": b"x" * 4096, "A": b"a" * 100_000}
    with olefile.OleFileIO(io.BytesIO(write_compound_file(streams))) as ole:
        assert {"/".join(p): ole.openstream(p).read() for p in ole.listdir()} == streams


def test_compound_file_refuses_empty_streams():
    with pytest.raises(ValueError, match="empty"):
        write_compound_file({"PROJECT": b""})


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_libreoffice_reads_the_vba_project(built, tmp_path):
    """A third reader of the VBA project. LibreOffice does not open add-ins, so it gets the
    package labelled as a macro-enabled workbook and saves it as .ods with its Basic modules."""
    parts = zip_parts(built.read_bytes())
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"ms-excel.addin.macroEnabled.main", b"ms-excel.sheet.macroEnabled.main")
    book = tmp_path / "nmr-xl.xlsm"
    with zipfile.ZipFile(book, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    profile = tmp_path / "lo-profile"
    try:
        subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--convert-to", "ods", "--outdir", str(tmp_path), str(book)],
                       capture_output=True, timeout=180, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("LibreOffice did not convert the add-in within 180 s")
    ods = zip_parts((tmp_path / "nmr-xl.ods").read_bytes())
    module = ods["Basic/MyAddin/RibbonMyAddin.xml"].decode("utf-8")
    assert "nmr_xl.excel.ribbon.clear_sheet()" in module
    for name in UDF_NAMES:
        assert f"Function {name}(" in module and f"&quot;{name}&quot;, Array(" in module
    assert "Sub NmrXlDescribeFunctions()" in module
    assert "NmrXlDescribeFunctions" in ods["Basic/MyAddin/ThisWorkbook.xml"].decode("utf-8")
    xlwings_module = ods["Basic/MyAddin/xlwings.xml"].decode("utf-8")
    assert "Public Function RunPython" in xlwings_module
    assert "PROJECT_NAME As String = &quot;nmr-xl&quot;" in xlwings_module

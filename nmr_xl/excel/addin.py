"""The Excel add-in file, nmr-xl.xlam: built from xlwings' ribbon add-in template, installed
through xlwings.

`xlwings quickstart NAME --addin --ribbon` only copies that template to NAME.xlam; the build
starts from the same template and changes, the same way every time:
- the ribbon (customUI/customUI.xml): our tab, buttons, built-in icons and tips;
- the VBA module RibbonMyAddin: one callback per button (see RIBBON_VBA); every other module,
  xlwings' own included, is kept byte for byte (nmr_xl.excel.vba);
- the settings sheet: activated (xlwings reads `myaddin.conf`; the template ships it disabled
  as `_myaddin.conf`) and filled in; `install` adds the interpreter that runs nmr-xl;
- the document properties Excel shows for the add-in.
The zip is written with fixed dates, a fixed entry order and no compression, so a rebuild gives
the same bytes on every platform (zlib builds differ; stored entries do not).

The names stay the template's where xlwings' VBA derives something from them: PROJECT_NAME
"myaddin" names the settings sheet and the user's settings file (myaddin.conf in the folder
.myaddin of the home folder on Windows). The callbacks stay in the module RibbonMyAddin:
renaming it would change three more streams of the VBA project.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

ADDIN_NAME = "nmr-xl.xlam"
# The template's VBA loads xlwings64-<version>.dll (worksheet functions, Windows) and
# xlwings-<version>.applescript (buttons, macOS): the Python package must be this exact version.
XLWINGS_VERSION = "0.37.8"
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
RIBBON_MODULE = "RibbonMyAddin"
SETTINGS_SHEET = "myaddin.conf"
UDF_MODULE = "nmr_xl.excel.functions"

# Fixed for reproducible builds: zip entry dates and the document dates.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_DOC_DATE = "2026-01-01T00:00:00Z"

Setting = tuple[str, str | bool]
# The settings sheet, read by xlwings' GetConfig (keys are case-insensitive). A key on the sheet
# wins over the user's settings file even when blank, so only keys with a value are written.
# The workbook's folder stays off sys.path: a stray .py file next to a biller's workbook must
# not shadow a module (and OneDrive/SharePoint paths need no extra settings).
SETTINGS: tuple[Setting, ...] = (
    ("UDF Modules", UDF_MODULE),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
    ("ADD_WORKBOOK_TO_PYTHONPATH", False),
)

RIBBON_XML = """\
<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
  <ribbon>
    <tabs>
      <tab id="nmrXlTab" label="nmr-xl">
        <group id="nmrXlCheckGroup" label="Billing check">
          <button id="nmrXlCheckSheet" label="Check sheet" size="large"
                  imageMso="AcceptInvitation" onAction="RibbonMyAddin.NmrXlCheckSheet"
                  screentip="Check this sheet"
                  supertip="Runs every nmr-xl billing rule on the billing table of the active \
sheet and marks what it finds in place: coloured cells, notes, a Findings column and a summary \
sheet. Checking again replaces the earlier marks. Your billing data is never changed." />
          <button id="nmrXlClearSheet" label="Clear" size="large"
                  imageMso="ClearFormats" onAction="RibbonMyAddin.NmrXlClearSheet"
                  screentip="Clear the check"
                  supertip="Takes off everything Check sheet added to the active sheet: the \
original fills and notes come back, the Findings column and the summary sheet go. Your billing \
data is never changed." />
        </group>
        <group id="nmrXlFunctionsGroup" label="Worksheet functions"
               getVisible="RibbonMyAddin.NmrXlWindowsOnly">
          <button id="nmrXlImportFunctions" label="Import functions" size="large"
                  imageMso="FunctionWizard" onAction="RibbonMyAddin.NmrXlImportFunctions"
                  screentip="Import the worksheet functions"
                  supertip="Makes =NMR_CHECK, =NMR_CHECK_TABLE, =NMR_UNITS and =NMR_EXPLAIN \
available in every workbook. Click once after installing or updating nmr-xl. Needs Excel for \
Windows with 'Trust access to the VBA project object model' switched on (File &gt; Options \
&gt; Trust Center &gt; Trust Center Settings &gt; Macro Settings)." />
        </group>
      </tab>
    </tabs>
  </ribbon>
</customUI>
"""

# Each button's macro only hands over to Python; Import functions is xlwings' own routine.
# Saving keeps the imported functions in the add-in across restarts (an add-in is not offered
# for saving when Excel closes).
RIBBON_VBA = """\
Attribute VB_Name = "RibbonMyAddin"
' nmr-xl ribbon callbacks, written by `nmr-xl addin build`.
Option Explicit

Sub NmrXlCheckSheet(control As IRibbonControl)
    RunPython "import nmr_xl.excel.ribbon; nmr_xl.excel.ribbon.check_sheet()"
End Sub

Sub NmrXlClearSheet(control As IRibbonControl)
    RunPython "import nmr_xl.excel.ribbon; nmr_xl.excel.ribbon.clear_sheet()"
End Sub

Sub NmrXlImportFunctions(control As IRibbonControl)
    KillPy
    ImportPythonUDFsToAddin
    ThisWorkbook.Save
End Sub

Sub NmrXlWindowsOnly(control As IRibbonControl, ByRef returnedVal)
    ' Worksheet functions need Excel for Windows: their group is hidden on macOS.
    #If Mac Then
        returnedVal = False
    #Else
        returnedVal = True
    #End If
End Sub
""".replace("\n", "\r\n")

CORE_PROPERTIES = f"""\
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties \
xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<dc:title>nmr-xl</dc:title>\
<dc:description>Billing-compliance checks for chiropractic and physical-therapy billing \
sheets: the nmr-xl tab checks the active sheet in place.</dc:description>\
<dc:creator>nmr-xl</dc:creator><cp:lastModifiedBy>nmr-xl addin build</cp:lastModifiedBy>\
<dcterms:created xsi:type="dcterms:W3CDTF">{_DOC_DATE}</dcterms:created>\
<dcterms:modified xsi:type="dcterms:W3CDTF">{_DOC_DATE}</dcterms:modified>\
</cp:coreProperties>"""

_SHEET = "xl/worksheets/sheet1.xml"
_STRINGS = "xl/sharedStrings.xml"
_WORKBOOK = "xl/workbook.xml"
_VBA_PROJECT = "xl/vbaProject.bin"


class AddinError(Exception):
    """The add-in cannot be built or installed here: one line for the user."""


def build_addin(out: Path) -> Path:
    """Write nmr-xl.xlam, built from xlwings' template, to `out`."""
    try:  # olefile and oletools (the `test` extra) are needed here only, not by `install`
        from nmr_xl.excel.vba import replace_module_source
    except ImportError as exc:
        raise AddinError(f'building the add-in needs {exc.name}: pip install "nmr-xl[test]"') \
            from None

    parts = _read_zip(_template_path().read_bytes())
    parts["customUI/customUI.xml"] = RIBBON_XML.encode("utf-8")
    parts[_VBA_PROJECT] = replace_module_source(parts[_VBA_PROJECT], RIBBON_MODULE, RIBBON_VBA)
    parts[_WORKBOOK] = _activate_settings_sheet(parts[_WORKBOOK])
    parts.update(_settings_parts(parts[_SHEET], SETTINGS))
    parts["docProps/core.xml"] = CORE_PROPERTIES.encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(_write_zip(parts))
    return out


def install_addin() -> str:
    """Install the shipped add-in into Excel through xlwings; return the next step to show."""
    if sys.platform not in ("win32", "darwin"):
        system = "Linux" if sys.platform.startswith("linux") else sys.platform
        raise AddinError(f"Excel is not available on {system}; run `nmr-xl addin install` on the "
                         "Windows or Mac computer where Excel is installed")
    _require_xlwings()
    from xlwings import cli as xlwings_cli

    interpreter = "Interpreter_Win" if sys.platform == "win32" else "Interpreter_Mac"
    settings = ((interpreter, sys.executable), *SETTINGS)
    content = with_settings(shipped_addin().read_bytes(), settings)
    with tempfile.TemporaryDirectory() as folder:
        addin = Path(folder) / ADDIN_NAME  # xlwings installs it under this file name
        addin.write_bytes(content)
        # Copies it to Excel's startup folder (XLSTART); on macOS also enables RunPython.
        xlwings_cli.addin_install(argparse.Namespace(file=str(addin), dir=None, glob=False))
    _confirm_installed(content, xlwings_cli.get_addin_dir)
    functions = ("" if sys.platform == "darwin" else
                 " For the worksheet functions click nmr-xl > Import functions once (it needs "
                 "File > Options > Trust Center > Trust Center Settings > Macro Settings > "
                 "'Trust access to the VBA project object model').")
    return (f"nmr-xl add-in installed; it runs {sys.executable}. Quit and restart Excel: the "
            f"nmr-xl tab appears on the ribbon.{functions}")


def _confirm_installed(content: bytes, addin_dir: Callable[[], object]) -> None:
    """xlwings prints a failed copy (Excel running, no permission) and carries on: look."""
    try:
        installed = Path(str(addin_dir())) / ADDIN_NAME
        ok = installed.is_file() and installed.read_bytes() == content
    except Exception:  # Excel could not be asked where its startup folder is
        ok = False
    if not ok:
        raise AddinError("the add-in could not be copied into Excel's startup folder; quit "
                         "Excel and run `nmr-xl addin install` again")


def shipped_addin() -> Path:
    """The add-in in the wheel, or the repository's own when run from a checkout."""
    packaged = resources.files("nmr_xl.excel") / ADDIN_NAME
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "workbooks" / ADDIN_NAME
    if not checkout.is_file():
        raise AddinError(f"{ADDIN_NAME} is missing from this installation; reinstall nmr-xl")
    return checkout


def with_settings(xlam: bytes, settings: tuple[Setting, ...]) -> bytes:
    """The add-in `xlam` with its settings sheet holding `settings`, everything else as it was."""
    parts = _read_zip(xlam)
    parts.update(_settings_parts(parts[_SHEET], settings))
    return _write_zip(parts)


def _require_xlwings() -> None:
    try:
        installed = importlib.metadata.version("xlwings")
    except importlib.metadata.PackageNotFoundError:
        raise AddinError('the Excel add-in needs xlwings: pip install "nmr-xl[excel]"') from None
    if installed != XLWINGS_VERSION:
        raise AddinError(f"the add-in is built for xlwings {XLWINGS_VERSION} but {installed} is "
                         f"installed: pip install xlwings=={XLWINGS_VERSION}")


def _template_path() -> Path:
    _require_xlwings()
    return Path(str(resources.files("xlwings") / TEMPLATE_NAME))


def _activate_settings_sheet(workbook: bytes) -> bytes:
    disabled = f'name="_{SETTINGS_SHEET}"'.encode()
    if workbook.count(disabled) != 1:
        raise AddinError(f"xlwings' template has no sheet _{SETTINGS_SHEET}")
    return workbook.replace(disabled, f'name="{SETTINGS_SHEET}"'.encode())


def _settings_parts(sheet: bytes, settings: tuple[Setting, ...]) -> dict[str, bytes]:
    """The settings sheet (key in column A, value in B) and its shared strings, laid into the
    template's sheet XML in place of its rows."""
    strings: list[str] = []

    def cell(ref: str, value: str | bool) -> str:
        if isinstance(value, bool):
            return f'<c r="{ref}" s="1" t="b"><v>{int(value)}</v></c>'
        if value not in strings:
            strings.append(value)
        return f'<c r="{ref}" s="1" t="s"><v>{strings.index(value)}</v></c>'

    rows = "".join(f'<row r="{n}" spans="1:2">{cell(f"A{n}", key)}{cell(f"B{n}", value)}</row>'
                   for n, (key, value) in enumerate(settings, start=1))
    text = sheet.decode("utf-8")
    text, dimensions = re.subn(r"<dimension [^>]*/>", f'<dimension ref="A1:B{len(settings)}" />',
                               text)
    text, data = re.subn(r"<sheetData>.*</sheetData>", f"<sheetData>{rows}</sheetData>", text,
                         flags=re.DOTALL)
    if (dimensions, data) != (1, 1):
        raise AddinError("the add-in's settings sheet is not laid out as expected")
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    table = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>')
    return {_SHEET: text.encode("utf-8"), _STRINGS: table.encode("utf-8")}


def _read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(parts):  # "[Content_Types].xml" sorts first, as Office writes it
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.create_system = 0  # not the building platform's (3 on Linux and macOS)
            archive.writestr(info, parts[name])
    return buffer.getvalue()

"""The annotated copy and the provider packets rendered to PDF with LibreOffice, when it is
installed: `soffice --headless --convert-to pdf`, with a private temporary profile (so that runs
in parallel, and a LibreOffice the user has open, do not get in each other's way) and a time
limit. Without LibreOffice the workbooks are still written, and one line says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

TIMEOUT_SECONDS = 300
NOT_INSTALLED = ("No PDF: LibreOffice is not installed (it renders the PDFs); install it from "
                 "libreoffice.org (Linux: sudo apt install libreoffice-calc), then run again "
                 "with --pdf.")
# Where LibreOffice installs itself when it is not on PATH
_PLACES = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/snap/bin/libreoffice",
)


def find_soffice() -> str | None:
    """LibreOffice's soffice: on PATH, or where its installers put it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for place in _PLACES:
        if Path(place).is_file() and os.access(place, os.X_OK):
            return place
    return None


def render_pdfs(workbooks: Sequence[Path], soffice: str | None = None
                ) -> tuple[list[str], list[str]]:
    """Render each workbook to a PDF beside it (same name, .pdf). Returns the PDFs written and
    one line per problem (LibreOffice missing, failed or too slow)."""
    program = soffice or find_soffice()
    if program is None:
        return [], [NOT_INSTALLED]
    written: list[str] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nmr-xl-pdf-") as work:
        profile = Path(work) / "profile"
        out = Path(work) / "out"
        for book in workbooks:
            problem = _convert(program, book, profile, out)
            target = book.with_suffix(".pdf")
            made = out / f"{book.stem}.pdf"
            if problem is None and made.is_file():
                os.replace(made, target)
                written.append(str(target))
            else:
                problems.append(f"No PDF of {book.name}: {problem or 'LibreOffice wrote none'}")
    return written, problems


def _convert(program: str, book: Path, profile: Path, out: Path) -> str | None:
    command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--convert-to", "pdf", "--outdir", str(out), str(book)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS,
                              stdin=subprocess.DEVNULL, check=False,
                              creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0)
                              if sys.platform == "win32" else 0)
    except subprocess.TimeoutExpired:
        return f"LibreOffice took longer than {TIMEOUT_SECONDS} s"
    except OSError as exc:
        return f"LibreOffice could not be started ({exc.strerror or type(exc).__name__})"
    if done.returncode != 0:
        return f"LibreOffice stopped with status {done.returncode}"
    return None

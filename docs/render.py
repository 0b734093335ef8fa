"""Render the README's pictures: whole printed pages of the bundled sample, as a doctor gets them.

    python docs/render.py            # writes docs/page-*.png

Checks workbooks/sample-billing.xlsx (as of 2026-03-31) with --packets --pdf into a temporary
folder, then turns three pages of the PDFs into PNG images with pdftoppm: the first page of the
billing sheet, the first page of the summary sheet, and the cover of one provider's packet.
Needs LibreOffice (soffice), poppler-utils (pdftoppm, pdftotext) and a font with Calibri's widths
(Calibri, or Carlito: fonts-crosextra-carlito).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from nmr_xl.cli import main

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "workbooks" / "sample-billing.xlsx"
PACKET_OF = "Kessler, Laura"
RESOLUTION = 80  # dots per inch: a Letter page 880 pixels wide


def _page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")


def _first_page(pdf: Path, marker: str) -> int:
    """The first page (1-based) whose page header names `marker` (the sheet's name)."""
    for number, text in enumerate(_page_texts(pdf), start=1):
        if marker in text.split("\n", 1)[0]:
            return number
    raise SystemExit(f"no page of {pdf.name} is headed {marker!r}")


def _png(pdf: Path, page: int, dest: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        stem = Path(work) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", str(page), "-l",
                        str(page), "-singlefile", str(pdf), str(stem)], check=True)
        shutil.move(f"{stem}.png", dest)


def render(out: Path = HERE) -> list[Path]:
    for tool in ("soffice", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: install LibreOffice and poppler-utils")
    with tempfile.TemporaryDirectory(prefix="nmr-xl-docs-") as work:
        checked = Path(work) / "out"
        with contextlib.redirect_stdout(io.StringIO()):  # the report: not needed here
            main(["check", str(SAMPLE), "--as-of", "2026-03-31", "--out", str(checked),
                  "--packets", "--pdf", "--fail-on", "never"])
        copy = checked / "sample-billing.checked.pdf"
        packet = checked / f"sample-billing.checked.{PACKET_OF}.pdf"
        pictures = [(copy, _first_page(copy, "Charge Detail"), out / "page-billing.png"),
                    (copy, _first_page(copy, "nmr-xl summary"), out / "page-summary.png"),
                    (packet, 1, out / "page-packet-cover.png")]
        for pdf, page, dest in pictures:
            _png(pdf, page, dest)
    return [dest for _, _, dest in pictures]


if __name__ == "__main__":
    for path in render():
        print(path.relative_to(HERE.parent))
    sys.exit(0)

"""batch-summary.xlsx: the billing manager's overview of a batch, drawn from its totals and
inputs as plain data (nmr_xl.batch_totals).

- Totals (opens first): what the batch was, what could not be checked and why, findings by
  practice (sender domain; files not e-mailed by their folder) with a chart, by payer, by
  rendering provider and by rule.
- Inputs: one row per input (source, e-mail sender/subject/date, disposition, reason, counts,
  top rules, a link to the annotated copy), a filterable table.
- Findings: every finding of the inputs checked in this run, a filterable table whose cell
  links open the annotated copy at the flagged cell.

An input skipped as unchanged keeps the numbers of its last check (from the state file), so a
daily re-run still gives the whole inbox's totals; its findings are in its annotated copy.

Text that came from a sheet or an e-mail (subjects, sender names, payer names) is written as
text, so "=HYPERLINK(...)" in a subject line can never become a formula here.

Written with openpyxl's write-only mode: the Inputs and Findings sheets are streamed row by row
(the findings read back from the batch's spool one input at a time), so the summary of a batch
with 100,000 findings needs little more memory than one of a dozen. Only the Totals sheet, whose
size grows with the practices, payers, providers and rules but not with the findings, is laid
out in memory first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from nmr_xl.atomic import private_file
from nmr_xl.batch_totals import BatchInput, BatchTotals
from nmr_xl.inputs import SUMMARY_FILE, Disposition
from nmr_xl.write.batch_summary.cells import Formats
from nmr_xl.write.batch_summary.findings import findings_sheet
from nmr_xl.write.batch_summary.inputs import inputs_sheet
from nmr_xl.write.batch_summary.totals import totals_sheet

# Findings whose Cell links to the copy. Excel takes at most 65,530 links on a sheet, and
# openpyxl holds every link of a sheet in memory until the sheet is written (about 1 KB each):
# past this many, the Cell is plain text (the Inputs sheet links every copy, and each copy's
# summary sheet links each of its findings), so memory stays bounded however large the batch.
MAX_FINDING_LINKS = 20_000


def write_batch_summary(inputs: Sequence[BatchInput], totals: BatchTotals, out_dir: Path,
                        as_of: dt.date | None = None) -> Path:
    """Write batch-summary.xlsx atomically in out_dir and return its path. `totals` are
    batch_totals(inputs)."""
    book = Workbook(write_only=True)
    totals_sheet(book.create_sheet("Totals"), inputs, totals, as_of,  # opens first
                 MAX_FINDING_LINKS)
    formats = Formats()
    inputs_sheet(book.create_sheet("Inputs"), formats, inputs, out_dir)
    findings_sheet(book.create_sheet("Findings"), formats, inputs,
                   totals.dispositions[Disposition.SKIPPED_UNCHANGED], out_dir, MAX_FINDING_LINKS)
    dest = out_dir / SUMMARY_FILE
    with private_file(dest) as tmp:
        book.save(tmp)
    return dest

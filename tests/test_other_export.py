"""A billing export laid out unlike the sample (another practice-management system) is read
correctly with no configuration: title rows, other header spellings, text dates, numbers as
text, several diagnoses in one cell, modifiers in the code cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from nmr_xl.config.load import load_config
from nmr_xl.model import Field
from nmr_xl.runner import check_file

AS_OF = dt.date(2026, 4, 30)


def _export(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges Report"
    ws.append(["Riverside Spine & Rehab"])
    ws.append(["Charge Detail Report — Date Range 04/01/2026 to 04/30/2026"])
    ws.append(["Printed by: front desk"])
    ws.append([])
    ws.append(["MRN", "Client Name", "Svc Date", "Proc", "Min", "Qty", "Diagnosis Codes",
               "Therapist", "Provider Type", "Attended", "Payor", "Tx Notes", "Fee"])
    ws.append(["100231", "Alpha, A", "Apr 6, 2026", "97112 GP", "30 min", "2",
               "I69.351, R26.81", "K. Ortiz", "PT", "Yes", "Medicare Part B",
               "PNF and balance retraining", "$98.00"])
    ws.append(["100231", "Alpha, A", "4/6/2026", "97110-GP", "0:20", "1",
               "I69.351", "K. Ortiz", "PT", "Yes", "Medicare Part B", "gait", "$45.00"])
    ws.append(["100232", "Beta, B", "2026-04-07", "97112", "25", "2", "M54.50; M99.03",
               "T. Lane", "PTA", "No", "Aetna Open Access", "wobble chair", "$98.00"])
    ws.append([])
    ws.append(["", "", "", "", "", "5", "", "", "", "", "", "Total", "$241.00"])
    wb.save(path)
    return path


def test_other_export_reads_without_configuration(tmp_path: Path) -> None:
    path = _export(tmp_path / "charges.xlsx")
    result = check_file(path, load_config(), AS_OF, annotate=False)

    assert result.error is None
    (sheet,) = result.sheets
    assert sheet.header_row == 5
    assert sheet.rows == 3  # the totals row has no code and is not a billing line
    assert sheet.columns == {
        Field.PATIENT.value: "MRN",
        Field.PATIENT_NAME.value: "Client Name",
        Field.DOS.value: "Svc Date",
        Field.CODE.value: "Proc",
        Field.MODIFIERS.value: "Proc",  # no modifier column: the code cells carry them
        Field.MINUTES.value: "Min",
        Field.UNITS.value: "Qty",
        Field.DIAGNOSES.value: "Diagnosis Codes",
        Field.PROVIDER.value: "Therapist",
        Field.PROVIDER_TYPE.value: "Provider Type",
        Field.ONE_ON_ONE.value: "Attended",
        Field.PAYER.value: "Payor",
        Field.NOTES.value: "Tx Notes",
        Field.CHARGE.value: "Fee",
    }
    assert result.payers == {"Medicare Part B": "medicare", "Aetna Open Access": "aetna"}
    found = {(f.row, f.rule) for f in result.findings}
    # Row 6+7: one visit, 30 + 20 = 50 min -> 3 units (97112 x2, 97110 x1): clean.
    # Row 8: 97112 marked not attended, wobble chair, back-pain diagnoses only.
    assert found == {(8, "NMR201"), (8, "NMR203"), (8, "NMR205")}

"""Behaviour pinned before a refactor: what the sample, the fixture workbooks, the export layouts,
one batch and the corpus produce (JSON report, text report, every part of every annotated copy,
the batch summary's cells), compared with outputs recorded in tests/golden/.

A refactor must leave these unchanged. A deliberate change of behaviour re-records them:

    NMR_XL_RECORD_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

and the diff of tests/golden/ is then part of the reviewed change.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import REPO_ROOT, build_billing_workbook
from exports import EXPORTS, therabill

from nmr_xl.cli import main

GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("NMR_XL_RECORD_GOLDEN") == "1"
SAMPLE = REPO_ROOT / "workbooks" / "sample-billing.xlsx"
# Parts that hold the time a file was written, not what it says
_TIMESTAMPED = {"docProps/core.xml"}


def _run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    return code, capsys.readouterr().out


# The batch summary says when it was written
_WRITTEN = re.compile(r"written \d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _normalised(text: str, *roots: Path) -> str:
    for root in roots:
        text = text.replace(str(root), "<tmp>")
    return _WRITTEN.sub("written <time>", text)


def _copy_digests(folder: Path) -> dict[str, dict[str, str]]:
    """Every annotated copy under `folder`: zip entry -> digest of its content."""
    copies: dict[str, dict[str, str]] = {}
    for path in sorted(folder.rglob("*.checked.xls*")):
        with zipfile.ZipFile(path) as archive:
            copies[path.relative_to(folder).as_posix()] = {
                info.filename: hashlib.sha256(archive.read(info)).hexdigest()[:16]
                for info in archive.infolist() if info.filename not in _TIMESTAMPED}
    return copies


def _cells(path: Path) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [[None if c.value is None else str(c.value) for c in row]
                       for row in ws.iter_rows()] for ws in book.worksheets}


def _outcome(args: list[object], out: Path, capsys: pytest.CaptureFixture[str],
             *roots: Path) -> dict[str, Any]:
    report = out / "report.json"
    code, text = _run([*args, "--out", out, "--report", report], capsys)
    document = json.loads(_normalised(report.read_text(encoding="utf-8"), *roots))
    document.pop("version", None)
    result: dict[str, Any] = {"exit": code, "text": _normalised(text, *roots).splitlines(),
                              "report": document, "copies": _copy_digests(out)}
    summary = out / "batch-summary.xlsx"
    if summary.exists():
        result["batch_summary"] = json.loads(_normalised(json.dumps(_cells(summary)), *roots))
    return result


def _compare(name: str, outcome: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(outcome, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if RECORD:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no recorded outcome {path.name}: record with NMR_XL_RECORD_GOLDEN=1"
    recorded = json.loads(path.read_text(encoding="utf-8"))
    for key in sorted(set(recorded) | set(outcome)):
        assert outcome.get(key) == recorded.get(key), f"{name}: {key} differs from the recording"


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    build_billing_workbook(folder / "fixture-billing.xlsx")
    for build in [*EXPORTS, therabill]:
        build().write(folder)
    return folder


def test_each_input_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _inputs(tmp_path)
    outcomes = {}
    for source in sorted(folder.iterdir()):
        as_of = "2026-03-31" if source.name == SAMPLE.name else "2026-06-30"
        out = tmp_path / "out" / source.stem
        outcomes[source.name] = _outcome(["check", source, "--as-of", as_of], out, capsys,
                                         tmp_path)
    for name, outcome in outcomes.items():
        _compare(f"alone-{Path(name).stem}", outcome)


def test_one_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _inputs(tmp_path)
    _compare("batch", _outcome(["check", folder, "--as-of", "2026-06-30", "--jobs", "1"],
                               tmp_path / "out", capsys, tmp_path))


@pytest.mark.slow
def test_the_corpus(shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                    ) -> None:
    corpus = shared_dir / "corpus"
    code, text = _run(["check", corpus, "--as-of", "2026-06-30", "--no-annotate",
                       "--format", "json"], capsys)
    document = json.loads(_normalised(text, corpus))
    document.pop("version", None)
    _compare("corpus", {"exit": code, "report": document})

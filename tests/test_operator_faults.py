"""Faults a careless operator or a hostile file still triggered (issue 16, second round): each
gets one plain line, the rest of the batch goes on, no input is ever overwritten, and a run
that is stopped cleans up after itself. Files are generated here, small; nothing is timed."""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import AS_OF, CLEAN_ROWS, ERROR_ROWS, build_billing_workbook

from nmr_xl import batch
from nmr_xl.inputs import STATE_FILE

FORK = sys.platform.startswith("linux")  # workers are forked: the test's patches reach them
needs_fork = pytest.mark.skipif(not FORK, reason="patches reach worker processes only when "
                                                  "they are forked (Linux)")


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    assert err.count("\n") == 1, err
    return err.strip()


# --- --report and --out given the wrong thing ---------------------------------------------------


def test_report_named_like_a_spreadsheet_is_refused_before_any_work(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")
    before = source.read_bytes()
    run = cli("check", source, "--as-of", AS_OF, "--report", source)
    assert run.code == 2
    assert "--report writes a JSON file; give it a name ending in .json" in one_line(run.err)
    assert source.read_bytes() == before
    assert not list(tmp_path.glob("*.checked.*"))


def test_report_that_is_an_input_is_never_overwritten(cli, tmp_path: Path) -> None:
    """Whatever its name: a workbook saved as .json, or the zip the inputs came in."""
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    disguised = tmp_path / "in" / "other.json"
    disguised.write_bytes(source.read_bytes())
    before = disguised.read_bytes()
    run = cli("check", source, disguised, "--as-of", AS_OF, "--out", tmp_path / "out",
              "--report", disguised)
    assert run.code == 2
    assert "--report names one of the inputs" in one_line(run.err)
    assert disguised.read_bytes() == before


def test_report_that_is_a_folder_is_refused_before_any_work(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")
    run = cli("check", source, "--as-of", AS_OF, "--report", tmp_path)
    assert run.code == 2
    assert "--report must be a file name" in one_line(run.err)
    assert not list(tmp_path.glob("*.checked.*"))


def test_report_dash_is_the_json_report_on_stdout(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "in" / "billing.xlsx")
    run = cli("check", source, "--as-of", AS_OF, "--report", "-", "--out", tmp_path / "out")
    doc = json.loads(run.out)
    assert doc["files"][0]["status"] == "checked"
    assert not Path("-").exists() and not (tmp_path / "-").exists()


def test_out_that_is_a_file_is_refused_before_any_work(cli, tmp_path: Path) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")
    before = source.read_bytes()
    run = cli("check", source, "--as-of", AS_OF, "--out", source)
    assert run.code == 2
    assert "--out must be a folder, and this is a file" in one_line(run.err)
    assert source.read_bytes() == before


def test_no_temporary_folder_is_one_line(cli, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    source = build_billing_workbook(tmp_path / "billing.xlsx")

    def refuse(*_: object, **__: object) -> str:
        raise FileNotFoundError(2, "No usable temporary directory found")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    run = cli("check", source, "--as-of", AS_OF)
    assert run.code == 2
    assert "no temporary folder can be made" in one_line(run.err)


# --- a run that is stopped ----------------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_cleans_up_and_remembers_what_it_finished(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    """`kill` (SIGTERM) or Ctrl-C while the second of three inputs is checked: one line, exit
    128 + the signal, no work folder left (it holds extracted attachments and findings), no
    temporary file in --out, the lock released, and the first input in the state file."""
    inbox = tmp_path / "in"
    for name in ("a", "b", "c"):
        rows = [[f"{name}-{i}", *row[1:]] for i, row in enumerate(CLEAN_ROWS + ERROR_ROWS)]
        build_billing_workbook(inbox / f"{name}.xlsx", rows, extras=False)
    real = batch.safe_check

    def check(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == "b.xlsx":
            os.kill(os.getppid(), signum)  # the parent: the run being stopped
            signal.pause()  # until the parent stops this worker
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "safe_check", check)
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    out = tmp_path / "out"
    handler_before = signal.getsignal(signal.SIGTERM)
    run = cli("check", inbox, "--out", out, "--as-of", AS_OF, "--jobs", "1")
    assert run.code == 128 + signum
    assert one_line(run.err) in ("nmr-xl: interrupted", "nmr-xl: stopped (SIGTERM)")
    assert list(work.iterdir()) == []
    assert not [p for p in out.rglob(".nmr-xl-tmp-*")]
    state = json.loads((out / STATE_FILE).read_text())["inputs"]
    assert [seen["label"] for seen in state.values()] == [str(inbox / "a.xlsx")]
    assert signal.getsignal(signal.SIGTERM) == handler_before  # main() put it back
    monkeypatch.setattr(batch, "safe_check", real)
    again = cli("check", inbox, "--out", out, "--as-of", AS_OF, "--jobs", "1",
                "--format", "json")  # the lock was released; a is not checked again
    files = {Path(f["input"]).name: f["disposition"] for f in json.loads(again.out)["files"]}
    assert files["a.xlsx"] == "skipped-unchanged"

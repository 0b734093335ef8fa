"""A batch's totals as plain data (nmr_xl.batch_totals), without a workbook or a file: what the
reports and batch-summary.xlsx draw. The batch tests (test_batch.py) check the drawings."""

from __future__ import annotations

from collections import Counter

from nmr_xl.batch_totals import BatchInput, Counts, batch_totals
from nmr_xl.errors import InputError
from nmr_xl.inputs import LABEL_SEP, Disposition, EmailInfo
from nmr_xl.model import Finding, Severity
from nmr_xl.plan import FindingTally

S = LABEL_SEP


def counts(rows: int, errors: int = 0, warnings: int = 0) -> Counts:
    """An input's numbers: its errors are NMR102s, its warnings NMR206s (unary + drops zeros)."""
    n = errors + warnings
    return Counts(rows, +Counter({"error": errors, "warning": warnings}),
                  +Counter({"NMR102": errors, "NMR206": warnings}), +Counter({"Medicare": n}),
                  +Counter({"Dr A": n}))


def mail(sender: str) -> EmailInfo:
    return EmailInfo(sender, "March billing", "2026-03-02T09:15:00-05:00")


def checked(label: str, numbers: Counts, email: EmailInfo | None = None,
            sources: tuple[str, ...] = ()) -> BatchInput:
    return BatchInput(label, (label, *sources), email, Disposition.CHECKED, counts=numbers,
                      checked_now=numbers)


def test_practice_is_the_senders_domain_or_the_folder_of_a_file() -> None:
    def practice(label: str, sender: str | None = None) -> str:
        return BatchInput(label, (label,), mail(sender) if sender else None,
                          Disposition.CHECKED).practice

    assert practice("in/a.eml" + S + "x.xlsx", "Front Desk <Desk@SunriseChiro.example>") == (
        "sunrisechiro.example")
    # at a mail provider many people share, the sender is a practice of their own
    assert practice("in/b.eml" + S + "x.xlsx", "Dr Lee <DrLee@Gmail.com>") == "drlee@gmail.com"
    assert practice("in/c.eml" + S + "x.xlsx", "Front desk") == "Front desk"  # no address
    # a file, or a zip's member, that came by no e-mail: its folder, named as a folder
    assert practice("inbox/sunrise/march.xlsx") == "(files in sunrise)"
    assert practice("inbox/bundle.zip" + S + "q1/jan.xlsx") == "(files in inbox)"
    assert practice("march.xlsx") == "(files)"


def test_totals_of_this_run_and_of_the_whole_inbox() -> None:
    sunrise = mail("Sunrise <a@sunrise.example>")
    inputs = [
        checked("in/1.eml" + S + "a.xlsx", counts(6, errors=2, warnings=1), sunrise,
                sources=("in/2.eml" + S + "a.xlsx",)),
        # unchanged since yesterday: yesterday's numbers, none of this run's
        BatchInput("in/3.eml" + S + "b.xlsx", ("in/3.eml" + S + "b.xlsx",), sunrise,
                   Disposition.SKIPPED_UNCHANGED, counts=counts(4, warnings=2),
                   previous=Disposition.CHECKED, checked_on="2026-03-01"),
        BatchInput("in/3.eml" + S + "c.xlsx", ("in/3.eml" + S + "c.xlsx",), sunrise,
                   Disposition.SKIPPED_UNCHANGED, previous=Disposition.NO_BILLING_TABLE,
                   checked_on="2026-03-01"),
        BatchInput("in/d.xlsx", ("in/d.xlsx",), None, Disposition.ERROR,
                   error=InputError("encrypted", "the workbook is password-protected")),
        BatchInput("in/e.xlsx", ("in/e.xlsx",), None, Disposition.NO_BILLING_TABLE,
                   error=InputError("no-billing-table", "no sheet has a billing table")),
    ]
    totals = batch_totals(inputs)
    assert (totals.inputs, totals.duplicates, totals.received) == (5, 1, 6)
    assert totals.dispositions == Counter({Disposition.CHECKED: 1,
                                           Disposition.SKIPPED_UNCHANGED: 2,
                                           Disposition.ERROR: 1,
                                           Disposition.NO_BILLING_TABLE: 1})
    assert (totals.with_numbers, totals.earlier, totals.without_table) == (2, 1, 2)
    assert (totals.now.rows, totals.now.findings) == (6, 3)  # this run's checks only
    assert (totals.overall.rows, dict(totals.overall.by_severity)) == (
        10, {"error": 2, "warning": 3})
    assert totals.by_rule == [("NMR206", "nmr-for-strength-or-rom", 3),
                              ("NMR102", "units-exceed-time", 2)]
    [first, files] = totals.practices  # most findings first
    assert (first.name, first.senders, first.inputs, first.checked, first.not_checked) == (
        "sunrise.example", ["Sunrise"], 3, 2, 1)
    assert (files.name, files.inputs, files.not_checked) == ("(files in in)", 2, 2)
    # what the summary says of each input that has no numbers
    assert [(i.reason, i.note) for i in inputs if not i.has_numbers] == [
        ("no-billing-table", "Unchanged since it was checked on 2026-03-01: no sheet had a "
                             "billing table; --force checks it again"),
        ("encrypted", "the workbook is password-protected"),
        ("no-billing-table", "no sheet has a billing table")]


def test_rules_not_run_count_inputs_not_sheets() -> None:
    def missing(label: str, *notes: str) -> BatchInput:
        return BatchInput(label, (label,), None, Disposition.CHECKED, not_run=frozenset(notes))

    totals = batch_totals([missing("a.xlsx", "NMR209: no goal column", "NMR101: no minutes"),
                           missing("b.xlsx", "NMR209: no goal column")])
    assert totals.not_run == [("NMR209: no goal column", 2), ("NMR101: no minutes", 1)]


def test_counts_of_a_check_and_their_round_trip_through_the_state_file() -> None:
    findings = [Finding("NMR102", "units-exceed-time", Severity.ERROR, "Billing", 7, "Units",
                        "G7", 7, "message", "suggestion")] * 2
    tally = FindingTally(Counter({"Aetna": 2}), Counter({"Dr B": 2}))
    numbers = Counts.of(12, findings, tally)
    assert (numbers.rows, numbers.findings, dict(numbers.by_rule)) == (12, 2, {"NMR102": 2})
    assert Counts.from_json(numbers.as_json()) == numbers
    assert Counts.from_json({"rows": "x", "by_rule": {"NMR102": True}}) == Counts()
    assert batch_totals([]).received == 0

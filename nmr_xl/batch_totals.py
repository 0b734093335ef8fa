"""A batch's totals as plain data, the way nmr_xl.plan is an annotated copy's: computed once from
what the batch knows of each input (`BatchInput`), then drawn by the text and JSON reports
(nmr_xl.report) and by batch-summary.xlsx (nmr_xl.write.batch_summary). Nothing here reads or
writes a file, nor knows a workbook library.

Two scopes: what this run checked (`BatchTotals.now`: the reports' totals), and the whole
inbox (`BatchTotals.overall`), where an input skipped as unchanged counts with the numbers of
its last check, so a daily re-run's summary still gives every input's numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import PurePath
from typing import Any

from nmr_xl.errors import InputError
from nmr_xl.inputs import LABEL_SEP, Disposition, EmailInfo
from nmr_xl.model import Finding
from nmr_xl.plan import FindingTally
from nmr_xl.rules import get_rule

# Mail providers many people share: a sender there is a practice on their own, not the domain.
_SHARED_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "outlook.com",
    "hotmail.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com",
    "protonmail.com", "proton.me", "gmx.com", "gmx.net", "mail.com", "zoho.com",
    "comcast.net", "att.net", "sbcglobal.net", "verizon.net", "bellsouth.net", "cox.net",
})


@dataclass
class Counts:
    """An input's numbers: from this run's check, or remembered from the last one (a skipped
    input). Counts and names of payers, providers and rules only: no patient data, so they may
    live in the state file."""

    rows: int = 0
    by_severity: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    by_payer: Counter[str] = field(default_factory=Counter)
    by_provider: Counter[str] = field(default_factory=Counter)

    @property
    def findings(self) -> int:
        return sum(self.by_severity.values())

    @classmethod
    def of(cls, rows: int, findings: Iterable[Finding], tally: FindingTally) -> Counts:
        """A check's numbers: its billing lines, its findings and their payers and providers."""
        by_severity: Counter[str] = Counter()
        by_rule: Counter[str] = Counter()
        for f in findings:
            by_severity[f.severity.value] += 1
            by_rule[f.rule] += 1
        return cls(rows, by_severity, by_rule, Counter(tally.by_payer),
                   Counter(tally.by_provider))

    def add(self, other: Counts) -> None:
        self.rows += other.rows
        self.by_severity.update(other.by_severity)
        self.by_rule.update(other.by_rule)
        self.by_payer.update(other.by_payer)
        self.by_provider.update(other.by_provider)

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "by_severity": dict(self.by_severity),
                "by_rule": dict(self.by_rule), "by_payer": dict(self.by_payer),
                "by_provider": dict(self.by_provider)}

    @classmethod
    def from_json(cls, data: Any) -> Counts:
        if not isinstance(data, dict):
            return cls()

        def counter(key: str) -> Counter[str]:
            value = data.get(key)
            if not isinstance(value, dict):
                return Counter()
            return Counter({str(k): int(v) for k, v in value.items()
                            if isinstance(v, int) and not isinstance(v, bool)})

        rows = data.get("rows")
        return cls(rows if isinstance(rows, int) else 0, counter("by_severity"),
                   counter("by_rule"), counter("by_payer"), counter("by_provider"))


@dataclass(frozen=True)
class BatchInput:
    """One input of a batch and what became of it, as its totals and summary see it."""

    label: str  # how reports name it, e.g. "inbox/claims.eml \u203a March billing.xlsx"
    sources: tuple[str, ...]  # every place the same content arrived from, `label` first
    email: EmailInfo | None  # the message it came with
    disposition: Disposition
    error: InputError | None = None
    output: str | None = None  # its annotated copy: this run's, or the one an earlier run wrote
    counts: Counts = field(default_factory=Counts)  # for an unchanged input: its last check's
    checked_now: Counts = field(default_factory=Counts)  # this run's check's, if any
    previous: Disposition | None = None  # for an unchanged input: what its last check found
    checked_on: str | None = None  # for an unchanged input: the day of its last check
    cannot_check: tuple[str, ...] = ()  # why it could not be fully checked
    warnings: tuple[str, ...] = ()
    not_run: frozenset[str] = frozenset()  # rules not run for want of a column, any sheet
    findings: Iterable[Finding] = ()  # this run's, read back (from the batch's spool) when drawn

    @property
    def has_numbers(self) -> bool:
        """Checked, in this run or (unchanged since) an earlier one, with a billing table."""
        if self.disposition == Disposition.SKIPPED_UNCHANGED:
            return self.previous != Disposition.NO_BILLING_TABLE
        return self.disposition == Disposition.CHECKED

    @property
    def reason(self) -> str | None:
        """The error's code; no-billing-table for an unchanged input that had no billing
        table."""
        if self.error is not None:
            return self.error.code
        if self.previous == Disposition.NO_BILLING_TABLE:
            return Disposition.NO_BILLING_TABLE.value
        return None

    @property
    def note(self) -> str:
        """What a biller should know about it, in one line."""
        if self.error is not None:
            return self.error.message
        if self.disposition == Disposition.SKIPPED_UNCHANGED:
            since = f" since it was checked on {self.checked_on}" if self.checked_on else ""
            what = ("no sheet had a billing table; " if self.previous ==
                    Disposition.NO_BILLING_TABLE else "numbers from that check; ")
            return f"Unchanged{since}: {what}--force checks it again"
        return "; ".join(self.cannot_check + self.warnings)  # not fully checked: said first

    @property
    def sender_name(self) -> str | None:
        """The sender's name, or their address when the header has no name."""
        if self.email is None or not self.email.sender:
            return None
        name, address = parseaddr(self.email.sender)
        return name or address or self.email.sender

    @property
    def practice(self) -> str:
        """Who sent it: the sender's mail domain (their address at a mail provider many people
        share). A file that did not come by e-mail has no sender: it is grouped with the other
        files of its folder, and named so, never as if the folder were a practice."""
        if self.email and self.email.sender:
            _, address = parseaddr(self.email.sender)
            local, at, domain = address.rpartition("@")
            if at and local and domain:
                domain = domain.lower()
                return address.lower() if domain in _SHARED_MAIL_DOMAINS else domain
            return self.email.sender
        folder = PurePath(self.label.split(LABEL_SEP)[0]).parent.name
        return f"(files in {folder})" if folder else "(files)"


@dataclass
class PracticeTotals:
    """One practice's inputs and their numbers."""

    name: str
    senders: list[str] = field(default_factory=list)  # in the order they first sent
    inputs: int = 0
    checked: int = 0  # checked now or skipped as unchanged: it has numbers
    not_checked: int = 0
    counts: Counts = field(default_factory=Counts)  # rows and findings by severity


@dataclass(frozen=True)
class BatchTotals:
    """What the reports and the batch summary say of a batch as a whole."""

    inputs: int  # distinct inputs: the same content arriving twice is one
    duplicates: int  # inputs that arrived again with the same content, checked once
    dispositions: Counter[Disposition]  # of this run
    with_numbers: int  # checked in this run or, unchanged since, in an earlier one
    earlier: int  # of those, checked in an earlier run
    without_table: int  # no billing table, found now or at the last check
    now: Counts  # this run's checks: the reports' totals
    overall: Counts  # every input with numbers, this run's or its last check's
    practices: list[PracticeTotals]  # most findings first
    by_rule: list[tuple[str, str, int]]  # overall: code, name, findings; most found first
    not_run: list[tuple[str, int]]  # rules not run for want of a column: note, inputs

    @property
    def received(self) -> int:
        """Every input that arrived, a duplicate too: what the headlines count."""
        return self.inputs + self.duplicates


def batch_totals(inputs: Sequence[BatchInput]) -> BatchTotals:
    now, overall = Counts(), Counts()
    practices: dict[str, PracticeTotals] = {}
    not_run: Counter[str] = Counter()
    for item in inputs:
        now.add(item.checked_now)
        practice = practices.setdefault(item.practice, PracticeTotals(item.practice))
        practice.inputs += 1
        sender = item.sender_name
        if sender is not None and sender not in practice.senders:
            practice.senders.append(sender)
        if item.has_numbers:
            overall.add(item.counts)
            practice.checked += 1
            practice.counts.rows += item.counts.rows
            practice.counts.by_severity.update(item.counts.by_severity)
        else:
            practice.not_checked += 1
        not_run.update(item.not_run)
    dispositions = Counter(item.disposition for item in inputs)
    skipped = [item for item in inputs if item.disposition == Disposition.SKIPPED_UNCHANGED]
    return BatchTotals(
        inputs=len(inputs),
        duplicates=sum(len(item.sources) - 1 for item in inputs if item.sources),
        dispositions=dispositions,
        with_numbers=sum(item.has_numbers for item in inputs),
        earlier=sum(item.has_numbers for item in skipped),
        without_table=dispositions[Disposition.NO_BILLING_TABLE] + sum(
            item.previous == Disposition.NO_BILLING_TABLE for item in skipped),
        now=now,
        overall=overall,
        practices=sorted(practices.values(),
                         key=lambda p: (-p.counts.findings, -p.not_checked, p.name)),
        by_rule=[(code, rule.name if (rule := get_rule(code)) else "", n)
                 for code, n in sorted(overall.by_rule.items(), key=lambda kv: (-kv[1], kv[0]))],
        not_run=sorted(not_run.items(), key=lambda kv: (-kv[1], kv[0])),
    )

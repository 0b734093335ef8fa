"""A batch's inputs as plain data, shared by the collector (nmr_xl.inbox), the batch, its totals
and its reports: what became of an input, the e-mail it came with, how a label names where it
came from, and the files a batch keeps in its --out folder."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

LABEL_SEP = " \u203a "  # single right angle quote: between an e-mail or zip and its contents

STATE_FILE = ".nmr-xl-state.json"
SUMMARY_FILE = "batch-summary.xlsx"


class Disposition(StrEnum):
    """What became of an input. The values are a contract: the JSON report and the state file
    carry them, and the batch summary shows them."""

    CHECKED = "checked"
    SKIPPED_UNCHANGED = "skipped-unchanged"  # the same content was checked by an earlier run
    NO_BILLING_TABLE = "no-billing-table"  # read, but no sheet holds a billing table
    ERROR = "error"  # could not be checked: the input's error says why

    @classmethod
    def of_error(cls, code: str | None) -> Disposition:
        """An input's disposition from its error's code (None: no error). A file without a
        billing table has an error of that very code."""
        if code is None:
            return cls.CHECKED
        return cls.NO_BILLING_TABLE if code == cls.NO_BILLING_TABLE else cls.ERROR


@dataclass(frozen=True)
class EmailInfo:
    """The message an input came from, from its headers (printable text, or None)."""

    sender: str | None
    subject: str | None
    date: str | None  # ISO 8601 date-time, with the sender's UTC offset when the header had one

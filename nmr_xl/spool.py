"""A batch's findings on disk: one JSON-lines file per input, written where the input was
checked (a worker process) and read back one finding at a time by whatever reports them. The
parent of a batch so never holds more than one file's findings, however large the batch.

Files go in the caller's private work folder (mode 0700), which the caller removes. Findings
carry no patient data (rule, cell, message), but they stay out of shared folders all the same.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from nmr_xl.atomic import create_private
from nmr_xl.model import Finding, Severity


def write_findings(path: Path, findings: Iterable[Finding]) -> int:
    """Write `findings` to a new file at `path`; returns how many."""
    count = 0
    with os.fdopen(create_private(path), "w", encoding="utf-8") as out:
        for f in findings:
            out.write(json.dumps([f.rule, f.name, f.severity.value, f.sheet, f.row, f.column,
                                  f.cell, f.col_index, f.message, f.suggestion],
                                 ensure_ascii=False))
            out.write("\n")
            count += 1
    return count


def read_findings(path: Path) -> Iterator[Finding]:
    """The findings write_findings wrote, in their order, one at a time."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            rule, name, severity, sheet, row, column, cell, col_index, message, suggestion = (
                json.loads(line))
            yield Finding(rule, name, Severity(severity), sheet, row, column, cell, col_index,
                          message, suggestion)


@dataclass(frozen=True)
class SpooledFindings:
    """An input's findings: those still held, then those written to `file`. Iterating reads
    them one at a time, from the start, every time."""

    held: Sequence[Finding] = ()
    file: Path | None = None

    def __iter__(self) -> Iterator[Finding]:
        yield from self.held
        if self.file is not None:
            yield from read_findings(self.file)

"""Text normalisation shared by header matching, keyword matching and value lookup."""

from __future__ import annotations

import re
from collections.abc import Iterable

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def norm(text: str) -> str:
    """Lower-case, punctuation folded to single spaces: "CPT/HCPCS " -> "cpt hcpcs"."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


class Phrases:
    """Whole-word phrase search over normalised text ("rom" does not match "from")."""

    __slots__ = ("_padded",)

    def __init__(self, phrases: Iterable[str]) -> None:
        self._padded = tuple(dict.fromkeys(f" {norm(p)} " for p in phrases if norm(p)))

    def find(self, text: str, *, ignore: Phrases | None = None) -> str | None:
        """The first phrase found in `text`, or None. `ignore` phrases are blanked out first."""
        padded = f" {norm(text)} "
        if ignore is not None:
            for phrase in ignore._padded:
                padded = padded.replace(phrase, "  ")
        for phrase in self._padded:
            if phrase in padded:
                return phrase.strip()
        return None

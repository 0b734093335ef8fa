"""Headings read by meaning: a heading is split into words, abbreviations are expanded, and it
reads as a field when it holds one of the field's known spellings plus only words that qualify
it ("Date of Service From", "Rendering Provider NPI", "Dx Code 2", "Units (15 min)").

All vocabulary is data (rules.toml: [columns] spellings, [headings] abbreviations, qualifiers
and second choices). Nothing here looks at a column's values: nmr_xl.read.columns weighs this
against the content.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nmr_xl.model import Field

# Fields one table may spread over several columns, joined in column order: Dx 1..Dx 12,
# Mod 1..Mod 4, payment and adjustment amounts.
MULTI_COLUMN = frozenset({Field.DIAGNOSES, Field.MODIFIERS, Field.CREDIT, Field.DX_POINTER})

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[a-z]+|\d+")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")
_NUMBER_SIGNS = re.compile(r"#|\bno\.(?=\s|$)", re.IGNORECASE)
_OPTIONAL_PLURAL = re.compile(r"(?<=[A-Za-z])\((?:s|es)\)", re.IGNORECASE)  # "Unit(s)" -> "Units"
_LETTERS = "abcdefghijkl"  # claim forms number diagnoses A-L and modifiers A-D
_NAME_PARTS = frozenset({"first", "last", "middle", "given", "family", "surname"})
_CODE_SETS = frozenset({"icd", "cpt", "hcpcs"})
_KEEP_S = frozenset({"dos", "status", "ins", "cms", "hcpcs", "yes", "pos", "npis", "plus"})


@dataclass(frozen=True, slots=True)
class HeadingMatch:
    """One heading read as one field."""

    field: Field
    exact: bool  # the heading is a known spelling once abbreviations are expanded
    rank: int  # 0 first choice; 1 second choice (a "to" date, a provider's NPI)
    number: int  # "Dx 2" -> 2, "Mod B" -> 2; 0 when not numbered
    spelling: str  # the known spelling found, e.g. "service date"
    extra: tuple[str, ...]  # the other words of the heading, e.g. ("from",)
    plain: bool = False  # a heading too plain to trust without the column's values ("Date")

    @property
    def numbered(self) -> bool:
        """A known spelling with only a number: "Dx 2", "Mod B" (as good as the spelling)."""
        return bool(self.extra) and all(w.isdigit() or len(w) == 1 for w in self.extra)

    @property
    def name_part(self) -> bool:
        """A first / last name column ("Patient Last Name")."""
        return not _NAME_PARTS.isdisjoint(self.extra)

    def describe(self) -> str:
        words = " ".join(w for w in self.extra if not w.isdigit())
        if self.exact:
            return "known heading"
        if not words:
            return f"known heading \"{self.spelling}\", numbered"
        return f"\"{self.spelling}\" with \"{words}\""


def split_words(text: str) -> list[str]:
    """Lower-case words and numbers of a heading: "PatientName" -> patient, name; "Dx1" -> dx, 1;
    "Acct #" -> acct, number; "Unit(s)" -> units."""
    text = _OPTIONAL_PLURAL.sub("s", text)
    text = _NUMBER_SIGNS.sub(" number ", _CAMEL.sub(" ", text))
    words = []
    for word in _WORD.findall(text.lower()):
        ordinal = _ORDINAL.fullmatch(word)
        words.append(ordinal.group(1) if ordinal else word)
    return words


class Headings:
    """The heading vocabulary, compiled once per configuration."""

    def __init__(self, spellings: Mapping[Field, Sequence[str]],
                 abbreviations: Mapping[str, str], qualifiers: Mapping[str, Sequence[str]],
                 second_choice: Mapping[str, Sequence[str]], confirm: Sequence[str] = ()
                 ) -> None:
        self._abbreviations = {k: v.split() for k, v in abbreviations.items()}
        self._order = {f: i for i, f in enumerate(Field)}
        self._exact: dict[tuple[str, ...], Field] = {}
        self._by_first: dict[str, list[tuple[tuple[str, ...], Field]]] = {}
        for f, texts in spellings.items():
            for text in texts:
                key = self.words(text)
                if not key:
                    continue
                self._exact.setdefault(key, f)
                entry = (key, f)
                bucket = self._by_first.setdefault(key[0], [])
                if entry not in bucket:
                    bucket.append(entry)
        common = frozenset(self._fold(qualifiers.get("any", ())))
        self._qualifiers = {f: common | frozenset(self._fold(qualifiers.get(f.value, ())))
                            for f in Field}
        self._second = {f: frozenset(self._fold(second_choice.get(f.value, ()))) for f in Field}
        self._plain = frozenset(self.words(text) for text in confirm)
        # one-word spellings by field: a heading may repeat its field in other words, as in
        # "Date of Service (DOS)" or "Account # (MRN)"
        self._synonyms = {f: frozenset(k[0] for k, g in self._exact.items()
                                       if g is f and len(k) == 1) for f in Field}
        self._cache: dict[str, HeadingMatch | None] = {}

    def _fold(self, texts: Sequence[str]) -> list[str]:
        return [w for text in texts for w in self.words(text)]

    def words(self, text: str) -> tuple[str, ...]:
        """A heading's words with abbreviations expanded and plurals folded."""
        out: list[str] = []
        for word in split_words(text):
            one = _singular(word)
            out.extend(self._abbreviations.get(one) or self._abbreviations.get(word) or (one,))
        return tuple(out)

    def match(self, text: str) -> HeadingMatch | None:
        """The field a heading names, or None."""
        if text in self._cache:
            return self._cache[text]
        found = self._match(self.words(text))
        if len(self._cache) < 10_000:
            self._cache[text] = found
        return found

    def _match(self, words: tuple[str, ...]) -> HeadingMatch | None:
        if not words:
            return None
        exact = self._exact.get(words)
        if exact is not None:
            return HeadingMatch(exact, True, self._rank(exact, words), 0, " ".join(words), (),
                                words in self._plain)
        best: tuple[tuple[int, ...], HeadingMatch] | None = None
        for start, word in enumerate(words):
            for key, f in self._by_first.get(word, ()):
                if words[start:start + len(key)] != key:
                    continue
                extra = words[:start] + words[start + len(key):]
                number = self._numbering(f, extra)
                if number is None:
                    continue
                found = HeadingMatch(f, False, self._rank(f, words), number, " ".join(key),
                                     extra, key in self._plain)
                score = (found.rank, -len(key), len(extra), self._order[f])
                if best is None or score < best[0]:
                    best = (score, found)
        return best[1] if best else None

    def _numbering(self, f: Field, extra: tuple[str, ...]) -> int | None:
        """The column's number among several ("Dx 2" -> 2), 0 when unnumbered, or None when a
        word of the heading does not qualify this field ("Posting Date" is not a service date)."""
        number = 0
        allowed = self._qualifiers[f] | self._second[f]
        previous = ""
        for word in extra:
            if word.isdigit() and previous in _CODE_SETS:
                pass  # the 10 of "ICD-10", the 4 of "CPT-4": not a column number
            elif word.isdigit():
                number = number or int(word)
            elif len(word) == 1 and word in _LETTERS and f in MULTI_COLUMN:
                number = number or _LETTERS.index(word) + 1
            elif word not in allowed and word not in self._synonyms[f]:
                return None
            previous = word
        return number

    def _rank(self, f: Field, words: tuple[str, ...]) -> int:
        return 1 if not self._second[f].isdisjoint(words) else 0


def _singular(word: str) -> str:
    if (len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
            and word not in _KEEP_S):
        return word[:-1]
    return word

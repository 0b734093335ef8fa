"""A payer column that holds codes instead of names (WebPT's extract: insurance_type_id 3 is
Medicare, 9 commercial). Which payer a code stands for is the practice system's own value list,
so nmr-xl does not guess it: unless the rules file's profiles name the codes, every line is
checked as an unknown payer, and the table says so, as a sheet that cannot be fully checked.
"""

from __future__ import annotations

import re

from nmr_xl.config.model import Config
from nmr_xl.model import Field, Table, column_letter

_CODE = re.compile(r"\d{1,6}")
_SHARE = 0.8  # of the lines with a payer, this share written as codes makes a coded column
_SHOWN = 5  # codes named in the sentence


def payer_codes(table: Table, config: Config) -> None:
    """Say so when the payer column holds numeric codes that no profile names."""
    cols = table.columns.get(Field.PAYER)
    payers = [line.payer.strip() for line in table.lines if line.payer]
    if not cols or len(payers) < 2:
        return
    coded = [p for p in payers if _CODE.fullmatch(p)]
    if len(coded) < _SHARE * len(payers):
        return
    default = config.profile_for(None).id
    unknown = sorted({p for p in coded if config.profile_for(p).id == default}, key=int)
    if not unknown:
        return  # the rules file maps every code to a profile
    shown = ", ".join(unknown[:_SHOWN]) + (", ..." if len(unknown) > _SHOWN else "")
    heading = table.headers.get(cols[0], "payer")
    table.not_read.append(
        f"the payer column \"{heading}\" ({column_letter(cols[0])}) holds codes ({shown}), not "
        "payer names, and no profile of the rules file names them: the lines were checked as "
        "of an unknown payer, so Medicare's and other payers' rules did not apply to them. Add "
        "the codes to the profiles' match lists in a rules file (for a code 3 that means "
        "Medicare: [profiles.medicare] match = [\"medicare\", \"3\"])")

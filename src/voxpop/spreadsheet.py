"""CSV cells that a spreadsheet opens as text, never as a formula (CSV/formula injection).

Text written by strangers (reviews, names, survey answers) can start with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return, which Excel, LibreOffice and Sheets would evaluate; every CSV voxpop writes
prefixes such a cell with ``'`` so it is shown as written.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(text: str) -> str:
    """``text``, prefixed with ``'`` when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text

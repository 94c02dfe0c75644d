"""How a value from an export is shown where a person must see it to fix a file (an error, a
check's sample): its shape, never the value, since error messages, logs and reports are read
by people who may not see customers' emails, phones or names."""

from __future__ import annotations

import re

SHOWN_CHARACTERS = 40
# What no column name holds but an email or phone number does.
_CONTACT_POINT = re.compile(r"@|[0-9]{3,}")


def masked(value: object) -> str:
    """'minjun.kim@example.com' -> 'm*****.***@*******.*om', '010-1234-5678' -> '0**-****-**78',
    '김민준' -> '김**': the first character, the last two of a value of 8 or more, and the
    punctuation (a stray space or a missing @ still shows); every other letter or digit is '*'."""
    text = str(value)
    shown = text[:SHOWN_CHARACTERS]
    keep_end = 2 if len(shown) >= 8 and len(text) == len(shown) else 0
    shape = "".join(
        character
        if index == 0 or index >= len(shown) - keep_end or not character.isalnum()
        else "*"
        for index, character in enumerate(shown)
    )
    return shape if len(text) == len(shown) else f"{shape}… ({len(text):,} characters)"


def header_as_shown(header: list[str]) -> str:
    """A file's header row for a message. A file without its header row has a customer's row
    in its place: when a cell holds an email or phone, every cell is masked."""
    if any(_CONTACT_POINT.search(cell) for cell in header):
        shown = ", ".join(masked(cell) for cell in header)
        return f"{shown} (an email or phone number: is the header row missing?)"
    return ", ".join(header) or "(none)"

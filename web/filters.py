"""Small helpers the templates use to show members."""

from __future__ import annotations

import hashlib
from datetime import datetime


def initials(name: str) -> str:
    """Up to two letters for an avatar: 'river stone' -> 'RS', 'sam_2' -> 'S2'."""
    words = [w for w in name.replace("_", " ").split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[1][0]).upper()


AVATAR_COLOURS = 8


def hue(name: str) -> int:
    """One of the stylesheet's avatar colours, stable per member."""
    digest = hashlib.sha256(name.lower().encode()).digest()
    return int.from_bytes(digest[:2], "big") % AVATAR_COLOURS


def month_year(moment: datetime) -> str:
    return moment.strftime("%B %Y")

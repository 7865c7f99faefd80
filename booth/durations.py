"""How long ago, or how long until, in the few characters a table cell or a status line has room for.

One home because two readers print durations side by side for the same operator (``booth fleet``'s
"offline 3 min", ``booth delivery queue``'s "next retry in 45 s"): the same duration must read the same.
"""

from __future__ import annotations


def ago(seconds: float) -> str:
    """A short duration, whole units, rounded down: "45 s", "3 min", "2 h", "4 d" (negative reads as 0)."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h"
    return f"{seconds // 86400:.0f} d"

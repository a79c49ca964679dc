"""Rendering for humans: tables that stay aligned with CJK text, colour, percentages.

The seed's tables are drawn with box-drawing characters; a wide (CJK) character takes
two terminal columns, so widths are counted in columns, not characters.
"""
from __future__ import annotations

import os
import sys
import unicodedata
from typing import Iterable, Sequence

_COLORS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}


def char_width(ch: str) -> int:
    if unicodedata.combining(ch) or ch in "\u200b\u200d\ufe0f":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(char_width(ch) for ch in text)


def pad(text: str, size: int, align: str = "left") -> str:
    gap = max(0, size - width(text))
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def truncate(text: str, size: int) -> str:
    if width(text) <= size:
        return text
    out, used = "", 0
    for ch in text:
        w = char_width(ch)
        if used + w > size - 1:
            break
        out += ch
        used += w
    return out + "…"


def use_color(stream=None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def style(text: str, color: str, enabled: bool | None = None) -> str:
    if enabled is None:
        enabled = use_color()
    if not enabled or color not in _COLORS:
        return text
    return f"\033[{_COLORS[color]}m{text}\033[0m"


def _visible(text: str) -> str:
    """Text without ANSI colour codes (for measuring)."""
    if "\033" not in text:
        return text
    import re

    return re.sub(r"\033\[[0-9;]*m", "", text)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]],
          align: Sequence[str] | None = None, min_widths: Sequence[int] | None = None) -> str:
    """A box-drawn table like the seed's, one space of padding each side."""
    rows = [list(map(str, r)) for r in rows]
    align = list(align or ["left"] * len(headers))
    widths = [width(h) for h in headers]
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], width(_visible(cell)))
    if min_widths:
        widths = [max(w, m) for w, m in zip(widths, min_widths)]

    def line(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def cells(values: Sequence[str], aligns: Sequence[str]) -> str:
        parts = []
        for value, w, a in zip(values, widths, aligns):
            extra = len(value) - len(_visible(value))
            parts.append(" " + pad(value, w + extra, a) + " ")
        return "│" + "│".join(parts) + "│"

    out = [line("┌", "┬", "┐"), cells(headers, ["left"] * len(headers)), line("├", "┼", "┤")]
    out += [cells(r, align) for r in rows]
    out.append(line("└", "┴", "┘"))
    return "\n".join(out)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]],
                   align: Sequence[str] | None = None) -> str:
    align = list(align or ["left"] * len(headers))
    marks = {"left": "---", "right": "---:", "center": ":---:"}
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(esc(h) for h in headers) + " |",
           "|" + "|".join(marks[a] for a in align) + "|"]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def percent(value: float | None, precision: int = 1) -> str:
    """0.815 → '81.5%'; None → '-'."""
    if value is None:
        return "-"
    return f"{value * 100:.{precision}f}%"

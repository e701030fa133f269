"""Half-open interval arithmetic, written once.

A span is ``(start, end)`` with ``start < end`` meaning ``[start, end)``; any
ordered type works (epoch seconds in the hot path, datetimes elsewhere).
Functions take and return lists sorted by start and non-overlapping
("normalized"), except ``normalize`` which accepts anything.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
Span = tuple[T, T]


def normalize(spans: Iterable[Span]) -> list[Span]:
    """Sort, drop empty spans and merge overlapping or touching ones."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[0] < s[1]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """``spans`` minus ``holes``; both normalized. Linear in their lengths."""
    out: list[Span] = []
    j = 0
    for start, end in spans:
        while j < len(holes) and holes[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < len(holes) and holes[k][0] < end:
            hole_start, hole_end = holes[k]
            if hole_start > cursor:
                out.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """Common part of two normalized lists."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def covers(spans: Sequence[Span], span: Span, starts: Sequence | None = None) -> bool:
    """True when one span of the normalized list contains ``span`` whole.

    Pass ``starts`` (the list of span starts) to skip rebuilding it per call.
    """
    keys = starts if starts is not None else [s for s, _ in spans]
    i = bisect_right(keys, span[0]) - 1
    return i >= 0 and spans[i][1] >= span[1]


def overlaps(spans: Sequence[Span], span: Span) -> bool:
    """True when ``span`` shares any instant with a span of the list."""
    return any(s < span[1] and span[0] < e for s, e in spans)

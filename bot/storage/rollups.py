"""Splitting a time range between roll-up buckets and the review log (migration V4).

The views ask about exact ranges of seconds (a rolling week ending now, a local day
starting at a zone's midnight), while the roll-up tables hold whole buckets (UTC
days, UTC hours). A range is answered as the whole buckets inside it, read from the
roll-up, plus its two partial edges, read from the log: the result is the same as
reading the log alone, for a fraction of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DAY_SECONDS", "HOUR_SECONDS", "Split", "split"]

DAY_SECONDS = 86_400
HOUR_SECONDS = 3_600


@dataclass(frozen=True, slots=True)
class Split:
    """``[since, until]`` (unix seconds, both inclusive) as buckets and two log ranges.

    Buckets ``first_bucket <= b < end_bucket`` lie wholly inside the range; the log
    covers ``[since, head_end]`` and ``[tail_start, until]``. Every second of the range
    is in exactly one of the three parts (an empty part has its end before its start).
    """

    since: int
    head_end: int
    first_bucket: int
    end_bucket: int
    tail_start: int
    until: int

    def params(self) -> dict[str, int]:
        """SQL parameters: ``since``, ``head_end``, ``first_bucket``, ``end_bucket``,
        ``tail_start``, ``until``."""
        return {
            "since": self.since,
            "head_end": self.head_end,
            "first_bucket": self.first_bucket,
            "end_bucket": self.end_bucket,
            "tail_start": self.tail_start,
            "until": self.until,
        }


def split(since: int, until: int, width: int) -> Split:
    """Split ``[since, until]`` into whole buckets of ``width`` seconds and two edges."""
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    first = -(-since // width)  # the first bucket starting at or after since
    end = (until + 1) // width  # buckets before this one end at or before until
    if first >= end:
        # No whole bucket inside: the log answers the whole range (the tail is empty).
        return Split(since, until, 0, 0, until + 1, until)
    return Split(since, first * width - 1, first, end, end * width, until)

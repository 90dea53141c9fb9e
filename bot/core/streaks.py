"""Daily study streaks, counted by the learner's local date, with streak freezes.

Rules (SPEC "Learning model", with the details decided here):

- A day counts when the learner finishes at least one review on that date *in their
  own time zone*. Callers turn the review instant into a date with
  :func:`bot.core.timezones.local_date` using the zone the learner has at that moment, and
  pass only the date here: this module never sees a clock or a zone.
- Recording the same date again changes nothing (idempotent), so many reviews in a day
  count once.
- The next date extends the streak by one.
- A gap of ``k`` missed days spends one freeze per missed day. If the learner holds at
  least ``k`` freezes the streak survives; frozen days keep it alive but do not add to
  its length (``current`` grows by 1, for today only). If they hold fewer, the freezes
  are used up one per missed day until they run out and the streak still breaks:
  ``freezes`` becomes 0 and ``current`` restarts at 1.
- A freeze is earned each time ``current`` reaches a multiple of 7, up to
  :data:`MAX_FREEZES` held. Spending for the gap happens before earning for today.
- ``best`` is the longest ``current`` ever reached.
- A date *earlier* than ``last_active`` changes nothing. It comes from clock skew, or
  from a time-zone change that moves the learner's local date backwards (flying west
  just after midnight). That day, or a later one, is already counted; recording it
  would either count a day twice or rewind ``last_active`` and make the next real day
  look like a gap.

Changing time zone: days are local dates in the zone in force at each review, so a
zone change can make one "day" longer or shorter than 24 hours. It can never count a
review twice: a repeat of a counted date, or an earlier date, is a no-op. (Moving far
east right after studying can, however, jump the local date by two, which reads as one
missed day and spends a freeze; that is the price of "local date at review time".)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

__all__ = [
    "FREEZE_EVERY_DAYS",
    "MAX_FREEZES",
    "StreakDict",
    "StreakState",
    "StreakUpdate",
    "StreakView",
    "alive_until",
    "record_activity",
    "view",
]

FREEZE_EVERY_DAYS = 7
"""One freeze is earned each time the streak reaches a multiple of this many days."""

MAX_FREEZES = 2
"""At most this many freezes are held at once; more earned ones are lost."""


class StreakDict(TypedDict):
    """The JSON-friendly shape of a :class:`StreakState`."""

    current: int
    best: int
    freezes: int
    last_active: str | None  # ISO date, "2026-03-08"


@dataclass(frozen=True, slots=True)
class StreakState:
    """A learner's streak. Immutable: :func:`record_activity` returns a new one.

    ``last_active`` is the last local date that counted. Invariants (checked):
    all counts are non-negative, ``current <= best`` and ``freezes <= MAX_FREEZES``.
    """

    current: int = 0
    best: int = 0
    freezes: int = 0
    last_active: date | None = None

    def __post_init__(self) -> None:
        # Refuse impossible states at the door (e.g. a corrupted row) rather than let
        # the arithmetic below produce nonsense later.
        for field_name in ("current", "best", "freezes"):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"StreakState.{field_name} must be an int >= 0, got {value!r}")
        if self.current > self.best:
            raise ValueError(f"StreakState.current ({self.current}) > best ({self.best})")
        if self.freezes > MAX_FREEZES:
            raise ValueError(f"StreakState.freezes ({self.freezes}) > {MAX_FREEZES}")
        # ``datetime`` is a subclass of ``date``; one here would make day arithmetic
        # depend on the time of day, so it is refused.
        if self.last_active is not None and (
            isinstance(self.last_active, datetime) or not isinstance(self.last_active, date)
        ):
            raise ValueError(f"StreakState.last_active must be a date, got {self.last_active!r}")

    def to_dict(self) -> StreakDict:
        """Serialise to plain JSON types."""
        return {
            "current": self.current,
            "best": self.best,
            "freezes": self.freezes,
            "last_active": None if self.last_active is None else self.last_active.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: StreakDict | dict[str, Any]) -> StreakState:
        """Inverse of :meth:`to_dict`. Raises ``ValueError``/``KeyError`` on a bad shape."""
        raw_date = data["last_active"]
        if raw_date is not None and not isinstance(raw_date, str):
            raise ValueError(f"last_active must be an ISO date or None, got {raw_date!r}")
        return cls(
            current=data["current"],
            best=data["best"],
            freezes=data["freezes"],
            last_active=None if raw_date is None else date.fromisoformat(raw_date),
        )


@dataclass(frozen=True, slots=True)
class StreakUpdate:
    """The result of :func:`record_activity`: the new state and what happened.

    - ``extended``: today was added to a continuing streak (``current`` went up by 1).
      True for a learner's very first day too (from 0 to 1). False when nothing changed
      and when the streak broke and restarted at 1.
    - ``freezes_spent``: freezes used for missed days (also when they were not enough).
    - ``freeze_earned``: a freeze was actually added (False at the cap of 2).
    - ``broken``: a streak of at least one day was lost.
    """

    state: StreakState
    extended: bool = False
    freezes_spent: int = 0
    freeze_earned: bool = False
    broken: bool = False

    @property
    def changed(self) -> bool:
        """Whether anything was recorded (False for a repeated or earlier date)."""
        return self.extended or self.broken


@dataclass(frozen=True, slots=True)
class StreakView:
    """What to show on ``today`` without recording anything.

    - ``current``: the streak as it stands, or 0 if the missed days already exceed the
      freezes (today itself is not counted as missed: it is not over yet).
    - ``freezes``: freezes that would be left after covering the missed days.
    - ``studied_today``: today already counts.
    - ``at_risk``: the learner has a streak, has not studied today, and if they do not,
      tomorrow will spend a freeze or break the streak.
    - ``missed_days``: days since the last study day, not counting today.
    """

    current: int
    best: int
    freezes: int
    studied_today: bool
    at_risk: bool
    missed_days: int


def alive_until(state: StreakState) -> date | None:
    """The last local date on which :func:`view` still shows ``state``'s streak.

    None when there is no streak. The streak survives ``freezes`` missed days, and
    the day after the last active one is not missed until it is over, so it is shown
    through ``last_active + freezes + 1``. Storage keeps this date beside the streak
    so that boards compare it with each learner's today instead of repeating
    :func:`view` in SQL (``tests/test_streaks.py`` holds the two together).
    """
    if state.last_active is None or state.current == 0:
        return None
    return state.last_active + timedelta(days=state.freezes + 1)


def _missed_days(last_active: date, today: date) -> int:
    """Whole days strictly between ``last_active`` and ``today``."""
    return (today - last_active).days - 1


def _check_date(today: date) -> None:
    if isinstance(today, datetime) or not isinstance(today, date):
        # Passing a datetime usually means the caller forgot to convert to local date.
        raise TypeError(f"today must be a local date, not {type(today).__name__}")


def record_activity(state: StreakState, today: date) -> StreakUpdate:
    """Record that the learner finished a review on local date ``today``.

    Never mutates ``state``. See the module docstring for the rules; in short:
    same or earlier date → unchanged; next date → +1; a gap spends one freeze per
    missed day and breaks the streak (freezes to 0, current to 1) if they run out;
    reaching a multiple of 7 earns a freeze (at most 2 held).
    """
    _check_date(today)
    if state.last_active is not None and today <= state.last_active:
        # Same day: idempotent. Earlier day: see the module docstring.
        return StreakUpdate(state=state)

    freezes = state.freezes
    freezes_spent = 0
    broken = False
    if state.last_active is None or state.current == 0:
        # Nothing to protect: a fresh start keeps any freezes (none normally).
        current = 1
    else:
        missed = _missed_days(state.last_active, today)
        if missed <= freezes:
            freezes_spent = missed
            freezes -= missed
            current = state.current + 1
        else:
            # Decided rule: freezes are spent one per missed day until they run out,
            # then the streak breaks anyway.
            freezes_spent = freezes
            freezes = 0
            current = 1
            broken = True

    freeze_earned = False
    if current % FREEZE_EVERY_DAYS == 0 and freezes < MAX_FREEZES:
        freezes += 1
        freeze_earned = True

    new_state = replace(
        state,
        current=current,
        best=max(state.best, current),
        freezes=freezes,
        last_active=today,
    )
    return StreakUpdate(
        state=new_state,
        extended=not broken,
        freezes_spent=freezes_spent,
        freeze_earned=freeze_earned,
        broken=broken,
    )


def view(state: StreakState, today: date) -> StreakView:
    """What the streak looks like on local date ``today``, without recording anything.

    Consistent with :func:`record_activity`: if the learner studies today, the result
    has ``current == view.current + 1`` (or 1), and ``freezes`` as shown here before
    any freeze earned today.
    """
    _check_date(today)
    if state.last_active is None or state.current == 0:
        return StreakView(
            current=0,
            best=state.best,
            freezes=state.freezes,
            studied_today=state.last_active is not None and today <= state.last_active,
            at_risk=False,
            missed_days=0,
        )
    if today <= state.last_active:
        # Today (or, with a backwards date, a later day) already counted, matching
        # record_activity, which treats an earlier date as the same day.
        return StreakView(
            current=state.current,
            best=state.best,
            freezes=state.freezes,
            studied_today=True,
            at_risk=False,
            missed_days=0,
        )
    missed = _missed_days(state.last_active, today)
    if missed <= state.freezes:
        current, freezes = state.current, state.freezes - missed
    else:
        current, freezes = 0, 0
    # Not studied today and a streak alive: today becomes a missed day at midnight,
    # which always costs a freeze or the streak.
    return StreakView(
        current=current,
        best=state.best,
        freezes=freezes,
        studied_today=False,
        at_risk=current > 0,
        missed_days=missed,
    )

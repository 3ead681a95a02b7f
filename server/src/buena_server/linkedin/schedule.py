"""When a LinkedIn action may run: pure functions of the integration's rules, the times of
its other actions and the clock (no I/O, so each rule is tested on exact instants).

- Working hours: from ``start`` (inclusive) to ``end`` (exclusive) local time, opening on
  each of the working ``days``, in the integration's IANA time zone (daylight saving time
  included: a 09:00 start is 08:00 UTC in Berlin's winter and 07:00 UTC in its summer). An
  ``end`` at or before ``start`` closes the next day (22:00-06:00; equal: 24 hours).
- Daily limit: at most ``daily_limit`` actions in one local day (midnight to midnight in
  the time zone); a day that is full sends the action to the next working day with room.
- Delays: an action comes at least its own delay (drawn between the bounds, seeded by its
  id) after the action before it, and no action of the integration comes less than
  ``min_delay`` before the one after it: an action placed between two others keeps both
  gaps.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A slot is found in far fewer steps (each moves past a full day, a closed window or a
# neighbour); the bound turns a rule set that could never be met into an error, not a hang.
MAX_STEPS = 100_000


@dataclass(frozen=True, slots=True)
class Rules:
    """An integration's scheduling rules."""

    timezone: ZoneInfo
    start: time
    end: time
    days: frozenset[int]  # weekday numbers, Monday 0
    daily_limit: int
    min_delay: timedelta
    max_delay: timedelta

    @classmethod
    def of(
        cls,
        timezone: str,
        start: str,
        end: str,
        days: Iterable[str],
        daily_limit: int,
        min_delay_seconds: int,
        max_delay_seconds: int,
    ) -> Rules:
        """The rules as stored ("09:00", ["mon", ...], seconds)."""
        return cls(
            timezone=ZoneInfo(timezone),
            start=time.fromisoformat(start),
            end=time.fromisoformat(end),
            days=frozenset(DAYS.index(day) for day in days),
            daily_limit=daily_limit,
            min_delay=timedelta(seconds=min_delay_seconds),
            max_delay=timedelta(seconds=max_delay_seconds),
        )


def action_delay(rules: Rules, action_id: str) -> timedelta:
    """The action's own delay after the one before it: whole seconds between the bounds,
    the same every time for the same action (seeded by its id)."""
    low = int(rules.min_delay.total_seconds())
    high = int(rules.max_delay.total_seconds())
    return timedelta(seconds=random.Random(f"linkedin-delay:{action_id}").randint(low, high))


def _utc(local_date: date, at: time, zone: ZoneInfo) -> datetime:
    # A local time that does not exist (skipped by a spring change) is read with the offset
    # before the change, which lands just after it; one that exists twice, its first time.
    return datetime.combine(local_date, at, tzinfo=zone).astimezone(UTC)


def local_day(rules: Rules, moment: datetime) -> tuple[datetime, datetime]:
    """The local day holding ``moment``: its first instant and the next day's, in UTC (23
    or 25 hours apart on the days the clocks change)."""
    day = moment.astimezone(rules.timezone).date()
    return _utc(day, time(), rules.timezone), _utc(day + timedelta(days=1), time(), rules.timezone)


def _window(rules: Rules, day: date) -> tuple[datetime, datetime]:
    """The working window that opens on ``day``: it closes the same day, or the next when
    ``end`` is not after ``start`` (a night shift; equal: 24 hours)."""
    closing_day = day if rules.end > rules.start else day + timedelta(days=1)
    return _utc(day, rules.start, rules.timezone), _utc(closing_day, rules.end, rules.timezone)


def next_working_instant(rules: Rules, moment: datetime) -> datetime:
    """``moment`` itself inside working hours, else the next window's start."""
    day = moment.astimezone(rules.timezone).date()
    for offset in range(-1, 8):  # the window that opened yesterday may still be open
        current = day + timedelta(days=offset)
        if current.weekday() not in rules.days:
            continue
        opens, closes = _window(rules, current)
        if moment < closes:
            return max(moment, opens)
    raise ValueError("the working hours have no working day")


def within_hours(rules: Rules, moment: datetime) -> bool:
    return next_working_instant(rules, moment) == moment


class Planner:
    """Places actions among the integration's others (``taken``: the times they run), one
    after another: each placed time is taken for the next."""

    def __init__(self, rules: Rules, taken: Iterable[datetime]) -> None:
        self.rules = rules
        self.taken = sorted(taken)

    def place(self, earliest: datetime, delay: timedelta) -> datetime:
        """The first time at or after ``earliest`` that keeps every rule (module doc), for
        an action whose own delay is ``delay``; taken from then on."""
        found = self.first_slot(earliest, delay)
        bisect.insort(self.taken, found)
        return found

    def first_slot(self, earliest: datetime, delay: timedelta) -> datetime:
        rules, taken = self.rules, self.taken
        moment = earliest
        for _ in range(MAX_STEPS):
            moment = next_working_instant(rules, moment)
            day_starts, day_ends = local_day(rules, moment)
            in_day = bisect.bisect_left(taken, day_ends) - bisect.bisect_left(taken, day_starts)
            if in_day >= rules.daily_limit:
                moment = day_ends
                continue
            before = bisect.bisect_right(taken, moment)
            if before and moment < taken[before - 1] + delay:
                moment = taken[before - 1] + delay
                continue
            if before < len(taken) and taken[before] < moment + rules.min_delay:
                moment = taken[before]  # past the next one: the delay then counts from it
                continue
            return moment
        raise ValueError("no time keeps the working hours, the daily limit and the delays")


def may_run_now(rules: Rules, now: datetime, started: list[datetime]) -> bool:
    """What is checked when an action falls due (the rules may have changed, or the worker
    may come late after an outage): inside working hours, room left in today's limit
    among the actions that started (``started``, sorted), and at least ``min_delay`` after
    the last of them."""
    if not within_hours(rules, now):
        return False
    day_starts, day_ends = local_day(rules, now)
    today = bisect.bisect_left(started, day_ends) - bisect.bisect_left(started, day_starts)
    if today >= rules.daily_limit:
        return False
    before = bisect.bisect_right(started, now)
    return not before or now >= started[before - 1] + rules.min_delay

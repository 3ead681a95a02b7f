"""The scheduling rules of LinkedIn actions, on exact instants (schedule.py is pure): working
hours in the integration's time zone, across a daylight saving change, past midnight; the
daily limit per local day rolling into the next day with room; the delays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from buena_server.linkedin.schedule import (
    Planner,
    Rules,
    action_delay,
    local_day,
    may_run_now,
    next_working_instant,
    within_hours,
)

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def rules(
    timezone: str = "Europe/Berlin",
    start: str = "09:00",
    end: str = "18:00",
    days: list[str] | None = None,
    daily_limit: int = 100,
    delays: tuple[int, int] = (60, 300),
) -> Rules:
    return Rules.of(timezone, start, end, days or WEEKDAYS, daily_limit, *delays)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class TestWorkingHours:
    def test_a_start_before_hours_waits_for_the_local_opening(self) -> None:
        # Thursday 2026-12-03, 06:00 UTC is 07:00 in Berlin (winter, UTC+1): opens 08:00 UTC.
        assert next_working_instant(rules(), utc("2026-12-03T06:00")) == utc("2026-12-03T08:00")
        # The same instant in New York is 01:00: opens at 09:00 there, 14:00 UTC.
        new_york = rules("America/New_York")
        assert next_working_instant(new_york, utc("2026-12-03T06:00")) == utc("2026-12-03T14:00")
        # Tokyo (UTC+9, no DST) is already at 15:00: inside.
        assert within_hours(rules("Asia/Tokyo"), utc("2026-12-03T06:00"))

    def test_after_hours_and_weekends_move_to_the_next_working_day(self) -> None:
        # Friday 18:00 Berlin (17:00 UTC) is closed: Monday 09:00 Berlin.
        assert next_working_instant(rules(), utc("2026-12-04T17:00")) == utc("2026-12-07T08:00")
        assert not within_hours(rules(), utc("2026-12-04T17:00"))
        assert within_hours(rules(), utc("2026-12-04T16:59:59"))
        saturday = rules(days=["sat"])
        assert next_working_instant(saturday, utc("2026-12-04T12:00")) == utc("2026-12-05T08:00")

    def test_daylight_saving_moves_the_hours_in_utc(self) -> None:
        # Europe switches to summer time on Sunday 2026-03-29: 09:00 Berlin is 08:00 UTC on
        # Friday the 27th and 07:00 UTC on Monday the 30th.
        berlin = rules()
        assert next_working_instant(berlin, utc("2026-03-27T05:00")) == utc("2026-03-27T08:00")
        assert next_working_instant(berlin, utc("2026-03-27T17:30")) == utc("2026-03-30T07:00")
        assert within_hours(berlin, utc("2026-03-30T07:00"))
        assert not within_hours(berlin, utc("2026-03-30T16:00"))  # 18:00 summer time
        # New York changes on 2026-03-08, three weeks earlier: 09:00 is 14:00 then 13:00 UTC.
        new_york = rules("America/New_York")
        assert next_working_instant(new_york, utc("2026-03-06T12:00")) == utc("2026-03-06T14:00")
        assert next_working_instant(new_york, utc("2026-03-09T12:00")) == utc("2026-03-09T13:00")

    def test_the_local_day_is_23_or_25_hours_when_the_clocks_change(self) -> None:
        spring = local_day(rules(), utc("2026-03-29T12:00"))
        assert spring == (utc("2026-03-28T23:00"), utc("2026-03-29T22:00"))
        autumn = local_day(rules(), utc("2026-10-25T12:00"))
        assert autumn[1] - autumn[0] == timedelta(hours=25)

    def test_hours_past_midnight_and_all_day(self) -> None:
        night = rules("UTC", "22:00", "06:00", days=["mon"])
        # Monday 23:00 and Tuesday 05:59 are in Monday's window; Tuesday 06:00 is not.
        assert within_hours(night, utc("2026-12-07T23:00"))
        assert within_hours(night, utc("2026-12-08T05:59"))
        assert next_working_instant(night, utc("2026-12-08T06:00")) == utc("2026-12-14T22:00")
        always = rules("UTC", "00:00", "00:00", days=["mon", "tue"])
        assert within_hours(always, utc("2026-12-08T23:59:59"))
        assert next_working_instant(always, utc("2026-12-09T00:00")) == utc("2026-12-14T00:00")


class TestPlanner:
    def test_each_action_comes_its_delay_after_the_previous(self) -> None:
        berlin = rules(delays=(60, 300))
        planner = Planner(berlin, [])
        moment = utc("2026-12-03T10:00")
        times = []
        for n in range(20):  # each asked for no earlier than the one before
            moment = planner.place(moment, action_delay(berlin, f"lia_{n}"))
            times.append(moment)
        assert times[0] == utc("2026-12-03T10:00")
        for n, (before, after) in enumerate(pairwise(times), 1):
            assert after - before == action_delay(berlin, f"lia_{n}")
            assert timedelta(seconds=60) <= after - before <= timedelta(seconds=300)
        # The delays are drawn, not fixed, and the same for the same action every time.
        assert len({b - a for a, b in pairwise(times)}) > 5
        assert action_delay(berlin, "lia_7") == action_delay(berlin, "lia_7")

    def test_actions_asked_for_at_once_keep_every_gap_within_the_bounds(self) -> None:
        berlin = rules(delays=(60, 300))
        planner = Planner(berlin, [])
        start = utc("2026-12-03T10:00")
        times = sorted(planner.place(start, action_delay(berlin, f"lia_{n}")) for n in range(50))
        assert times[0] == start
        gaps = [b - a for a, b in pairwise(times)]
        assert all(timedelta(seconds=60) <= gap <= timedelta(seconds=300) for gap in gaps)

    def test_a_full_day_rolls_to_the_next_working_day_with_room(self) -> None:
        berlin = rules(daily_limit=3, delays=(600, 600))
        # Thursday already has 3 (one at 17:00 Berlin), Friday 2 of 3.
        taken = [utc("2026-12-03T09:00"), utc("2026-12-03T10:00"), utc("2026-12-03T16:00"),
                 utc("2026-12-04T08:00"), utc("2026-12-04T08:30")]  # fmt: skip
        planner = Planner(berlin, taken)
        # Friday's room: 10 minutes after 08:00, and still 20 before 08:30.
        assert planner.place(utc("2026-12-03T11:00"), timedelta(seconds=600)) == utc(
            "2026-12-04T08:10"
        )
        # Friday is full now: the weekend does not work, Monday opens at 09:00 Berlin.
        monday = planner.place(utc("2026-12-03T11:00"), timedelta(seconds=600))
        assert monday == utc("2026-12-07T08:00")
        # Nothing is dropped: a hundred more all find a day, three a day.
        later = [planner.place(utc("2026-12-03T11:00"), timedelta(seconds=600)) for _ in range(100)]
        per_day: dict[object, int] = {}
        for moment in later:
            per_day[local_day(berlin, moment)] = per_day.get(local_day(berlin, moment), 0) + 1
            assert within_hours(berlin, moment)
        assert max(per_day.values()) <= 3

    def test_an_action_fits_between_two_others_only_with_both_gaps(self) -> None:
        berlin = rules(delays=(300, 300))
        taken = [utc("2026-12-03T09:00"), utc("2026-12-03T09:08"), utc("2026-12-03T09:20")]
        planner = Planner(berlin, taken)
        # 09:05 is 5 minutes after 09:00 but only 3 before 09:08: after 09:08 then, 09:13,
        # which keeps 7 minutes before 09:20.
        assert planner.place(utc("2026-12-03T09:00"), timedelta(seconds=300)) == utc(
            "2026-12-03T09:13"
        )

    def test_a_delay_that_crosses_the_closing_waits_for_the_next_opening(self) -> None:
        berlin = rules(delays=(3600, 3600))
        planner = Planner(berlin, [utc("2026-12-03T16:30")])  # 17:30 Berlin
        assert planner.place(utc("2026-12-03T16:30"), timedelta(hours=1)) == utc("2026-12-04T08:00")

    def test_rules_that_cannot_be_met_raise(self) -> None:
        with pytest.raises(ValueError, match="no working day"):
            next_working_instant(
                Rules.of("UTC", "09:00", "18:00", [], 1, 0, 0), utc("2026-12-03T00:00")
            )


class TestRunTimeCheck:
    def test_hours_limit_and_shortest_gap_are_checked_again(self) -> None:
        berlin = rules(daily_limit=2, delays=(120, 600))
        now = utc("2026-12-03T10:00")
        assert may_run_now(berlin, now, [])
        assert not may_run_now(berlin, utc("2026-12-03T20:00"), [])
        assert not may_run_now(berlin, now, [utc("2026-12-03T09:59")])  # 60 s < 120 s
        assert may_run_now(berlin, now, [utc("2026-12-03T09:58")])
        assert not may_run_now(berlin, now, [utc("2026-12-03T08:00"), utc("2026-12-03T09:00")])
        # Yesterday's actions do not count against today.
        assert may_run_now(berlin, now, [utc("2026-12-02T15:00"), utc("2026-12-02T16:00")])


def test_the_schema_lists_exactly_the_time_zones_the_server_accepts() -> None:
    """A name the schema admits is accepted, and one it refuses is refused (the fuzzer
    holds the two to it)."""
    from buena_server.app import create_app
    from buena_server.kit.validation import Context, Invalid
    from buena_server.linkedin.schemas import TimeZone, time_zones

    schema = create_app().openapi_schema.to_schema()
    field = schema["components"]["schemas"]["LinkedInIntegrationRequest"]["properties"]
    assert set(field["timezone"]["enum"]) == time_zones()
    for outside in ("A" + "0" * 62, "Europe//Berlin", "\x18\udba9\udd79\xa43"):
        with pytest.raises(Invalid):
            TimeZone().apply(outside, Context(default_phone_region=None))

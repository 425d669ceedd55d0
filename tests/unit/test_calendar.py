"""Holidays, bank days and the contact window (quiet hours) in the debtor's own time zone."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from engine.guardrails.calendar import (
    add_bank_days,
    earliest_send,
    easter_sunday,
    holidays,
    is_bank_day,
    is_holiday,
    local_date,
    local_instant,
    start_of_next_day,
)
from engine.guardrails.pack import QuietHours
from schemas.enums import Channel
from tests.builders import at, day, local

SE_QUIET = QuietHours()
NY = "America/New_York"
STHLM = "Europe/Stockholm"


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2008, "2008-03-23"),
        (2019, "2019-04-21"),
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2038, "2038-04-25"),
    ],
)
def test_easter_sunday(year: int, easter: str) -> None:
    assert easter_sunday(year) == day(easter)


@pytest.mark.parametrize(
    "holiday",
    [
        pytest.param("2025-04-18", id="good-friday-2025"),
        pytest.param("2026-04-03", id="good-friday-2026"),
        pytest.param("2027-03-26", id="good-friday-2027"),
        pytest.param("2026-04-06", id="easter-monday-2026"),
        pytest.param("2025-05-29", id="ascension-2025"),
        pytest.param("2026-05-14", id="ascension-2026"),
        pytest.param("2027-05-06", id="ascension-2027"),
        pytest.param("2024-06-21", id="midsummer-eve-2024"),
        pytest.param("2025-06-20", id="midsummer-eve-2025"),
        pytest.param("2026-06-19", id="midsummer-eve-2026-on-the-19th"),
        pytest.param("2027-06-25", id="midsummer-eve-2027-on-the-25th"),
        pytest.param("2026-01-06", id="epiphany"),
        pytest.param("2026-05-01", id="may-day"),
        pytest.param("2026-06-06", id="national-day"),
        pytest.param("2026-12-24", id="christmas-eve"),
        pytest.param("2026-12-31", id="new-years-eve"),
    ],
)
def test_swedish_holiday(holiday: str) -> None:
    assert is_holiday(day(holiday), "SE")
    assert not is_bank_day(day(holiday), "SE")


@pytest.mark.parametrize(
    "ordinary",
    [
        pytest.param("2026-04-02", id="maundy-thursday-is-a-bank-day"),
        pytest.param("2026-04-07", id="tuesday-after-easter"),
        pytest.param("2026-06-18", id="thursday-before-midsummer"),
        pytest.param("2026-06-26", id="friday-a-week-after-midsummer"),
        pytest.param("2026-12-23", id="day-before-christmas-eve"),
    ],
)
def test_swedish_ordinary_weekday(ordinary: str) -> None:
    assert not is_holiday(day(ordinary), "SE")
    assert is_bank_day(day(ordinary), "SE")


def test_midsummer_eve_is_always_the_friday_between_19_and_25_june() -> None:
    for year in range(2000, 2060):
        eves = [d for d in holidays(year, "SE") if d.month == 6 and d.day >= 19]
        assert len(eves) == 1
        assert eves[0].weekday() == 4 and 19 <= eves[0].day <= 25


@pytest.mark.parametrize(
    "holiday",
    [
        pytest.param("2024-11-28", id="thanksgiving-2024"),
        pytest.param("2025-11-27", id="thanksgiving-2025"),
        pytest.param("2026-11-26", id="thanksgiving-2026"),
        pytest.param("2024-05-27", id="memorial-day-2024"),
        pytest.param("2026-05-25", id="memorial-day-2026"),
        pytest.param("2027-05-31", id="memorial-day-2027-on-the-31st"),
        pytest.param("2026-01-19", id="mlk-day-2026"),
        pytest.param("2026-09-07", id="labor-day-2026"),
        pytest.param("2026-10-12", id="columbus-day-2026"),
        pytest.param("2026-06-19", id="juneteenth"),
        pytest.param("2026-07-04", id="independence-day"),
        pytest.param("2027-07-05", id="independence-day-on-sunday-observed-monday"),
        pytest.param("2022-12-26", id="christmas-on-sunday-observed-monday"),
        pytest.param("2023-01-02", id="new-year-on-sunday-observed-monday"),
    ],
)
def test_us_holiday(holiday: str) -> None:
    assert is_holiday(day(holiday), "US")


@pytest.mark.parametrize(
    "ordinary",
    [
        pytest.param("2026-11-27", id="black-friday"),
        pytest.param("2026-05-18", id="monday-before-memorial-day"),
        pytest.param("2026-12-24", id="christmas-eve-is-no-us-holiday"),
        pytest.param("2026-07-03", id="saturday-holiday-not-moved-to-friday-for-banks"),
    ],
)
def test_us_ordinary_day(ordinary: str) -> None:
    assert not is_holiday(day(ordinary), "US")


def test_no_calendar_has_no_holidays_and_an_unknown_one_is_refused() -> None:
    assert holidays(2026, "NONE") == frozenset()
    assert is_bank_day(date(2026, 12, 24), "NONE")
    with pytest.raises(ValueError, match="unknown holiday calendar 'XX'"):
        holidays(2026, "XX")


@pytest.mark.parametrize(
    ("start", "n", "calendar", "expected"),
    [
        pytest.param("2026-10-05", 0, "SE", "2026-10-05", id="zero-days-is-the-day-itself"),
        pytest.param("2026-10-05", 1, "SE", "2026-10-06", id="monday-plus-one"),
        pytest.param("2026-10-09", 1, "SE", "2026-10-12", id="friday-plus-one-skips-weekend"),
        pytest.param("2026-10-10", 1, "SE", "2026-10-12", id="saturday-plus-one-is-monday"),
        pytest.param("2026-12-23", 1, "SE", "2026-12-28", id="se-over-christmas"),
        pytest.param("2026-12-23", 4, "SE", "2027-01-04", id="se-over-christmas-and-new-year"),
        pytest.param("2027-01-05", 1, "SE", "2027-01-07", id="se-over-epiphany"),
        pytest.param("2026-04-02", 1, "SE", "2026-04-07", id="se-over-easter"),
        pytest.param("2026-12-24", 1, "US", "2026-12-28", id="us-over-christmas"),
        pytest.param("2026-12-31", 1, "US", "2027-01-04", id="us-over-new-year"),
        pytest.param("2026-11-25", 1, "US", "2026-11-27", id="us-over-thanksgiving"),
        pytest.param("2026-12-23", 1, "NONE", "2026-12-24", id="no-calendar-only-weekends"),
    ],
)
def test_add_bank_days(start: str, n: int, calendar: str, expected: str) -> None:
    assert add_bank_days(day(start), n, calendar) == day(expected)


def test_local_date_and_midnight_follow_the_zone() -> None:
    assert local_date(at("2026-10-05T22:30"), STHLM) == date(2026, 10, 6)
    assert local_date(at("2026-10-06T03:30"), NY) == date(2026, 10, 5)
    assert start_of_next_day(date(2026, 10, 5), STHLM) == at("2026-10-05T22:00")
    assert start_of_next_day(date(2026, 12, 5), STHLM) == at("2026-12-05T23:00")
    assert start_of_next_day(date(2026, 10, 5), NY) == at("2026-10-06T04:00")
    assert local_instant(date(2026, 1, 15), time(8, 0), NY) == at("2026-01-15T13:00")


# (id, instant, zone, channel, expected)
SEND_CASES = [
    ("inside-window-unchanged", "2026-10-05T10:00", STHLM, "email", "2026-10-05T10:00"),
    ("before-0800-moves-to-0800", "2026-10-05T04:00", STHLM, "email", "2026-10-05T06:00"),
    ("exactly-0800-allowed", "2026-10-05T06:00", STHLM, "sms", "2026-10-05T06:00"),
    ("after-2100-moves-to-next-0800", "2026-10-05T19:30", STHLM, "email", "2026-10-06T06:00"),
    ("exactly-2100-is-too-late", "2026-10-05T19:00", STHLM, "email", "2026-10-06T06:00"),
    ("just-before-2100-allowed", "2026-10-05T18:59", STHLM, "letter", "2026-10-05T18:59"),
    ("saturday-email-allowed", "2026-10-10T09:00", STHLM, "email", "2026-10-10T09:00"),
    ("saturday-sms-to-monday", "2026-10-10T09:00", STHLM, "sms", "2026-10-12T06:00"),
    ("sunday-phone-to-monday", "2026-10-11T09:00", STHLM, "phone", "2026-10-12T06:00"),
    ("friday-night-sms-to-monday", "2026-10-09T20:00", STHLM, "sms", "2026-10-12T06:00"),
    ("holiday-sms-skipped", "2026-12-24T09:00", STHLM, "sms", "2026-12-28T07:00"),
    ("holiday-email-allowed", "2026-12-24T09:00", STHLM, "email", "2026-12-24T09:00"),
    ("midsummer-eve-phone-to-monday", "2026-06-19T08:00", STHLM, "phone", "2026-06-22T06:00"),
    ("dst-spring-day-0800-cest", "2026-03-29T03:00", STHLM, "email", "2026-03-29T06:00"),
    ("dst-spring-eve-2100-cet", "2026-03-28T20:30", STHLM, "email", "2026-03-29T06:00"),
    ("dst-spring-day-2100-cest", "2026-03-29T19:30", STHLM, "email", "2026-03-30T06:00"),
    ("dst-autumn-day-0800-cet", "2026-10-25T05:00", STHLM, "email", "2026-10-25T07:00"),
    ("dst-autumn-day-still-open-at-1930z", "2026-10-25T19:30", STHLM, "email", "2026-10-25T19:30"),
    ("dst-autumn-sms-sunday-to-monday", "2026-10-25T09:00", STHLM, "sms", "2026-10-26T07:00"),
    ("new-york-before-0800-edt", "2026-10-05T11:00", NY, "email", "2026-10-05T12:00"),
    ("new-york-inside-window", "2026-10-05T12:00", NY, "phone", "2026-10-05T12:00"),
    ("new-york-after-2100-edt", "2026-10-06T01:30", NY, "email", "2026-10-06T12:00"),
    ("new-york-winter-0800-est", "2026-12-01T06:00", NY, "email", "2026-12-01T13:00"),
    ("new-york-dst-start-day", "2026-03-08T05:00", NY, "email", "2026-03-08T12:00"),
    ("new-york-dst-end-day", "2026-11-01T05:00", NY, "email", "2026-11-01T13:00"),
]


@pytest.mark.parametrize(
    ("instant", "tz", "channel", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in SEND_CASES],
)
def test_earliest_send(instant: str, tz: str, channel: str, expected: str) -> None:
    assert earliest_send(at(instant), tz, Channel(channel), SE_QUIET, "SE") == at(expected)


def test_earliest_send_result_is_always_inside_the_local_window() -> None:
    for hour in range(24):
        for tz in (STHLM, NY):
            sent = earliest_send(at(f"2026-03-28T{hour:02d}:15"), tz, Channel.EMAIL, SE_QUIET, "SE")
            wall = sent.astimezone(ZoneInfo(tz))
            assert time(8, 0) <= wall.time() < time(21, 0)


def test_earliest_send_without_channel_is_immediate() -> None:
    assert earliest_send(at("2026-10-05T02:00"), STHLM, None, SE_QUIET, "SE") == at(
        "2026-10-05T02:00"
    )


def test_us_holiday_blocks_phone_in_new_york_with_us_calendar() -> None:
    thanksgiving_morning = local("2026-11-26T09:00", NY)
    expected = local("2026-11-27T08:00", NY)
    assert earliest_send(thanksgiving_morning, NY, Channel.PHONE, SE_QUIET, "US") == expected


def test_a_pack_without_weekend_channels_allows_weekend_sms() -> None:
    quiet = QuietHours(weekend_channels=[])
    saturday = local("2026-10-10T09:00")
    assert earliest_send(saturday, STHLM, Channel.SMS, quiet, "SE") == saturday

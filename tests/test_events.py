"""Event catalogue: loading, validation, session alignment, positions, the CLI.

Expected trade dates are derived by hand in the table below (each comment
gives the conversion to Chicago time and the session it falls in), and
checked again against a scalar reference written with ``zoneinfo`` and the
calendar's ``is_trade_date`` / ``next_trade_date`` only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from eventstudy.calendar import get_calendar
from eventstudy.cli import main
from eventstudy.events import (
    CATEGORIES,
    DEFAULT_EVENTS,
    RULES,
    TIMINGS,
    align_events,
    events_report,
    load_events,
)
from eventstudy.exceptions import EventAlignmentError, EventFileError

FIXTURES = Path(__file__).parent / "fixtures"
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(scope="module")
def cal():
    return get_calendar("ZS=F")


@pytest.fixture(scope="module")
def tricky(cal):
    return align_events(load_events(FIXTURES / "events_tricky.csv"), cal).set_index("id")


# id -> (trade date, rule); Chicago time and reasoning in the comment.
EXPECTED = {
    "day-session": ("2025-11-20", "day-session"),  # Thu 10:00 CST
    "pre-open-start": ("2025-11-20", "pre-open"),  # 07:45, first minute of the break
    "overnight-last-minute": ("2025-11-20", "overnight"),  # 07:44, last minute overnight
    "day-open": ("2025-11-20", "day-session"),  # 08:30, the day open
    "overnight-evening": ("2025-11-20", "overnight"),  # Wed 21:00 -> Thursday's session
    "overnight-small-hours": ("2025-11-20", "overnight"),  # Thu 03:00
    "last-minute": ("2025-11-20", "day-session"),  # 13:19
    "at-close": ("2025-11-21", "after-close-next"),  # 13:20 is not in the settlement
    "friday-after-close": ("2025-11-24", "after-close-next"),  # Fri 15:00 -> Monday
    "saturday": ("2025-11-24", "closed-next"),  # Sat -> Monday
    "sunday-before-open": ("2025-11-24", "closed-next"),  # Sun 18:59, market closed
    "sunday-open": ("2025-11-24", "overnight"),  # Sun 19:00 opens Monday's session
    "thanksgiving-eve-after-close": ("2025-11-28", "after-close-next"),  # Wed 14:00 -> Fri
    "thanksgiving": ("2025-11-28", "closed-next"),  # Thu 2025-11-27 closed
    "black-friday-after-early-close": ("2025-12-01", "after-close-next"),  # 12:30 > early close
    "juneteenth": ("2025-06-20", "closed-next"),  # Thu 2025-06-19 closed
    "juneteenth-eve-after-close": ("2025-06-20", "after-close-next"),  # 18:00 EDT = 17:00 CDT
    "busan-seoul": ("2025-10-30", "overnight"),  # 11:00 KST = 10-29 21:00 CDT
    "shanghai-sunday-night": ("2025-03-10", "overnight"),  # 09:00 CST+8 = Sun 20:00 CDT
    "shanghai-at-open": ("2025-03-07", "overnight"),  # 09:00 +8 = Thu 19:00 CST, the open
    "shanghai-midnight-2018": ("2018-07-05", "day-session"),  # 00:00 +8 = 07-05 11:00 CDT
    "geneva-early-morning": ("2025-05-12", "overnight"),  # 06:00 CEST = Sun 23:00 CDT
    "london-gap-week-day": ("2025-10-28", "day-session"),  # 14:00 GMT = 09:00 CDT
    "london-gap-week-break": ("2025-10-28", "pre-open"),  # 13:00 GMT = 08:00 CDT
    "zurich-gap-week-after-close": ("2025-03-21", "after-close-next"),  # 20:00 CET = 14:00 CDT
    "tokyo-after-fall-back": ("2025-11-03", "day-session"),  # 04:00 JST = 13:00 CST
    "tokyo-before-fall-back": ("2025-10-31", "after-close-next"),  # 03:30 JST = 13:30 CDT
    "new-york-after-close": ("2018-06-18", "after-close-next"),  # Fri 16:35 EDT = 15:35 CDT
    "repeated-hour": ("2025-11-03", "closed-next"),  # Sun 01:30 CDT (first occurrence)
    "date-trade-day": ("2025-11-24", "date-only"),
    "date-saturday": ("2018-12-03", "date-only-closed-next"),
    "date-thanksgiving": ("2025-11-28", "date-only-closed-next"),
    "date-juneteenth": ("2025-06-20", "date-only-closed-next"),
    # a date with the reported part of the trading day, no clock time
    "timing-overnight": ("2025-11-20", "reported-overnight"),  # Thu
    "timing-pre-open": ("2025-11-20", "reported-pre-open"),
    "timing-day-session": ("2025-11-20", "reported-day-session"),
    "timing-after-close": ("2025-11-21", "reported-after-close-next"),  # Thu -> Fri
    "timing-friday-after-close": ("2025-11-24", "reported-after-close-next"),  # Fri -> Mon
    # Wed before Thanksgiving -> Fri
    "timing-thanksgiving-eve-after-close": ("2025-11-28", "reported-after-close-next"),
    "timing-juneteenth-eve-after-close": ("2025-06-20", "reported-after-close-next"),  # Wed -> Fri
    "timing-black-friday-after-close": ("2025-12-01", "reported-after-close-next"),  # early close
    "timing-saturday-day": ("2025-11-24", "reported-closed-next"),  # Sat -> Mon
    "timing-thanksgiving-after-close": ("2025-11-28", "reported-closed-next"),  # closed Thu -> Fri
    "timing-juneteenth-overnight": ("2025-06-20", "reported-closed-next"),  # closed Thu -> Fri
    "pending-visit": (None, "pending"),
}


# --------------------------------------------------------------------------- loading


def test_catalogue_loads_typed():
    events = load_events(DEFAULT_EVENTS)
    assert list(events.columns) == [
        "id",
        "date",
        "time",
        "tz",
        "timing",
        "title",
        "category",
        "direction",
        "in_article",
        "source",
        "notes",
        "agriculture",  # an extra column of the catalogue, kept as text
    ]
    assert events["id"].is_unique
    assert events["date"].dtype == "datetime64[ns]"
    assert str(events["direction"].dtype) == "Int64"
    assert events["direction"].isin([-1, 0, 1]).all()
    assert events["in_article"].dtype == bool
    assert set(events["category"].dropna()) <= set(CATEGORIES)
    # every article event quotes the article
    article = events[events["in_article"]]
    assert article["source"].str.startswith("Article: ").all()
    # the two announced visits without a day
    pending = events.loc[events["date"].isna(), "id"].tolist()
    assert pending == ["trump-beijing-visit", "xi-state-visit-us"]
    # a clock time only where one was reported, always with its zone
    timed = events[events["time"].notna()]
    assert timed["tz"].notna().all()
    assert set(timed["id"]) == {
        "busan-meeting",
        "china-confirms-retaliation-list",
        "tariffs-take-effect-2018-07",
        "liberation-day-tariffs",
        "call-2018-05-08",
        "call-2025-06-05",
        "call-2025-09-19",
    }
    # a part of the day only where one was reported, never with a clock time
    parts = events.set_index("id")["timing"].dropna()
    assert set(parts) <= set(TIMINGS)
    assert not set(parts.index) & set(timed["id"])
    assert parts.to_dict() == {
        "china-tariff-list-106-goods": "overnight",  # Beijing daytime
        "trump-threatens-200bn": "after-close",  # Monday evening in New York
        "china-10pct-soybeans-2025": "overnight",  # Beijing daytime
        "china-34pct-retaliation": "pre-open",  # before the day session
        "geneva-joint-statement": "overnight",  # early morning in Geneva
        "china-lifts-farm-tariffs": "overnight",  # Beijing daytime
        "takaichi-taiwan-remarks": "overnight",  # Tokyo daytime
        # the Trump-Xi contacts (tests/test_contacts.py)
        "call-2017-02-09": "after-close",
        "call-2017-04-11": "after-close",
        "call-2017-08-11": "after-close",
        "call-2017-09-18": "after-close",
        "call-2020-02-07": "overnight",
        "call-2020-03-27": "overnight",
    }


def test_article_sentences_are_quoted_verbatim():
    text = Path(__file__).resolve().parents[2] / "shared" / "article" / "trump-xi-call.txt"
    if not text.is_file():
        pytest.skip("article not available")
    article = text.read_text(encoding="utf-8")
    events = load_events(DEFAULT_EVENTS)
    for source in events.loc[events["in_article"], "source"]:
        quoted = re.search(r"\u201c(?:\.\.\. )?(.*?)\u201d$", source).group(1)
        assert quoted in article, quoted


def test_minimal_file_with_id_and_date_only():
    events = load_events(FIXTURES / "events_minimal.csv")
    assert events["id"].tolist() == ["a", "b", "c"]
    assert events["time"].isna().all() and events["tz"].isna().all()
    assert events["timing"].isna().all()  # a file without the column
    assert events["direction"].tolist() == [0, 0, 0]
    assert not events["in_article"].any()
    aligned = align_events(events, "ZS=F")
    assert [None if pd.isna(d) else str(d.date()) for d in aligned["trade_date"]] == [
        "2025-11-24",
        "2025-11-24",
        None,  # Monday; Saturday -> Monday; no date
    ]
    assert aligned["rule"].tolist() == ["date-only", "date-only-closed-next", "pending"]
    assert aligned["status"].tolist() == ["aligned", "aligned", "pending"]


BROKEN_PROBLEMS = [
    r"line 3, column 'date': cannot read '2025-13-01' as a date; write YYYY-MM-DD",
    r"line 4, column 'tz': time '16:35' has no time zone; add the IANA name",
    r"line 5, column 'tz': unknown time zone 'Mars/Olympus'; use an IANA name",
    r"line 6, column 'id': duplicate id 'good' \(first on line 2\); make every id unique",
    r"line 7, column 'category': category must be one of 'meeting', 'call', 'visit', "
    r"'tariff', 'truce', 'deal', 'purchase', 'geopolitics'; got 'summit'; use one of these",
    r"line 8, column 'direction': direction must be -1, 0 or 1; got '2'",
    r"line 9, column 'time': cannot read '25:00' as a clock time; write HH:MM",
    r"line 10, column 'time': 2025-03-09 02:30 does not exist in America/Chicago",
    r"line 11, column 'in_article': in_article must be true or false; got 'maybe'",
    r"line 12, column 'id': empty id; give every event a unique short name",
]


def test_broken_file_lists_every_problem():
    path = FIXTURES / "events_broken.csv"
    with pytest.raises(
        EventFileError, match=r"events_broken.csv: 10 problems in the events file"
    ) as info:
        load_events(path)
    err = info.value
    assert err.path == str(path)
    assert len(err.problems) == len(BROKEN_PROBLEMS)
    for problem, pattern in zip(err.problems, BROKEN_PROBLEMS, strict=True):
        assert re.match(pattern, problem), (problem, pattern)


def test_missing_required_column():
    with pytest.raises(
        EventFileError,
        match=r"line 1, column 'date': missing required column 'date'; add it to the header "
        r"\(the header is 'id,when'",
    ):
        load_events(FIXTURES / "events_missing_column.csv")


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("", r"line 1: the file is empty; the first line must name the columns"),
        ("id,date\na,2025-11-24,extra\n", r"line 2: 3 fields but the header has 2 columns; quote"),
        (
            "id,date,time\na,2025-11-24,10:00\n",
            r"line 2, column 'tz': time '10:00' has no time zone",
        ),
        (
            "id,date,time,tz\na,,10:00,Asia/Tokyo\n",
            r"line 2, column 'time': time '10:00' without a date",
        ),
        ("id,date\na,24/11/2025\n", r"line 2, column 'date': cannot read '24/11/2025' as a date"),
        ("id,date,tz\na,2025-11-24,CST\n", r"line 2, column 'tz': unknown time zone 'CST'"),
        ("id,id,date\na,a,2025-11-24\n", r"line 1, column 'id': the column appears twice"),
        (
            "id,date,timing\na,2025-11-24,evening\n",
            r"line 2, column 'timing': timing must be one of 'overnight', 'pre-open', "
            r"'day-session', 'after-close'; got 'evening'; use one of these",
        ),
        (
            "id,date,time,tz,timing\na,2025-11-24,16:35,America/New_York,after-close\n",
            r"line 2, column 'timing': timing 'after-close' together with time '16:35'; "
            r"give either a clock time or a timing, not both",
        ),
        (
            "id,date,timing\na,,overnight\n",
            r"line 2, column 'timing': timing 'overnight' without a date; add the date",
        ),
    ],
)
def test_single_problems(tmp_path, content, pattern):
    path = tmp_path / "events.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EventFileError, match=pattern):
        load_events(path)


def test_timing_problems_are_listed_with_the_others(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,date,time,tz,timing\n"
        "ok,2025-11-24,,,after-close\n"
        "typo,2025-11-24,,,After-Close\n"
        "both,2025-11-24,09:00,America/Chicago,day-session\n"
        "bad-date,2025-02-30,,,overnight\n",
        encoding="utf-8",
    )
    with pytest.raises(EventFileError, match=r"3 problems in the events file") as info:
        load_events(path)
    patterns = [
        r"line 3, column 'timing': timing must be one of .*; got 'After-Close'",
        r"line 4, column 'timing': timing 'day-session' together with time '09:00'",
        r"line 5, column 'date': cannot read '2025-02-30' as a date",
    ]
    assert len(info.value.problems) == len(patterns)
    for problem, pattern in zip(info.value.problems, patterns, strict=True):
        assert re.match(pattern, problem), (problem, pattern)


def test_missing_file(tmp_path):
    with pytest.raises(
        EventFileError, match=r"nope.csv: 1 problem in the events file\n  the file does not exist"
    ):
        load_events(tmp_path / "nope.csv")


def test_multiline_quoted_field_keeps_line_numbers(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text('id,date,notes\na,2025-11-24,"two\nlines"\nb,2025-99-01,\n', encoding="utf-8")
    with pytest.raises(EventFileError, match=r"line 4, column 'date'"):
        load_events(path)


def test_unknown_column_is_kept_and_logged(tmp_path, caplog):
    path = tmp_path / "events.csv"
    path.write_text("id,date,catgory\na,2025-11-24,call\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="eventstudy.events"):
        events = load_events(path)
    assert events["catgory"].tolist() == ["call"]
    assert "column 'catgory' is not one of" in caplog.text


def test_typed_table_of_a_file_with_every_column(tmp_path, caplog):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,date,time,tz,timing,title,category,direction,in_article,source,notes,extra\n"
        "a,2025-11-20,10:00,America/Chicago,,t,tariff,-1,TRUE,s,n,x\n"
        "b,2025-11-02,01:30,America/New_York,,t,call,+1,no,,,\n"
        " c , 2025-11-22 ,,, after-close ,t,,0,1,,,y\n"
        "d,,,,,pending,,,,,,\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="eventstudy.events"):
        events = load_events(path)
    expected = pd.DataFrame({
        "id": pd.Series(["a", "b", "c", "d"], dtype="str"),
        "date": pd.to_datetime(["2025-11-20", "2025-11-02", "2025-11-22", None]).astype(
            "datetime64[ns]"),
        "time": pd.Series(["10:00", "01:30", None, None], dtype="object"),
        "tz": pd.Series(["America/Chicago", "America/New_York", None, None], dtype="object"),
        "timing": pd.Series([None, None, "after-close", None], dtype="object"),
        "title": pd.Series(["t", "t", "t", "pending"], dtype="str"),
        "category": pd.Series(["tariff", "call", None, None], dtype="object"),
        "direction": pd.Series([-1, 1, 0, 0], dtype="Int64"),
        "in_article": [True, False, True, False],
        "source": pd.Series(["s", "", "", ""], dtype="str"),
        "notes": pd.Series(["n", "", "", ""], dtype="str"),
        "extra": pd.Series(["x", "", "y", ""], dtype="str"),
    })
    pd.testing.assert_frame_equal(events, expected, check_exact=True)
    assert events.attrs == {"path": str(path), "lines": (2, 3, 4, 5)}
    assert "line 3: 2025-11-02 01:30 occurs twice in America/New_York" in caplog.text


@pytest.mark.parametrize(
    "text, ids, lines",
    [
        ('id,date,notes\na,2025-11-24,"two\nlines, quoted"\nb,2025-11-25,\n', ["a", "b"], (2, 4)),
        # a line of commas is a blank record (spreadsheet exports end with some): skipped
        ("id,date,title\na,2025-11-20,t\n,,\nb,2025-11-21,\n , \u00a0,\n", ["a", "b"], (2, 4)),
        ("id,date\r\na,2025-11-20\r\n\r\nb,\r\n", ["a", "b"], (2, 4)),
    ],
)
def test_rows_keep_their_file_lines(tmp_path, text, ids, lines):
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8", newline="")
    events = load_events(path)
    assert events["id"].tolist() == ids and events.attrs["lines"] == lines


def test_line_numbers_are_shared_not_copied(tmp_path):
    import copy

    path = tmp_path / "events.csv"
    path.write_text("id,date\na,2025-11-20\n\nb,2025-11-21\n", encoding="utf-8")
    events = load_events(path)
    assert events.attrs["lines"] == (2, 4)
    # pandas deep-copies attrs on every operation; the line numbers are immutable
    assert copy.deepcopy(events.attrs)["lines"] is events.attrs["lines"]
    assert events.head(1).attrs["lines"] is events.attrs["lines"]


# --------------------------------------------------------------------------- alignment


def test_rules_table_is_complete():
    assert set(r for _, r in EXPECTED.values()) == set(RULES)


@pytest.mark.parametrize("event_id", sorted(EXPECTED))
def test_tricky_times(tricky, event_id):
    trade_date, rule = EXPECTED[event_id]
    row = tricky.loc[event_id]
    assert row["rule"] == rule
    if trade_date is None:
        assert pd.isna(row["trade_date"]) and row["status"] == "pending"
    else:
        assert row["trade_date"] == pd.Timestamp(trade_date)
        assert row["status"] == "aligned"


def test_exchange_time_matches_zoneinfo(tricky):
    """The Chicago clock time agrees with a conversion done by ``zoneinfo`` alone."""
    raw = load_events(FIXTURES / "events_tricky.csv").set_index("id")
    timed = raw[raw["time"].notna()]
    for ident, row in timed.iterrows():
        hh, mm = map(int, row["time"].split(":"))
        local = dt.datetime.combine(row["date"].date(), dt.time(hh, mm), ZoneInfo(row["tz"]))
        expected = local.astimezone(CHICAGO)
        got = tricky.loc[ident, "exchange_time"]
        # Compare instants and wall clocks: across tzinfo implementations (pytz under
        # pandas 2, zoneinfo under pandas 3) Python never equates times of a repeated hour.
        got_utc = got.tz_convert("UTC").to_pydatetime()
        assert got_utc == expected.astimezone(dt.timezone.utc), ident
        assert got.to_pydatetime().replace(tzinfo=None) == expected.replace(tzinfo=None), ident
        assert got.utcoffset() == expected.utcoffset(), ident
    # daylight saving time on each side: Busan in CDT, the repeated hour read as CDT
    assert tricky.loc["busan-seoul", "exchange_time"] == pd.Timestamp(
        "2025-10-29 21:00", tz="America/Chicago"
    )
    assert tricky.loc["repeated-hour", "exchange_time"].utcoffset() == dt.timedelta(hours=-5)
    assert tricky.loc["tokyo-after-fall-back", "exchange_time"].utcoffset() == dt.timedelta(
        hours=-6
    )


def test_early_close_from_the_calendar(cal):
    """Day after Thanksgiving: one minute before the calendar's early close, and at it."""
    close = cal.sessions("2025-11-28", "2025-11-28")["close"].iloc[0]
    assert close.hour < 13  # an early close, not 13:20
    before, at = close - pd.Timedelta(minutes=1), close
    events = pd.DataFrame(
        {
            "id": ["before", "at"],
            "date": pd.to_datetime([before.date(), at.date()]),
            "time": [before.strftime("%H:%M"), at.strftime("%H:%M")],
            "tz": ["America/Chicago"] * 2,
        }
    )
    aligned = align_events(events, cal)
    assert aligned["rule"].tolist() == ["day-session", "after-close-next"]
    assert aligned["trade_date"].tolist() == [
        pd.Timestamp("2025-11-28"),
        pd.Timestamp("2025-12-01"),
    ]


def _reference_trade_date(cal, when: dt.datetime) -> pd.Timestamp:
    """Scalar reference: before the close of a trade date -> that date, else the next one.

    Every CBOT grain session opens at 19:00 CT on the evening before its trade
    date, so any instant before a trade date's close (and after the previous
    close) belongs to it; any other instant belongs to the next trade date.
    """
    local = when.astimezone(CHICAGO)
    day = pd.Timestamp(local.date())
    if cal.is_trade_date(day):
        close = cal.sessions(day, day)["close"].iloc[0].to_pydatetime()
        if local < close:
            return day
    return cal.next_trade_date(day, inclusive=False)


def test_random_times_match_reference(cal):
    rng = np.random.default_rng(20251124)
    zones = [
        "America/Chicago",
        "America/New_York",
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Europe/Zurich",
        "Europe/London",
        "Asia/Seoul",
        "UTC",
    ]
    n = 400
    start = pd.Timestamp("2018-01-01").value // 60_000_000_000
    minutes = rng.integers(0, 8 * 365 * 1440, size=n)
    rows = []
    for i in range(n):
        zone = zones[i % len(zones)]
        naive = pd.Timestamp((start + int(minutes[i])) * 60_000_000_000)
        local = naive.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
        rows.append((f"e{i}", local.tz_localize(None).normalize(), local.strftime("%H:%M"), zone))
    events = pd.DataFrame(rows, columns=["id", "date", "time", "tz"])
    aligned = align_events(events, cal)
    for row, got in zip(rows, aligned["trade_date"], strict=True):
        ident, day, clock, zone = row
        hh, mm = map(int, clock.split(":"))
        when = dt.datetime.combine(day.date(), dt.time(hh, mm), ZoneInfo(zone))
        assert got == _reference_trade_date(cal, when), (ident, when.isoformat())


def _reference_timing_date(cal, day: pd.Timestamp, timing) -> pd.Timestamp:
    """Scalar reference: after the close of a trade date -> the next one; else that date or
    the next trade date."""
    if timing == "after-close" and cal.is_trade_date(day):
        return cal.next_trade_date(day, inclusive=False)
    return cal.next_trade_date(day)


def test_random_timings_match_reference(cal):
    rng = np.random.default_rng(20180618)
    n = 300
    days = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 8 * 365, n), unit="D")
    parts = [None, *TIMINGS]
    timing = [parts[i % len(parts)] for i in range(n)]
    events = pd.DataFrame({"id": [f"e{i}" for i in range(n)], "date": days, "timing": timing})
    aligned = align_events(events, cal)
    for day, part, got, rule in zip(
        days, timing, aligned["trade_date"], aligned["rule"], strict=True
    ):
        assert got == _reference_timing_date(cal, day, part), (day, part)
        if not cal.is_trade_date(day):
            assert rule == ("date-only-closed-next" if part is None else "reported-closed-next")
        elif part is None:
            assert rule == "date-only"
        else:
            assert rule == f"reported-{part}" + ("-next" if part == "after-close" else "")


@pytest.mark.parametrize(
    ("timing", "time", "date", "pattern"),
    [
        (
            "evening",
            None,
            "2025-11-24",
            r"events 'a': timing must be one of 'overnight', 'pre-open', 'day-session', "
            r"'after-close'; got 'evening'",
        ),
        (
            "after-close",
            "16:00",
            "2025-11-24",
            r"events 'a' have both a time and a timing; give either a clock time or a timing",
        ),
        ("overnight", None, None, r"events 'a' have a timing but no date; add the date"),
    ],
)
def test_align_checks_timing_of_a_table(cal, timing, time, date, pattern):
    events = pd.DataFrame(
        {
            "id": ["a"],
            "date": pd.to_datetime([date]),
            "time": [time],
            "tz": ["America/New_York" if time else None],
            "timing": [timing],
        }
    )
    with pytest.raises(EventAlignmentError, match=pattern):
        align_events(events, cal)


def test_catalogue_alignment(cal):
    aligned = align_events(load_events(DEFAULT_EVENTS), cal, last_date="2026-01-13").set_index("id")
    assert aligned.loc["busan-meeting", "trade_date"] == pd.Timestamp("2025-10-30")
    assert aligned.loc["busan-meeting", "rule"] == "overnight"
    assert aligned.loc["trump-xi-call", "trade_date"] == pd.Timestamp("2025-11-24")
    assert aligned.loc["trump-xi-call", "rule"] == "date-only"
    # Monday evening in New York, after the close: first priced on Tuesday
    assert aligned.loc["trump-threatens-200bn", "trade_date"] == pd.Timestamp("2018-06-19")
    assert aligned.loc["trump-threatens-200bn", "rule"] == "reported-after-close-next"
    assert aligned.loc["china-34pct-retaliation", "rule"] == "reported-pre-open"
    assert aligned.loc["geneva-joint-statement", "trade_date"] == pd.Timestamp("2025-05-12")
    assert aligned.loc["geneva-joint-statement", "rule"] == "reported-overnight"
    # every dated event without a time: by the scalar reference of its timing
    dated = aligned[aligned["date"].notna() & aligned["time"].isna()]
    for ident, row in dated.iterrows():
        expected = _reference_timing_date(cal, row["date"], row["timing"])
        assert row["trade_date"] == expected, ident
    assert (aligned["status"] == "pending").sum() == 2
    assert (aligned["status"] == "after-data").sum() == 0


def test_after_data_is_reported_and_logged(cal, caplog):
    events = pd.DataFrame(
        {"id": ["in", "out"], "date": pd.to_datetime(["2026-01-13", "2026-02-02"])}
    )
    with caplog.at_level(logging.WARNING, logger="eventstudy.events"):
        aligned = align_events(events, cal, last_date="2026-01-13")
    assert aligned["status"].tolist() == ["aligned", "after-data"]
    assert aligned["trade_date"].iloc[1] == pd.Timestamp("2026-02-02")
    assert (
        "event 'out': trade date 2026-02-02 is after the last price date 2026-01-13" in caplog.text
    )


def test_align_needs_id_and_date():
    with pytest.raises(EventAlignmentError, match=r"events need the columns 'id' and 'date'"):
        align_events(pd.DataFrame({"id": ["a"]}), "ZS=F")


# --------------------------------------------------------------------------- positions


def test_cli_json_on_the_catalogue(prices_dir, capsys):
    assert main(["events", "--asset", "ZS=F", "--json", "--prices-dir", str(prices_dir)]) == 0
    records = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["busan-meeting"]["trade_date"] == "2025-10-30"
    assert records["trump-xi-call"]["trade_date"] == "2025-11-24"
    assert records["trump-xi-call"]["time"] is None
    assert records["trump-beijing-visit"]["trade_date"] is None
    assert records["trump-beijing-visit"]["status"] == "pending"
    assert records["trump-threatens-200bn"]["timing"] == "after-close"
    assert records["trump-threatens-200bn"]["trade_date"] == "2018-06-19"
    assert records["trump-threatens-200bn"]["rule"] == "reported-after-close-next"
    assert records["trump-xi-call"]["timing"] is None
    for rec in records.values():
        assert rec["timing"] in (None, *TIMINGS)
        assert {
            "id",
            "date",
            "time",
            "tz",
            "timing",
            "trade_date",
            "rule",
            "status",
            "title",
            "category",
            "direction",
        } <= set(rec)
        assert rec["rule"] in RULES


def test_cli_json_tricky_file(prices_dir, capsys):
    path = FIXTURES / "events_tricky.csv"
    assert main(["events", "--asset", "ZS=F", "--events", str(path), "--json",
                 "--prices-dir", str(prices_dir)]) == 0
    records = json.loads(capsys.readouterr().out)
    got = {r["id"]: (r["trade_date"], r["rule"]) for r in records}
    assert got == EXPECTED


def test_cli_text_table(prices_dir, capsys):
    assert (
        main(
            [
                "events",
                "--asset",
                "ZS=F",
                "--events",
                str(FIXTURES / "events_minimal.csv"),
                "--prices-dir",
                str(prices_dir),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "3 events: 2 aligned, 1 pending, 0 after the last price" in out
    assert "last price date of ZS=F: 2026-01-13" in out
    assert re.search(
        r"\bb\s+2025-11-22\s+-\s+-\s+2025-11-24\s+date-only-closed-next\s+aligned", out
    )


def test_cli_text_table_shows_timing(prices_dir, capsys):
    assert (
        main(
            [
                "events",
                "--asset",
                "ZS=F",
                "--events",
                str(FIXTURES / "events_tricky.csv"),
                "--prices-dir",
                str(prices_dir),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert re.search(
        r"\btiming-friday-after-close\s+2025-11-21\s+after-close\s+-\s+2025-11-24\s+"
        r"reported-after-close-next\s+aligned",
        out,
    )


def test_cli_broken_file_exits_2(capsys):
    assert main(["events", "--asset", "ZS=F", "--events", str(FIXTURES / "events_broken.csv"),
                 "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith("error: ") and lines[0].endswith("10 problems in the events file")
    for line, pattern in zip(lines[1:], BROKEN_PROBLEMS, strict=True):
        assert re.match("  " + pattern, line), (line, pattern)


def test_report_without_prices_warns_and_aligns(tmp_path, caplog):
    empty = tmp_path / "prices"
    empty.mkdir()
    with caplog.at_level(logging.WARNING, logger="eventstudy.events"):
        records = events_report(FIXTURES / "events_minimal.csv", asset="ZS=F", prices_dir=empty,
                                as_json=True)
    assert "no prices for ZS=F" in caplog.text
    assert [r["trade_date"] for r in records] == ["2025-11-24", "2025-11-24", None]
    assert [r["status"] for r in records] == ["aligned", "aligned", "pending"]


def test_calendar_without_overnight_session():
    """NYSE (SPY): no break, no overnight; before the open is that day's pre-open."""
    events = pd.DataFrame(
        {
            "id": ["early", "day", "late", "saturday"],
            "date": pd.to_datetime(["2025-11-24", "2025-11-24", "2025-11-24", "2025-11-22"]),
            "time": ["08:00", "10:00", "16:00", "10:00"],
            "tz": ["America/New_York"] * 4,
        }
    )
    aligned = align_events(events, "SPY")
    rules = ["pre-open", "day-session", "after-close-next", "closed-next"]
    assert aligned["rule"].tolist() == rules
    assert aligned["trade_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-11-24",
        "2025-11-24",
        "2025-11-25",  # 16:00 is the NYSE close
        "2025-11-24",
    ]


def test_single_digit_hour_is_read(tmp_path, cal):
    path = tmp_path / "events.csv"
    path.write_text("id,date,time,tz\na,2025-11-24,9:05,America/Chicago\n", encoding="utf-8")
    aligned = align_events(load_events(path), cal)
    expected = pd.Timestamp("2025-11-24 09:05", tz="America/Chicago")
    assert aligned["exchange_time"].iloc[0] == expected
    assert aligned["rule"].iloc[0] == "day-session"


def test_file_without_quotes_reads_as_with_them(tmp_path):
    # a file without a quote is split at its commas; one quote sends it through csv
    rows = ["id,date,timing,title,direction", "a,2025-01-02,overnight,first,1", "",
            "b ,2025-01-03,, second ,-1\r", "c,,,pending,0"]
    plain, quoted = tmp_path / "plain.csv", tmp_path / "quoted.csv"
    plain.write_text("\n".join(rows) + "\n", newline="")
    quoted.write_text("\n".join(rows).replace("first", '"first"') + "\n", newline="")
    a, b = load_events(plain), load_events(quoted)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.attrs["lines"]) == [2, 4, 5]
    assert list(a["id"]) == ["a", "b", "c"] and list(a["title"]) == ["first", "second", "pending"]

"""Every direct Trump-Xi contact of the catalogue (2017-2025): rows, trade dates, study.

Each expected trade date ("day 0") is derived by hand from the CBOT grain
session in Chicago time (America/Chicago) and the rules of ``data/README.md``:
the overnight session 19:00-07:45 belongs to the trade date of the next
morning, the break is 07:45-08:30, the day session 08:30-13:20; the exchange is
closed on Saturdays and until 19:00 on Sundays (the Sunday-evening session is
Monday's trade date) and on exchange holidays. A date with the timing
``after-close`` is priced on the next trade date; a date only, on that date or,
on a closed day, on the next trade date. Chicago is UTC-6 in winter (CST) and
UTC-5 in summer (CDT); New York is one hour ahead of Chicago all year, Beijing
(UTC+8, no daylight saving time) 14 hours ahead of CST and 13 ahead of CDT.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.config import load_study
from eventstudy.events import DEFAULT_EVENTS, align_events, load_events

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "studies" / "trump_xi_contacts.toml"

# id -> (trade date, rule). The reported time and its reading are in the notes
# column of the catalogue; the comment gives the Chicago time and the session.
CONTACTS = {
    # "Thursday evening" (White House): after the 13:20 close -> Friday
    "call-2017-02-09": ("2017-02-10", "reported-after-close-next"),
    # two-day summit dated by its outcome, Friday; date only
    "meeting-2017-04-07-mar-a-lago": ("2017-04-07", "date-only"),
    # "last night" said on 04-12: the US night of Tuesday 04-11 -> Wednesday
    "call-2017-04-11": ("2017-04-12", "reported-after-close-next"),
    # Sunday, closed -> Monday
    "call-2017-04-23": ("2017-04-24", "date-only-closed-next"),
    # Sunday in the US, Monday in Beijing: Sunday, closed or Monday's session -> Monday
    "call-2017-07-02": ("2017-07-03", "date-only-closed-next"),
    # Saturday, Hamburg G20 -> Monday
    "meeting-2017-07-08-hamburg": ("2017-07-10", "date-only-closed-next"),
    # "late Friday evening on the East Coast" -> Monday
    "call-2017-08-11": ("2017-08-14", "reported-after-close-next"),
    # "late Monday" read as the US evening -> Tuesday
    "call-2017-09-18": ("2017-09-19", "reported-after-close-next"),
    "call-2017-10-25": ("2017-10-25", "date-only"),
    # state visit 11-08/10 dated by the day of the talks and the deals, Thursday
    "meeting-2017-11-09-beijing": ("2017-11-09", "date-only"),
    "call-2017-11-29": ("2017-11-29", "date-only"),
    # Monday 2018-01-15 is Martin Luther King Jr. Day (closed) -> Tuesday, the CCTV date
    "call-2018-01-15": ("2018-01-16", "date-only-closed-next"),
    "call-2018-03-09": ("2018-03-09", "date-only"),
    # 08:30 EDT = 07:30 CDT, before the 07:45 break: overnight session of 05-08
    "call-2018-05-08": ("2018-05-08", "overnight"),
    # tweet in the US morning: one trade date, date only
    "call-2018-11-01": ("2018-11-01", "date-only"),
    # Saturday, Buenos Aires G20 dinner -> Monday
    "g20-buenos-aires-truce": ("2018-12-03", "date-only-closed-next"),
    # Saturday -> Monday 12-31
    "call-2018-12-29": ("2018-12-31", "date-only-closed-next"),
    "call-2019-06-18": ("2019-06-18", "date-only"),
    # Saturday, Osaka G20 -> Monday
    "meeting-2019-06-29-osaka": ("2019-07-01", "date-only-closed-next"),
    "call-2019-12-20": ("2019-12-20", "date-only"),
    # Beijing morning of 02-07 = 02-06 evening in Chicago: overnight of 02-07
    "call-2020-02-07": ("2020-02-07", "reported-overnight"),
    # late Thursday night in the US / early Friday: the night before Friday's session
    "call-2020-03-27": ("2020-03-27", "reported-overnight"),
    # Beijing evening = 04:00-10:00 CST of 01-17: one trade date, date only
    "call-2025-01-17": ("2025-01-17", "date-only"),
    # Xinhua report seen 09:27 EDT = 08:27 CDT, in the break
    "call-2025-06-05": ("2025-06-05", "pre-open"),
    # 08:00 EDT = 07:00 CDT: overnight session of 09-19
    "call-2025-09-19": ("2025-09-19", "overnight"),
    # 11:00 Seoul = 10-29 21:00 CDT: overnight session of 10-30
    "busan-meeting": ("2025-10-30", "overnight"),
    # US morning / Beijing evening of 11-24: one trade date, date only
    "trump-xi-call": ("2025-11-24", "date-only"),
}


@pytest.fixture(scope="module")
def events():
    return load_events(DEFAULT_EVENTS)


@pytest.fixture(scope="module")
def aligned(events):
    return align_events(events, "ZS=F", last_date="2026-01-13").set_index("id")


def _contacts(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["agriculture"] != ""]


# --------------------------------------------------------------------------- rows


def test_the_contacts_are_the_rows_with_an_agriculture_value(events):
    contacts = _contacts(events)
    assert contacts["id"].tolist() == list(CONTACTS)  # and in date order
    assert len(contacts) == 27
    assert set(contacts["agriculture"]) == {"yes", "no", "indirect"}
    assert events.loc[events["agriculture"] == "", "id"].nunique() == len(events) - 27
    kinds = contacts.set_index("id")["category"]
    # the 2018 G20 dinner keeps its category: the truce it agreed
    assert kinds.drop("g20-buenos-aires-truce").isin(["call", "meeting"]).all()
    assert kinds["g20-buenos-aires-truce"] == "truce"
    assert (kinds == "call").sum() == 21
    assert (kinds == "meeting").sum() == 5
    for ident, kind in kinds.items():
        if kind in ("call", "meeting"):
            assert ident.startswith(f"{kind}-") or ident in ("busan-meeting", "trump-xi-call")
    # only the article's own contacts are in the article
    article = contacts.loc[contacts["in_article"], "id"].tolist()
    assert article == ["busan-meeting", "trump-xi-call"]
    assert contacts["direction"].isin([0, 1]).all()  # no contact escalated


def test_agriculture_values_follow_the_reports(events):
    farm = _contacts(events).set_index("id")["agriculture"]
    assert sorted(farm[farm == "yes"].index) == [
        "busan-meeting",
        "call-2019-12-20",  # "large scale purchases of agricultural product"
        "g20-buenos-aires-truce",  # farm goods "immediately"
        "meeting-2017-04-07-mar-a-lago",  # farm policy raised
        "meeting-2017-11-09-beijing",  # farm imports pledged
        "meeting-2019-06-29-osaka",  # "tremendous" farm buying
        "trump-xi-call",
    ]
    assert sorted(farm[farm == "indirect"].index) == [
        "call-2018-12-29",  # soybeans credited on Dec 31
        "call-2020-02-07",  # Phase One purchase goals
        "call-2025-09-19",  # little agriculture
    ]


def test_agriculture_is_kept_as_text_by_the_loader_and_the_aligner(events, aligned):
    assert "agriculture" in events.columns
    assert events["agriculture"].map(type).eq(str).all()
    assert aligned.loc["trump-xi-call", "agriculture"] == "yes"
    assert aligned.loc["liberation-day-tariffs", "agriculture"] == ""  # not a contact


def test_clock_times_and_timings_only_where_reported(events):
    contacts = _contacts(events).set_index("id")
    timed = contacts[contacts["time"].notna()]
    assert timed[["time", "tz"]].apply(tuple, axis=1).to_dict() == {
        "call-2018-05-08": ("08:30", "America/New_York"),  # "this morning at 8:30"
        "call-2025-06-05": ("09:27", "America/New_York"),  # Xinhua report seen 9:27 a.m. EDT
        "call-2025-09-19": ("08:00", "America/New_York"),  # "began at 8 am US time"
        "busan-meeting": ("11:00", "Asia/Seoul"),
    }
    assert contacts["timing"].dropna().to_dict() == {
        "call-2017-02-09": "after-close",  # "Thursday evening"
        "call-2017-04-11": "after-close",  # "last night"
        "call-2017-08-11": "after-close",  # "late Friday evening on the East Coast"
        "call-2017-09-18": "after-close",  # "late Monday"
        "call-2020-02-07": "overnight",  # "morning of 7 February", Beijing time
        "call-2020-03-27": "overnight",  # "late last night (Friday Beijing time)"
    }


def test_multi_day_meetings_are_dated_by_the_day_of_their_outcome(events):
    rows = events.set_index("id")
    # Mar-a-Lago: dinner Thursday 04-06, talks and the 100-day plan Friday 04-07
    assert rows.loc["meeting-2017-04-07-mar-a-lago", "date"] == pd.Timestamp("2017-04-07")
    # Beijing state visit 11-08 to 11-10: talks and deals on Thursday 11-09
    assert rows.loc["meeting-2017-11-09-beijing", "date"] == pd.Timestamp("2017-11-09")
    for ident in ("meeting-2017-04-07-mar-a-lago", "meeting-2017-11-09-beijing"):
        assert "dated by the day its outcome was announced" in rows.loc[ident, "notes"].lower()
        assert pd.isna(rows.loc[ident, "time"]) and pd.isna(rows.loc[ident, "timing"])


# --------------------------------------------------------------------------- trade dates


@pytest.mark.parametrize(("ident", "expected"), CONTACTS.items(), ids=list(CONTACTS))
def test_contact_trade_date(aligned, ident, expected):
    trade_date, rule = expected
    assert aligned.loc[ident, "trade_date"] == pd.Timestamp(trade_date)
    assert aligned.loc[ident, "rule"] == rule
    assert aligned.loc[ident, "status"] == "aligned"


def test_saturday_call_2018_12_29(aligned):
    # Saturday: no session; the next session opens Sunday 19:00 CT and is the
    # trade date of Monday 2018-12-31 (a normal session, New Year's Day is 01-01).
    row = aligned.loc["call-2018-12-29"]
    assert row["date"].day_name() == "Saturday"
    assert (row["trade_date"], row["rule"]) == (
        pd.Timestamp("2018-12-31"),
        "date-only-closed-next",
    )


def test_late_friday_evening_call_2017_08_11(aligned):
    # "Late Friday evening on the East Coast": after 14:20 New York time (the
    # 13:20 CDT close), no session until Sunday 19:00 CT -> Monday 2017-08-14.
    row = aligned.loc["call-2017-08-11"]
    assert row["timing"] == "after-close"
    assert (row["trade_date"], row["rule"]) == (
        pd.Timestamp("2017-08-14"),
        "reported-after-close-next",
    )


def test_call_at_8_am_eastern_2025_09_19(aligned):
    # "Began at 8 am US time (1200 GMT)": 08:00 EDT = 07:00 CDT, 45 minutes before
    # the break of Friday 2025-09-19: the overnight session of that trade date.
    row = aligned.loc["call-2025-09-19"]
    assert row["exchange_time"] == pd.Timestamp("2025-09-19 07:00", tz="America/Chicago")
    assert row["exchange_time"] == pd.Timestamp("2025-09-19 12:00", tz="UTC")
    assert (row["trade_date"], row["rule"]) == (pd.Timestamp("2025-09-19"), "overnight")


def test_evening_beijing_time_call_2025_01_17(aligned):
    # "Evening of January 17", Beijing time, no clock time: 18:00-24:00 at UTC+8 is
    # 04:00-10:00 CST of 01-17 (overnight, break and day session of one trade
    # date), so no timing and no time: the date-only rule gives Friday 2025-01-17.
    row = aligned.loc["call-2025-01-17"]
    assert pd.isna(row["time"]) and pd.isna(row["timing"])
    assert (row["trade_date"], row["rule"]) == (pd.Timestamp("2025-01-17"), "date-only")
    # the range's ends, as a check of the conversion
    beijing = pd.Timestamp("2025-01-17 18:00", tz="Asia/Shanghai")
    assert beijing.tz_convert("America/Chicago") == pd.Timestamp(
        "2025-01-17 04:00", tz="America/Chicago"
    )


def test_the_article_call_2025_11_24(aligned):
    # "Morning of Nov 24" (White House, US time: 05:00-11:00 CST) and "evening of
    # November 24" (Xinhua, Beijing: 04:00-10:00 CST): both inside trade date
    # Monday 2025-11-24 (overnight, break, day session); date only.
    row = aligned.loc["trump-xi-call"]
    assert pd.isna(row["time"]) and pd.isna(row["timing"])
    assert (row["trade_date"], row["rule"]) == (pd.Timestamp("2025-11-24"), "date-only")


def test_this_morning_at_830_call_2018_05_08(aligned):
    # "This morning at 8:30" (Trump's tweet, US Eastern): 08:30 EDT = 07:30 CDT, 15
    # minutes before the 07:45 break: the overnight session of Tuesday 2018-05-08.
    row = aligned.loc["call-2018-05-08"]
    assert row["exchange_time"] == pd.Timestamp("2018-05-08 07:30", tz="America/Chicago")
    assert (row["trade_date"], row["rule"]) == (pd.Timestamp("2018-05-08"), "overnight")


def test_xinhua_report_in_the_break_2025_06_05(aligned):
    # Xinhua report seen 09:27 EDT = 08:27 CDT: in the 07:45-08:30 break.
    row = aligned.loc["call-2025-06-05"]
    assert row["exchange_time"] == pd.Timestamp("2025-06-05 08:27", tz="America/Chicago")
    assert (row["trade_date"], row["rule"]) == (pd.Timestamp("2025-06-05"), "pre-open")


def test_holiday_call_2018_01_15(aligned):
    # Monday per the White House: Martin Luther King Jr. Day, the exchange is
    # closed; the next session (opening that evening at 19:00 CT) is Tuesday's.
    row = aligned.loc["call-2018-01-15"]
    assert (row["trade_date"], row["rule"]) == (
        pd.Timestamp("2018-01-16"),
        "date-only-closed-next",
    )


def test_contacts_have_their_own_trade_dates(aligned):
    days = _contacts(aligned.reset_index())["trade_date"]
    assert days.is_unique


# --------------------------------------------------------------------------- CLI and study


def test_events_json_with_the_agriculture_column(prices_dir, capsys):
    assert main(["events", "--asset", "ZS=F", "--json", "--prices-dir", str(prices_dir)]) == 0
    records = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    for ident, (trade_date, rule) in CONTACTS.items():
        assert (records[ident]["trade_date"], records[ident]["rule"]) == (trade_date, rule)
        assert records[ident]["status"] == "aligned"


def test_the_contacts_study_file():
    study = load_study(STUDY)
    assert list(study.event_ids) == list(CONTACTS)
    assert study.asset == "ZS=F" and study.factors == ("SPY", "UUP")
    assert study.model == "market"
    assert study.windows == ((0, 0), (0, 1), (-1, 1))
    assert study.exclude_other_events and study.other_events == "file"
    assert study.group_by == "category"
    assert study.headline_events == ("trump-xi-call", "busan-meeting")
    assert study.headline_windows == ((0, 0), (0, 1))
    assert study.placebo_draws == 10000
    assert study.events == REPO / "data" / "events.csv"

"""The report's generated sentences, on small hand-made tables with known values."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from eventstudy.exceptions import InferenceError
from eventstudy.quality import DataCheck
from eventstudy.report.findings import (
    article_findings,
    car_row,
    compare_with_peers,
    data_quality_findings,
    day0_moves,
    delivery_note,
    departure_rates,
    detectable_car,
    event_answer,
    event_day0,
    event_sentence,
    events_findings,
    front_contract,
    group_line,
    group_verdicts,
    largest_returns_sentence,
    power_findings,
    power_range,
    power_sentence,
    rejecting_windows,
    robustness_findings,
    rule_counts,
    same_answer,
    series_spans,
    size_findings,
    size_windows,
    thin_day_gap,
    trade_war_findings,
    variant_listing,
    variant_verdicts,
)

BUSAN, CALL = "busan-meeting", "trump-xi-call"
CAR_COLUMNS = ["event_id", "trade_date", "start", "end", "car", "car_se", "df", "p", "sq_p",
               "placebo_p"]


def _car(rows, lead="event-t"):
    """A tidy table whose leading test (the one that holds its size) is ``lead``."""
    from scipy import stats

    frame = pd.DataFrame(rows, columns=CAR_COLUMNS)
    column = {"event-t": "p", "sq": "sq_p", "event-placebo": "placebo_p"}[lead]
    frame = frame.assign(lead_test=lead, lead_p=frame[column], lead_size=0.05)
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    half = stats.t.ppf(0.975, frame["df"]) * frame["car_se"]
    frame["ci_lower"] = frame["car"] - half
    frame["ci_upper"] = frame["car"] + half
    return frame


@pytest.fixture
def zs_car():
    """Busan rejects over [-1, 1] (t test and placebo), the call nowhere."""
    return _car([
        (BUSAN, "2025-10-30", 0, 1, 0.0226, 0.0100, 100, 0.086, 0.106, 0.201),
        (BUSAN, "2025-10-30", -1, 1, 0.0300, 0.0120, 100, 0.040, 0.200, 0.030),
        (CALL, "2025-11-24", 0, 1, -0.0041, 0.0130, 60, 0.757, 0.815, 0.803),
        (CALL, "2025-11-24", -1, 1, 0.0010, 0.0150, 60, 0.900, 0.950, 0.940),
    ])


@pytest.fixture
def soyb_car():
    """No test rejects for either event."""
    return _car([
        (BUSAN, "2025-10-30", 0, 1, 0.0171, 0.0120, 100, 0.177, 0.182, 0.295),
        (BUSAN, "2025-10-30", -1, 1, 0.0150, 0.0140, 100, 0.300, 0.310, 0.320),
        (CALL, "2025-11-24", 0, 1, -0.0044, 0.0120, 60, 0.729, 0.708, 0.794),
        (CALL, "2025-11-24", -1, 1, 0.0020, 0.0140, 60, 0.880, 0.870, 0.860),
    ], lead="sq")


# --------------------------------------------------------------------------- page 1


def _largest(labels):
    return pd.DataFrame({"date": pd.date_range("2020-01-02", periods=len(labels)),
                         "return": np.linspace(0.1, 0.05, len(labels)), "label": labels})


def _check(ticker, first, last, *, missing=0, rolls=0, thin=0, labels=("-",)):
    day = pd.Timestamp(first)
    return DataCheck(
        ticker=ticker, calendar="CBOT", source="snapshot", first=pd.Timestamp(first),
        last=pd.Timestamp(last), rows=10, missing_sessions=[day] * missing,
        roll_days=pd.DataFrame({"date": [day] * rolls}), thin_periods=[(day, day)] * thin,
        largest_returns=_largest(list(labels)))


def test_series_spans_list_each_series_first_and_last_date():
    checks = {"ZS=F": _check("ZS=F", "2017-01-03", "2026-01-13"),
              "SOYB": _check("SOYB", "2019-05-24", "2026-01-29")}
    assert series_spans(checks) == "ZS=F 2017-01-03–2026-01-13, SOYB 2019-05-24–2026-01-29"


def test_largest_returns_sentence_calls_a_majority_of_artefacts_artefacts():
    most = largest_returns_sentence(_largest(["roll", "thin", "roll", "-", "-"]))
    assert most == ("of its 5 largest absolute returns, 2 span a contract switch and 1 fall on "
                    "thin-trading days: most of the largest moves are artefacts of the "
                    "continuous series, which is why the masks exist.")
    # exactly half is not a majority
    half = largest_returns_sentence(_largest(["roll", "thin", "-", "-"]))
    assert half == ("of its 4 largest absolute returns, 1 span a contract switch and 1 fall on "
                    "thin-trading days.")


def test_data_quality_findings_assemble_sources_masks_and_missing_sessions():
    checks = {
        "ZS=F": _check("ZS=F", "2017-01-03", "2026-01-13", rolls=3, thin=2,
                       labels=["roll", "-", "thin"]),
        "SPY": _check("SPY", "2017-01-03", "2026-01-13", missing=1, labels=["roll"] * 3),
    }
    provenance = pd.DataFrame({"source": ["snapshot", "yahoo", "snapshot"]},
                              index=["ZS=F", "SPY", "UUP"])
    assert data_quality_findings(checks, provenance, asset="ZS=F", start="2017-01-01") == (
        "Prices come from **snapshot, yahoo** (ZS=F 2017-01-03–2026-01-13, "
        "SPY 2017-01-03–2026-01-13). Since 2017 the ZS=F series has **3 roll days** and "
        "**2 thin-trading periods**; of its 3 largest absolute returns, 1 span a contract "
        "switch and 1 fall on thin-trading days: most of the largest moves are artefacts of "
        "the continuous series, which is why the masks exist. Missing sessions against the "
        "exchange calendars: ZS=F 0, SPY 1."
    )
    # the counts are those of `asset`, not of the first series
    assert "**0 roll days** and **0 thin-trading periods**; of its 3 largest absolute " \
        "returns, 3 span" in data_quality_findings(checks, provenance, asset="SPY",
                                                   start="2017-01-01")
    with pytest.raises(KeyError, match="UUP"):
        data_quality_findings(checks, provenance, asset="UUP", start="2017-01-01")


# --------------------------------------------------------------------------- page 2


@pytest.fixture
def aligned():
    """Five events: two from 2018 (one moved to the next session), two from 2025, one pending."""
    frame = pd.DataFrame(
        [("a", "2018-06-15", "2018-06-18", "after-close-next", "aligned", True),
         ("b", "2018-07-06", "2018-07-06", "date-only", "aligned", False),
         ("c", "2025-04-02", "2025-04-02", "date-only", "aligned", True),
         ("d", "2025-10-26", "2025-10-27", "date-only-closed-next", "aligned", False),
         ("e", "", "", "pending", "pending", False)],
        columns=["id", "date", "trade_date", "rule", "status", "in_article"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    return frame


def test_day0_moves_and_rule_counts(aligned):
    moved = aligned.iloc[[0, 3]]
    assert day0_moves(moved) == ("a: 2018-06-15 → 2018-06-18 (after-close-next), "
                                 "d: 2025-10-26 → 2025-10-27 (date-only-closed-next)")
    assert day0_moves(aligned.iloc[[]]) == ""
    assert rule_counts(aligned.iloc[[1, 2, 0]]) == "date-only ×2, after-close-next ×1"


def test_events_findings_count_periods_pending_article_moves_and_rules(aligned):
    assert events_findings(aligned, last_early_year=2020, early_label="2018–2020",
                           first_late_year=2025) == (
        "The catalogue holds **5 events**: 4 have a trade date (2 from 2018–2020, 2 from 2025) "
        "and 1 are pending (e). 2 events are marked `in_article` in the catalogue. For 2 "
        "events day 0 is not the "
        "reported calendar date (a: 2018-06-15 → 2018-06-18 (after-close-next), "
        "d: 2025-10-26 → 2025-10-27 (date-only-closed-next)). Rules used: date-only ×2, "
        "after-close-next ×1, date-only-closed-next ×1, pending ×1."
    )
    late = events_findings(aligned, last_early_year=2017, early_label="2017",
                           first_late_year=2018)
    assert "(0 from 2017, 4 from 2018)" in late


# --------------------------------------------------------------------------- page 3


def test_car_row_and_day0_name_the_missing_event_or_window(zs_car):
    assert car_row(zs_car, BUSAN, (-1, 1))["car"] == 0.0300
    assert event_day0(zs_car, CALL) == pd.Timestamp("2025-11-24")
    with pytest.raises(InferenceError, match=r"'busan-meeting' has no CAR over \[0, 5\] "
                       r"\(windows: \[0, 1\], \[-1, 1\]\); pass one of them as window="):
        car_row(zs_car, BUSAN, (0, 5))
    with pytest.raises(InferenceError, match=r"event 'g20' is not in the CAR table \(events: "
                       r"\['busan-meeting', 'trump-xi-call'\]\)"):
        event_day0(zs_car, "g20")


def test_event_sentence_quotes_car_p_values_and_verdict(zs_car):
    # t_{100, 0.975} = 1.983971519: 2.26 ± 1.984 · 1.00 = [+0.28%, +4.24%]
    assert event_sentence(zs_car, "ZS=F", BUSAN) == (
        "ZS=F +2.26% over [0, 1] (95% CI [+0.28%, +4.24%]; t test p = 0.086, weak evidence; "
        "SQ test p = 0.106, placebo test p = 0.201)")
    assert event_sentence(zs_car, "ZS=F", BUSAN, (-1, 1)) == (
        "ZS=F +3.00% over [-1, 1] (95% CI [+0.62%, +5.38%]; t test p = 0.040, moderate "
        "evidence; SQ test p = 0.200, placebo test p = 0.030)")
    # where no single-event test holds its size, no p-value is graded
    none = zs_car.assign(lead_test="", lead_p=np.nan)
    assert event_sentence(none, "ZS=F", BUSAN) == (
        "ZS=F +2.26% over [0, 1] (95% CI [+0.28%, +4.24%]; no p-value graded: no single-event "
        "test holds its size here, not graded; t test p = 0.086, SQ test p = 0.106, placebo "
        "test p = 0.201)")
    missing = zs_car.assign(car=np.nan, note="days +0, +1 are contract-roll days")
    assert event_sentence(missing, "ZS=F", BUSAN) == (
        "ZS=F: no CAR over [0, 1] (days +0, +1 are contract-roll days)")


def test_rejecting_windows_lists_each_window_with_its_tests(zs_car):
    # only the leading test counts: the placebo's p = 0.030 is not graded here
    assert rejecting_windows(zs_car, "ZS=F", BUSAN) == ["ZS=F [-1, 1] (t test)"]
    assert rejecting_windows(zs_car.drop(columns=["lead_test", "lead_p", "lead_size"]),
                             "ZS=F", BUSAN) == ["ZS=F [-1, 1] (t test, placebo test)"]
    assert rejecting_windows(zs_car, "ZS=F", CALL) == []
    assert rejecting_windows(zs_car, "ZS=F", BUSAN, alpha=0.01) == []


def test_event_answer_is_no_only_when_nothing_rejects_anywhere(zs_car, soyb_car):
    cars = {"ZS=F": zs_car, "SOYB": soyb_car}
    assert event_answer("Trump–Xi call", cars, CALL) == (
        "**Trump–Xi call: no evidence** over [0, 1] — no evidence on ZS=F (t test p = 0.757); "
        "no evidence on SOYB (SQ test p = 0.708). No per-event test rejects at 5% in any "
        "window, on ZS=F or SOYB.")
    # the strongest reading leads: weak (p = 0.086) on ZS=F, none (p = 0.177) on SOYB
    assert event_answer("Busan meeting", cars, BUSAN) == (
        "**Busan meeting: weak evidence** over [0, 1] — weak on ZS=F (t test p = 0.086); "
        "no evidence on SOYB (SQ test p = 0.182). A per-event test rejects at 5% in: "
        "ZS=F [-1, 1] (t test).")
    assert event_answer("Busan meeting", cars, BUSAN, (-1, 1)).startswith(
        "**Busan meeting: moderate evidence** over [-1, 1]")


def test_same_answer_compares_whether_any_window_rejects(zs_car, soyb_car):
    assert not same_answer(zs_car, soyb_car, BUSAN)
    assert same_answer(zs_car, soyb_car, CALL)
    assert same_answer(zs_car, soyb_car, BUSAN, alpha=0.01)


def test_detectable_car_is_the_t_critical_value_times_the_se(zs_car):
    # t_{100, 0.975} = 1.983971519 and t_{60, 0.975} = 2.000297822 (printed t tables)
    np.testing.assert_allclose(detectable_car(zs_car, BUSAN), 100 * 1.983971519 * 0.0100,
                               rtol=1e-8, atol=0)
    np.testing.assert_allclose(detectable_car(zs_car, CALL), 100 * 2.000297822 * 0.0130,
                               rtol=1e-8, atol=0)
    # t_{60, 0.995} = 2.660283. A 1% test needs a larger CAR.
    np.testing.assert_allclose(detectable_car(zs_car, CALL, alpha=0.01),
                               100 * 2.660283 * 0.0130, rtol=1e-6, atol=0)


def _ar(event_id, ars, thin, first_date="2025-10-29"):
    days = np.arange(-1, -1 + len(ars))
    dates = pd.bdate_range(first_date, periods=len(ars))
    return pd.DataFrame({"event_id": event_id, "day": days, "date": dates, "ar": ars,
                         "thin": thin})


def test_thin_day_gap_is_the_largest_gap_on_the_first_tables_thin_days():
    a = _ar(BUSAN, [0.010, 0.020, -0.004, 0.003], [False, False, True, True])
    b = _ar(BUSAN, [0.050, 0.010, 0.001, 0.010], [False, False, False, False])
    # thin days +1, +2: |-0.004 - 0.001| = 0.005, |0.003 - 0.010| = 0.007; day -1 (0.04) is not thin
    np.testing.assert_allclose(thin_day_gap(a, b, BUSAN), 0.007, rtol=0, atol=1e-15)
    assert np.isnan(thin_day_gap(a.assign(thin=False), b, BUSAN))
    with pytest.raises(InferenceError, match="'g20' is not in the first AR table"):
        thin_day_gap(a, b, "g20")


def test_front_contract_follows_the_cbot_rules():
    # November 2025 soybeans: last trade on the business day before the 15th (Sat 15 Nov ->
    # Fri 14 Nov); first notice on the last business day of October (Fri 31 Oct).
    front = front_contract("ZS=F", "2025-10-30")
    assert front["contract"] == "ZSX25" and front["next_contract"] == "ZSF26"
    assert front["last_trade_date"] == pd.Timestamp("2025-11-14")
    assert front["first_notice_day"] == pd.Timestamp("2025-10-31")


@pytest.fixture
def front():
    return pd.Series({"contract": "ZSX25", "next_contract": "ZSF26",
                      "first_notice_day": pd.Timestamp("2025-10-31"),
                      "last_trade_date": pd.Timestamp("2025-11-14")})


@pytest.fixture
def headline():
    return pd.DataFrame({"event_id": [BUSAN] * 3 + [CALL],
                         "window": ["[-1, 1]", "[0, 1]", "[-1, 5]", "[0, 1]"],
                         "thin_days": [1, 1, 5, 0]})


def test_delivery_note_names_the_thin_days_and_the_contract(front, headline):
    ar = _ar(BUSAN, [0.001] * 7, [False, False, True, True, True, True, True])
    assert delivery_note(ar, headline, front, BUSAN, asset="ZS=F", other="SOYB",
                         name="Busan") == (
        "Busan's day 0 is 2025-10-30. The front contract is **ZSX25**: its first notice day is "
        "**2025-10-31** and its last trading day **2025-11-14**, after which `ZS=F` switches to "
        "ZSF26. So on days +1, +2, +3, +4, +5 of the Busan window (2025-10-31 to 2025-11-06) "
        "`ZS=F` is the thinly traded ZSX25 in its delivery period, not the contract where "
        "prices were being set. Thin days per window: [-1, 1] 1, [0, 1] 1, [-1, 5] 5. "
        "`SOYB` holds the second- and third-nearest contracts, so it measures the same days "
        "on liquid contracts; the figure and the table below put the two side by side.")


def _run(asset, car, ar):
    catalogue = pd.DataFrame({"id": ["kuala-lumpur-framework"],
                              "title": ["US-China framework agreed in Kuala Lumpur"],
                              "trade_date": [pd.Timestamp("2025-10-27")]})
    return SimpleNamespace(study=SimpleNamespace(asset=asset, factors=("SPY", "UUP")),
                           car=car, ar=ar, catalogue=catalogue)


def test_article_findings_assemble_the_sentences(zs_car, soyb_car, headline, front):
    zs_ar = _ar(BUSAN, [0.01, 0.02, -0.004, 0.003], [False, False, True, True])
    soyb_ar = _ar(BUSAN, [0.01, 0.02, 0.001, 0.010], [False, False, False, False])
    text = article_findings(_run("ZS=F", zs_car, zs_ar), _run("SOYB", soyb_car, soyb_ar),
                            headline, front,
                            events={BUSAN: "Busan meeting", CALL: "Trump–Xi call"},
                            short_names={BUSAN: "Busan", CALL: "Trump–Xi call"},
                            thin_event=BUSAN, expected_after="kuala-lumpur-framework")
    measured, question, delivery, caveats = text.split("\n\n")
    assert measured == (
        f"**Busan meeting (day 0 = 2025-10-30):** {event_sentence(zs_car, 'ZS=F', BUSAN)}; "
        f"{event_sentence(soyb_car, 'SOYB', BUSAN)}. **Trump–Xi call (day 0 = 2025-11-24):** "
        f"{event_sentence(zs_car, 'ZS=F', CALL)}; {event_sentence(soyb_car, 'SOYB', CALL)}.")
    assert question.startswith("Did the news move ZS=F beyond what SPY and UUP explain?")
    assert "**Busan meeting: weak evidence**" in question
    assert "**Trump–Xi call: no evidence**" in question
    assert delivery.startswith("The delivery period: 5 of the Busan [-1, 5] window's days "
                               "(1 of [0, 1]) are the contract ZSX25 in delivery")
    assert "differ from SOYB's by at most 0.70 percentage points" in delivery
    assert delivery.endswith("SOYB gives a different answer from ZS=F: read the SOYB answer, "
                             "measured on liquid contracts.")
    assert "only beyond ±1.98% (Busan) and ±2.60% (Trump–Xi call)" in caveats
    assert ('expected after "US-China framework agreed in Kuala Lumpur" (day 0 2025-10-27)'
            in caveats)
    assert "ordinary ZS=F noise" in caveats


# --------------------------------------------------------------------------- page 4


@pytest.fixture
def tests_table():
    rows = []
    for group, start, end, n, stats in [
        ("escalation", 0, 1, 10, {"placebo": (-0.0123, 0.01), "patell": (-2.5, 0.03),
                                  "corrado": (-1.0, 0.20)}),
        ("escalation", -1, 1, 9, {"placebo": (-0.0050, 0.40), "patell": (-0.8, 0.35),
                                  "corrado": (-0.5, 0.60)}),
        ("de-escalation", 0, 1, 4, {"placebo": (0.0200, 0.20), "patell": (np.nan, np.nan),
                                    "corrado": (1.2, 0.08)}),
    ]:
        for test, (stat, p) in stats.items():
            rows.append((group, start, end, test, stat, p, n))
    return pd.DataFrame(rows, columns=["group", "start", "end", "test", "statistic", "p_value",
                                       "n_events"])


def test_group_line_gives_mean_car_and_verdict_per_window(tests_table):
    gv = group_verdicts(tests_table)
    assert group_line(gv, tests_table, "escalation") == (
        "- **escalation** (10 events): [0, 1] mean CAR -1.23%: holds in 2 of 3 tests "
        "(placebo, patell); [-1, 1] mean CAR -0.50%: no test rejects (0 of 3).")
    assert group_line(gv, tests_table, "de-escalation") == (
        "- **de-escalation** (4 events): [0, 1] mean CAR +2.00%: no test rejects (0 of 2).")
    with pytest.raises(InferenceError, match=r"group 'signed' is not in the verdicts"):
        group_line(gv, tests_table, "signed")


@pytest.fixture
def war():
    ids = ["e18", "d18", "d19", "d20", "e25", BUSAN]
    dates = pd.to_datetime(["2018-06-18", "2018-12-03", "2019-10-11", "2020-01-15",
                            "2025-04-02", "2025-10-30"])
    car = pd.DataFrame({"event_id": ids, "trade_date": dates, "start": 0, "end": 1,
                        "car": [-0.020, 0.010, -0.020, 0.030, -0.010, 0.025]})
    events = pd.DataFrame({"event_id": [*ids, "x19"], "direction": [-1, 1, 1, 1, -1, 1, 1],
                           "status": ["used"] * 6 + ["excluded"],
                           "reason": [""] * 6 + ["too few estimation days"]})
    return car, events


def test_compare_with_peers_uses_earlier_events_of_the_same_direction(war):
    car, events = war
    # de-escalation peers: +1%, -2%, +3% -> mean +0.67%; |3%| >= 2.5% once. CALL has no CAR.
    assert compare_with_peers(car, events, [BUSAN, CALL, "e25"], last_peer_year=2020,
                              peer_label="2018–2020") == (
        "The chosen events against the 2018–2020 events, CAR over [0, 1]: "
        "busan-meeting +2.50% against a mean of +0.67% (range -2.00% to +3.00%) for the 3 "
        "2018–2020 events of the same direction, 1 of which moved at least as much; "
        "e25 -1.00% against a mean of -2.00% (range -2.00% to -2.00%) for the 1 2018–2020 "
        "events of the same direction, 1 of which moved at least as much.")


def test_trade_war_findings_assemble_counts_groups_and_comparison(war, tests_table):
    car, events = war
    run = SimpleNamespace(events=events, tests=tests_table, car=car)
    head, groups, compared, reading = trade_war_findings(
        run, compare=[BUSAN, CALL], last_peer_year=2020, peer_label="2018–2020").split("\n\n")
    assert head == ("6 of 7 events entered the estimation (1 excluded: x19: too few "
                    "estimation days). At the 5% level:")
    gv = group_verdicts(tests_table)
    assert groups == "\n".join([group_line(gv, tests_table, "escalation"),
                                group_line(gv, tests_table, "de-escalation")])
    assert compared == compare_with_peers(car, events, [BUSAN, CALL], last_peer_year=2020,
                                          peer_label="2018–2020")
    assert reading.startswith("A window where every test rejects")


# --------------------------------------------------------------------------- page 5


@pytest.fixture
def robustness():
    rows = [
        ("base", "base", BUSAN, 2.0, 0, "no test rejects (0 of 3)", False, False),
        ("model", "constant-mean", BUSAN, 3.5, 1, "hangs on one test (t test) of 3", True, False),
        ("asset", "SOYB", BUSAN, np.nan, 0, "excluded: no prices", True, False),
        ("dummy regression", "dummy, window-HAC se", BUSAN, 10.0, 1,
         "one test only, and it rejects", True, False),
        ("base", "base", CALL, -0.4, 0, "no test rejects (0 of 3)", False, False),
        ("model", "constant-mean", CALL, 0.3, 0, "no test rejects (0 of 3)", False, True),
        ("asset", "SOYB", CALL, -0.5, 0, "no test rejects (0 of 3)", False, False),
        ("dummy regression", "dummy, window-HAC se", CALL, -0.4, 0, "no test rejects (0 of 1)",
         False, False),
    ]
    return pd.DataFrame(rows, columns=["dimension", "variant", "event_id", "car_pct", "n_reject",
                                       "verdict", "moves", "sign_flip"])


def test_variant_verdicts_count_rejections_range_and_exclusions(robustness):
    assert variant_verdicts(robustness, BUSAN) == (
        "**busan-meeting**: a per-event test rejects at 5% in 1 of 3 variants and windows "
        "(constant-mean); the CAR ranges from +2.00% to +3.50%; excluded in: SOYB")
    assert variant_verdicts(robustness, CALL) == (
        "**trump-xi-call**: a per-event test rejects at 5% in 0 of 3 variants and windows; "
        "the CAR ranges from -0.50% to +0.30%")


def test_variant_listing(robustness):
    assert variant_listing(robustness[robustness["moves"]].iloc[:2]) == (
        "constant-mean (busan-meeting: hangs on one test (t test) of 3); "
        "SOYB (busan-meeting: excluded: no prices)")


@pytest.fixture
def size():
    return pd.DataFrame(
        {"[0, 0]": [5.3, 9.0, 1.0, 4.9], "[0, 1]": [4.0, 11.0, 8.0, 5.1],
         "mc_se": [1.8, 1.8, 0.4, 0.4], "trials": [150, 150, 3000, 3000],
         "over": ["", "[0, 0]; [0, 1]", "[0, 1]", ""], "under": ["", "", "[0, 0]", ""],
         "verdict": ["holds", "over-rejects", "mixed", "holds"]},
        index=pd.Index(["bmp", "patell", "event-t", "sq"], name="test"))


def test_size_windows_and_departure_rates(size):
    assert size_windows(size) == ["[0, 0]", "[0, 1]"]
    assert departure_rates(size, ["patell", "event-t"], "over") == (
        "`patell` on [0, 0] (9.0% ± 1.8), [0, 1] (11.0% ± 1.8); `event-t` on [0, 1] (8.0% ± 0.4)")


def test_asset_size_findings_count_the_cells_each_test_holds():
    from eventstudy.report.findings import asset_size_findings

    rows = [("A", "event-t", "[0, 0]", 5.0, "holds"), ("A", "sq", "[0, 0]", 4.1, "conservative"),
            ("B", "event-t", "[0, 0]", 6.8, "over-rejects"), ("B", "sq", "[0, 0]", 6.1,
                                                               "over-rejects")]
    table = pd.DataFrame(rows, columns=["asset", "test", "window", "size (%)", "verdict"])
    assert asset_size_findings(table) == (
        "On these markets the t test holds its size in 1 of 2 market-windows and over-rejects "
        "in 1 (most on B over [0, 0]: 6.8%); the SQ test holds its size in 0 of 2 "
        "market-windows and over-rejects in 1 (most on B over [0, 0]: 6.1%). In 1 of 2 "
        "market-windows no single-event test holds its size, and no p-value is graded there: "
        "B [0, 0].")


def test_size_findings_sorts_tests_by_verdict(size):
    assert size_findings(size) == (
        "With 150 replications a group test's rate has a Monte Carlo SE of 1.8 points and a "
        "single-event test's 0.4 points. **Hold their size** (every window within 3 SE of 5%): "
        "`bmp`, `sq`. **Over-reject**: `patell` on [0, 0] (9.0% ± 1.8), [0, 1] (11.0% ± 1.8); "
        "`event-t` on [0, 1] (8.0% ± 0.4). **Conservative** (reject less than 5%): `event-t` "
        "on [0, 0] (1.0% ± 0.4). A departure smaller than about 1.2 points (a single-event "
        "test) or 5.4 points (a group test) is within what this run can see.")
    fine = size.assign(over="", under="", verdict="holds")
    assert "No test rejects significantly more than 5%." in size_findings(fine)
    assert "Conservative" not in size_findings(fine)


@pytest.fixture
def power():
    columns = pd.MultiIndex.from_tuples([(1.0, "[0, 0]"), (1.0, "[0, 1]"), (2.0, "[0, 0]"),
                                         (2.0, "[0, 1]")], names=["abnormal", "window"])
    return pd.DataFrame([[40.0, 20.0, 90.0, 60.0], [55.4, 30.0, 96.0, 70.0],
                         [21.0, 12.0, 48.0, 30.0], [20.6, 11.0, 48.2, 31.0]],
                        index=["bmp", "patell", "event-t", "sq"], columns=columns)


def test_power_range_and_sentences(power):
    assert power_range(power, ["bmp", "patell"], 1.0, "[0, 0]") == "40–55%"
    assert power_range(power, ["event-t", "sq"], 1.0, "[0, 0]") == "21%"  # 21.0 and 20.6
    assert power_sentence(power, 2.0, "[0, 0]") == (
        "+2% on day 0 the group tests reject in 90–96% of the replications, a single-event "
        "test in 48% of the pseudo-events")
    assert power_findings(power, "[0, 1]") == (
        "Over [0, 1], with +1% on day 0 the group tests reject in 20–30% of the replications, "
        "a single-event test in 11–12% of the pseudo-events; with +2% on day 0 the group tests "
        "reject in 60–70% of the replications, a single-event test in 30–31% of the "
        "pseudo-events.")


def test_robustness_findings_assemble_the_page(robustness, size, power):
    dummy = pd.DataFrame({"car_se_hac": [0.001, 0.002, 0.004], "car_se": [0.010, 0.010, 0.010]})
    verdicts, moves, hac, sim = robustness_findings(robustness, dummy, size, power,
                                                    [BUSAN, CALL]).split("\n\n")
    assert verdicts == (f"- {variant_verdicts(robustness, BUSAN)}.\n"
                        f"- {variant_verdicts(robustness, CALL)}.")
    assert moves.startswith("2 of 6 variant rows move the base conclusion: constant-mean "
                            "(busan-meeting: hangs on one test (t test) of 3); SOYB")
    assert moves.endswith("The CAR changes sign in: constant-mean (trump-xi-call). ")
    # median of 0.1, 0.2, 0.4 = 0.20 < 0.5: the HAC errors are not to be trusted
    assert hac.startswith("The dummy regression's Newey–West standard errors are a median 0.20 "
                          "times the classical OLS ones, so its p-values are far smaller")
    assert hac.endswith("also moves a conclusion (rows above).")
    assert sim == (
        "On pseudo-events of these returns (150 replications of 20), 2 of 4 tests hold their "
        "size at 5% in every window; `patell` on [0, 0] (9.0% ± 1.8), [0, 1] (11.0% ± 1.8); "
        "`event-t` on [0, 1] (8.0% ± 0.4) over-reject. Power over [0, 0]: with +1% on day 0 the "
        "group tests reject in 40–55% of the replications, a single-event test in 21% of the "
        "pseudo-events, so a per-event test that does not reject, as above, is weak evidence "
        "of no effect.")
    calm = robustness.assign(moves=False, sign_flip=False)
    close = pd.DataFrame({"car_se_hac": [0.009, 0.010, 0.012], "car_se": [0.010, 0.010, 0.010]})
    _, moves, hac, _ = robustness_findings(calm, close, size, power, [BUSAN, CALL]).split("\n\n")
    assert moves == "0 of 6 variant rows move the base conclusion. No variant flips a CAR's sign. "
    assert hac == ("The dummy regression's Newey–West standard errors are a median 1.00 times the "
                   "classical OLS ones, so its p-values tell the same story as the event study's; "
                   "it moves no conclusion. With the window-HAC standard errors the dummy "
                   "regression moves no conclusion.")


def test_class_comparison_ranks_the_event_among_earlier_ones():
    from eventstudy.report.findings import class_comparison, class_sentence

    car = pd.DataFrame({
        "event_id": ["a", "b", "c", "d", "me", "later"],
        "trade_date": pd.to_datetime(["2017-01-02", "2018-01-02", "2019-01-02", "2020-01-02",
                                      "2025-11-24", "2025-12-01"]),
        "start": 0, "end": 0,
        "car": [0.010, -0.002, np.nan, -0.030, 0.005, 0.5],
    })
    c = class_comparison(car, "me", (0, 0))
    # earlier with a CAR: a, b, d; |0.010| and |-0.030| >= 0.005; "later" is not earlier
    assert (c["n_earlier"], c["at_least"], c["rank"]) == (3, 2, 3)
    np.testing.assert_allclose(c["share"], 2 / 3, rtol=1e-12, atol=0)
    np.testing.assert_allclose(c["median_abs"], 0.010, rtol=1e-12, atol=0)
    assert class_sentence(car, "me", "the call", (0, 0)) == (
        "Compared with the 3 earlier contacts, the call's [0, 0] CAR of +0.50% is ordinary: "
        "2 of them (67%) moved at least as much (rank 3 of 4 by size; their median |CAR| is "
        "1.00%).")
    assert class_sentence(car, "me", "the call", (0, 0), where="page 7").endswith(
        "median |CAR| is 1.00%) (page 7).")


def test_synthetic_sentence_reads_the_comparison_table():
    import pandas as pd

    from eventstudy.report.findings import synthetic_sentence

    table = pd.DataFrame({
        "model": ["market model", "synthetic control"], "event_id": ["e", "e"],
        "window": ["[0, 1]", "[0, 1]"], "car": [0.0216, 0.0199], "car_se": [0.012, 0.011],
        "ci_lower": [0.0, 0.0], "ci_upper": [0.04, 0.04], "p": [0.089, 0.031],
        "sq_p": [0.1, 0.05], "placebo_p": [0.242, 0.199], "r2": [0.041, 0.262],
        "resid_sd": [0.0088, 0.0076], "n_estimation": [120, 102],
        "donors": ["", "ZC=F 0.43, SPY 0.22"]})
    text = synthetic_sentence(table, "e", base="market model", synthetic="synthetic control",
                              name="The event")
    assert text == (
        "The event [0, 1]: the synthetic control (ZC=F 0.43, SPY 0.22) gives a CAR of +1.99% "
        "(t-test p 0.031, placebo p 0.199) against +2.16% (p 0.089, placebo p 0.242) from the "
        "market model. Before the event it tracks the asset with an RMSPE of 0.76% a day "
        "(pre-event R² 0.262) against a residual sd of 0.88% (R² 0.041) for the market model; "
        "the t test's verdict at the 0.05 level is not the same under both.")
    with pytest.raises(InferenceError, match="no row of model 'other' for event 'e'"):
        synthetic_sentence(table, "e", base="other", synthetic="synthetic control")


def test_lead_lag_sentence_reads_the_regression_table():
    import pandas as pd

    from eventstudy.report.findings import lead_lag_sentence

    table = pd.DataFrame({"factor": ["SPY"] * 4, "lag": [-1, 0, 1, "sum"],
                          "coef": [0.01, 0.1, 0.03, 0.14], "t_hac": [0.81, 3.97, 2.5, 3.2],
                          "p_hac": [0.42, 0.0001, 0.012, 0.001]})
    table.attrs.update({"nobs": 2605, "maxlags": 8, "first": pd.Timestamp("2010-01-20"),
                        "last": pd.Timestamp("2025-12-30"), "r2_base": 0.027,
                        "r2_lagged": 0.0288})
    assert lead_lag_sentence(table, "ZS=F") == (
        "On ZS=F from 2010-01-20 to 2025-12-30 (2605 days), the factors' leads and lags have "
        "Newey–West t statistics (8 lags) of SPY (lead 1 t = 0.81, lag 1 t = 2.50) — at the "
        "0.05 level significant: SPY lag 1. R² moves from 2.70% without them to 2.88% with "
        "them.")


def test_synthetic_variant_is_found_or_named_missing():
    import eventstudy as es
    from eventstudy.exceptions import StudyConfigError
    from eventstudy.report.robustness import synthetic_variant

    base = es.Study(asset="ZS=F", factors=["SPY", "UUP"],
                    variants={"syn": {"model": "synthetic", "donors": ["ZC=F", "ZW=F"]}})
    label, study = synthetic_variant(base)
    assert label == "syn" and study.model == "synthetic" and study.donors == ("ZC=F", "ZW=F")
    with pytest.raises(StudyConfigError, match=r"^Study: variants: no variant with model = "
                       r"\"synthetic\" \(variants: none\)"):
        synthetic_variant(es.Study(asset="ZS=F", factors=["SPY", "UUP"]))

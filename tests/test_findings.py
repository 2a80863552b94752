"""Sentences and readings of result tables, on small hand-made tables with known values.

The tests check the numbers and the words that carry the reading (the grade,
the count, the event named), not the whole wording.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.exceptions import InferenceError
from eventstudy.quality import DataCheck
from eventstudy.report.findings import (
    answer_sentence,
    asset_size_findings,
    car_row,
    class_comparison,
    class_mean,
    class_mean_sentence,
    class_sentence,
    cross_asset_sentence,
    day0_moves,
    departure_rates,
    detectable_car,
    event_day0,
    event_sentence,
    event_verdicts,
    exclusions_sentence,
    front_contract,
    group_lines,
    group_verdicts,
    largest_returns_sentence,
    lead_lag_sentence,
    markets_moved,
    overlap_sentence,
    peer_sentence,
    power_findings,
    power_range,
    power_sentence,
    reading_changes,
    rejecting_windows,
    rule_counts,
    series_spans,
    size_findings,
    size_windows,
    synthetic_sentence,
    thin_day_gap,
    variant_listing,
    variant_verdicts,
    verdict,
)

E1, E2 = "first", "second"
CAR_COLUMNS = ["event_id", "trade_date", "start", "end", "car", "car_se", "df", "p", "sq_p",
               "placebo_p"]


def _car(rows, lead="event-t"):
    """A tidy table whose leading test (the one that holds its size) is ``lead``."""
    frame = pd.DataFrame(rows, columns=CAR_COLUMNS)
    column = {"event-t": "p", "sq": "sq_p", "event-placebo": "placebo_p"}[lead]
    frame = frame.assign(lead_test=lead, lead_p=frame[column], lead_size=0.05, note="")
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    half = stats.t.ppf(0.975, frame["df"]) * frame["car_se"]
    frame["ci_lower"] = frame["car"] - half
    frame["ci_upper"] = frame["car"] + half
    return frame


@pytest.fixture
def a_car():
    """E1 rejects over [-1, 1] (t test and placebo), E2 nowhere; the t test leads."""
    return _car([
        (E1, "2025-10-30", 0, 1, 0.0226, 0.0100, 100, 0.086, 0.106, 0.201),
        (E1, "2025-10-30", -1, 1, 0.0300, 0.0120, 100, 0.040, 0.200, 0.030),
        (E2, "2025-11-24", 0, 1, -0.0041, 0.0130, 60, 0.757, 0.815, 0.803),
        (E2, "2025-11-24", -1, 1, 0.0010, 0.0150, 60, 0.900, 0.950, 0.940),
    ])


@pytest.fixture
def b_car():
    """No test rejects for either event; the SQ test leads."""
    return _car([
        (E1, "2025-10-30", 0, 1, 0.0171, 0.0120, 100, 0.177, 0.182, 0.295),
        (E1, "2025-10-30", -1, 1, 0.0150, 0.0140, 100, 0.300, 0.310, 0.320),
        (E2, "2025-11-24", 0, 1, -0.0044, 0.0120, 60, 0.729, 0.708, 0.794),
        (E2, "2025-11-24", -1, 1, 0.0020, 0.0140, 60, 0.880, 0.870, 0.860),
    ], lead="sq")


# --------------------------------------------------------------------------- verdicts


def test_verdict_counts_the_rejecting_tests():
    assert verdict([], 0) == "no test could be computed"
    assert "0 of 3" in verdict([], 3)
    assert "one test (SQ test) of 3" in verdict(["SQ test"], 3)
    assert "2 of 3" in verdict(["a", "b"], 3) and "(a, b)" in verdict(["a", "b"], 3)
    assert "all 3" in verdict(["a", "b", "c"], 3)
    assert "one test only" in verdict(["a"], 1)


def test_event_verdicts_count_only_the_leading_test_when_there_is_one(a_car):
    v = event_verdicts(a_car).set_index(["event_id", "start", "end"])
    # the t test leads: p = 0.040 rejects over [-1, 1]; the placebo's 0.030 is not counted
    assert v.loc[(E1, -1, 1), ["n_tests", "n_reject", "rejecting"]].tolist() == [1, 1, "t test"]
    assert v.loc[(E1, 0, 1), "n_reject"] == 0
    # without a size check every test counts
    plain = event_verdicts(a_car.drop(columns=["lead_test", "lead_p", "lead_size"]))
    plain = plain.set_index(["event_id", "start", "end"])
    assert plain.loc[(E1, -1, 1), ["n_tests", "n_reject"]].tolist() == [3, 2]
    assert plain.loc[(E1, -1, 1), "rejecting"] == "t test, placebo test"


@pytest.fixture
def tests_table():
    rows = []
    for group, start, end, n, cells in [
        ("escalation", 0, 1, 10, {"placebo": (-0.0123, 0.01), "patell": (-2.5, 0.03),
                                  "corrado": (-1.0, 0.20)}),
        ("escalation", -1, 1, 9, {"placebo": (-0.0050, 0.40), "patell": (-0.8, 0.35),
                                  "corrado": (-0.5, 0.60)}),
        ("de-escalation", 0, 1, 4, {"placebo": (0.0200, 0.20), "patell": (np.nan, np.nan),
                                    "corrado": (1.2, 0.08)}),
    ]:
        for test, (stat, p) in cells.items():
            rows.append((group, start, end, test, stat, p, n))
    return pd.DataFrame(rows, columns=["group", "start", "end", "test", "statistic", "p_value",
                                       "n_events"])


def test_group_verdicts_and_lines_give_mean_car_and_count_per_window(tests_table):
    gv = group_verdicts(tests_table).set_index(["group", "start", "end"])
    assert gv.loc[("escalation", 0, 1), ["n_tests", "n_reject"]].tolist() == [3, 2]
    assert gv.loc[("de-escalation", 0, 1), ["n_tests", "n_reject"]].tolist() == [2, 0]
    lines = group_lines(tests_table).split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("- **escalation** (10 events)")
    assert "[0, 1] mean CAR -1.23%" in lines[0] and "2 of 3" in lines[0]
    assert "[-1, 1] mean CAR -0.50%" in lines[0] and "0 of 3" in lines[0]
    assert "(4 events)" in lines[1] and "+2.00%" in lines[1] and "0 of 2" in lines[1]
    # the order asked for; absent groups skipped
    assert group_lines(tests_table, ["de-escalation", "signed"]).startswith(
        "- **de-escalation**")


# --------------------------------------------------------------------------- one event


def test_car_row_and_day0_name_the_missing_event_or_window(a_car):
    assert car_row(a_car, E1, (-1, 1))["car"] == 0.0300
    assert event_day0(a_car, E2) == pd.Timestamp("2025-11-24")
    with pytest.raises(InferenceError, match=r"'first' has no CAR over \[0, 5\] "
                       r"\(windows: \[0, 1\], \[-1, 1\]\); pass one of them as window="):
        car_row(a_car, E1, (0, 5))
    with pytest.raises(InferenceError, match=r"event 'g20' is not in the CAR table \(events: "
                       r"\['first', 'second'\]\)"):
        event_day0(a_car, "g20")


def test_event_sentence_grades_the_leading_test_and_lists_the_others(a_car):
    text = event_sentence(a_car, "A", E1)
    # t_{100, 0.975} = 1.983971519: 2.26 ± 1.984 · 1.00 = [+0.28%, +4.24%]
    assert text.startswith("A +2.26% over [0, 1]")
    assert "[+0.28%, +4.24%]" in text
    assert "t test p = 0.086, weak evidence" in text
    assert "SQ test p = 0.106" in text and "placebo test p = 0.201" in text
    assert "moderate evidence" in event_sentence(a_car, "A", E1, (-1, 1))
    # no test holds its size: nothing graded, every p listed
    none = event_sentence(a_car.assign(lead_test="", lead_p=np.nan), "A", E1)
    assert "not graded" in none and "t test p = 0.086" in none
    missing = event_sentence(a_car.assign(car=np.nan, note="days +0, +1 are roll days"), "A", E1)
    assert "no CAR" in missing and "roll days" in missing


def test_rejecting_windows_list_each_window_with_its_graded_test(a_car):
    assert rejecting_windows(a_car, "A", E1) == ["A [-1, 1] (t test)"]
    assert rejecting_windows(a_car, "A", E2) == []
    assert rejecting_windows(a_car, "A", E1, alpha=0.01) == []


def test_answer_sentence_heads_with_the_strongest_reading(a_car, b_car):
    cars = {"A": a_car, "B": b_car}
    text = answer_sentence("The meeting", cars, E1, (-1, 1))
    assert text.startswith("**The meeting — moderate evidence.**")
    assert "A +3.00%" in text and "t test p = 0.040" in text
    assert "B +1.50%" in text and "SQ test p = 0.310" in text
    assert "no evidence" in answer_sentence("The call", cars, E2)


def test_detectable_car_is_the_t_critical_value_times_the_se(a_car):
    # t_{100, 0.975} = 1.983971519 and t_{60, 0.975} = 2.000297822 (printed t tables)
    np.testing.assert_allclose(detectable_car(a_car, E1), 100 * 1.983971519 * 0.0100,
                               rtol=1e-8, atol=0)
    np.testing.assert_allclose(detectable_car(a_car, E2), 100 * 2.000297822 * 0.0130,
                               rtol=1e-8, atol=0)
    # t_{60, 0.995} = 2.660283
    np.testing.assert_allclose(detectable_car(a_car, E2, alpha=0.01), 100 * 2.660283 * 0.0130,
                               rtol=1e-6, atol=0)


def _ar(event_id, ars, thin):
    return pd.DataFrame({"event_id": event_id, "day": np.arange(-1, -1 + len(ars)),
                         "date": pd.bdate_range("2025-10-29", periods=len(ars)), "ar": ars,
                         "thin": thin})


def test_thin_day_gap_is_the_largest_gap_on_the_first_tables_thin_days():
    a = _ar(E1, [0.010, 0.020, -0.004, 0.003], [False, False, True, True])
    b = _ar(E1, [0.050, 0.010, 0.001, 0.010], [False, False, False, False])
    # thin days +1, +2: |-0.004 - 0.001| = 0.005, |0.003 - 0.010| = 0.007; day -1 is not thin
    np.testing.assert_allclose(thin_day_gap(a, b, E1), 0.007, rtol=0, atol=1e-15)
    assert np.isnan(thin_day_gap(a.assign(thin=False), b, E1))
    with pytest.raises(InferenceError, match="'g20' is not in the first AR table"):
        thin_day_gap(a, b, "g20")


def test_front_contract_follows_the_cbot_rules():
    # November 2025 soybeans: last trade on the business day before the 15th (Sat 15 Nov ->
    # Fri 14 Nov); first notice on the last business day of October (Fri 31 Oct).
    front = front_contract("ZS=F", "2025-10-30")
    assert front["contract"] == "ZSX25" and front["next_contract"] == "ZSF26"
    assert front["last_trade_date"] == pd.Timestamp("2025-11-14")
    assert front["first_notice_day"] == pd.Timestamp("2025-10-31")


# --------------------------------------------------------------------------- events of a study


def test_exclusions_sentence_counts_used_events_and_names_the_reasons():
    events = pd.DataFrame({"event_id": ["a", "b", "c"], "status": ["used", "excluded", "used"],
                           "reason": ["", "too few estimation days", ""]})
    text = exclusions_sentence(events)
    assert text.startswith("2 of 3 events") and "b: too few estimation days" in text
    assert "none excluded" in exclusions_sentence(events.assign(status="used"))


def test_overlap_sentence_names_the_events_sharing_days():
    car = pd.DataFrame({"event_id": ["a", "b", "c"], "start": -1, "end": 5,
                        "overlaps": ["b (day +2)", "a (day -2)", ""]})
    text = overlap_sentence(car, (-1, 5))
    assert "2 of 3 events" in text and "a (b (day +2))" in text and "c" not in text.split(":")[1]
    assert "do not overlap" in overlap_sentence(car.assign(overlaps=""), (-1, 5))


@pytest.fixture
def aligned():
    frame = pd.DataFrame(
        [("a", "2018-06-15", "2018-06-18", "after-close-next"),
         ("b", "2018-07-06", "2018-07-06", "date-only"),
         ("c", "2025-04-02", "2025-04-02", "date-only")],
        columns=["id", "date", "trade_date", "rule"])
    return frame.assign(date=pd.to_datetime(frame["date"]),
                        trade_date=pd.to_datetime(frame["trade_date"]))


def test_day0_moves_and_rule_counts(aligned):
    assert day0_moves(aligned.iloc[[0]]) == "a: 2018-06-15 → 2018-06-18 (after-close-next)"
    assert day0_moves(aligned.iloc[[]]) == ""
    assert rule_counts(aligned) == "date-only ×2, after-close-next ×1"


# --------------------------------------------------------------------------- an event in its class


@pytest.fixture
def class_car():
    return pd.DataFrame({
        "event_id": ["a", "b", "c", "d", "me", "later"],
        "trade_date": pd.to_datetime(["2017-01-02", "2018-01-02", "2019-01-02", "2020-01-02",
                                      "2025-11-24", "2025-12-01"]),
        "start": 0, "end": 0,
        "car": [0.010, -0.002, np.nan, -0.030, 0.005, 0.5],
    })


def test_class_comparison_ranks_the_event_among_earlier_ones(class_car):
    c = class_comparison(class_car, "me", (0, 0))
    # earlier with a CAR: a, b, d; |0.010| and |-0.030| >= 0.005; "later" is not earlier
    assert (c["n_earlier"], c["at_least"], c["rank"]) == (3, 2, 3)
    np.testing.assert_allclose([c["share"], c["median_abs"], c["mean"], c["min"], c["max"]],
                               [2 / 3, 0.010, -0.022 / 3, -0.030, 0.010], rtol=1e-12, atol=0)
    peers = class_comparison(class_car, "me", (0, 0), peers=["a", "b", "later"])
    assert (peers["n_earlier"], peers["at_least"]) == (2, 1)


def test_class_sentence_says_ordinary_or_among_the_largest(class_car):
    text = class_sentence(class_car, "me", "the call", (0, 0), class_label="contacts")
    assert "3 earlier contacts" in text and "+0.50%" in text and "ordinary" in text
    assert "2 of them (67%)" in text and "rank 3 of 4" in text and "1.00%" in text
    large = class_sentence(class_car.assign(car=[0.01, -0.002, np.nan, -0.003, 0.2, 0.5]),
                           "me", "the call", (0, 0))
    assert "among the largest" in large and "only 0 of them (0%)" in large
    assert class_sentence(class_car, "me", "x", (0, 0), where="class study").endswith(
        "(class study).")
    assert "no earlier" in class_sentence(class_car, "a", "a", (0, 0))


def test_peer_sentence_reads_mean_range_and_count(class_car):
    text = peer_sentence(class_car, "me", (0, 0), peers=["a", "b", "d"], label="peers")
    assert text.startswith("me +0.50%")
    assert all(x in text for x in ("-0.73%", "-3.00%", "+1.00%", "3 peers", "2 of which"))


def test_class_mean_is_the_cross_sectional_t_interval(class_car):
    cars = np.array([0.010, -0.002, -0.030, 0.005, 0.5])
    m = class_mean(class_car, (0, 0))
    se = cars.std(ddof=1) / np.sqrt(cars.size)
    half = stats.t.ppf(0.975, cars.size - 1) * se
    p = 2 * stats.t.sf(abs(cars.mean() / se), cars.size - 1)
    np.testing.assert_allclose([m["mean"], m["lower"], m["upper"], m["p"]],
                               [cars.mean(), cars.mean() - half, cars.mean() + half, p],
                               rtol=1e-12, atol=0)
    assert m["n"] == 5
    text = class_mean_sentence(class_car, (0, 0), class_label="contacts")
    assert "all 5 contacts" in text and f"{100 * cars.mean():+.2f}%" in text
    assert f"p = {p:.3f}" in text
    assert np.isnan(class_mean(class_car.iloc[:1], (0, 0))["mean"])


# --------------------------------------------------------------------------- several markets


def _multi(cars: dict, used: dict, cross=None):
    results = {a: SimpleNamespace(car=c, used_ids=used[a]) for a, c in cars.items()}
    return SimpleNamespace(results=results, cross_asset=lambda alpha=0.05: cross)


def test_markets_moved_grades_each_market_on_its_leading_test(a_car, b_car):
    multi = _multi({"A": a_car, "B": b_car, "C": b_car}, {"A": [E1, E2], "B": [E1, E2],
                                                           "C": [E2]})
    text = markets_moved(multi, E1, (-1, 1))
    assert text.startswith("1 of 2 markets") and "weak evidence" in text and "[-1, 1]" in text
    assert "strongest: moderate" in text and "A +3.00%" in text and "t test p = 0.040" in text
    assert "B +" not in text and "not estimated on C" in text
    assert markets_moved(multi, E2).startswith("No market shows evidence")


def test_cross_asset_sentence_reads_the_cross_asset_table():
    cross = pd.DataFrame({"event_id": [E1, E2], "start": 0, "end": 1, "n_assets": [3, 1],
                          "mean_car": [0.0123, np.nan], "p_mean": [0.0456, np.nan],
                          "mean_corr": [0.314, np.nan], "p_joint": [0.0009, np.nan],
                          "note": ["", "one market"]})
    multi = _multi({}, {}, cross)
    text = cross_asset_sentence(multi, E1)
    assert "3 markets" in text and "+1.23%" in text and "p = 0.046" in text
    assert "0.31" in text and "p = < 0.001" in text
    assert "one market" in cross_asset_sentence(multi, E2)


def test_reading_changes_lists_markets_whose_grade_moves(a_car, b_car):
    base = _multi({"A": a_car, "B": b_car}, {"A": [E1, E2], "B": [E1, E2]})
    other = _multi({"A": b_car, "B": b_car}, {"A": [E1, E2], "B": [E1, E2]})
    text = reading_changes(base, other, E1, (-1, 1), label="the other model")
    assert "A from moderate to no evidence" in text and "+3.00% → +1.50%" in text
    assert "B from" not in text
    assert "no market's reading changes" in reading_changes(base, base, E1)


# --------------------------------------------------------------------------- robustness


@pytest.fixture
def robustness():
    rows = [
        ("base", "base", E1, 2.0, 0, "no test rejects (0 of 3)", False),
        ("model", "constant-mean", E1, 3.5, 1, "hangs on one test (t test) of 3", True),
        ("asset", "other asset", E1, np.nan, 0, "excluded: no prices", True),
        ("dummy regression", "dummy", E1, 10.0, 1, "one test only, and it rejects", True),
        ("base", "base", E2, -0.4, 0, "no test rejects (0 of 3)", False),
    ]
    return pd.DataFrame(rows, columns=["dimension", "variant", "event_id", "car_pct", "n_reject",
                                       "verdict", "moves"])


def test_variant_verdicts_count_rejections_range_and_exclusions(robustness):
    text = variant_verdicts(robustness, E1)
    # the dummy regression's row is left out: 3 rows, one rejecting, one excluded
    assert "1 of 3 variants" in text and "(constant-mean)" in text
    assert "+2.00% to +3.50%" in text and "excluded in: other asset" in text
    assert "0 of 1" in variant_verdicts(robustness, E2)


def test_variant_listing(robustness):
    moved = robustness[robustness["moves"]].iloc[:2]
    first, second = variant_listing(moved).split("; ")
    assert first.startswith("constant-mean") and "t test" in first and "of 3" in first
    assert second.startswith("other asset") and "excluded: no prices" in second
    assert variant_listing(robustness.iloc[[]]) == "none"


# --------------------------------------------------------------------------- size and power


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
    patell, event_t = departure_rates(size, ["patell", "event-t"], "over").split("; ")
    assert "patell" in patell and "[0, 0] (9.0% ± 1.8)" in patell and "[0, 1] (11.0% ± 1.8)" \
        in patell
    assert "event-t" in event_t and "[0, 1] (8.0% ± 0.4)" in event_t and "[0, 0]" not in event_t


def test_size_findings_sort_tests_by_verdict(size):
    text = size_findings(size)
    assert "150 replications" in text and "1.8 points" in text and "0.4 points" in text
    holds, rest = text.split("**Over-reject**")
    assert "`bmp`, `sq`" in holds
    over, under = rest.split("**Conservative**")
    assert "`patell`" in over and "`event-t` on [0, 1] (8.0%" in over
    assert "`event-t` on [0, 0] (1.0%" in under
    # 3 SE: 1.2 (single-event) and 5.4 (group) points
    assert "1.2 points" in under and "5.4 points" in under
    fine = size_findings(size.assign(over="", under="", verdict="holds"))
    assert "No test rejects significantly more" in fine and "Conservative" not in fine


@pytest.fixture
def power():
    columns = pd.MultiIndex.from_tuples([(1.0, "[0, 0]"), (1.0, "[0, 1]"), (2.0, "[0, 0]"),
                                         (2.0, "[0, 1]")], names=["abnormal", "window"])
    return pd.DataFrame([[40.0, 20.0, 90.0, 60.0], [55.4, 30.0, 96.0, 70.0],
                         [21.0, 12.0, 48.0, 30.0], [20.6, 11.0, 48.2, 31.0],
                         [20.8, 11.5, 48.1, 30.5]],
                        index=["bmp", "patell", "event-t", "sq", "garch"], columns=columns)


def test_power_range_and_sentences(power):
    assert power_range(power, ["bmp", "patell"], 1.0, "[0, 0]") == "40–55%"
    assert power_range(power, ["event-t", "sq"], 1.0, "[0, 0]") == "21%"  # 21.0 and 20.6
    # garch is a single-event test: the group tests are bmp and patell only
    text = power_sentence(power, 2.0, "[0, 0]")
    assert text.startswith("+2% on day 0") and "90–96%" in text and "48%" in text
    both = power_findings(power, "[0, 1]")
    assert both.startswith("Over [0, 1]")
    assert [x in both for x in ("20–30%", "11–12%", "60–70%", "30–31%")] == [True] * 4


def test_asset_size_findings_count_the_cells_each_test_holds():
    rows = [("A", "event-t", "[0, 0]", 5.0, "holds"), ("A", "sq", "[0, 0]", 4.1, "conservative"),
            ("B", "event-t", "[0, 0]", 6.8, "over-rejects"), ("B", "sq", "[0, 0]", 6.1,
                                                               "over-rejects")]
    table = pd.DataFrame(rows, columns=["asset", "test", "window", "size (%)", "verdict"])
    text = asset_size_findings(table)
    t_part, sq_part = text.split(";")[:2]
    assert "t test holds its size in 1 of 2" in t_part and "B over [0, 0]: 6.8%" in t_part
    assert "SQ test holds its size in 0 of 2" in sq_part and "6.1%" in sq_part
    assert "1 of 2 market-windows" in text and "B [0, 0]" in text


# --------------------------------------------------------------------------- models and data


def test_synthetic_sentence_reads_the_comparison_table():
    table = pd.DataFrame({
        "model": ["market model", "synthetic control"], "event_id": ["e", "e"],
        "window": ["[0, 1]", "[0, 1]"], "car": [0.0216, 0.0199], "car_se": [0.012, 0.011],
        "ci_lower": [0.0, 0.0], "ci_upper": [0.04, 0.04], "p": [0.089, 0.031],
        "sq_p": [0.1, 0.05], "placebo_p": [0.242, 0.199], "r2": [0.041, 0.262],
        "resid_sd": [0.0088, 0.0076], "n_estimation": [120, 102],
        "donors": ["", "X 0.43, Y 0.22"]})
    text = synthetic_sentence(table, "e", base="market model", synthetic="synthetic control",
                              name="The event")
    for part in ("The event [0, 1]", "(X 0.43, Y 0.22)", "+1.99%", "p 0.031", "+2.16%",
                 "p 0.089", "0.76%", "0.262", "0.88%", "0.041", "not the same"):
        assert part in text, part
    with pytest.raises(InferenceError, match="no row of model 'other' for event 'e'"):
        synthetic_sentence(table, "e", base="other", synthetic="synthetic control")


def test_lead_lag_sentence_reads_the_regression_table():
    table = pd.DataFrame({"factor": ["F"] * 4, "lag": [-1, 0, 1, "sum"],
                          "coef": [0.01, 0.1, 0.03, 0.14], "t_hac": [0.81, 3.97, 2.5, 3.2],
                          "p_hac": [0.42, 0.0001, 0.012, 0.001]})
    table.attrs.update({"nobs": 2605, "maxlags": 8, "first": pd.Timestamp("2010-01-20"),
                        "last": pd.Timestamp("2025-12-30"), "r2_base": 0.027,
                        "r2_lagged": 0.0288})
    text = lead_lag_sentence(table, "A")
    for part in ("2010-01-20", "2025-12-30", "2605 days", "8 lags", "lead 1 t = 0.81",
                 "lag 1 t = 2.50", "significant: F lag 1", "2.70%", "2.88%"):
        assert part in text, part
    assert "lag 0" not in text
    quiet = lead_lag_sentence(table.assign(p_hac=0.5), "A")
    assert "none of them is significant" in quiet


def _largest(labels):
    return pd.DataFrame({"date": pd.date_range("2020-01-02", periods=len(labels)),
                         "return": np.linspace(0.1, 0.05, len(labels)), "label": labels})


def test_series_spans_and_largest_returns():
    day = pd.Timestamp("2017-01-03")
    checks = {t: DataCheck(ticker=t, calendar="X", source="snapshot", first=day,
                           last=pd.Timestamp(last), rows=10)
              for t, last in (("A", "2026-01-13"), ("B", "2026-01-29"))}
    assert series_spans(checks) == "A 2017-01-03–2026-01-13, B 2017-01-03–2026-01-29"
    most = largest_returns_sentence(_largest(["roll", "thin", "roll", "-", "-"]))
    assert "of its 5 largest" in most and "2 span" in most and "1 fall" in most
    assert "artefacts" in most
    # exactly half is not a majority
    assert "artefacts" not in largest_returns_sentence(_largest(["roll", "thin", "-", "-"]))


def test_synthetic_variant_is_found_or_named_missing():
    import eventstudy as es
    from eventstudy.exceptions import StudyConfigError
    from eventstudy.report.robustness import synthetic_variant

    base = es.Study(asset="ZS=F", factors=["SPY"],
                    variants={"syn": {"model": "synthetic", "donors": ["ZC=F", "ZW=F"]}})
    label, study = synthetic_variant(base)
    assert label == "syn" and study.model == "synthetic" and study.donors == ("ZC=F", "ZW=F")
    with pytest.raises(StudyConfigError, match=r"^Study: variants: no variant with model = "
                       r"\"synthetic\" \(variants: none\)"):
        synthetic_variant(es.Study(asset="ZS=F", factors=["SPY"]))

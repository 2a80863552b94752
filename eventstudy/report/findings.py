"""Sentences and readings of result tables, for any study.

Each function takes a tidy table (``car``, ``ar``, ``tests``, ``events``, the
robustness or size tables) or a results object and returns text, a table or
a number. Numbers are formatted by :mod:`eventstudy.format`. A graded p-value
is the leading test's (:func:`lead_reading`): the first single-event test
that holds its size on the asset in the results' size check.
"""

from __future__ import annotations

from .. import format as fmt
from ..exceptions import InferenceError

__all__ = [
    "EVENT_TESTS", "answer_sentence", "asset_size_findings", "car_row", "class_comparison",
    "class_mean", "class_mean_sentence", "class_sentence", "cross_asset_sentence", "day0_moves",
    "departure_rates", "detectable_car", "event_day0", "event_sentence", "event_verdicts",
    "exclusions_sentence", "front_contract", "group_lines", "group_verdicts",
    "largest_returns_sentence", "lead_lag_sentence", "lead_reading", "markets_moved",
    "overlap_sentence", "peer_sentence", "power_findings", "power_range", "power_sentence",
    "reading_changes", "rejecting_windows", "rule_counts", "series_spans", "size_findings",
    "size_windows", "synthetic_sentence", "thin_day_gap", "variant_listing", "variant_verdicts",
    "verdict"
]


#: Per-event p-value columns of the tidy table read by :func:`event_verdicts`.
EVENT_TESTS: tuple[str, ...] = ("p", "sq_p", "placebo_p")
_EVENT_TEST_NAMES = {"p": "t test", "sq_p": "SQ test", "placebo_p": "placebo test",
                     "garch_p": "GARCH t test"}
#: Grades that read as they are ("no evidence"); the others take " evidence".
_BARE_GRADES = ("no evidence", "not graded", "not computed")


def _window(window) -> str:
    return fmt.window(*window)


def _phrase(grade: str) -> str:
    return grade if grade in _BARE_GRADES else f"{grade} evidence"


def _strongest(grades) -> str:
    order = [label for _, label in fmt.EVIDENCE]
    return min(grades, key=lambda g: order.index(g) if g in order else len(order)) \
        if grades else "not computed"


def _event_only(frame, event_id: str, what: str):
    rows = frame[frame["event_id"] == event_id]
    if rows.empty:
        raise InferenceError(
            f"event {event_id!r} is not in the {what} (events: "
            f"{list(dict.fromkeys(frame['event_id']))}); pass one of them"
        )
    return rows


def _in_window(frame, window):
    return frame[(frame["start"] == window[0]) & (frame["end"] == window[1])]


def _verdict_cells(rejecting: list[str], n_tests: int) -> dict:
    return {"n_tests": n_tests, "n_reject": len(rejecting), "rejecting": ", ".join(rejecting),
            "verdict": verdict(rejecting, n_tests)}


_VERDICT_COLUMNS = ["n_tests", "n_reject", "rejecting", "verdict"]


def verdict(rejecting: list[str], n_tests: int) -> str:
    """How many of ``n_tests`` tests reject, in words, naming the rejecting ones.

    ``"no test rejects (0 of 3)"``, ``"hangs on one test (SQ test) of 3"``,
    ``"holds in 2 of 3 tests (a, b)"``, ``"holds across all 3 tests"``,
    ``"one test only, and it rejects"``, ``"no test could be computed"``.
    """
    k = len(rejecting)
    if n_tests == 0:
        return "no test could be computed"
    if k == 0:
        return f"no test rejects (0 of {n_tests})"
    if k == n_tests:
        return "one test only, and it rejects" if n_tests == 1 else \
            f"holds across all {n_tests} tests"
    if k == 1:
        return f"hangs on one test ({rejecting[0]}) of {n_tests}"
    return f"holds in {k} of {n_tests} tests ({', '.join(rejecting)})"


def event_verdicts(car, alpha: float = 0.05):
    """Which per-event tests reject at ``alpha``, for each event and window.

    Parameters
    ----------
    car : pandas.DataFrame
        The tidy table (``event_id, start, end, car`` and the p-value columns
        among :data:`EVENT_TESTS`); with ``lead_test`` only the leading test
        of each row counts.

    Returns
    -------
    pandas.DataFrame
        ``event_id, start, end, car, n_tests, n_reject, rejecting, verdict``.
    """
    import pandas as pd

    from ..config import EVENT_TEST_COLUMNS

    cols = [c for c in EVENT_TESTS if c in car.columns]
    graded = "lead_test" in car.columns
    rows = []
    for rec in car.to_dict("records"):
        if graded:
            lead = rec["lead_test"]
            present = [EVENT_TEST_COLUMNS[lead]] if lead and pd.notna(rec["lead_p"]) else []
        else:
            present = [c for c in cols if pd.notna(rec[c])]
        rejecting = [_EVENT_TEST_NAMES[c] for c in present if rec[c] < alpha]
        rows.append({"event_id": rec["event_id"], "start": rec["start"], "end": rec["end"],
                     "car": rec["car"], **_verdict_cells(rejecting, len(present))})
    return pd.DataFrame(rows, columns=["event_id", "start", "end", "car", *_VERDICT_COLUMNS])


def group_verdicts(tests, alpha: float = 0.05):
    """Which tests of the battery reject at ``alpha``, per group and window.

    Returns
    -------
    pandas.DataFrame
        ``group, start, end, n_events, n_tests, n_reject, rejecting, verdict``.
    """
    import pandas as pd

    rows = []
    for (group, start, end), block in tests.groupby(["group", "start", "end"], sort=False):
        present = block[block["p_value"].notna()]
        rejecting = list(present.loc[present["p_value"] < alpha, "test"])
        rows.append({"group": group, "start": start, "end": end,
                     "n_events": int(block["n_events"].max()) if len(block) else 0,
                     **_verdict_cells(rejecting, len(present))})
    return pd.DataFrame(rows, columns=["group", "start", "end", "n_events", *_VERDICT_COLUMNS])


def group_lines(tests, groups=None, *, alpha: float = 0.05) -> str:
    """Each group's mean CAR (its ``placebo`` rows' statistic) and verdict per window.

    Parameters
    ----------
    groups : sequence of str, optional
        The groups listed, in order (default: every group of the table).

    Returns
    -------
    str
        One Markdown item per group: ``"- **group** (N events): [a, b] mean CAR
        +x.xx%: verdict; …."``.
    """
    verdicts = group_verdicts(tests, alpha)
    caar = tests[tests["test"] == "placebo"].set_index(["group", "start", "end"])["statistic"]
    present = list(dict.fromkeys(verdicts["group"]))
    lines = []
    for group in (present if groups is None else [g for g in groups if g in present]):
        rows = verdicts[verdicts["group"] == group]
        parts = [f"{fmt.window(r.start, r.end)} mean CAR "
                 f"{fmt.pct(caar.get((group, r.start, r.end), float('nan')))}: {r.verdict}"
                 for r in rows.itertuples()]
        lines.append(f"- **{group}** ({int(rows['n_events'].max())} events): "
                     + "; ".join(parts) + ".")
    return "\n".join(lines)


def car_row(car, event_id: str, window=(0, 1)):
    """The row of a tidy table for one event and window (InferenceError naming the windows)."""
    rows = _event_only(car, event_id, "CAR table")
    hit = _in_window(rows, window)
    if hit.empty:
        have = ", ".join(_window(w) for w in zip(rows["start"], rows["end"], strict=True))
        raise InferenceError(
            f"event {event_id!r} has no CAR over {_window(window)} (windows: {have}); "
            "pass one of them as window="
        )
    return hit.iloc[0]


def event_day0(car, event_id: str):
    """The trade date of an event's day 0, from the tidy table (``event_id, trade_date``)."""
    return _event_only(car, event_id, "CAR table")["trade_date"].iloc[0]


def lead_reading(c) -> tuple:
    """(test name, p, grade) of a tidy row's leading test; (None, nan, "not graded") if none."""
    from ..config import EVENT_TEST_LABELS

    t = c.get("lead_test", "") if hasattr(c, "get") else ""
    if isinstance(t, str) and t:
        return EVENT_TEST_LABELS[t], float(c["lead_p"]), fmt.evidence(c["lead_p"])
    return None, float("nan"), "not graded"


def _lead_text(c) -> str:
    name, p, _ = lead_reading(c)
    if name:
        return f"{name} p = {fmt.pvalue(p)}"
    checked = hasattr(c, "get") and c.get("lead_test", None) is not None
    return ("no p-value graded: no single-event test holds its size here" if checked else
            "no p-value graded: the single-event tests were not size-checked")


def event_sentence(car, asset: str, event_id: str, window=(0, 1), *, alpha: float = 0.05) -> str:
    """One event's CAR over one window with its interval, graded p and the other tests' p.

    Returns
    -------
    str
        ``"A +2.26% over [0, 1] (95% CI [-0.33%, +4.85%]; t test p = 0.086,
        weak evidence; SQ test p = 0.106, placebo test p = 0.201)"``; without
        a CAR, the row's note.
    """
    from ..config import EVENT_TEST_COLUMNS

    c = car_row(car, event_id, window)
    if c["car"] != c["car"]:
        note = c.get("note", "") if hasattr(c, "get") else ""
        return f"{asset}: no CAR over {_window(window)} ({note or 'no usable day'})"
    lead = c.get("lead_test", "")
    skip = EVENT_TEST_COLUMNS.get(lead) if isinstance(lead, str) else None
    others = ", ".join(f"{_EVENT_TEST_NAMES[k]} p = {fmt.pvalue(c[k])}" for k in EVENT_TESTS
                       if k != skip and k in c)
    return (f"{asset} {fmt.pct(c['car'])} over {_window(window)} ({100 * (1 - alpha):g}% CI "
            f"{fmt.interval(c['ci_lower'], c['ci_upper'])}; {_lead_text(c)}, "
            f"{_phrase(lead_reading(c)[2])}" + (f"; {others})" if others else ")"))


def rejecting_windows(car, asset: str, event_id: str, *, alpha: float = 0.05) -> list[str]:
    """The windows in which an event's graded test rejects, ``"ASSET [a, b] (tests)"``."""
    v = event_verdicts(car[car["event_id"] == event_id], alpha)
    return [f"{asset} [{r.start}, {r.end}] ({r.rejecting})"
            for r in v[v["n_reject"] > 0].itertuples()]


def answer_sentence(name: str, cars: dict, event_id: str, window=(0, 1), *,
                    alpha: float = 0.05) -> str:
    """One event's answer: the strongest graded reading, then CAR and interval per asset.

    Parameters
    ----------
    cars : dict of str -> pandas.DataFrame
        Asset -> its tidy table at level ``alpha``.

    Returns
    -------
    str
        ``"**name — weak evidence.** Over [0, 1]: A +2.26% (95% CI […], t test
        p = 0.086); B …."``.
    """
    level = f"{100 * (1 - alpha):g}% CI"
    grades, parts = [], []
    for asset, car in cars.items():
        c = car_row(car, event_id, window)
        if c["car"] != c["car"]:
            parts.append(f"{asset} no CAR ({c.get('note', '') or 'no usable day'})")
            continue
        grades.append(lead_reading(c)[2])
        parts.append(f"{asset} {fmt.pct(c['car'])} ({level} "
                     f"{fmt.interval(c['ci_lower'], c['ci_upper'])}, {_lead_text(c)})")
    best = _strongest(grades)
    return f"**{name} — {_phrase(best)}.** Over {_window(window)}: " + "; ".join(parts) + "."


def detectable_car(car, event_id: str, window=(0, 1), *, alpha: float = 0.05) -> float:
    """The smallest absolute CAR the event's t test rejects at ``alpha``, in percent.

    Notes
    -----
    100 · t_{df, 1-α/2} · se(CAR), from the row's ``df`` and ``car_se``
    (Campbell, Lo and MacKinlay 1997, ch. 4).

    References
    ----------
    Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). *The
    Econometrics of Financial Markets*. Princeton University Press.
    """
    from scipy import stats

    c = car_row(car, event_id, window)
    return float(100 * stats.t.ppf(1 - alpha / 2, c["df"]) * c["car_se"])


def thin_day_gap(ar_a, ar_b, event_id: str) -> float:
    """max |AR_a(d) - AR_b(d)| over the days d thin in ``ar_a`` (NaN when none has both)."""
    a = _event_only(ar_a, event_id, "first AR table").set_index("day")
    b = _event_only(ar_b, event_id, "second AR table").set_index("day")
    gap = (a["ar"] - b["ar"])[a["thin"].astype(bool)].abs()
    return float(gap.max()) if gap.notna().any() else float("nan")


def front_contract(asset: str, day0):
    """The row of :func:`eventstudy.contracts.contract_schedule` a ticker is on at ``day0``."""
    import pandas as pd

    from ..contracts import contract_schedule

    day0 = pd.Timestamp(day0)
    schedule = contract_schedule(asset, day0 - pd.Timedelta(days=90),
                                 day0 + pd.Timedelta(days=90))
    return schedule[schedule["last_trade_date"] >= day0].iloc[0]


def exclusions_sentence(events) -> str:
    """How many events entered the estimation, and why the others did not."""
    excluded = events[events["status"] != "used"]
    head = f"{len(events) - len(excluded)} of {len(events)} events entered the estimation"
    if excluded.empty:
        return head + " (none excluded)."
    return (head + f" ({len(excluded)} excluded: "
            + "; ".join(f"{r.event_id}: {r.reason}" for r in excluded.itertuples()) + ").")


def overlap_sentence(car, window) -> str:
    """Which events hold another event's day 0 in one window (the tidy table's ``overlaps``)."""
    rows = _in_window(car, window)
    hit = rows[rows["overlaps"].fillna("") != ""]
    if hit.empty:
        return (f"In {_window(window)}, no event's window holds another event's day 0: the "
                "events' windows do not overlap.")
    listed = "; ".join(f"{r.event_id} ({r.overlaps})" for r in hit.itertuples())
    return (f"In {_window(window)}, {len(hit)} of {len(rows)} events hold another event's day "
            f"0 in their window, so their CARs share days: {listed}.")


def day0_moves(moved) -> str:
    """Events whose day 0 is not the reported date, ``"id: date → trade_date (rule), …"``."""
    return ", ".join(f"{r.id}: {r.date:%Y-%m-%d} → {r.trade_date:%Y-%m-%d} ({r.rule})"
                     for r in moved.itertuples())


def rule_counts(aligned) -> str:
    """How often each alignment rule was used, most used first: ``"date-only ×12, …"``."""
    return ", ".join(f"{k} ×{v}" for k, v in aligned["rule"].value_counts().items())


def class_comparison(car, event_id: str, window=(0, 0), *, peers=None) -> dict:
    """Where one event's CAR falls among the earlier events of its class.

    Parameters
    ----------
    car : pandas.DataFrame
        The tidy table of the class.
    peers : sequence of str, optional
        The events compared with (default: every event); only those before
        the event with a CAR over ``window`` count.

    Returns
    -------
    dict
        ``car``, ``n_earlier``, ``at_least`` (peers with |CAR| ≥ the event's),
        ``share`` (``at_least / n_earlier``), ``rank`` (1 = largest |CAR|),
        ``median_abs``, ``mean``, ``min``, ``max`` of the peers' CARs.
    """
    import numpy as np

    rows = _in_window(car, window)
    me = car_row(car, event_id, window)
    earlier = rows[(rows["trade_date"] < me["trade_date"]) & rows["car"].notna()]
    if peers is not None:
        earlier = earlier[earlier["event_id"].isin(list(peers))]
    values = earlier["car"].to_numpy(dtype=float)
    n = values.size
    at_least = int((np.abs(values) >= abs(me["car"])).sum())

    def stat(f):
        return float(f(values)) if n else float("nan")

    return {"car": me["car"], "n_earlier": n, "at_least": at_least,
            "share": at_least / n if n else float("nan"), "rank": at_least + 1,
            "median_abs": stat(lambda v: np.median(np.abs(v))), "mean": stat(np.mean),
            "min": stat(np.min), "max": stat(np.max)}


def class_sentence(car, event_id: str, name: str, window=(0, 0), *,
                   class_label: str = "events", where: str = "") -> str:
    """The event's rank in its class: *ordinary* when at least a quarter of the earlier events
    moved at least as much, else *among the largest*; ``where`` is added in parentheses.
    """
    c = class_comparison(car, event_id, window)
    if not c["n_earlier"]:
        return f"{name} has no earlier {class_label} with a CAR over {_window(window)}."
    head = (f"Compared with the {c['n_earlier']} earlier {class_label}, {name}'s "
            f"{_window(window)} CAR of {fmt.pct(c['car'])} is ")
    median = f"their median |CAR| is {fmt.pct(c['median_abs'], sign=False)}"
    tail = f" ({where})" if where else ""
    if c["share"] >= 0.25:
        return (head + f"ordinary: {c['at_least']} of them ({100 * c['share']:.0f}%) moved at "
                f"least as much (rank {c['rank']} of {c['n_earlier'] + 1} by size; {median})"
                f"{tail}.")
    return (head + f"among the largest: only {c['at_least']} of them ({100 * c['share']:.0f}%) "
            f"moved at least as much (rank {c['rank']} of {c['n_earlier'] + 1}; {median})"
            f"{tail}.")


def peer_sentence(car, event_id: str, window=(0, 1), *, peers, label: str) -> str:
    """One event's CAR against chosen earlier events (``label``): their mean, range and how many
    moved at least as much.
    """
    c = class_comparison(car, event_id, window, peers=peers)
    return (f"{event_id} {fmt.pct(c['car'])} against a mean of {fmt.pct(c['mean'])} (range "
            f"{fmt.pct(c['min'])} to {fmt.pct(c['max'])}) for the {c['n_earlier']} {label}, "
            f"{c['at_least']} of which moved at least as much")


def class_mean(car, window, *, alpha: float = 0.05) -> dict:
    """The mean CAR of a class over one window: ``n, mean, lower, upper, p``.

    ``lower``/``upper`` are mean ± t_{N-1} · sd / √N and ``p`` the cross-sectional
    t test of a zero mean; NaN with fewer than two CARs.
    """
    from scipy import stats

    cars = _in_window(car, window)["car"].dropna().to_numpy(dtype=float)
    if cars.size < 2:
        nan = float("nan")
        return {"n": int(cars.size), "mean": nan, "lower": nan, "upper": nan, "p": nan}
    test = stats.ttest_1samp(cars, 0.0)
    ci = test.confidence_interval(1 - alpha)
    return {"n": int(cars.size), "mean": float(cars.mean()), "lower": float(ci.low),
            "upper": float(ci.high), "p": float(test.pvalue)}


def class_mean_sentence(car, window, *, class_label: str = "events",
                        alpha: float = 0.05) -> str:
    """The class mean CAR (:func:`class_mean`) in one sentence."""
    m = class_mean(car, window, alpha=alpha)
    return (f"The mean CAR of all {m['n']} {class_label} over {_window(window)} is "
            f"{fmt.pct(m['mean'])} ({100 * (1 - alpha):g}% CI "
            f"{fmt.interval(m['lower'], m['upper'])}; cross-sectional t p = "
            f"{fmt.pvalue(m['p'])}: {fmt.evidence_phrase(m['p'])}).")


def markets_moved(multi, event_id: str, window=(0, 1)) -> str:
    """Which markets of a multi-asset study show evidence on one event, graded on their
    leading tests, and where the event was not estimated.
    """
    moved, grades, missing = [], [], []
    for asset, res in multi.results.items():
        if event_id not in res.used_ids:
            missing.append(asset)
            continue
        c = car_row(res.car, event_id, window)
        grade = lead_reading(c)[2]
        grades.append(grade)
        if grade not in _BARE_GRADES:
            moved.append(f"{asset} {fmt.pct(c['car'])} ({grade} evidence, {_lead_text(c)})")
    best = _strongest(grades)
    text = (f"{len(moved)} of {len(grades)} markets show at least weak evidence over "
            f"{_window(window)} (strongest: {best}): " + "; ".join(moved) if moved else
            f"No market shows evidence of a move over {_window(window)} (strongest reading "
            f"of {len(grades)}: {best})")
    return text + (f"; not estimated on {', '.join(missing)}." if missing else ".")


def cross_asset_sentence(multi, event_id: str, window=(0, 1), *, alpha: float = 0.05) -> str:
    """The cross-asset tests of one event (:meth:`MultiAssetResults.cross_asset`), in words."""
    cross = _in_window(multi.cross_asset(alpha), window)
    hit = cross[cross["event_id"] == event_id]
    if hit.empty or hit["mean_car"].isna().iloc[0]:
        note = hit["note"].iloc[0] if len(hit) else "the event is not in the cross-asset table"
        return f"No cross-asset test over {_window(window)} ({note or 'too few markets'})."
    r = hit.iloc[0]
    return (f"Across the {int(r['n_assets'])} markets the mean CAR is {fmt.pct(r['mean_car'])} "
            f"(p = {fmt.pvalue(r['p_mean'])} allowing for their mean correlation of "
            f"{r['mean_corr']:.2f}); all CARs zero: p = {fmt.pvalue(r['p_joint'])}.")


def reading_changes(base, alternative, event_id: str, window=(0, 1), *,
                    label: str = "the second model") -> str:
    """The markets whose graded reading of one event differs between two multi-asset fits.

    ``label`` names the alternative: ``"Under <label> the reading changes for A
    from weak to no evidence (+2.26% → +0.40%)."``.
    """
    changed = []
    for asset, res in alternative.results.items():
        first = base.results.get(asset)
        if first is None or event_id not in res.used_ids or event_id not in first.used_ids:
            continue
        a, b = car_row(first.car, event_id, window), car_row(res.car, event_id, window)
        was, now = lead_reading(a)[2], lead_reading(b)[2]
        if was != now:
            changed.append(f"{asset} from {was} to {now} ({fmt.pct(a['car'])} → "
                           f"{fmt.pct(b['car'])})")
    if not changed:
        return f"Under {label} no market's reading changes."
    return f"Under {label} the reading changes for " + "; ".join(changed) + "."


def variant_verdicts(table, event_id: str) -> str:
    """How one event fares across the variants of a robustness table (dummy regression aside):
    rejecting variants, the range of the CAR and the variants excluding it.
    """
    rows = _event_only(table, event_id, "robustness table")
    rows = rows[rows["dimension"] != "dummy regression"]
    rej = rows.loc[rows["n_reject"] > 0, "variant"].tolist()
    excluded = rows.loc[rows["car_pct"].isna(), "variant"].tolist()
    return (f"**{event_id}**: a per-event test rejects at 5% in {len(rej)} of {len(rows)} "
            "variants and windows"
            + (f" ({'; '.join(rej)})" if rej else "")
            + f"; the CAR ranges from {rows['car_pct'].min():+.2f}% to "
            f"{rows['car_pct'].max():+.2f}%"
            + (f"; excluded in: {'; '.join(excluded)}" if excluded else ""))


def variant_listing(frame) -> str:
    """Rows of the robustness table as ``"variant (event: verdict)"``; ``"none"`` for no row."""
    return "; ".join(f"{r.variant} ({r.event_id}: {r.verdict})"
                     for r in frame.itertuples()) or "none"


#: Columns of a size table (:func:`eventstudy.report.tables.size_power_tables`) that are
#: not windows.
_SIZE_FIELDS = ("mc_se", "trials", "over", "under", "verdict")


def size_windows(size) -> list[str]:
    """The window columns of a size table, in its order."""
    return [c for c in size.columns if c not in _SIZE_FIELDS]


def departure_rates(size, tests, column: str) -> str:
    """``"`test` on [a, b] (rate% ± mc_se), …"``: the windows in a size table's ``column``."""
    return "; ".join(
        f"`{t}` on " + ", ".join(f"{w} ({size.loc[t, w]:.1f}% ± {size.loc[t, 'mc_se']:.1f})"
                                 for w in size.loc[t, column].split("; "))
        for t in tests)


def size_findings(size) -> str:
    """Which tests hold their size, over-reject or are conservative, from a size table."""
    holds = size.index[size["verdict"] == "holds"].tolist()
    over = size.index[size["verdict"].isin(["over-rejects", "mixed"])].tolist()
    under = size.index[size["verdict"].isin(["conservative", "mixed"])].tolist()
    reps = int(size.loc[size.index[0], "trials"])
    return (
        f"With {reps} replications a group test's rate has a Monte Carlo SE of "
        f"{size['mc_se'].max():.1f} points and a single-event test's "
        f"{size['mc_se'].min():.1f} points. "
        + (f"**Hold their size** (every window within 3 SE of 5%): "
           f"{', '.join(f'`{t}`' for t in holds)}. " if holds else
           "**No test** holds its size in every window. ")
        + (f"**Over-reject**: {departure_rates(size, over, 'over')}. " if over else
           "No test rejects significantly more than 5%. ")
        + (f"**Conservative** (reject less than 5%): {departure_rates(size, under, 'under')}. "
           if under else "")
        + (f"A departure smaller than about {3 * size['mc_se'].min():.1f} points (a "
           "single-event test) or "
           f"{3 * size['mc_se'].max():.1f} points (a group test) is within what this run can "
           "see.")
    )


def _event_tests(power) -> list[str]:
    from ..simulation import EVENT_TESTS as SINGLE_EVENT_TESTS

    return [t for t in power.index if t in SINGLE_EVENT_TESTS]


def power_range(power, tests, delta: float, window: str) -> str:
    """The range of power over ``tests`` at abnormal return ``delta`` (%), ``"lo–hi%"``."""
    lo, hi = (f"{v:.0f}" for v in power.loc[tests, (delta, window)].agg(["min", "max"]))
    return f"{lo}%" if lo == hi else f"{lo}–{hi}%"


def power_sentence(power, delta: float, window: str) -> str:
    """Power of the group tests and of the single-event tests at one abnormal return."""
    event = _event_tests(power)
    group = [t for t in power.index if t not in event]
    return (f"{delta:+.0f}% on day 0 the group tests reject in "
            f"{power_range(power, group, delta, window)} of the replications, a single-event "
            f"test in {power_range(power, event, delta, window)} of the pseudo-events")


def power_findings(power, window: str) -> str:
    """Power over one window at every abnormal return of a power table."""
    deltas = list(dict.fromkeys(power.columns.get_level_values(0)))
    return (f"Over {window}, with "
            + "; with ".join(power_sentence(power, d, window) for d in deltas) + ".")


def asset_size_findings(table) -> str:
    """Per test, the market-windows where it holds its size or over-rejects, then those where
    no test holds (:func:`eventstudy.report.robustness.asset_size_checks`).
    """
    from ..config import EVENT_TEST_LABELS

    cells = table.groupby(["asset", "window"], sort=False)
    parts = []
    for test, rows in table.groupby("test", sort=False):
        holds = int((rows["verdict"] == "holds").sum())
        over = rows[rows["verdict"] == "over-rejects"]
        text = (f"the {EVENT_TEST_LABELS.get(test, test)} holds its size in {holds} of "
                f"{len(rows)} market-windows")
        if len(over):
            w = over.sort_values("size (%)").iloc[-1]
            text += (f" and over-rejects in {len(over)} (most on {w['asset']} over "
                     f"{w['window']}: {w['size (%)']:.1f}%)")
        parts.append(text)
    none = [f"{a} {w}" for (a, w), rows in cells if not (rows["verdict"] == "holds").any()]
    tail = (f" In {len(none)} of {cells.ngroups} market-windows no single-event test holds its "
            f"size, and no p-value is graded there: {', '.join(none)}." if none else
            f" In every one of the {cells.ngroups} market-windows at least one test holds its "
            "size.")
    return "On these markets " + "; ".join(parts) + "." + tail


def synthetic_sentence(comparison, event_id: str, *, base: str, synthetic: str,
                       name: str | None = None, alpha: float = 0.05) -> str:
    """One event under a model (``base``) and a synthetic control (``synthetic``).

    Reads :func:`eventstudy.report.tables.model_comparison`: the CAR and p-values
    under each, the synthetic control's weights and pre-event fit, and whether the
    t test's verdict at ``alpha`` agrees.
    """
    rows = comparison[comparison["event_id"] == event_id].set_index("model")
    missing = [m for m in (base, synthetic) if m not in rows.index]
    if missing:
        raise InferenceError(f"no row of model {missing[0]!r} for event {event_id!r} in the "
                             f"comparison; models there: {', '.join(map(str, rows.index))}")
    b, s = rows.loc[base], rows.loc[synthetic]
    same = (b["p"] < alpha) == (s["p"] < alpha)
    return (
        f"{name or event_id} {b['window']}: the synthetic control ({s['donors']}) gives a CAR of "
        f"{fmt.pct(s['car'])} (t-test p {fmt.pvalue(s['p'])}, placebo p "
        f"{fmt.pvalue(s['placebo_p'])}) against {fmt.pct(b['car'])} (p {fmt.pvalue(b['p'])}, "
        f"placebo p {fmt.pvalue(b['placebo_p'])}) from the {base}. Before the event it tracks "
        f"the asset with an RMSPE of {fmt.pct(s['resid_sd'], sign=False)} a day (pre-event R² "
        f"{s['r2']:.3f}) against a residual sd of {fmt.pct(b['resid_sd'], sign=False)} (R² "
        f"{b['r2']:.3f}) for the {base}; the t test's verdict at the {alpha:g} level is "
        f"{'the same' if same else 'not the same'} under both."
    )


def lead_lag_sentence(table, asset: str, *, alpha: float = 0.05) -> str:
    """Whether the leads and lags of a lead/lag regression's factors matter, in words."""
    meta = table.attrs
    shifted = table[(table["lag"] != "sum") & (table["lag"] != 0)]

    def term(r):
        return f"{'lead' if int(r.lag) < 0 else 'lag'} {abs(int(r.lag))}"

    parts = [f"{factor} (" + ", ".join(f"{term(r)} t = {r.t_hac:.2f}" for r in rows.itertuples())
             + ")" for factor, rows in shifted.groupby("factor", sort=False)]
    significant = shifted[shifted["p_hac"] < alpha]
    found = ("none of them is significant" if significant.empty else
             "significant: " + ", ".join(f"{r.factor} {term(r)}"
                                         for r in significant.itertuples()))
    return (
        f"On {asset} from {meta['first']:%Y-%m-%d} to {meta['last']:%Y-%m-%d} "
        f"({meta['nobs']} days), the factors' leads and lags have Newey–West t statistics "
        f"({meta['maxlags']} lags) of {'; '.join(parts)} — at the {alpha:g} level {found}. "
        f"R² moves from {100 * meta['r2_base']:.2f}% without them to "
        f"{100 * meta['r2_lagged']:.2f}% with them."
    )


def series_spans(checks) -> str:
    """Each series' first and last trade date, ``"A 2017-01-03–2026-01-13, …"``."""
    return ", ".join(f"{t} {c.first:%Y-%m-%d}–{c.last:%Y-%m-%d}" for t, c in checks.items())


def largest_returns_sentence(largest) -> str:
    """How many of a series' largest returns (``DataCheck.largest_returns``) are roll or thin-day
    artefacts.
    """
    labels = largest["label"]
    n_roll = int((labels == "roll").sum())
    n_thin = int((labels == "thin").sum())
    return (f"of its {len(largest)} largest absolute returns, {n_roll} span a contract switch "
            f"and {n_thin} fall on thin-trading days"
            + (": most of the largest moves are artefacts of the continuous series, which is "
               "why the masks exist." if n_roll + n_thin > len(largest) / 2 else "."))

"""The report's plain-language findings, generated from the result tables.

Each notebook of ``notebooks/`` closes with a cell tagged ``findings`` whose
text the report's index repeats. The sentences are written here, from the
data checks of :mod:`eventstudy.quality`, the aligned events of
:mod:`eventstudy.events`, the tables of :mod:`eventstudy.results` (``car``,
``ar``, ``tests``, the robustness table) and of
:func:`eventstudy.report.size_power_tables`, so that every
number a page states is computed once, by a tested function, and the
notebook only calls it and shows the result.

The small functions take plain tables and return one sentence, a list of
phrases or a number; the ``*_findings`` functions assemble a page's
closing statement (Markdown) from them.

Numbers are shown as in the tables of the pages: CARs in percent of log
return with two decimals and a sign, p-values with three decimals.
"""

from __future__ import annotations

from ..exceptions import InferenceError

__all__ = [
    "EVENT_TESTS",
    "event_verdicts",
    "group_verdicts",
    "reading",
    "series_spans",
    "largest_returns_sentence",
    "data_quality_findings",
    "day0_moves",
    "rule_counts",
    "events_findings",
    "car_row",
    "event_day0",
    "event_sentence",
    "rejecting_windows",
    "event_answer",
    "same_answer",
    "detectable_car",
    "thin_day_gap",
    "front_contract",
    "delivery_note",
    "answer_sentence",
    "class_comparison",
    "class_findings",
    "class_sentence",
    "markets_findings",
    "overlap_sentence",
    "article_findings",
    "group_line",
    "compare_with_peers",
    "trade_war_findings",
    "variant_verdicts",
    "variant_listing",
    "size_windows",
    "asset_size_findings",
    "departure_rates",
    "size_findings",
    "power_range",
    "power_sentence",
    "power_findings",
    "robustness_findings",
    "synthetic_sentence",
    "synthetic_findings",
    "lead_lag_sentence",
]


#: Per-event p-value columns of ``car.csv`` read by :func:`event_verdicts`.
EVENT_TESTS: tuple[str, ...] = ("p", "sq_p", "placebo_p")
_EVENT_TEST_NAMES = {"p": "t test", "sq_p": "SQ test", "placebo_p": "placebo test",
                     "garch_p": "GARCH t test"}


def _verdict(names_significant: list[str], n_tests: int) -> str:
    k = len(names_significant)
    if n_tests == 0:
        return "no test could be computed"
    if k == 0:
        return f"no test rejects (0 of {n_tests})"
    if k == n_tests:
        if n_tests == 1:
            return "one test only, and it rejects"
        return f"holds across all {n_tests} tests"
    if k == 1:
        return f"hangs on one test ({names_significant[0]}) of {n_tests}"
    return f"holds in {k} of {n_tests} tests ({', '.join(names_significant)})"


def event_verdicts(car, alpha: float = 0.05):
    """Which per-event tests reject at ``alpha``, for each event and window.

    Parameters
    ----------
    car : pandas.DataFrame
        The ``car.csv`` table: ``event_id, start, end, car`` and the p-value
        columns among ``p`` (t test with estimation-error variance), ``sq_p``
        (SQ test) and ``placebo_p`` (placebo distribution). A table with
        ``lead_test`` (the tidy table) counts only the leading test of each
        row: the one that holds its size on the asset (none where none does).
    alpha : float
        Test level.

    Returns
    -------
    pandas.DataFrame
        ``event_id, start, end, car, n_tests, n_reject, rejecting, verdict``;
        ``n_tests`` counts the p-values that exist (not NaN).
    """
    import pandas as pd

    from ..config import EVENT_TEST_COLUMNS

    cols = [c for c in EVENT_TESTS if c in car.columns]
    graded = "lead_test" in car.columns
    rows = []
    for rec in car.to_dict("records"):
        if graded:  # only the leading test, where one holds its size
            lead = rec["lead_test"]
            present = [EVENT_TEST_COLUMNS[lead]] if lead and pd.notna(rec["lead_p"]) else []
        else:
            present = [c for c in cols if pd.notna(rec[c])]
        rejecting = [_EVENT_TEST_NAMES[c] for c in present if rec[c] < alpha]
        rows.append({
            "event_id": rec["event_id"],
            "start": rec["start"],
            "end": rec["end"],
            "car": rec["car"],
            "n_tests": len(present),
            "n_reject": len(rejecting),
            "rejecting": ", ".join(rejecting),
            "verdict": _verdict(rejecting, len(present)),
        })
    return pd.DataFrame(rows, columns=["event_id", "start", "end", "car", "n_tests", "n_reject",
                                       "rejecting", "verdict"])


def group_verdicts(tests, alpha: float = 0.05):
    """Which tests of the battery reject at ``alpha``, per group and window.

    Parameters
    ----------
    tests : pandas.DataFrame
        The ``tests.csv`` table (``group, start, end, test, statistic,
        p_value, n_events``).
    alpha : float
        Test level.

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
        rows.append({
            "group": group,
            "start": start,
            "end": end,
            "n_events": int(block["n_events"].max()) if len(block) else 0,
            "n_tests": len(present),
            "n_reject": len(rejecting),
            "rejecting": ", ".join(rejecting),
            "verdict": _verdict(rejecting, len(present)),
        })
    return pd.DataFrame(rows, columns=["group", "start", "end", "n_events", "n_tests", "n_reject",
                                       "rejecting", "verdict"])



def reading(results, alpha: float = 0.05) -> list[str]:
    """A short plain reading of fitted results, generated from their tables.

    For each event and window: the CAR, its graded evidence (t test's p on
    :data:`eventstudy.format.EVIDENCE`) and which per-event tests
    reject at ``alpha``; for each group of the tests table, how many of the
    battery's tests reject.

    Returns
    -------
    list of str
        One Markdown bullet per finding.
    """
    import pandas as pd

    from .. import format as fmt

    lines = []
    car = results.tidy(alpha)
    ev = event_verdicts(car, alpha)
    for eid, block in ev.groupby("event_id", sort=False):
        rows = car[car["event_id"] == eid]
        parts = []
        for r, c in zip(block.itertuples(), rows.itertuples(), strict=True):
            if pd.isna(r.car):
                parts.append(f"{fmt.window(r.start, r.end)} no CAR ({c.note})")
            else:
                parts.append(f"{fmt.window(r.start, r.end)} {fmt.pct(r.car)} "
                             f"{fmt.interval(c.ci_lower, c.ci_upper)}, "
                             f"{fmt.evidence_phrase(c.p)} (t p = {fmt.pvalue(c.p)}); "
                             f"{r.verdict}")
        lines.append(f"- **{eid}**: " + "; ".join(parts) + ".")
    tests = results.tests
    if len(tests):
        gv = group_verdicts(tests, alpha)
        for g, block in gv.groupby("group", sort=False):
            n = int(block["n_events"].max())
            parts = [f"{fmt.window(r.start, r.end)} {r.verdict}" for r in block.itertuples()]
            lines.append(f"- group **{g}** ({n} event{'s' if n != 1 else ''}): "
                         + "; ".join(parts) + ".")
    return lines


def _window(window) -> str:
    return f"[{window[0]}, {window[1]}]"


def _event_only(frame, event_id: str, what: str):
    rows = frame[frame["event_id"] == event_id]
    if rows.empty:
        raise InferenceError(
            f"event {event_id!r} is not in the {what} (events: "
            f"{list(dict.fromkeys(frame['event_id']))}); pass one of them"
        )
    return rows


# --------------------------------------------------------------------------- page 1: data quality


def series_spans(checks) -> str:
    """Each series' first and last trade date, ``"ZS=F 2017-01-03–2026-01-13, …"``.

    Parameters
    ----------
    checks : dict of str -> eventstudy.quality.DataCheck
        (``first``, ``last``), in the order listed.
    """
    return ", ".join(f"{t} {c.first:%Y-%m-%d}–{c.last:%Y-%m-%d}" for t, c in checks.items())


def largest_returns_sentence(largest) -> str:
    """How many of a series' largest returns are roll or thin-trading artefacts.

    Parameters
    ----------
    largest : pandas.DataFrame
        :attr:`eventstudy.quality.DataCheck.largest_returns` (``label``:
        ``roll``, ``thin`` or ``-``).

    Returns
    -------
    str
        ``"of its N largest absolute returns, R span a contract switch and T
        fall on thin-trading days"``, followed by ``": most of the largest
        moves are artefacts …"`` when R + T > N / 2, and a full stop.
    """
    labels = largest["label"]
    n_roll = int((labels == "roll").sum())
    n_thin = int((labels == "thin").sum())
    return (f"of its {len(largest)} largest absolute returns, {n_roll} span a contract switch "
            f"and {n_thin} fall on thin-trading days"
            + (": most of the largest moves are artefacts of the continuous series, which is "
               "why the masks exist." if n_roll + n_thin > len(largest) / 2 else "."))


def data_quality_findings(checks, provenance, *, asset: str, start) -> str:
    """The closing statement of page 1: sources, roll days, thin trading, missing sessions.

    Parameters
    ----------
    checks : dict of str -> eventstudy.quality.DataCheck
        :func:`eventstudy.report.data_checks` of every series shown.
    provenance : pandas.DataFrame
        :func:`eventstudy.report.data_provenance` (``source``).
    asset : str
        The futures series whose roll days, thin periods and largest returns
        are counted.
    start : date-like
        The first date checked; the text names its year.

    Returns
    -------
    str
        Markdown: the distinct sources (sorted) and :func:`series_spans`;
        the asset's roll days and thin-trading periods;
        :func:`largest_returns_sentence`; the missing sessions per series.
    """
    import pandas as pd

    c = checks[asset]
    source = ", ".join(sorted(set(provenance["source"].astype(str))))
    missing = ", ".join(f"{t} {len(k.missing_sessions)}" for t, k in checks.items())
    return (
        f"Prices come from **{source}** ({series_spans(checks)}). "
        f"Since {pd.Timestamp(start).year} the {asset} series has **{len(c.roll_days)} roll "
        f"days** and **{len(c.thin_periods)} thin-trading periods**; "
        f"{largest_returns_sentence(c.largest_returns)} "
        f"Missing sessions against the exchange calendars: {missing}."
    )


# --------------------------------------------------------------------------- page 2: events


def day0_moves(moved) -> str:
    """Events whose day 0 is not the reported date, ``"id: date → trade_date (rule), …"``.

    Parameters
    ----------
    moved : pandas.DataFrame
        :func:`eventstudy.report.moved_events` (``id, date, trade_date, rule``).
    """
    return ", ".join(f"{r.id}: {r.date:%Y-%m-%d} → {r.trade_date:%Y-%m-%d} ({r.rule})"
                     for r in moved.itertuples())


def rule_counts(aligned) -> str:
    """How often each alignment rule was used, most used first: ``"date-only ×12, …"``.

    Parameters
    ----------
    aligned : pandas.DataFrame
        :func:`eventstudy.events.align_events` (``rule``); ties keep the
        order of :meth:`pandas.Series.value_counts`.
    """
    return ", ".join(f"{k} ×{v}" for k, v in aligned["rule"].value_counts().items())


def events_findings(aligned, *, last_early_year: int, early_label: str,
                    first_late_year: int) -> str:
    """The closing statement of page 2: the event catalogue and how day 0 was found.

    Parameters
    ----------
    aligned : pandas.DataFrame
        :func:`eventstudy.events.align_events` (``id, date, trade_date,
        rule, status, in_article``).
    last_early_year : int
        Events with a trade date in this year or before are the early ones,
        named ``early_label``.
    early_label : str
    first_late_year : int
        Events with a trade date in this year or after are the recent ones.

    Returns
    -------
    str
        Markdown: the number of events, of those with a trade date (early
        and recent), the pending ones by id
        (:func:`eventstudy.report.pending_events`), those from the article,
        the events whose day 0 moved (:func:`day0_moves`) and the rules used
        (:func:`rule_counts`).
    """
    from .tables import moved_events, pending_events

    pending = pending_events(aligned)
    moved = moved_events(aligned)
    years = aligned["trade_date"].dt.year
    n_aligned = int((aligned["status"] == "aligned").sum())
    return (
        f"The catalogue holds **{len(aligned)} events**: {n_aligned} have a trade date "
        f"({int((years <= last_early_year).sum())} from {early_label}, "
        f"{int((years >= first_late_year).sum())} from {first_late_year}) and "
        f"{len(pending)} are pending ({', '.join(pending['id'])}). "
        f"{int(aligned['in_article'].sum())} events are marked `in_article` in the catalogue. "
        f"For {len(moved)} events day 0 is not the reported calendar date "
        f"({day0_moves(moved)}). "
        f"Rules used: {rule_counts(aligned)}."
    )


# --------------------------------------------------------------------------- page 3: one event


def car_row(car, event_id: str, window=(0, 1)):
    """The row of a ``car.csv`` table for one event and window.

    Parameters
    ----------
    car : pandas.DataFrame
        ``event_id, start, end`` and the CAR columns.
    event_id : str
    window : (int, int)

    Returns
    -------
    pandas.Series

    Raises
    ------
    InferenceError
        When the table has no such row; the message names the event and
        window and lists the windows the event has.
    """
    rows = _event_only(car, event_id, "CAR table")
    hit = rows[(rows["start"] == window[0]) & (rows["end"] == window[1])]
    if hit.empty:
        have = ", ".join(_window(w) for w in zip(rows["start"], rows["end"], strict=True))
        raise InferenceError(
            f"event {event_id!r} has no CAR over {_window(window)} (windows: {have}); "
            "pass one of them as window="
        )
    return hit.iloc[0]


def event_day0(car, event_id: str):
    """The trade date of an event's day 0 (the first trade date that could price the news).

    Parameters
    ----------
    car : pandas.DataFrame
        The ``car.csv`` table (``event_id, trade_date``).
    event_id : str

    Returns
    -------
    pandas.Timestamp
    """
    return _event_only(car, event_id, "CAR table")["trade_date"].iloc[0]


def lead_reading(c) -> tuple:
    """(test name, p, grade) of a tidy row's leading single-event test.

    The leading test is the tidy table's ``lead_test`` (the first single-event
    test that holds its size on the asset in the results' size check); a row
    without one (no size check, or no test holds its size in that window) has
    no name, a NaN p and the grade ``"not graded"``.
    """
    from .. import format as fmt
    from ..config import EVENT_TEST_LABELS

    t = c.get("lead_test", "") if hasattr(c, "get") else ""
    if isinstance(t, str) and t:
        return EVENT_TEST_LABELS[t], float(c["lead_p"]), fmt.evidence(c["lead_p"])
    return None, float("nan"), "not graded"


def _lead_text(c) -> str:
    """``"t test p = 0.086"``, or why no p-value is graded."""
    from .. import format as fmt

    name, p, _ = lead_reading(c)
    if name:
        return f"{name} p = {fmt.pvalue(p)}"
    has = hasattr(c, "get") and c.get("lead_test", None) is not None
    return ("no p-value graded: no single-event test holds its size here" if has else
            "no p-value graded: the single-event tests were not size-checked")


def _grade_order(grade) -> int:
    from .. import format as fmt

    order = [label for _, label in fmt.EVIDENCE]
    return order.index(grade) if grade in order else len(order)


def event_sentence(car, asset: str, event_id: str, window=(0, 1), *, alpha: float = 0.05) -> str:
    """One event's CAR over one window with its interval, p-values and graded evidence.

    Parameters
    ----------
    car : pandas.DataFrame
        The tidy table (``event_id, start, end, car, ci_lower, ci_upper, p,
        sq_p, placebo_p``).
    asset : str
        The asset the CAR was measured on, named first.
    event_id : str
    window : (int, int)
    alpha : float
        Level of the interval (as computed in the table) and of the test count
        (:func:`event_verdicts`).

    Returns
    -------
    str
        ``"ZS=F +2.26% over [0, 1] (95% CI [-0.33%, +4.85%]; t test p = 0.086,
        weak evidence; SQ test p = 0.106, placebo test p = 0.201)"``: the
        graded p-value is the leading test's (:func:`lead_reading`), the
        other tests' follow.
    """
    from .. import format as fmt

    c = car_row(car, event_id, window)
    if c["car"] != c["car"]:
        note = c.get("note", "") if hasattr(c, "get") else ""
        return f"{asset}: no CAR over {_window(window)} ({note or 'no usable day'})"
    level = f"{100 * (1 - alpha):g}%"
    from ..config import EVENT_TEST_COLUMNS

    _, _, grade = lead_reading(c)
    phrase = grade if grade in ("no evidence", "not graded") else f"{grade} evidence"
    lead = c.get("lead_test", "") if hasattr(c, "get") else ""
    skip = EVENT_TEST_COLUMNS.get(lead) if isinstance(lead, str) else None
    others = ", ".join(f"{_EVENT_TEST_NAMES[k]} p = {fmt.pvalue(c[k])}" for k in EVENT_TESTS
                       if k != skip and k in c)
    return (f"{asset} {fmt.pct(c['car'])} over {_window(window)} ({level} CI "
            f"{fmt.interval(c['ci_lower'], c['ci_upper'])}; {_lead_text(c)}, {phrase}"
            + (f"; {others})" if others else ")"))


def rejecting_windows(car, asset: str, event_id: str, *, alpha: float = 0.05) -> list[str]:
    """The windows of one event in which some per-event test rejects at ``alpha``.

    Parameters
    ----------
    car : pandas.DataFrame
        The ``car.csv`` table.
    asset : str
    event_id : str
    alpha : float

    Returns
    -------
    list of str
        ``"ASSET [a, b] (tests)"`` per rejecting window, in the table's order;
        empty when no test rejects (or the event is not in the table).
    """
    v = event_verdicts(car[car["event_id"] == event_id], alpha)
    hit = v[v["n_reject"] > 0]
    return [f"{asset} [{r.start}, {r.end}] ({r.rejecting})" for r in hit.itertuples()]


def event_answer(name: str, cars: dict, event_id: str, window=(0, 1), *,
                 alpha: float = 0.05) -> str:
    """The graded answer for one event over one window, on several assets.

    Parameters
    ----------
    name : str
        The event's name in the text.
    cars : dict of str -> pandas.DataFrame
        Asset -> its tidy table.
    event_id : str
    window : (int, int)
        The headline window graded.
    alpha : float
        Level at which other windows' rejections are listed.

    Returns
    -------
    str
        ``"**name: weak evidence** on ZS=F (t-test p = 0.086), no evidence on
        SOYB (…) over [0, 1]"``, the strongest reading first, then the
        windows of any asset where a per-event test rejects at ``alpha``
        (:func:`rejecting_windows`), or that none does.
    """

    readings = []
    for asset, car in cars.items():
        c = car_row(car, event_id, window)
        readings.append((asset, lead_reading(c)[2], _lead_text(c)))
    ranked = sorted(readings, key=lambda r: _grade_order(r[1]))
    head = ranked[0][1]
    parts = [f"{grade} on {asset} ({text})" for asset, grade, text in ranked]
    hits = [h for asset, car in cars.items()
            for h in rejecting_windows(car, asset, event_id, alpha=alpha)]
    level = f"{alpha:.0%}"
    tail = (f" A per-event test rejects at {level} in: {'; '.join(hits)}." if hits else
            f" No per-event test rejects at {level} in any window, on {' or '.join(cars)}.")
    return (f"**{name}: {head}{' evidence' if head not in ('no evidence', 'not graded') else ''}"
            f"** over "
            f"{_window(window)} — " + "; ".join(parts) + "." + tail)


def answer_sentence(name: str, cars: dict, event_id: str, window=(0, 1), *,
                    alpha: float = 0.05) -> str:
    """The answer for one event in one sentence: graded evidence, CAR and interval per asset.

    Parameters
    ----------
    name : str
    cars : dict of str -> pandas.DataFrame
        Asset -> its tidy table (with ``ci_lower``, ``ci_upper`` at ``alpha``).
    event_id : str
    window : (int, int)
    alpha : float

    Returns
    -------
    str
        ``"**Busan meeting — weak evidence.** Over [0, 1]: ZS=F +2.26% (95% CI
        [-0.33%, +4.85%], t test p = 0.086); SOYB +1.71% (…)."``, the
        strongest reading of the assets in the heading, each graded on its
        leading test (:func:`lead_reading`); an asset without a CAR says why
        (the tidy table's note).
    """
    from .. import format as fmt

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
    best = min(grades, key=_grade_order) if grades else "not computed"
    head = best if best in ("no evidence", "not computed", "not graded") else f"{best} evidence"
    return f"**{name} — {head}.** Over {_window(window)}: " + "; ".join(parts) + "."


def same_answer(car_a, car_b, event_id: str, *, alpha: float = 0.05) -> bool:
    """Whether two measurements of one event agree on rejecting in some window.

    Returns
    -------
    bool
        True when both or neither of the tables have a window where a
        per-event test rejects at ``alpha`` (:func:`rejecting_windows`).
    """
    return (bool(rejecting_windows(car_a, "", event_id, alpha=alpha))
            == bool(rejecting_windows(car_b, "", event_id, alpha=alpha)))


def detectable_car(car, event_id: str, window=(0, 1), *, alpha: float = 0.05) -> float:
    """The smallest absolute CAR the event's t test rejects at ``alpha``, in percent.

    Parameters
    ----------
    car : pandas.DataFrame
        The ``car.csv`` table with ``car_se`` and ``df``.
    event_id : str
    window : (int, int)
    alpha : float

    Returns
    -------
    float
        100 · t_{df, 1-α/2} · se(CAR), percent of log return.

    Notes
    -----
    The t test rejects a zero CAR when |CAR| / se(CAR) > t_{df, 1-α/2}
    (Campbell, Lo and MacKinlay 1997, ch. 4), so the threshold is the
    minimum detectable effect of a single event at that level.

    References
    ----------
    Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). *The
    Econometrics of Financial Markets*. Princeton University Press.
    """
    from scipy import stats

    c = car_row(car, event_id, window)
    return float(100 * stats.t.ppf(1 - alpha / 2, c["df"]) * c["car_se"])


def thin_day_gap(ar_a, ar_b, event_id: str) -> float:
    """The largest gap between two measurements' abnormal returns on thin days.

    Parameters
    ----------
    ar_a, ar_b : pandas.DataFrame
        ``ar.csv`` tables (``event_id, day, ar, thin``); the thin days are
        those of ``ar_a``.
    event_id : str

    Returns
    -------
    float
        max over days d thin in ``ar_a`` of |AR_a(d) - AR_b(d)|, in log
        return (NaN when no day is thin or no thin day has both returns).
    """
    a = _event_only(ar_a, event_id, "first AR table").set_index("day")
    b = _event_only(ar_b, event_id, "second AR table").set_index("day")
    gap = (a["ar"] - b["ar"])[a["thin"].astype(bool)].abs()
    return float(gap.max()) if gap.notna().any() else float("nan")


def front_contract(asset: str, day0):
    """The futures contract a continuous ticker is on at ``day0``.

    Parameters
    ----------
    asset : str
        A continuous futures ticker (``ZS=F``).
    day0 : date-like

    Returns
    -------
    pandas.Series
        The first row of :func:`eventstudy.contracts.contract_schedule`
        whose last trading day is on or after ``day0``: ``contract``,
        ``next_contract``, ``last_trade_date``, ``first_notice_day``.
    """
    import pandas as pd

    from ..contracts import contract_schedule

    day0 = pd.Timestamp(day0)
    schedule = contract_schedule(asset, day0 - pd.Timedelta(days=90),
                                 day0 + pd.Timedelta(days=90))
    return schedule[schedule["last_trade_date"] >= day0].iloc[0]


def _thin_days_by_window(headline, event_id: str):
    return headline[headline["event_id"] == event_id].set_index("window")["thin_days"]


def delivery_note(ar, headline, front, event_id: str, *, asset: str, other: str,
                  name: str) -> str:
    """Which days of an event window are the front contract in delivery (page 3).

    Parameters
    ----------
    ar : pandas.DataFrame
        The ``ar.csv`` table of ``asset`` (``event_id, day, date, thin``).
    headline : pandas.DataFrame
        :func:`eventstudy.report.tables.headline_table` of ``asset`` (``thin_days``
        per window).
    front : pandas.Series
        :func:`front_contract` at the event's day 0.
    event_id : str
    asset, other : str
        The asset measured and the one on liquid contracts it is compared with.
    name : str
        The event's short name.

    Returns
    -------
    str
        Markdown: day 0, the contract's first notice and last trading days,
        the thin window days and the thin days per window.
    """
    rows = _event_only(ar, event_id, "AR table")
    day0 = rows.loc[rows["day"] == 0, "date"].iloc[0]
    thin = rows[rows["thin"].astype(bool)]
    per_window = _thin_days_by_window(headline, event_id)
    return (
        f"{name}'s day 0 is {day0:%Y-%m-%d}. The front contract is **{front['contract']}**: "
        f"its first notice day is **{front['first_notice_day']:%Y-%m-%d}** and its last "
        f"trading day **{front['last_trade_date']:%Y-%m-%d}**, after which `{asset}` switches "
        f"to {front['next_contract']}. So on days "
        f"{', '.join(f'{d:+d}' for d in thin['day'])} of the {name} window "
        f"({thin['date'].min():%Y-%m-%d} to {thin['date'].max():%Y-%m-%d}) `{asset}` is the "
        f"thinly traded {front['contract']} in its delivery period, not the contract where "
        f"prices were being set. Thin days per window: "
        + ", ".join(f"{w} {n}" for w, n in per_window.items())
        + f". `{other}` holds the second- and third-nearest contracts, so it measures the "
        "same days on liquid contracts; the figure and the table below put the two side by side."
    )


def article_findings(zs, soyb, headline, front, *, events, short_names=None,
                     window=(0, 1), wide_window=(-1, 5), thin_event: str,
                     expected_after: str | None = None) -> str:
    """The closing statement of an answer page: chosen events measured on two assets.

    Parameters
    ----------
    zs, soyb : EventStudyResults
        The results on the main asset (a continuous future) and on a second
        asset measuring the same news on other contracts.
    headline : pandas.DataFrame
        :func:`eventstudy.report.tables.headline_table` of ``zs`` for every window.
    front : pandas.Series
        :func:`front_contract` at ``thin_event``'s day 0.
    events : dict of str -> str
        Event id -> name, in order (the first two are graded for power).
    short_names : dict of str -> str, optional
        Event id -> short name (default ``events``).
    window : (int, int)
        The window of the headline sentences and of the detectable CAR.
    wide_window : (int, int)
        The widest window, whose thin days are counted beside ``window``'s.
    thin_event : str
        The event whose window meets the delivery period.
    expected_after : str, optional
        An earlier catalogued event after which the news was expected; its
        title and day 0 come from the catalogue.

    Returns
    -------
    str
        Markdown: per event the CAR sentence on each asset
        (:func:`event_sentence`), the graded answer (:func:`event_answer`),
        the delivery-period paragraph (:func:`thin_day_gap`,
        :func:`same_answer`) and the caveats (:func:`detectable_car`).
    """
    short = events if short_names is None else short_names
    a, b = zs.study.asset, soyb.study.asset
    za, sb = zs.car, soyb.car
    cars = {a: za, b: sb}
    factors = " and ".join(zs.study.factors) or "a constant mean"

    measured = " ".join(
        f"**{name} (day 0 = {event_day0(za, eid):%Y-%m-%d}):** "
        f"{event_sentence(za, a, eid, window)}; {event_sentence(sb, b, eid, window)}."
        for eid, name in events.items())
    answers = " ".join(event_answer(name, cars, eid, window) for eid, name in events.items())
    thin = _thin_days_by_window(headline, thin_event)
    gap = thin_day_gap(zs.ar, soyb.ar, thin_event)
    first, second = list(events)[:2]
    name = short[thin_event]
    text = (
        measured + "\n\n"
        + f"Did the news move {a} beyond what {factors} explain? {answers}\n\n"
        + f"The delivery period: {thin[_window(wide_window)]} of the {name} "
        f"{_window(wide_window)} window's days "
        f"({thin[_window(window)]} of {_window(window)}) are the contract "
        f"{front['contract']} in delivery (first notice day {front['first_notice_day']:%Y-%m-%d}, "
        f"last trading day {front['last_trade_date']:%Y-%m-%d}). On those days its abnormal "
        f"returns differ from {b}'s by at most {100 * gap:.2f} percentage points, and {b} gives "
        + (f"the same answer as {a}, so the thin contract does not drive the {name} answer."
           if same_answer(za, sb, thin_event) else
           f"a different answer from {a}: read the {b} answer, measured on liquid contracts.")
        + "\n\n"
        + "Caveats: each answer rests on one event, so it is only as good as the model of a "
        f"normal day, and a single event has little power: on {a} the t test rejects over "
        f"{_window(window)} only beyond ±{detectable_car(za, first, window):.2f}% "
        f"({short[first]}) and ±{detectable_car(za, second, window):.2f}% ({short[second]}), "
        f"so \"no evidence\" means no move larger than ordinary {a} noise, not no effect."
    )
    if expected_after is not None and zs.catalogue is not None:
        cat = zs.catalogue.set_index("id")
        if expected_after in cat.index:
            rec = cat.loc[expected_after]
            text += (f" The news was widely expected after \"{rec['title']}\" (day 0 "
                     f"{rec['trade_date']:%Y-%m-%d}), so part of it may have been priced before "
                     "day −1.")
    return text


# --------------------------------------------------------------------------- page 4: groups


def group_line(verdicts, tests, group: str) -> str:
    """One group's mean CAR and verdict in every window, as a Markdown list item.

    Parameters
    ----------
    verdicts : pandas.DataFrame
        :func:`group_verdicts` of ``tests``.
    tests : pandas.DataFrame
        The ``tests.csv`` table; the mean CAR is the ``statistic`` of its
        ``placebo`` rows.
    group : str

    Returns
    -------
    str
        ``"- **group** (N events): [a, b] mean CAR +x.xx%: verdict; …."``
        with N the most events of any window.
    """
    caar = tests[tests["test"] == "placebo"].set_index(["group", "start", "end"])["statistic"]
    rows = verdicts[verdicts["group"] == group]
    if rows.empty:
        raise InferenceError(
            f"group {group!r} is not in the verdicts (groups: "
            f"{list(dict.fromkeys(verdicts['group']))}); pass one of them"
        )
    parts = [f"[{r.start}, {r.end}] mean CAR {100 * caar[(group, r.start, r.end)]:+.2f}%: "
             f"{r.verdict}" for r in rows.itertuples()]
    return f"- **{group}** ({int(rows['n_events'].max())} events): " + "; ".join(parts) + "."


def compare_with_peers(car, events, event_ids, window=(0, 1), *, last_peer_year: int,
                       peer_label: str) -> str:
    """Each chosen event's CAR against earlier events of the same direction.

    Parameters
    ----------
    car : pandas.DataFrame
        The ``car.csv`` table (``event_id, trade_date, start, end, car``).
    events : pandas.DataFrame
        The ``events.csv`` table (``event_id, direction``).
    event_ids : list of str
        The events compared; an event without a CAR over ``window`` is left out.
    window : (int, int)
    last_peer_year : int
        Peers are the events with a trade date in this year or before.
    peer_label : str
        How the text names the peers' period.

    Returns
    -------
    str
        Per event: its CAR, the peers' mean, min and max CAR, their number
        and how many moved at least as much (|CAR_peer| ≥ |CAR|); CARs in
        percent of log return.
    """
    sel = car[(car["start"] == window[0]) & (car["end"] == window[1])]
    if "direction" not in sel.columns:
        sel = sel.merge(events[["event_id", "direction"]], on="event_id")
    early = sel[sel["trade_date"].dt.year <= last_peer_year]
    chosen = sel[sel["event_id"].isin(list(event_ids))].set_index("event_id")
    parts = []
    for eid in (e for e in event_ids if e in chosen.index):
        rec = chosen.loc[eid]
        peers = early.loc[early["direction"] == rec["direction"], "car"] * 100
        rank = int((peers.abs() >= abs(100 * rec["car"])).sum())
        parts.append(
            f"{eid} {100 * rec['car']:+.2f}% against a mean of {peers.mean():+.2f}% "
            f"(range {peers.min():+.2f}% to {peers.max():+.2f}%) for the {len(peers)} "
            f"{peer_label} events of the same direction, {rank} of which moved at least as much"
        )
    return (f"The chosen events against the {peer_label} events, CAR over "
            f"{_window(window)}: " + "; ".join(parts) + ".")


def overlap_sentence(car, window) -> str:
    """Which events have another event's day 0 inside one window (the tidy table's ``overlaps``).

    Parameters
    ----------
    car : pandas.DataFrame
        The tidy table (``event_id, start, end, overlaps``).
    window : (int, int)

    Returns
    -------
    str
        ``"In [-1, 5], 3 of 20 events hold another event's day 0: a (b, day +1); …"``,
        or that none does.
    """
    rows = car[(car["start"] == window[0]) & (car["end"] == window[1])]
    hit = rows[rows["overlaps"].fillna("") != ""]
    if hit.empty:
        return (f"In {_window(window)}, no event's window holds another event's day 0: the "
                "events' windows do not overlap.")
    listed = "; ".join(f"{r.event_id} ({r.overlaps})" for r in hit.itertuples())
    return (f"In {_window(window)}, {len(hit)} of {len(rows)} events hold another event's day "
            f"0 in their window, so their CARs share days: {listed}.")


def markets_findings(base, alternative, event_ids, window=(0, 1), *, names=None,
                     alternative_label: str = "the second model") -> str:
    """The closing statement of the markets page: which markets moved, under two models.

    Parameters
    ----------
    base, alternative : MultiAssetResults
        The same assets and events under two normal-return models.
    event_ids : list of str
    window : (int, int)
    names : dict of str -> str, optional
        Event id -> name (default: the catalogue title).
    alternative_label : str
        How the text names the second model.

    Returns
    -------
    str
        Markdown, per event: the assets with at least weak evidence (t test's
        p on :data:`eventstudy.format.EVIDENCE`) and their CARs; the
        cross-asset mean test and joint test; then, under the second model,
        the assets whose reading changes.
    """
    from .. import format as fmt

    names = names or {}
    parts = []
    for eid in event_ids:
        name = names.get(eid) or base.title_of(eid)
        rows = []
        readings = {}
        for asset, res in base.results.items():
            if eid not in res.used_ids:
                rows.append(f"{asset} not estimated")
                continue
            c = car_row(res.car, eid, window)
            readings[asset] = lead_reading(c)[2]
            if readings[asset] not in ("no evidence", "not graded"):
                rows.append(f"{asset} {fmt.pct(c['car'])} ({readings[asset]} evidence, "
                            f"{_lead_text(c)})")
        moved = (f"{len(rows)} of {len(base.results)} markets show at least weak evidence over "
                 f"{_window(window)}: " + "; ".join(rows) if rows else
                 f"no market shows evidence of a move over {_window(window)}")
        cross = base.cross_asset()
        hit = cross[(cross["event_id"] == eid) & (cross["start"] == window[0])
                    & (cross["end"] == window[1])]
        joint = ""
        if len(hit) and hit["mean_car"].notna().iloc[0]:
            r = hit.iloc[0]
            joint = (f" Across the {int(r['n_assets'])} markets the mean CAR is "
                     f"{fmt.pct(r['mean_car'])} (p = {fmt.pvalue(r['p_mean'])} allowing for "
                     f"their mean correlation of {r['mean_corr']:.2f}); all CARs zero: p = "
                     f"{fmt.pvalue(r['p_joint'])}.")
        changed = []
        for asset, res in alternative.results.items():
            if eid not in res.used_ids or asset not in readings:
                continue
            c = car_row(res.car, eid, window)
            grade = lead_reading(c)[2]
            if grade != readings[asset]:
                changed.append(f"{asset} from {readings[asset]} to {grade} "
                               f"({fmt.pct(car_row(base.results[asset].car, eid, window)['car'])}"
                               f" → {fmt.pct(c['car'])})")
        alt = (f" Under {alternative_label} the reading changes for "
               + "; ".join(changed) + "." if changed else
               f" Under {alternative_label} no market's reading changes.")
        strongest = min(readings.values(), key=_grade_order) if readings else "not computed"
        parts.append(f"**{name}** (strongest reading: {strongest}): {moved}.{joint}{alt}")
    return "\n\n".join(parts)


def class_comparison(car, event_id: str, window=(0, 0), *, class_label: str = "contacts") -> dict:
    """Where one event's CAR falls among the earlier events of its class.

    Parameters
    ----------
    car : pandas.DataFrame
        The tidy table of the class (``event_id, trade_date, start, end, car``).
    event_id : str
    window : (int, int)
    class_label : str

    Returns
    -------
    dict
        ``car`` (the event's), ``n_earlier`` (earlier events with a CAR over
        ``window``), ``at_least`` (how many of them have |CAR| ≥ the event's),
        ``share`` (that count over ``n_earlier``), ``rank`` (the event's rank
        by |CAR| among the event and the earlier ones, 1 = largest) and
        ``median_abs`` (the earlier events' median |CAR|).
    """
    import numpy as np

    rows = car[(car["start"] == window[0]) & (car["end"] == window[1])]
    me = car_row(car, event_id, window)
    earlier = rows[(rows["trade_date"] < me["trade_date"]) & rows["car"].notna()]
    size = abs(me["car"])
    at_least = int((earlier["car"].abs() >= size).sum())
    n = len(earlier)
    return {"car": me["car"], "n_earlier": n, "at_least": at_least,
            "share": at_least / n if n else float("nan"), "rank": at_least + 1,
            "median_abs": float(np.median(earlier["car"].abs())) if n else float("nan"),
            "class_label": class_label}


def class_sentence(car, event_id: str, name: str, window=(0, 0), *,
                   class_label: str = "contacts", where: str = "") -> str:
    """``"Compared with the N earlier contacts, …"``: the event's rank in its class.

    Parameters
    ----------
    where : str
        Where the class was measured, added to the sentence (its CARs may differ
        from another study's of the same event: other estimation samples).

    Returns
    -------
    str
        The event's CAR over ``window``, how many earlier events of the class
        moved at least as much (count and share) and their median |CAR|
        (:func:`class_comparison`).
    """
    from .. import format as fmt

    c = class_comparison(car, event_id, window, class_label=class_label)
    tail = f" ({where})" if where else ""
    if not c["n_earlier"]:
        return f"{name} has no earlier {class_label} with a CAR over {_window(window)}."
    return (f"Compared with the {c['n_earlier']} earlier {class_label}, {name}'s "
            f"{_window(window)} CAR of {fmt.pct(c['car'])} is ordinary: {c['at_least']} of them "
            f"({100 * c['share']:.0f}%) moved at least as much (rank {c['rank']} of "
            f"{c['n_earlier'] + 1} by size; their median |CAR| is {100 * c['median_abs']:.2f}%)"
            f"{tail}."
            if c["share"] >= 0.25 else
            f"Compared with the {c['n_earlier']} earlier {class_label}, {name}'s "
            f"{_window(window)} CAR of {fmt.pct(c['car'])} is among the largest: only "
            f"{c['at_least']} of them ({100 * c['share']:.0f}%) moved at least as much (rank "
            f"{c['rank']} of {c['n_earlier'] + 1}; their median |CAR| is "
            f"{100 * c['median_abs']:.2f}%){tail}.")


def class_findings(results, by_agriculture, event_ids, names, windows=((0, 0), (0, 1)), *,
                   class_label: str = "contacts") -> str:
    """The closing statement of the class page: the chosen events among their class.

    Parameters
    ----------
    results : EventStudyResults
        The class study grouped by kind (its tests table has the ``all`` group).
    by_agriculture : EventStudyResults
        The same study grouped by the catalogue column that says whether the
        news was about agriculture.
    event_ids : list of str
    names : dict of str -> str
    windows : sequence of (int, int)
        The windows compared; the first is that of the ranks.

    Returns
    -------
    str
        Markdown: the rank of each chosen event (:func:`class_sentence`), the
        class mean CAR with its interval and graded reading per window, each
        group's mean, and how many events are dated without a clock time.
    """
    from .. import format as fmt

    car = results.tidy()
    lines = [class_sentence(car, e, names.get(e, e), windows[0], class_label=class_label)
             for e in event_ids]
    from scipy import stats

    for lo, hi in windows:
        cars = car[(car["start"] == lo) & (car["end"] == hi)]["car"].dropna().to_numpy()
        if cars.size < 2:
            continue
        # the cross-sectional t test and its interval: mean ± t_{N-1} · sd / √N
        mean, se = cars.mean(), cars.std(ddof=1) / cars.size ** 0.5
        half = stats.t.ppf(0.975, cars.size - 1) * se
        p = float(2 * stats.t.sf(abs(mean / se), cars.size - 1))
        lines.append(f"The mean CAR of all {cars.size} {class_label} over "
                     f"{_window((lo, hi))} is {fmt.pct(mean)} "
                     f"(95% CI {fmt.interval(mean - half, mean + half)}; cross-sectional t "
                     f"p = {fmt.pvalue(p)}: {fmt.evidence_phrase(p)}).")
    lo, hi = windows[0]
    g = by_agriculture.caar
    g = g[(g["start"] == lo) & (g["end"] == hi) & (g["group"] != "all")]
    if len(g):
        lines.append(f"By whether agriculture came up, over {_window((lo, hi))}: " + "; ".join(
            f"{r.group.split('=', 1)[-1]} {fmt.pct(r.caar)} ({int(r.n_events)} {class_label})"
            for r in g.itertuples()) + ".")
    cat = results.catalogue
    if cat is not None and "time" in cat.columns:
        ids = set(results.used_ids)
        chosen = cat[cat["id"].isin(ids)]
        undated = chosen["time"].isna() & chosen.get("timing", chosen["time"]).isna()
        lines.append(f"{int(undated.sum())} of the {len(chosen)} {class_label} are reported "
                     "without a clock time or part of the day: for them day 0 is the date's "
                     "session, and the news may have come after the close, so [0, 1] — "
                     "shown beside [0, 0] — is the window sure to hold it, at the cost of a "
                     "day of noise.")
    return "\n\n".join(lines)


def trade_war_findings(run, groups=("escalation", "de-escalation", "signed"), *,
                       compare, window=(0, 1), last_peer_year: int, peer_label: str) -> str:
    """The closing statement of page 4: the pooled trade-war events.

    Parameters
    ----------
    run : EventStudyResults
        The run of ``studies/trade_war.toml`` (``events``, ``tests``, ``car``).
    groups : sequence of str
        Groups listed, in order (those absent from the tests are skipped).
    compare : sequence of str
        Events set against the earlier ones (:func:`compare_with_peers`).
    window : (int, int)

    Returns
    -------
    str
        Markdown: events used and excluded, one :func:`group_line` per
        group, the comparison, and how to read partial rejections.
    """
    gv = group_verdicts(run.tests)
    used = int((run.events["status"] == "used").sum())
    total = len(run.events)
    present = set(gv["group"])
    return (
        f"{used} of {total} events entered the estimation "
        + (f"({total - used} excluded: " + "; ".join(
            f"{r.event_id}: {r.reason}" for r in run.events.itertuples()
            if r.status != "used") + "). " if total > used else "(none excluded). ")
        + "At the 5% level:\n\n"
        + "\n".join(group_line(gv, run.tests, g) for g in groups if g in present)
        + "\n\n" + compare_with_peers(run.car, run.events, list(compare), window,
                                        last_peer_year=last_peer_year, peer_label=peer_label)
        + "\n\nA window where every test rejects is robust to the tests' assumptions; where only "
        "Patell or Corrado reject, the result leans on tests known to over-reject when event "
        "days are more volatile than estimation days."
    )


# --------------------------------------------------------------------------- page 5: robustness


def variant_verdicts(table, event_id: str) -> str:
    """How one event fares across the robustness variants (dummy regression aside).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`eventstudy.report.tables.robustness_table` (``dimension, variant,
        event_id, car_pct, n_reject``).
    event_id : str

    Returns
    -------
    str
        The number of variant rows where a per-event test rejects (and
        which), the range of the CAR (percent of log return) and the
        variants in which the event is excluded (CAR missing).
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
    """Rows of the robustness table as ``"variant (event: verdict)"``, joined by ``"; "``."""
    return "; ".join(f"{r.variant} ({r.event_id}: {r.verdict})" for r in frame.itertuples())


#: Columns of :func:`eventstudy.report.size_power_tables`' size table that are not windows.
_SIZE_FIELDS = ("mc_se", "trials", "over", "under", "verdict")


def size_windows(size) -> list[str]:
    """The window columns of a size table, in its order."""
    return [c for c in size.columns if c not in _SIZE_FIELDS]


def departure_rates(size, tests, column: str) -> str:
    """The rejection rates of the windows where tests depart from their level.

    Parameters
    ----------
    size : pandas.DataFrame
        The size table of :func:`eventstudy.report.size_power_tables`.
    tests : list of str
        The tests listed (rows of ``size``), in order.
    column : {"over", "under"}
        Which departure: the windows listed in that column.

    Returns
    -------
    str
        ``"`test` on [a, b] (rate% ± mc_se), …; …"``.
    """
    return "; ".join(
        f"`{t}` on " + ", ".join(f"{w} ({size.loc[t, w]:.1f}% ± {size.loc[t, 'mc_se']:.1f})"
                                 for w in size.loc[t, column].split("; "))
        for t in tests)


def _size_groups(size):
    holds = size.index[size["verdict"] == "holds"].tolist()
    over = size.index[size["verdict"].isin(["over-rejects", "mixed"])].tolist()
    under = size.index[size["verdict"].isin(["conservative", "mixed"])].tolist()
    return holds, over, under


def size_findings(size) -> str:
    """Which tests hold their size, over-reject or are conservative (page 5).

    Parameters
    ----------
    size : pandas.DataFrame
        The size table of :func:`eventstudy.report.size_power_tables`.

    Returns
    -------
    str
        Markdown: the Monte Carlo standard errors (largest: group tests,
        smallest: single-event tests), then the tests in each verdict with
        their departing rates (:func:`departure_rates`).
    """
    holds, over, under = _size_groups(size)
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
    """Single-event tests of a power table (``event-*`` and ``sq``); the rest are group tests."""
    return [t for t in power.index if t.startswith("event-") or t == "sq"]


def power_range(power, tests, delta: float, window: str) -> str:
    """The range of power over some tests, ``"lo–hi%"`` (or ``"x%"`` when equal).

    Parameters
    ----------
    power : pandas.DataFrame
        The power table of :func:`eventstudy.report.size_power_tables`
        (columns (abnormal return in percent, window), rates in percent).
    tests : list of str
    delta : float
        Abnormal return in percent.
    window : str
    """
    lo, hi = (f"{v:.0f}" for v in power.loc[tests, (delta, window)].agg(["min", "max"]))
    return f"{lo}%" if lo == hi else f"{lo}–{hi}%"


def power_sentence(power, delta: float, window: str) -> str:
    """Power of the group tests and of the single-event tests at one abnormal return."""
    event = _event_tests(power)
    group = [t for t in power.index if t not in event]
    return (f"{delta:+.0f}% on day 0 the group tests reject in "
            f"{power_range(power, group, delta, window)} of the replications, a single-event "
            f"test in {power_range(power, event, delta, window)} of the pseudo-events")


def _deltas(power) -> list:
    return list(dict.fromkeys(power.columns.get_level_values(0)))


def power_findings(power, window: str) -> str:
    """Power over one window at every abnormal return of the table (page 5)."""
    return (f"Over {window}, with "
            + "; with ".join(power_sentence(power, d, window) for d in _deltas(power)) + ".")


def robustness_findings(table, dummy, size, power, event_ids) -> str:
    """The closing statement of page 5: which conclusions move, and can the tests be trusted.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`eventstudy.report.tables.robustness_table` with the dummy rows.
    dummy : pandas.DataFrame
        :meth:`EventStudyResults.dummy_regression` (``car_se``,
        ``car_se_hac``).
    size, power : pandas.DataFrame
        :func:`eventstudy.report.size_power_tables`.
    event_ids : sequence of str

    Returns
    -------
    str
        Markdown: :func:`variant_verdicts` per event; the variant rows that
        move the base conclusion or flip a CAR's sign; the median ratio of
        the Newey–West to the OLS standard errors of the dummy regression
        and what it moves; the size verdicts and the power at the first
        abnormal return over the first window.
    """
    moved = table[table["moves"]]
    is_dummy = table["dimension"] == "dummy regression"
    moved_choice = moved[moved["dimension"] != "dummy regression"]
    moved_dummy = moved[moved["dimension"] == "dummy regression"]
    flips = table[table["sign_flip"]]
    ratio = (dummy["car_se_hac"] / dummy["car_se"]).median()
    holds, over, _ = _size_groups(size)
    reps = int(size.loc[size.index[0], "trials"])
    window = size_windows(size)[0]
    first = _deltas(power)[0]
    weak = power.loc[_event_tests(power), (first, window)].max() < 50
    return (
        "\n".join(f"- {variant_verdicts(table, e)}." for e in event_ids)
        + f"\n\n{len(moved_choice)} of {int((~is_dummy).sum())} "
        "variant rows move the base conclusion"
        + (": " + variant_listing(moved_choice) if len(moved_choice) else "")
        + ". "
        + (f"The CAR changes sign in: "
           f"{'; '.join(f'{r.variant} ({r.event_id})' for r in flips.itertuples())}. "
           if len(flips) else "No variant flips a CAR's sign. ")
        + f"\n\nThe dummy regression's Newey–West standard errors are a median {ratio:.2f} times "
        "the classical OLS ones"
        + (", so its p-values are far smaller and should not be read as evidence: one-day "
           "dummies leave the HAC variance almost no residual to work with"
           if ratio < 0.5 else ", so its p-values tell the same story as the event study's")
        + (f"; with them the conclusion moves in: {variant_listing(moved_dummy)}"
           if len(moved_dummy) else "; it moves no conclusion")
        + ". With the window-HAC standard errors the dummy regression "
        + ("moves no conclusion." if not moved_dummy["variant"].str.contains("window-HAC").any()
           else "also moves a conclusion (rows above).")
        + f"\n\nOn pseudo-events of these returns ({reps} replications of 20), "
        + (f"{len(holds)} of {len(size)} tests hold their size at 5% in every window"
           if holds else "no test holds its size at 5% in every window")
        + (f"; {departure_rates(size, over, 'over')} over-reject" + ("s" if len(over) == 1 else "")
           if over else "; none over-rejects")
        + f". Power over {window}: with {power_sentence(power, first, window)}"
        + (", so a per-event test that does not reject, as above, is weak evidence of no effect."
           if weak else ".")
    )


def synthetic_sentence(comparison, event_id: str, *, base: str, synthetic: str,
                       name: str | None = None, alpha: float = 0.05) -> str:
    """One event under the market model and the synthetic control, from their comparison.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`eventstudy.report.tables.model_comparison` (columns ``model,
        event_id, window, car, p, placebo_p, r2, resid_sd, donors``).
    event_id : str
    base, synthetic : str
        The ``model`` labels of the two rows.
    name : str, optional
        How the event is named (default its id).
    alpha : float

    Returns
    -------
    str
        The CAR and p-values under each, the synthetic control's weights and
        its pre-event fit against the market model's, and whether the t test's
        verdict at ``alpha`` is the same.
    """
    from .. import format as fmt

    rows = comparison[comparison["event_id"] == event_id].set_index("model")
    missing = [m for m in (base, synthetic) if m not in rows.index]
    if missing:
        raise InferenceError(f"no row of model {missing[0]!r} for event {event_id!r} in the "
                             f"comparison; models there: {', '.join(map(str, rows.index))}")
    b, s = rows.loc[base], rows.loc[synthetic]
    name = name or event_id
    same = (b["p"] < alpha) == (s["p"] < alpha)
    return (
        f"{name} {b['window']}: the synthetic control ({s['donors']}) gives a CAR of "
        f"{fmt.pct(s['car'])} (t-test p {fmt.pvalue(s['p'])}, placebo p "
        f"{fmt.pvalue(s['placebo_p'])}) against {fmt.pct(b['car'])} (p {fmt.pvalue(b['p'])}, "
        f"placebo p {fmt.pvalue(b['placebo_p'])}) from the {base}. Before the event it tracks "
        f"the asset with an RMSPE of {fmt.pct(s['resid_sd'], sign=False)} a day (pre-event R² "
        f"{s['r2']:.3f}) against a residual sd of {fmt.pct(b['resid_sd'], sign=False)} (R² "
        f"{b['r2']:.3f}) for the {base}; "
        f"the t test's verdict at the {alpha:g} level is "
        f"{'the same' if same else 'not the same'} under both."
    )


def synthetic_findings(comparison, event_ids, *, base: str, synthetic: str, names=None,
                       alpha: float = 0.05) -> str:
    """:func:`synthetic_sentence` of each event, one paragraph (``names``: id -> name)."""
    names = names or {}
    return " ".join(synthetic_sentence(comparison, e, base=base, synthetic=synthetic,
                                       name=names.get(e), alpha=alpha) for e in event_ids)


def lead_lag_sentence(table, asset: str, *, alpha: float = 0.05) -> str:
    """Whether leads and lags of the factors matter, from a lead/lag regression table.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`eventstudy.regression.lead_lag_regression` (``factor, lag, coef, t_hac,
        p_hac``; ``attrs`` ``nobs, maxlags, first, last, r2_base, r2_lagged``).
    asset : str
    alpha : float

    Returns
    -------
    str
        Each factor's lead and lag HAC t, the R² with and without them, and
        whether any lead or lag is significant at ``alpha``.
    """
    meta = table.attrs
    shifted = table[(table["lag"] != "sum") & (table["lag"] != 0)]
    parts = []
    for factor, rows in shifted.groupby("factor", sort=False):
        terms = ", ".join(
            f"{'lead' if int(r.lag) < 0 else 'lag'} {abs(int(r.lag))} t = {r.t_hac:.2f}"
            for r in rows.itertuples())
        parts.append(f"{factor} ({terms})")
    significant = shifted[shifted["p_hac"] < alpha]
    verdict = ("none of them is significant" if significant.empty else
               "significant: " + ", ".join(f"{r.factor} {'lead' if int(r.lag) < 0 else 'lag'} "
                                           f"{abs(int(r.lag))}" for r in significant.itertuples()))
    return (
        f"On {asset} from {meta['first']:%Y-%m-%d} to {meta['last']:%Y-%m-%d} "
        f"({meta['nobs']} days), the factors' leads and lags have Newey–West t statistics "
        f"({meta['maxlags']} lags) of {'; '.join(parts)} — at the {alpha:g} level {verdict}. "
        f"R² moves from {100 * meta['r2_base']:.2f}% without them to "
        f"{100 * meta['r2_lagged']:.2f}% with them."
    )


def asset_size_findings(table) -> str:
    """Which single-event test holds its size on which market (page 5).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`eventstudy.report.robustness.asset_size_checks`.

    Returns
    -------
    str
        Per test, the share of (market, window) cells where it holds its size
        and the markets where it over-rejects; then the cells where no test
        holds (no p-value is graded there).
    """
    from ..config import EVENT_TEST_LABELS

    cells = table.groupby(["asset", "window"], sort=False)
    n_cells = cells.ngroups
    parts = []
    for test, rows in table.groupby("test", sort=False):
        holds = int((rows["verdict"] == "holds").sum())
        over = rows[rows["verdict"] == "over-rejects"]
        worst = over.sort_values("size (%)").tail(1)
        text = (f"the {EVENT_TEST_LABELS.get(test, test)} holds its size in {holds} of "
                f"{len(rows)} market-windows")
        if len(over):
            w = worst.iloc[0]
            text += (f" and over-rejects in {len(over)} (most on {w['asset']} over "
                     f"{w['window']}: {w['size (%)']:.1f}%)")
        parts.append(text)
    none = [f"{a} {w}" for (a, w), rows in cells if not (rows["verdict"] == "holds").any()]
    tail = (f" In {len(none)} of {n_cells} market-windows no single-event test holds its "
            f"size, and no p-value is graded there: {', '.join(none)}." if none else
            f" In every one of the {n_cells} market-windows at least one test holds its size.")
    return "On these markets " + "; ".join(parts) + "." + tail

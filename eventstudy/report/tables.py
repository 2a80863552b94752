"""Tables for people: data checks, events, CARs, robustness, size and power. Each reads the
canonical tables of the results (``tidy``, ``tests``, ``events``) and formats numbers through
:mod:`eventstudy.format`."""

from __future__ import annotations

from .. import format as fmt

__all__ = [
    "CAR_FORMATS", "CAR_LABELS", "DATA_CHECK_COUNTS", "HIGHLIGHT", "ar_table", "class_table",
    "catalogue_table", "dummy_table", "close_prices", "data_check_table", "data_checks",
    "headline_table", "model_comparison", "one_setting", "style_model_comparison", "moved_events",
    "pending_events", "size_power_tables", "style_car_table", "style_power_table",
    "style_robustness_table", "style_size_table"
]


def headline_table(runs: dict, event_ids, windows=None, *, alpha: float = 0.05):
    """CAR, interval and p-values of chosen events in several results, one row per window.

    Parameters
    ----------
    runs : dict of str -> EventStudyResults
        Label -> results.
    windows : list of (int, int), optional
        Default: every window of each results.

    Returns
    -------
    pandas.DataFrame
        ``run, event_id, trade_date, window, car_pct, ci_low_pct, ci_high_pct,
        p, sq_p, placebo_p, test, lead_p, evidence, lead_size_pct,
        detectable_pct, others, thin_days, note``; the leading test as in
        :func:`eventstudy.summary.reading_table`.
    """
    import pandas as pd

    from ..config import EVENT_TEST_LABELS
    from ..results import check_event_ids
    from ..summary import others_text, reading_table

    rows = []
    for label, res in runs.items():
        ids = check_event_ids(res, event_ids)
        t = res.tidy(alpha)
        t = t[t["event_id"].isin(ids)]
        if windows is not None:
            keep = {tuple(int(v) for v in w) for w in windows}
            t = t[[(a, b) in keep for a, b in zip(t["start"], t["end"], strict=True)]]
        read = reading_table(t, res.size_summary(), tests=res.single_event_tests)
        for rec, r in zip(t.to_dict("records"), read.to_dict("records"), strict=True):
            rows.append({
                "run": label, "event_id": rec["event_id"], "trade_date": rec["trade_date"],
                "window": fmt.window(rec["start"], rec["end"]), "car_pct": 100 * rec["car"],
                "ci_low_pct": 100 * rec["ci_lower"], "ci_high_pct": 100 * rec["ci_upper"],
                "p": rec["p"], "sq_p": rec["sq_p"], "placebo_p": rec["placebo_p"],
                "test": EVENT_TEST_LABELS.get(r["lead_test"], fmt.MISSING), "lead_p": r["lead_p"],
                "evidence": r["evidence"], "lead_size_pct": 100 * r["lead_size"],
                "detectable_pct": 100 * r["detectable"], "others": others_text(r["others"]),
                "thin_days": int(rec["thin_days"]), "note": rec["note"]})
    return pd.DataFrame(rows)


def ar_table(results, event_id: str):
    """One event's window day by day: returns in percent and what each day is (roll, thin,
    no return, another event's day 0).
    """
    import pandas as pd

    from ..results import check_event_ids

    check_event_ids(results, [event_id])
    ar = results.ar
    ar = ar[ar["event_id"] == event_id]
    others = {day: f"day 0 of {oid}" for oid, day in results.overlaps_of(event_id)}

    def what(r):
        out = []
        if r.roll:
            out.append("contract roll (return masked)")
        elif r.missing:
            out.append("no return")
        if r.thin:
            out.append("thin trading")
        if r.day in others:
            out.append(others[r.day])
        return "; ".join(out) or "—"

    return pd.DataFrame({
        "day": [f"{d:+d}" for d in ar["day"]],
        "date": [f"{d:%Y-%m-%d}" if pd.notna(d) else "—" for d in ar["date"]],
        "return (%)": [fmt.pct(x) for x in ar["ret"]],
        "normal (%)": [fmt.pct(x) for x in ar["normal"]],
        "abnormal (%)": [fmt.pct(x) for x in ar["ar"]],
        "se (%)": [fmt.number(100 * x, 2) for x in ar["ar_se"]],
        "day is": [what(r) for r in ar.itertuples()],
    })


def catalogue_table(aligned, columns=("id", "date", "time", "tz", "timing", "trade_date",
                                       "rule", "status", "direction", "category")):
    """The ``columns`` an aligned catalogue has, dates as ``YYYY-MM-DD``, missing as "—"."""
    import pandas as pd

    cols = [c for c in columns if c in aligned.columns]
    out = pd.DataFrame(index=aligned.index)
    for c in cols:
        v = aligned[c]
        if pd.api.types.is_datetime64_any_dtype(v):
            out[c] = [f"{d:%Y-%m-%d}" if pd.notna(d) else "—" for d in v]
        else:
            out[c] = [("—" if x is None or (isinstance(x, float) and x != x) or x is pd.NaT
                       or str(x) in ("", "None", "NaT", "<NA>", "nan")
                       else str(x)) for x in v.astype(object)]
    return out.reset_index(drop=True)


def dummy_table(dummy):
    """The dummy regression for reading: CAR, its OLS, HAC and window-HAC se and p-values."""
    import pandas as pd

    return pd.DataFrame({
        "event": dummy["event_id"],
        "window": [fmt.window(a, b) for a, b in zip(dummy["start"], dummy["end"], strict=True)],
        "CAR (%)": [fmt.pct(x) for x in dummy["car"]],
        "OLS se (%)": [fmt.number(100 * x, 2) for x in dummy["car_se"]],
        "HAC se (%)": [fmt.number(100 * x, 2) for x in dummy["car_se_hac"]],
        "window-HAC se (%)": [fmt.number(100 * x, 2) for x in dummy["car_se_window"]],
        "p, OLS": [fmt.pvalue(x) for x in dummy["p"]],
        "p, HAC (unreliable)": [fmt.pvalue(x) for x in dummy["p_hac"]],
        "p, window-HAC": [fmt.pvalue(x) for x in dummy["p_window"]],
    })


def class_table(results, by_column=None, *, alpha: float = 0.05):
    """Every event of a class in date order: CAR, interval, p-values, leading test, grade, groups.

    ``by_column`` is the same study grouped by another column, whose group also
    names each event.
    """
    import pandas as pd

    from .findings import lead_reading

    t = results.tidy(alpha).sort_values("trade_date", kind="stable")
    rows = t.to_dict("records")
    other = None
    if by_column is not None:
        b = by_column.tidy(alpha).set_index(["event_id", "start", "end"])["group"]
        other = [b.get((e, s, n), "") for e, s, n in zip(t["event_id"], t["start"], t["end"],
                                                          strict=True)]
    out = pd.DataFrame({
        "event": t["event_id"].to_numpy(),
        "day 0": [f"{d:%Y-%m-%d}" for d in t["trade_date"]],
        "window": [fmt.window(a, b) for a, b in zip(t["start"], t["end"], strict=True)],
        "CAR (%)": [fmt.pct(x) for x in t["car"]],
        f"{100 * (1 - alpha):g}% interval (%)": [fmt.interval(a, b) for a, b in
                                                 zip(t["ci_lower"], t["ci_upper"], strict=True)],
        "t-test p": [fmt.pvalue(x) for x in t["p"]],
        "SQ p": [fmt.pvalue(x) for x in t["sq_p"]],
        "placebo p": [fmt.pvalue(x) for x in t["placebo_p"]],
        "leading test": [lead_reading(r)[0] or "—" for r in rows],
        "evidence": [lead_reading(r)[2] for r in rows],
        "kind": _group_values(t["group"]),
    })
    if other is not None:
        out[by_column.study.group_by] = _group_values(other)
    out["note"] = t["note"].to_numpy()
    return out


def _group_values(groups) -> list[str]:
    return [g.split("=", 1)[-1] if g else "—" for g in groups]


def data_checks(tickers, *, start=None, prices_dir=None) -> dict:
    """:func:`eventstudy.quality.check_data` of each ticker, in order."""
    from ..quality import check_data

    return {t: check_data(t, prices_dir=prices_dir, start=start) for t in tickers}


#: Counted rows of :func:`data_check_table`: label -> ``DataCheck`` attribute.
DATA_CHECK_COUNTS = {
    "missing sessions": "missing_sessions",
    "extra sessions": "extra_sessions",
    "duplicate dates": "duplicate_dates",
    "non-positive prices": "nonpositive_prices",
    "zero volume days": "zero_volume",
    "roll days": "roll_days",
    "thin-trading periods": "thin_periods",
}


def data_check_table(checks):
    """The checks of several series side by side: ``first``, ``last``, ``rows`` and the counts of
    :data:`DATA_CHECK_COUNTS`, one column per ticker.
    """
    import pandas as pd

    return pd.DataFrame({
        t: {"first": c.first.date(), "last": c.last.date(), "rows": c.rows,
            **{label: len(getattr(c, attr)) for label, attr in DATA_CHECK_COUNTS.items()}}
        for t, c in checks.items()
    })


def close_prices(prices, tickers=None, *, start=None) -> dict:
    """The ``Close`` column of each ticker's prices (default: every ticker) from ``start`` on."""
    tickers = list(prices) if tickers is None else tickers
    return {t: prices[t]["Close"].loc[start:] for t in tickers}


def pending_events(aligned):
    """The events of an aligned catalogue without a trade date yet."""
    return aligned[aligned["status"] != "aligned"]


def moved_events(aligned):
    """The aligned events whose day 0 (``trade_date``) is not their reported ``date``."""
    return aligned[(aligned["status"] == "aligned") & (aligned["trade_date"] != aligned["date"])]


#: Display formats of the CAR tables (:func:`headline_table`).
CAR_FORMATS = {"car_pct": "{:+.2f}%", "ci_low_pct": "{:+.2f}%", "ci_high_pct": "{:+.2f}%",
               "p": fmt.pvalue, "sq_p": fmt.pvalue, "placebo_p": fmt.pvalue,
               "lead_p": fmt.pvalue, "lead_size_pct": "{:.1f}%", "detectable_pct": "{:.2f}%"}
#: Background of a table row or cell whose rate or conclusion is above / below the reference.
HIGHLIGHT = {"over": "background-color: #fde2c8", "under": "background-color: #cfe2f3"}


def _stable(styler, caption: str):
    import hashlib

    return styler.set_uuid(hashlib.sha1(caption.encode("utf-8")).hexdigest()[:8])


#: Plain names, with units, of the CAR tables' columns.
CAR_LABELS = {"run": "asset", "event_id": "event", "trade_date": "day 0", "window": "window",
              "car_pct": "CAR (%)", "ci_low_pct": "95% CI from (%)",
              "ci_high_pct": "95% CI to (%)", "p": "t-test p", "sq_p": "SQ p",
              "placebo_p": "placebo p", "evidence": "evidence", "thin_days": "thin days",
              "test": "leading test", "lead_p": "leading p", "lead_size_pct": "its size",
              "detectable_pct": "detectable day-0 move, 80% power",
              "others": "other tests (p; size)",
              "note": "note", "n_reject": "tests rejecting", "verdict": "verdict",
              "dimension": "choice changed", "variant": "variant", "moves": "conclusion moves",
              "sign_flip": "CAR changes sign"}


def _car_styler(frame, caption: str, formats: dict):
    shown = frame.rename(columns=CAR_LABELS)
    formats = {CAR_LABELS.get(k, k): v for k, v in formats.items()}
    formats = {k: v for k, v in formats.items() if k in shown.columns}
    return _stable(shown.style, caption).format(formats, na_rep="—").hide(
        axis="index").set_caption(caption)


def style_car_table(frame, caption: str):
    """:func:`headline_table` for display: plain column names, formatted numbers, no index."""
    return _car_styler(frame, caption, {**CAR_FORMATS, "trade_date": "{:%Y-%m-%d}"})


def style_robustness_table(table, caption: str = "The events under each choice "
                           "(orange: the conclusion moves)"):
    """The robustness table for display, rows whose conclusion ``moves`` in orange."""
    moved = CAR_LABELS["moves"]

    def moves(row):
        return [HIGHLIGHT["over"] if row[moved] else "" for _ in row]

    return _car_styler(table, caption, CAR_FORMATS).apply(moves, axis=1)


def one_setting(sim, setting):
    """The rows of one setting of a size-power table (InferenceError naming the settings)."""
    from ..exceptions import InferenceError

    rows = sim[sim["setting"] == setting]
    if rows.empty:
        raise InferenceError(
            f"no rows of setting {setting!r} in the size-power table (settings: "
            f"{sorted(set(sim['setting']))}); pass one of them as setting="
        )
    return rows


def size_power_tables(sim, *, setting: str = "real", alpha: float = 0.05):
    """Size and power of each test, one row per test, from a size-power table.

    Parameters
    ----------
    sim : DataFrame
        A table of :func:`eventstudy.simulation.run_size_power`.
    alpha : float
        The level the simulation tested at.

    Returns
    -------
    size : DataFrame
        Index ``test``; per window the no-effect rejection rate (%), ``mc_se``
        = √(α(1 - α)/trials) in points, ``trials``, ``over`` / ``under`` (the
        windows beyond α ± 3·mc_se) and ``verdict`` (``holds``,
        ``over-rejects``, ``conservative`` or ``mixed``).
    power : DataFrame
        Index ``test``; columns (abnormal return %, window): the rejection
        rate (%) with that return added on day 0. Empty without power rows.
    """
    rows = one_setting(sim, setting)
    tests = list(dict.fromkeys(rows["test"]))
    windows = list(dict.fromkeys(rows["window"]))
    null = rows[rows["abnormal"] == 0]
    rate = null.pivot(index="test", columns="window", values="rate").reindex(
        index=tests, columns=windows)
    se = null.groupby("test", sort=False)["mc_se"].max().reindex(tests)
    over = rate.gt(alpha + 3 * se, axis=0)
    under = rate.lt(alpha - 3 * se, axis=0)
    size = rate * 100
    size.columns.name = None
    size["mc_se"] = se * 100
    size["trials"] = null.groupby("test", sort=False)["trials"].max().reindex(tests)
    size["over"] = ["; ".join(w for w in windows if over.loc[t, w]) for t in tests]
    size["under"] = ["; ".join(w for w in windows if under.loc[t, w]) for t in tests]
    size["verdict"] = [
        "mixed" if o and u else "over-rejects" if o else "conservative" if u else "holds"
        for o, u in zip(size["over"], size["under"], strict=True)
    ]
    effect = rows[rows["abnormal"] != 0].assign(abnormal=lambda f: f["abnormal"] * 100)
    power = effect.pivot_table(index="test", columns=["abnormal", "window"], values="rate",
                               sort=False) * 100
    if len(power):
        power = power.reindex(index=[t for t in tests if t in power.index])
    return size, power


def style_size_table(size, description: str):
    """The size table for display; a window listed in ``over`` is orange, in ``under`` blue."""
    from .findings import size_windows

    windows = size_windows(size)

    def flag(row):
        over, under = row["over"].split("; "), row["under"].split("; ")
        return [HIGHLIGHT["over"] if c in over else HIGHLIGHT["under"] if c in under else ""
                for c in row.index]

    caption = f"No effect: rejection rate at 5% per test and window ({description})"
    return _stable(size.style, caption).format(
        {**{w: "{:.1f}%" for w in windows}, "mc_se": "±{:.1f}"}).apply(
        flag, axis=1).set_caption(caption)


def style_power_table(power):
    """The power table for display: rejection rates as whole percent."""
    caption = "Power: rejection rate at 5% with an abnormal day-0 return (in % log return)"
    return _stable(power.style, caption).format(lambda x: fmt.pct(x / 100, 0, sign=False)) \
        .format_index(lambda x: fmt.pct(x / 100, 1), axis=1, level=0).set_caption(caption)


def model_comparison(runs: dict, event_ids, window=(0, 1), *, alpha: float = 0.05):
    """The same events under several normal-return models, one row per model and event.

    Returns
    -------
    pandas.DataFrame
        ``model, event_id, window, car, car_se, ci_lower, ci_upper, p, sq_p,
        placebo_p, r2, resid_sd, n_estimation, donors``; ``donors`` lists a
        synthetic control's weights, largest first (``"A 0.42, B 0.31"``).
    """
    import pandas as pd

    rows = []
    for label, run in runs.items():
        tidy = run.tidy(alpha)
        tidy = tidy[(tidy["start"] == window[0]) & (tidy["end"] == window[1])]
        nm = run.normal_model().set_index("event_id")
        weights = run.synthetic_weights()
        for eid in event_ids:
            hit = tidy[tidy["event_id"] == eid]
            if hit.empty or eid not in nm.index:
                continue
            r = hit.iloc[0]
            w = weights[weights["event_id"] == eid].sort_values("weight", ascending=False)
            rows.append({
                "model": label, "event_id": eid, "window": fmt.window(*window),
                "car": r["car"], "car_se": r["car_se"], "ci_lower": r["ci_lower"],
                "ci_upper": r["ci_upper"], "p": r["p"], "sq_p": r["sq_p"],
                "placebo_p": r["placebo_p"], "r2": nm.loc[eid, "r2"],
                "resid_sd": nm.loc[eid, "resid_sd"],
                "n_estimation": int(nm.loc[eid, "n_estimation"]),
                "donors": ", ".join(f"{d} {x:.2f}" for d, x in zip(w["donor"], w["weight"],
                                                                     strict=True) if x > 0),
            })
    return pd.DataFrame(rows, columns=["model", "event_id", "window", "car", "car_se",
                                       "ci_lower", "ci_upper", "p", "sq_p", "placebo_p", "r2",
                                       "resid_sd", "n_estimation", "donors"])


def style_model_comparison(table, caption: str = "The market model and the synthetic control"):
    """:func:`model_comparison` for a page: percent, intervals, p-values formatted."""
    import pandas as pd

    shown = pd.DataFrame({
        "model": table["model"], "event": table["event_id"], "window": table["window"],
        "CAR": [fmt.pct(x) for x in table["car"]],
        "95% CI": [fmt.interval(a, b) for a, b in zip(table["ci_lower"], table["ci_upper"],
                                                      strict=True)],
        "t-test p": [fmt.pvalue(x) for x in table["p"]],
        "SQ p": [fmt.pvalue(x) for x in table["sq_p"]],
        "placebo p": [fmt.pvalue(x) for x in table["placebo_p"]],
        "pre-event R²": [f"{x:.3f}" for x in table["r2"]],
        "residual sd / RMSPE": [fmt.pct(x, sign=False) for x in table["resid_sd"]],
        "donor weights": table["donors"],
    })
    return _stable(shown.style.hide(axis="index"), caption)

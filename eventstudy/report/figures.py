"""Figures of a report: price and event timelines, one event on several assets, the
events of a class, the placebo distribution, robustness variants, size and power.
Each returns a :class:`matplotlib.figure.Figure` (not shown, not saved)."""

from __future__ import annotations

__all__ = [
    "DIRECTION_STYLE", "car_band", "plot_answer", "plot_class", "plot_car_intervals",
    "plot_car_by_asset", "plot_car_by_variant", "plot_event_timeline", "plot_normalised",
    "plot_placebo", "plot_price_quality", "plot_size_power"
]


#: Colours of event markers by the catalogue's ``direction`` (of the price effect).
DIRECTION_STYLE = {
    1: ("tab:green", "de-escalation (+1)"),
    -1: ("tab:red", "escalation (-1)"),
    0: ("tab:gray", "no direction (0)"),
}


def _label_levels(dates, span, *, gap: float = 0.025, max_levels: int = 4) -> list[int]:
    """Stacking level of each (sorted) date's label, so labels closer than ``gap`` · span differ."""
    import pandas as pd

    min_gap = span * gap
    last: list[pd.Timestamp | None] = [None] * max_levels
    levels = []
    for d in pd.DatetimeIndex(dates):
        free = [k for k, prev in enumerate(last) if prev is None or d - prev >= min_gap]
        level = free[0] if free else min(range(max_levels), key=lambda k: last[k])
        last[level] = d
        levels.append(level)
    return levels


def _short(title: str, n: int) -> str:
    return title if len(title) <= n else title[:n - 3] + "..."


def plot_event_timeline(close, aligned, periods, *, ticker: str, unit: str = ""):
    """The asset's close with every aligned event marked on its trade date.

    Parameters
    ----------
    close : pandas.Series
        Closing prices indexed by trade date.
    aligned : pandas.DataFrame
        :func:`eventstudy.events.align_events` output.
    periods : list of (date-like, date-like)
        One panel per period.
    unit : str
        The price unit of the axis label.

    Returns
    -------
    matplotlib.figure.Figure
        A dashed line at each event's day 0, coloured by direction and numbered,
        with the key beside the panel.
    """
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(12, 4.4 * len(periods)), layout="constrained")
    axes = fig.subplots(len(periods), 1, squeeze=False)
    dated = aligned[aligned["status"] == "aligned"].sort_values("trade_date", kind="stable")
    number = {eid: i for i, eid in enumerate(dated["id"], start=1)}
    for ax, (a, b) in zip(axes[:, 0], periods, strict=True):
        a, b = pd.Timestamp(a), pd.Timestamp(b)
        seg = close.loc[a:b]
        ax.plot(seg.index, seg.to_numpy(), color="0.25", lw=1.0, label=f"{ticker} close")
        ev = dated[(dated["trade_date"] >= a) & (dated["trade_date"] <= b)]
        levels = _label_levels(ev["trade_date"], b - a)
        key = []
        for level, rec in zip(levels, ev.itertuples(), strict=True):
            color, _ = DIRECTION_STYLE[int(rec.direction)]
            ax.axvline(rec.trade_date, color=color, lw=0.9, ls="--")
            ax.annotate(str(number[rec.id]), (rec.trade_date, 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(0, 2 + 9 * level), textcoords="offset points", ha="center",
                        va="bottom", fontsize=7, color=color)
            key.append(f"{number[rec.id]:>2}  {rec.trade_date:%Y-%m-%d}  {rec.id}")
        ax.text(1.01, 1.0, "\n".join(key), transform=ax.transAxes, va="top", ha="left",
                fontsize=7, family="monospace")
        ax.set_ylabel(f"{ticker} close" + (f" ({unit})" if unit else ""))
        ax.set_xlabel("trade date")
        ax.set_title(f"{ticker} and the catalogued events (numbered, day 0), "
                     f"{a:%b %Y} to {b:%b %Y}", pad=6 + 9 * (max(levels, default=0) + 1))
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=c, ls="--", label=lab) for c, lab in DIRECTION_STYLE.values()]
    axes[0, 0].legend(handles=handles, loc="lower left", fontsize=8, title="event direction")
    return fig


def plot_price_quality(close, check, periods, *, unit: str = ""):
    """A price series with its roll days (blue ticks) and thin-trading periods (orange), one
    panel per period of ``periods``; ``check`` is the ticker's ``DataCheck``.
    """
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig = Figure(figsize=(11, 3.8 * len(periods)), layout="constrained")
    axes = fig.subplots(len(periods), 1, squeeze=False)
    rolls = pd.DatetimeIndex(check.roll_days["date"] if len(check.roll_days) else [])
    for ax, (a, b) in zip(axes[:, 0], periods, strict=True):
        a, b = pd.Timestamp(a), pd.Timestamp(b)
        seg = close.loc[a:b]
        for lo, hi in check.thin_periods:
            lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
            if hi >= a and lo <= b:
                ax.axvspan(max(lo, a), min(hi, b) + pd.Timedelta(days=1), color="tab:orange",
                           alpha=0.25, lw=0)
        ax.plot(seg.index, seg.to_numpy(), color="0.2", lw=0.9)
        inside = rolls[(rolls >= a) & (rolls <= b)]
        ax.plot(inside, [0.02] * len(inside), "|", color="tab:blue", ms=10,
                transform=ax.get_xaxis_transform())
        ax.set_ylabel(f"{check.ticker} close" + (f" ({unit})" if unit else ""))
        ax.set_xlabel("trade date")
        ax.set_title(f"{check.ticker}, {a:%Y-%m-%d} to {b:%Y-%m-%d}: "
                     f"{len(inside)} roll days, thin-trading periods shaded")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(
        handles=[Patch(color="tab:orange", alpha=0.25, label="thin trading (delivery period)"),
                 Line2D([], [], color="tab:blue", marker="|", ls="", ms=10,
                        label="roll day (return spans a contract switch)")],
        loc="upper left", fontsize=8)
    return fig


def plot_normalised(closes, *, base: str | None = None):
    """Several closes (ticker -> series) rebased to 100 on their first common date (``base``
    labels that date).
    """
    import pandas as pd
    from matplotlib.figure import Figure

    table = pd.DataFrame(closes).dropna()
    rebased = 100 * table / table.iloc[0]
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax = fig.subplots()
    for ticker in rebased.columns:
        ax.plot(rebased.index, rebased[ticker].to_numpy(), lw=0.9, label=ticker)
    ax.set_ylabel(f"close, {base or f'{rebased.index[0]:%Y-%m-%d}'} = 100")
    ax.set_xlabel("trade date")
    ax.set_title("The asset and its factors, rebased (days when all have a price)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def car_band(results, event_id: str, *, alpha: float = 0.05):
    """One event's event days, CAR path and (1-α) band half-width, in percent.

    Notes
    -----
    CAR_τ = Σ_{d ≤ τ} AR_d from the first window day; half-width
    t_{df, 1-α/2} · √(γ_τ′Vγ_τ), V the covariance of the window's abnormal
    returns with estimation error (:meth:`EventStudyResults.cumulative`).
    """
    import numpy as np
    from scipy import stats

    a = results.arrays
    row = int(results.event_rows([event_id])[0])
    car, var = results.cumulative()
    q = stats.t.ppf(1 - alpha / 2, a.dof[row])
    return a.rel_win, car[row] * 100, q * np.sqrt(var[row]) * 100


def plot_car_by_asset(runs, event_id, *, alpha: float = 0.05):
    """One event's CAR path (:func:`car_band`) and daily abnormal returns on several assets.

    Parameters
    ----------
    runs : dict of str -> eventstudy.results.EventStudyResults
        Label -> run; each holds ``event_id`` as a used event.

    Returns
    -------
    matplotlib.figure.Figure
        Left the CAR with its band, right the abnormal returns; the first run's
        thin-trading days are hatched and its roll days crossed.
    """
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    level = int(round(100 * (1 - alpha)))
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax_car, ax_ar = fig.subplots(1, 2)
    first_label = next(iter(runs))
    width = 0.8 / len(runs)
    for k, (label, run) in enumerate(runs.items()):
        days, path, half = car_band(run, event_id, alpha=alpha)
        color = f"C{k}"
        ax_car.fill_between(days, path - half, path + half, color=color, alpha=0.15,
                            label=f"{label}: {level}% band")
        ax_car.plot(days, path, marker="o", color=color, label=f"{label}: CAR")
        ar = run.ar[run.ar["event_id"] == event_id].set_index("day")
        ax_ar.bar(ar.index + (k - (len(runs) - 1) / 2) * width, ar["ar"] * 100, width=width,
                  color=color, label=f"{label}: abnormal return")
        if label == first_label:
            for ax in (ax_car, ax_ar):
                for day in ar.index[ar["thin"].astype(bool)]:
                    ax.axvspan(day - 0.5, day + 0.5, facecolor="0.9", edgecolor="0.7",
                               hatch="//", lw=0, zorder=0)
            rolls = ar.index[ar["roll"].astype(bool)]
            if len(rolls):
                ax_ar.plot(rolls, np.zeros(len(rolls)), "x", color="k", ms=8,
                           label=f"{label}: return spans a contract switch (masked)")
    dates = runs[first_label].ar
    dates = dates[dates["event_id"] == event_id].set_index("day")["date"]
    for ax in (ax_car, ax_ar):
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8, ls=":")
        ax.set_xticks(list(dates.index))
        ax.set_xticklabels([f"{d:+d}\n{pd.Timestamp(t):%m-%d}" if d
                            else f"0\n{pd.Timestamp(t):%m-%d}"
                            for d, t in dates.items()], fontsize=8)
        ax.set_xlabel("event day and trade date")
    shade = Patch(facecolor="0.9", edgecolor="0.7", hatch="//",
                  label=f"{first_label} thin trading (front contract in delivery)")
    for ax, loc in ((ax_car, "upper left"), (ax_ar, "lower left")):
        handles = ax.get_legend_handles_labels()[0]
        ax.legend(handles=[*handles, shade], fontsize=7, loc=loc)
    kind = runs[first_label].study.return_label
    ax_car.set_ylabel(f"cumulative abnormal return (% {kind})")
    ax_ar.set_ylabel(f"abnormal return (% {kind})")
    ax_car.set_title("CAR from the first window day")
    ax_ar.set_title("abnormal return day by day")
    fig.suptitle(f"{event_id}: the same window measured on {' and '.join(runs)}")
    return fig


def plot_placebo(run, window, groups=("all",)):
    """The placebo distribution of one window's CAR, with each event's CAR (ticks) and the mean
    CAR of up to three ``groups`` (lines).
    """
    import numpy as np
    from matplotlib.figure import Figure

    pl = run.placebo
    w = [tuple(x) for x in pl.windows.tolist()].index(tuple(window))
    pseudo = pl.car[:, w]
    pseudo = pseudo[np.isfinite(pseudo)] * 100
    fig = Figure(figsize=(12, 4), layout="constrained")
    ax = fig.subplots()
    ax.hist(pseudo, bins=80, color="0.75", label=f"{pseudo.size} pseudo-events (no news)")
    ev = run.car[(run.car["start"] == window[0]) & (run.car["end"] == window[1])]
    for d, (color, label) in DIRECTION_STYLE.items():
        vals = ev.loc[ev["direction"] == d, "car"].dropna() * 100
        if len(vals):
            ax.plot(vals, np.zeros(len(vals)), "|", ms=25, mew=2, color=color,
                    label=f"{label}: event CARs")
    tests = run.tests
    for g, color in zip(groups, ("tab:red", "tab:green", "tab:blue")[: len(groups)], strict=False):
        row = tests[(tests["group"] == g) & (tests["test"] == "placebo")
                    & (tests["start"] == window[0]) & (tests["end"] == window[1])]
        if len(row):
            mean = float(row["statistic"].iloc[0]) * 100
            p_value = float(row["p_value"].iloc[0])
            ax.axvline(mean, color=color, lw=2,
                       label=f"{g} mean CAR {mean:+.2f}% (placebo p = {p_value:.3f})")
    ax.set_xlabel(f"CAR over [{window[0]}, {window[1]}] (% {run.study.return_label})")
    ax.set_ylabel("pseudo-events")
    ax.set_title(f"{run.study.asset}: placebo distribution of the [{window[0]}, {window[1]}] CAR")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def plot_car_by_variant(table):
    """The CAR of each event under each robustness variant (dummy regression aside), as bars;
    a missing bar is an event the variant excludes.
    """
    from matplotlib.figure import Figure

    shown = table[table["dimension"] != "dummy regression"]
    order = list(dict.fromkeys(shown["variant"]))
    base_window = shown.loc[shown["dimension"] == "base", "window"].iloc[0]
    fig = Figure(figsize=(10, 6), layout="constrained")
    ax = fig.subplots()
    pivot = shown.pivot(index="variant", columns="event_id", values="car_pct").loc[order]
    pivot.plot.barh(ax=ax)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_xlabel(f"CAR (% log return; over {base_window} unless the variant names another "
                  "window)")
    ax.set_ylabel("")
    ax.invert_yaxis()
    ax.legend(title="event", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title("The events under each variant (missing bar: event excluded)")
    return fig


def plot_size_power(sim, *, setting: str = "real", alpha: float = 0.05):
    """Rejection rates per test and window: with no effect (±3 Monte Carlo SE, level α marked),
    then one panel per abnormal return (power).
    """
    import numpy as np
    from matplotlib.figure import Figure

    from .tables import one_setting

    rows = one_setting(sim, setting)
    tests = list(dict.fromkeys(rows["test"]))
    windows = list(dict.fromkeys(rows["window"]))
    sizes = sorted(set(rows["abnormal"]))
    y = np.arange(len(tests))
    offset = (np.arange(len(windows)) - (len(windows) - 1) / 2) * 0.22
    fig = Figure(figsize=(4.2 * len(sizes), 0.32 * len(tests) + 1.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(sizes), sharey=True))
    for ax, delta in zip(axes, sizes, strict=True):
        part = rows[rows["abnormal"] == delta]
        for k, w in enumerate(windows):
            cur = part[part["window"] == w].set_index("test").reindex(tests)
            x = cur["rate"].to_numpy(dtype=float) * 100
            err = 3 * cur["mc_se"].to_numpy(dtype=float) * 100 if delta == 0 else None
            ax.errorbar(x, y + offset[k], xerr=err, fmt="o", ms=4, color=f"C{k}", capsize=2,
                        lw=1, label=f"window {w}")
        if delta == 0:
            ax.axvline(alpha * 100, color="0.3", lw=0.8, ls="--", label=f"level {alpha:.0%}")
            ax.set_xlim(left=0)
            ax.set_title("no effect: size (bars ±3 Monte Carlo SE)", fontsize=10)
        else:
            ax.set_xlim(0, 102)
            ax.set_title(f"{delta:+.0%} on day 0: power", fontsize=10)
        ax.set_xlabel("rejection rate (%)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, tests)
    axes[0].invert_yaxis()
    handles, labels = axes[0].get_legend_handles_labels()
    axes[-1].legend(handles, labels, fontsize=7, loc="lower right")
    first = rows.iloc[0]
    fig.suptitle(f"{setting}: rejection rates at {alpha:.0%} of {int(first['n_events'])} "
                 "pseudo-events per replication")
    return fig


def plot_answer(runs: dict, event_ids, *, alpha: float = 0.05, names: dict | None = None):
    """Each event's CAR path (:func:`car_band`) on every asset, one panel per event.

    ``names`` maps an event id to its panel title (default: the catalogue
    title, shortened); a dotted line marks another event's day 0.
    """
    import numpy as np
    from matplotlib.figure import Figure

    from ..plots import calendar_axis, legend_entries

    n = max(len(event_ids), 1)
    fig = Figure(figsize=(3.3 * n, 2.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True))
    first = next(iter(runs.values()))
    for ax, eid in zip(axes, event_ids, strict=False):
        for k, (label, res) in enumerate(runs.items()):
            days, path, half = car_band(res, eid, alpha=alpha)
            ax.fill_between(days, path - half, path + half, color=f"C{k}", alpha=0.15)
            ax.plot(days, path, marker="o", ms=3, color=f"C{k}", label=label)
        calendar_axis(ax, first, eid)
        ax.set_xlabel("")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.axvline(0, color="0.5", lw=0.8, ls=":")
        ax.set_title(_short((names or {}).get(eid) or first.title_of(eid), 40), fontsize=8)
    axes[0].set_ylabel(f"CAR (% {first.study.return_label})", fontsize=8)
    level = int(round(100 * (1 - alpha)))
    handles, labels = legend_entries(axes)
    fig.legend(handles, labels, fontsize=7, loc="outside lower center",
               ncols=len(labels), title=f"CAR with its {level}% band", title_fontsize=7)
    return fig


def plot_car_intervals(runs: dict, event_ids, window=(0, 1), *, alpha: float = 0.05,
                       names: dict | None = None):
    """Each market's CAR over one window with its (1-α) interval, one panel per event."""
    import numpy as np
    from matplotlib.figure import Figure

    labels = list(runs)
    n = max(len(event_ids), 1)
    fig = Figure(figsize=(4.2 * n, 0.45 * len(labels) + 1.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True))
    level = int(round(100 * (1 - alpha)))
    for ax, eid in zip(axes, event_ids, strict=False):
        for k, label in enumerate(labels):
            t = runs[label].tidy(alpha)
            row = t[(t["event_id"] == eid) & (t["start"] == window[0]) & (t["end"] == window[1])]
            y = len(labels) - 1 - k
            if row.empty or not np.isfinite(row["car"].iloc[0]):
                ax.text(0, y, "no CAR", va="center", ha="center", fontsize=7, color="0.4")
                continue
            r = row.iloc[0]
            ax.plot([100 * r["ci_lower"], 100 * r["ci_upper"]], [y, y], color=f"C{k % 10}",
                    lw=2)
            ax.plot(100 * r["car"], y, "o", color=f"C{k % 10}")
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels[::-1], fontsize=8)
        kind = next(iter(runs.values())).study.return_label
        ax.set_xlabel(f"CAR over [{window[0]}, {window[1]}] (% {kind}), {level}% interval",
                      fontsize=8)
        title = (names or {}).get(eid) or next(iter(runs.values())).title_of(eid)
        ax.set_title(_short(title, 45), fontsize=9)
    return fig


def plot_class(results, windows=((0, 0), (0, 1)), *, highlight=(), names=None,
               alpha: float = 0.05):
    """Every event of a class with its CAR and (1-α) interval in date order, over the class mean
    and its cross-sectional interval; one panel per window.

    ``highlight`` events are drawn in colour and labelled by ``names``.
    """
    import numpy as np
    from matplotlib.figure import Figure

    from .findings import class_mean

    tidy = results.tidy(alpha)
    ids = results.used_ids
    fig = Figure(figsize=(4.6 * len(windows), 0.22 * len(ids) + 1.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(windows), sharey=True))
    kind = results.study.return_label
    for ax, (lo, hi) in zip(axes, windows, strict=True):
        rows = tidy[(tidy["start"] == lo) & (tidy["end"] == hi)].set_index("event_id")
        mean = class_mean(tidy, (lo, hi), alpha=alpha)
        if mean["n"] >= 2:
            ax.axvspan(100 * mean["lower"], 100 * mean["upper"], color="C0", alpha=0.12,
                       label=f"class mean, {100 * (1 - alpha):g}% interval")
            ax.axvline(100 * mean["mean"], color="C0", lw=1)
        for k, eid in enumerate(ids):
            y = len(ids) - 1 - k
            if eid not in rows.index or not np.isfinite(rows.loc[eid, "car"]):
                ax.text(0, y, "no CAR", fontsize=6, va="center", ha="center", color="0.5")
                continue
            r = rows.loc[eid]
            mark = eid in highlight
            color = f"C{1 + list(highlight).index(eid)}" if mark else "0.45"
            ax.plot([100 * r["ci_lower"], 100 * r["ci_upper"]], [y, y], color=color,
                    lw=2 if mark else 1)
            ax.plot(100 * r["car"], y, "o", color=color, ms=5 if mark else 3)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_yticks(range(len(ids)))
        labels = [(names or {}).get(e, e) if e in highlight else e for e in ids]
        ax.set_yticklabels(labels[::-1], fontsize=6)
        ax.set_xlabel(f"CAR over [{lo}, {hi}] (% {kind})", fontsize=8)
        ax.set_title(f"[{lo}, {hi}]", fontsize=9)
    axes[0].legend(fontsize=7, loc="lower left")
    return fig

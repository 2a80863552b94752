"""Figures of an event study: AR and CAR paths per event, CAAR paths per group.

Every function takes an :class:`~eventstudy.results.EventStudyResults` and
returns a :class:`matplotlib.figure.Figure` (not shown, not saved), in percent
of the study's return kind; bands are pointwise (1-α) intervals. Thin-trading
days (front contract in its delivery period) are hatched; contract-roll days,
whose AR is missing, are crossed on zero.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["calendar_axis", "legend_entries", "plot_ar", "plot_car", "plot_caar"]

_PCT = 100.0


def _figure(n, ncols):
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(5.0 * ncols, 3.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _title(results, row):
    eid = str(results.arrays_ids[row])
    title = results.title_of(eid)
    date = results.dates[results.arrays.day0[row]].date()
    name = eid if title == eid else f"{eid}: {title}"
    if len(name) > 60:
        name = name[:57] + "..."
    return f"{name}\nday 0 = {date}"


def _style(ax, ylabel):
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.axvline(0.0, color="0.5", linewidth=0.8, linestyle=":")
    ax.set_xlabel("event day (trade days relative to day 0)")
    ax.set_ylabel(ylabel)


def _mark_days(ax, rows):
    """Hatch the thin-trading days and cross the contract-roll days of one event's AR rows."""
    days = rows["day"].to_numpy()
    roll, thin = rows["roll"].to_numpy(dtype=bool), rows["thin"].to_numpy(dtype=bool)
    for i, d in enumerate(days[thin]):
        ax.axvspan(d - 0.5, d + 0.5, facecolor="0.93", edgecolor="0.75", hatch="//",
                   linewidth=0, zorder=0,
                   label="thin trading (front contract in delivery)" if i == 0 else None)
    if roll.any():
        ax.plot(days[roll], np.zeros(int(roll.sum())), linestyle="none", marker="x",
                color="0.3", markersize=7, label="contract roll: AR missing")


def calendar_axis(ax, results, eid):
    """Label event days with their trade dates and mark other events' day 0 in the window."""
    import pandas as pd

    ar = results.ar
    ar = ar[ar["event_id"] == eid]
    ax.set_xticks(ar["day"].to_numpy())
    ax.set_xticklabels([f"{d:+d}\n{pd.Timestamp(t):%m-%d}" if pd.notna(t) else f"{d:+d}"
                        for d, t in zip(ar["day"], ar["date"], strict=True)], fontsize=7)
    ax.set_xlabel("event day and trade date (MM-DD)")
    for i, (_, day) in enumerate(results.overlaps_of(eid)):
        ax.axvline(day, color="0.35", linestyle="--", linewidth=0.9,
                   label="another event's day 0" if i == 0 else None)


def legend_entries(axes) -> tuple[list, list[str]]:
    """(handles, labels) of every entry any of ``axes`` drew, each label once, in order."""
    handles: dict = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    return list(handles.values()), list(handles)


def _event_panels(results, event_ids, ncols, ylabel, draw, title):
    """One panel per event: ``draw(ax, row)``, then its flagged days, axes and title."""
    rows = results.event_rows(event_ids)
    fig, axes = _figure(max(len(rows), 1), ncols)
    flags = dict(list(results.ar.groupby("event_id", sort=False)))
    for ax, r in zip(axes, rows, strict=False):
        eid = str(results.arrays_ids[r])
        draw(ax, r)
        if eid in flags:
            _mark_days(ax, flags[eid])
        _style(ax, f"{ylabel} (% {results.study.return_label})")
        calendar_axis(ax, results, eid)
        ax.set_title(_title(results, r), fontsize=9)
    fig.legend(*legend_entries(axes), loc="outside lower center", ncols=2, fontsize=8)
    fig.suptitle(f"{title} of {results.study.asset} ({results.study.model} model)")
    return fig


def plot_ar(results, event_ids=None, *, alpha=0.05, ncols=2):
    """Abnormal return of each event by event day, against its (1-α) no-effect band.

    Parameters
    ----------
    event_ids : str or list of str, optional
        Events to draw (all used events by default).
    alpha : float
        The band is 0 ± t_{n-k, 1-α/2} · se(AR_τ), se including estimation
        error: an AR outside it is significant at level α on its own.
    ncols : int
        Panels per row.
    """
    a = results.arrays
    level = int(round((1 - alpha) * 100))

    def draw(ax, r):
        half = special.stdtrit(a.dof[r], 1 - alpha / 2) * a.ar_se[r] * _PCT
        ax.fill_between(a.rel_win, -half, half, color="C0", alpha=0.2, step="mid",
                        label=f"{level}% band of AR under H0 (±t·se, with estimation error)")
        ax.plot(a.rel_win, a.ar[r] * _PCT, marker="o", color="C0", label="abnormal return")

    return _event_panels(results, event_ids, ncols, "abnormal return", draw,
                         "Abnormal returns")


def plot_car(results, event_ids=None, *, alpha=0.05, ncols=2):
    """Cumulative abnormal return from the first window day, with its (1-α) band.

    The band is CAR_τ ± t_{n-k, 1-α/2} · √(γ_τ'Vγ_τ), γ_τ the non-missing days
    from the first window day to τ (estimation error included); where it
    excludes zero, the CAR up to that day is significant at level α.
    """
    a = results.arrays
    car, var = results.cumulative()
    level = int(round((1 - alpha) * 100))

    def draw(ax, r):
        c = car[r] * _PCT
        half = special.stdtrit(a.dof[r], 1 - alpha / 2) * np.sqrt(var[r]) * _PCT
        ax.fill_between(a.rel_win, c - half, c + half, color="C1", alpha=0.2,
                        label=f"{level}% confidence band (±t·se, with estimation error)")
        ax.plot(a.rel_win, c, marker="o", color="C1", label=f"CAR from day {a.rel_win[0]}")

    return _event_panels(results, event_ids, ncols, "CAR", draw, "Cumulative abnormal returns")


def plot_caar(results, groups=None, *, alpha=0.05):
    """Cumulative average abnormal return per group, with its (1-α) band.

    CAAR_τ is the mean over the group's used events of CAR(first window day..τ)
    (× direction for the ``signed`` group); the band is ± z_{1-α/2} ·
    √(Σ_i Var(CAR_iτ)) / N, which assumes no cross-correlation between events.
    ``groups`` names the groups drawn (default: all of :attr:`EventStudyResults.caar`).
    """
    from matplotlib.figure import Figure

    a = results.arrays
    car, var = results.cumulative()
    known = [(name, np.asarray(rows), np.asarray(sign, dtype=float))
             for name, (rows, sign) in results.groups.items()]
    if groups is not None:
        names = {g for g, _, _ in known}
        for g in groups:
            if g not in names:
                raise KeyError(f"no group {g!r}; groups are {', '.join(sorted(names))}")
        known = [k for k in known if k[0] in set(groups)]
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.subplots()
    z = special.ndtri(1 - alpha / 2)
    level = int(round((1 - alpha) * 100))
    for i, (name, rows, sign) in enumerate(known):
        if rows.size == 0:
            continue
        c = np.mean(car[rows] * sign[:, None], axis=0) * _PCT
        half = z * np.sqrt(var[rows].sum(axis=0)) / rows.size * _PCT
        color = f"C{i % 10}"
        ax.fill_between(a.rel_win, c - half, c + half, color=color, alpha=0.15)
        ax.plot(a.rel_win, c, marker="o", color=color, label=f"{name} (N={rows.size})")
    _style(ax, f"CAAR (% {results.study.return_label})")
    ax.set_title(f"CAAR of {results.study.asset} by group; shaded: {level}% band "
                 "(no cross-correlation)", fontsize=10)
    ax.legend(fontsize=8)
    return fig

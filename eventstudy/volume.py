"""Abnormal trading volume of event windows, futures-aware.

The volume of a continuous futures series is the front contract's: it
collapses while that contract is in delivery and jumps to the next contract
at the roll. :func:`abnormal_volume` measures the mean-adjusted log volume of
Campbell and Wasley (1996) on numpy arrays; :func:`study_volume` runs it on a
study's returns panel, leaving out of every estimation sample, and flagging
in every window, the days without volume, with zero volume, and in the front
contract's delivery period (:func:`eventstudy.contracts.delivery_mask`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special

from .contracts import delivery_mask
from .estimate import window_mask

__all__ = ["VOLUME_COLUMNS", "StudyVolume", "VolumeArrays", "abnormal_volume", "log_volume",
           "study_volume"]

logger = logging.getLogger(__name__)

#: Columns of :meth:`StudyVolume.table` (``volume.csv``).
VOLUME_COLUMNS = ["event_id", "start", "end", "cav", "cav_se", "t", "df", "p", "placebo_p",
                  "n_days", "window_days", "n_estimation", "note"]


def log_volume(volume) -> np.ndarray:
    """v = ln(1 + volume), NaN where the volume is missing, zero or negative."""
    x = np.asarray(volume, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(x) & (x > 0), np.log1p(np.where(x > 0, x, 0.0)), np.nan)


@dataclass(frozen=True)
class VolumeArrays:
    """Abnormal log volume of E events over W windows (numpy arrays only).

    ``av`` (E, Lw) the abnormal log volume on each day of the widest window
    (NaN where the day has no usable volume); ``cav, cav_se, tstat, pvalue,
    n_days`` (E, W); ``n, mean, sd, dof`` (E,) the estimation sample's size,
    mean, standard deviation (ddof 1) and n - 1; ``used`` and ``reason`` (E,)
    as for the engine; ``usable`` and ``inside`` (E, Lw) whether each window
    day has a usable volume and lies in the data.
    """

    day0: np.ndarray
    rel_win: np.ndarray
    windows: np.ndarray
    av: np.ndarray
    cav: np.ndarray
    cav_se: np.ndarray
    tstat: np.ndarray
    pvalue: np.ndarray
    n_days: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    dof: np.ndarray
    used: np.ndarray
    reason: np.ndarray
    usable: np.ndarray
    inside: np.ndarray


def abnormal_volume(v, usable, day0, *, estimation, windows, min_estimation_days,
                    blocked=None) -> VolumeArrays:
    """Mean-adjusted abnormal log volume of every event (Campbell and Wasley 1996).

    Parameters
    ----------
    v : array_like, (T,)
        Log volume ln(1 + volume) on the trade dates (:func:`log_volume`).
    usable : array_like of bool, (T,)
        Days whose volume counts: present, positive, not in delivery.
    day0 : array_like of int, (E,)
        Positions of the events' day 0.
    estimation : (int, int)
        Estimation window [T0, T1] in trade days relative to day 0.
    windows : sequence of (int, int)
        Event windows [start, end], inclusive.
    min_estimation_days : int
        Events with fewer usable estimation days (or fewer than 2) have no CAV.
    blocked : array_like of bool, (T,), optional
        Days left out of every estimation sample (other events' windows).

    Returns
    -------
    VolumeArrays

    Notes
    -----
    Estimation sample of event e: the days day0_e + τ, τ in [T0, T1], with
    ``usable`` and not ``blocked``; n its size, v̄ and s the mean and standard
    deviation (n - 1 degrees of freedom) of v over it. AV_τ = v_τ - v̄ on each
    usable window day; CAV over [a, b] sums the L usable days, se(CAV) =
    s √(L + L²/n) (the estimation error of v̄ included), t = CAV / se and p
    two-sided from Student's t with n - 1 degrees of freedom.

    References
    ----------
    Campbell, C. J., Wasley, C. E. (1996). Measuring abnormal daily trading
    volume for samples of NYSE/ASE and NASDAQ securities using parametric and
    nonparametric test statistics. Review of Quantitative Finance and
    Accounting, 6(3), 309-326.
    """
    v = np.asarray(v, dtype=np.float64)
    T = v.shape[0]
    ok = np.asarray(usable, dtype=bool) & np.isfinite(v)
    day0 = np.asarray(day0, dtype=np.int64).reshape(-1)
    wins = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    T0, T1 = (int(x) for x in estimation)
    g = ok if blocked is None else ok & ~np.asarray(blocked, dtype=bool)
    n, mean, sd, reason = _estimation(v, g, day0, T0, T1, T, int(min_estimation_days))
    used = reason == ""
    rel = np.arange(int(wins[:, 0].min()), int(wins[:, 1].max()) + 1)
    pos = day0[:, None] + rel[None, :]
    inside = (pos >= 0) & (pos < T)
    at = np.clip(pos, 0, max(T - 1, 0))
    day_ok = inside & ok[at] & used[:, None] if T else inside
    av = np.where(day_ok, v[at] - mean[:, None], np.nan) if T else np.full(pos.shape, np.nan)
    cav, se, n_days = _windows(av, day_ok, rel, wins, n, sd)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, cav / se, np.nan)
    dof = np.where(used, n - 1, 0)
    p = 2.0 * special.stdtr(np.maximum(dof, 1)[:, None].astype(np.float64), -np.abs(t))
    return VolumeArrays(day0=day0, rel_win=rel, windows=wins, av=av, cav=cav, cav_se=se,
                        tstat=t, pvalue=p, n_days=n_days, n=n, mean=mean, sd=sd, dof=dof,
                        used=used, reason=reason, usable=day_ok, inside=inside)


def _estimation(v, g, day0, T0, T1, T, min_n):
    """(n, mean, sd, reason) of every event's estimation sample, two-pass."""
    E, Le = day0.size, T1 - T0 + 1
    first, stop = day0 + T0, day0 + T1 + 1
    reason = np.full(E, "", dtype=object)
    out_day0 = (day0 < 0) | (day0 >= T)
    out_est = ~out_day0 & ((first < 0) | (stop > T))
    reason[out_day0] = "day 0 outside the volume data"
    reason[out_est] = (f"the volume estimation window [{T0}, {T1}] leaves the data")
    inn = ~(out_day0 | out_est)
    n = np.zeros(E, dtype=np.int64)
    mean = np.full(E, np.nan)
    sd = np.full(E, np.nan)
    if inn.any():
        f = first[inn]
        mask = sliding_window_view(g, Le)[f]
        vals = np.where(mask, sliding_window_view(np.where(g, v, 0.0), Le)[f], 0.0)
        k = mask.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = vals.sum(axis=1) / k
            dev = np.where(mask, vals - m[:, None], 0.0)
            s = np.sqrt((dev * dev).sum(axis=1) / (k - 1))
        n[inn], mean[inn], sd[inn] = k, m, s
    few = inn & (n < max(min_n, 2))
    for i in np.flatnonzero(few):
        reason[i] = (f"only {n[i]} estimation days with volume (min_estimation_days="
                     f"{min_n}): days without volume, with zero volume or in delivery are "
                     "left out")
    bad = reason != ""
    mean[bad], sd[bad] = np.nan, np.nan
    return n, mean, sd, reason


def _windows(av, day_ok, rel, wins, n, sd):
    """CAV, its se and the usable days of each window."""
    E, W = av.shape[0], wins.shape[0]
    cav = np.full((E, W), np.nan)
    se = np.full((E, W), np.nan)
    n_days = np.zeros((E, W), dtype=np.int64)
    nf = np.where(n > 0, n, 1).astype(np.float64)
    for w, (a, b) in enumerate(wins):
        sel = (rel >= a) & (rel <= b)
        L = day_ok[:, sel].sum(axis=1)
        has = L > 0
        n_days[:, w] = L
        cav[:, w] = np.where(has, np.where(day_ok[:, sel], av[:, sel], 0.0).sum(axis=1), np.nan)
        se[:, w] = np.where(has, sd * np.sqrt(L + L**2 / nf), np.nan)
    return cav, se, n_days


@dataclass(frozen=True)
class StudyVolume:
    """Abnormal volume of one study's events, with the reasons of every missing value.

    ``arrays`` (rows: the engine's located events) and ``placebo_p`` (E, W),
    or ``note`` alone when the asset has no volume; ``delivery``, ``zero`` and
    ``missing`` (E, Lw) flag the window days left out.
    """

    arrays: VolumeArrays | None
    placebo_p: np.ndarray | None
    delivery: np.ndarray | None
    zero: np.ndarray | None
    missing: np.ndarray | None
    placebo_drawn: bool
    note: str = ""

    def table(self, event_ids, rows) -> pd.DataFrame:
        """One row per event of ``rows`` (rows of ``arrays``) and window: :data:`VOLUME_COLUMNS`.

        Empty, with the reason in ``attrs["note"]``, for an asset without volume.
        """
        a = self.arrays
        if a is None:
            out = pd.DataFrame({c: pd.Series(dtype=object) for c in VOLUME_COLUMNS})
            out.attrs["note"] = self.note
            return out
        rows = np.asarray(rows, dtype=np.int64)
        W = a.windows.shape[0]
        frame = pd.DataFrame({
            "event_id": np.repeat(np.asarray(event_ids, dtype=object)[rows], W),
            "start": np.tile(a.windows[:, 0], rows.size),
            "end": np.tile(a.windows[:, 1], rows.size),
            "cav": a.cav[rows].ravel(), "cav_se": a.cav_se[rows].ravel(),
            "t": a.tstat[rows].ravel(),
            "df": np.repeat(np.where(a.used[rows], a.dof[rows], np.nan), W),
            "p": a.pvalue[rows].ravel(), "placebo_p": self.placebo_p[rows].ravel(),
            "n_days": a.n_days[rows].ravel(),
            "window_days": np.tile(a.windows[:, 1] - a.windows[:, 0] + 1, rows.size),
            "n_estimation": np.repeat(a.n[rows], W),
        })
        frame["note"] = [self._note(int(r), w) for r in rows for w in range(W)]
        return frame[VOLUME_COLUMNS]

    def _note(self, row, w) -> str:
        a = self.arrays
        lo, hi = a.windows[w]
        sel = (a.rel_win >= lo) & (a.rel_win <= hi)
        days = a.rel_win[sel]
        if not a.used[row]:
            return f"no CAV: {a.reason[row]}"
        parts = []
        flags = (
            (self.delivery, "in the front contract's delivery period (first notice day to last "
                            "trade date): no abnormal volume, the volume is the expiring "
                            "contract's"),
            (self.zero, "with zero volume: no abnormal volume"),
            (self.missing, "without volume in the price file: no abnormal volume"),
        )
        for mask, text in flags:
            hit = days[mask[row, sel] & a.inside[row, sel]]
            if hit.size:
                parts.append(f"day{'s' if hit.size > 1 else ''} "
                             f"{', '.join(f'{d:+d}' for d in hit)} {text}")
        outside = days[~a.inside[row, sel]]
        if outside.size:
            parts.append("window cut short by the end of the data")
        if a.n_days[row, w] == 0:
            parts.insert(0, "no CAV: no day of the window has a usable volume")
        elif not np.isfinite(a.tstat[row, w]):
            parts.append("t undefined: the log volume does not vary over the estimation sample")
        elif np.isnan(self.placebo_p[row, w]):
            parts.append("no pseudo-event CAV for this window" if self.placebo_drawn
                         else "placebo off (placebo_draws = 0)")
        return "; ".join(parts)


def study_volume(study, panel, day0, event_day0, *, placebo=None, other_day0=None
                 ) -> StudyVolume:
    """Abnormal volume of a study's located events on its returns panel.

    Parameters
    ----------
    study : Study
        A one-asset study (estimation, windows, ``min_estimation_days``,
        ``exclude_other_events``, ``other_events``).
    panel : ReturnData
        With the asset's ``volume`` (None: the asset has no volume).
    day0 : ndarray of int, (E,)
        The located events' day 0 (rows of the engine's arrays).
    event_day0 : ndarray of int
        Day 0 of every catalogued event (the placebo's pseudo-events avoid
        their windows).
    placebo : Placebo, optional
        Its pseudo day 0 give the placebo p-values (two-sided,
        :meth:`Placebo.event_pvalues` on the pseudo-events' CAV).
    other_day0 : ndarray of int, optional
        The other dated events' day 0 (their windows leave the estimation
        samples with ``other_events = 'file'``).

    Returns
    -------
    StudyVolume

    Notes
    -----
    Days without volume, with zero volume and in the front contract's
    delivery period leave every estimation sample and have no abnormal
    volume in a window; roll days stay (their volume is the new front
    contract's). With ``exclude_other_events`` the studied events' windows
    (and the other events' with ``other_events = 'file'``) leave the
    estimation samples, as for returns.
    """
    if panel.volume is None:
        note = (f"{panel.asset}: the price file has no volume, so no abnormal volume is "
                "measured")
        logger.info(note)
        return StudyVolume(None, None, None, None, None, placebo is not None, note)
    index = panel.returns.index
    volume = panel.volume.reindex(index).to_numpy(dtype=np.float64)
    delivery = delivery_mask(panel.asset, index).to_numpy(dtype=bool)
    v = log_volume(volume)
    usable = np.isfinite(v) & ~delivery
    T = index.size
    lo = min(a for a, _ in study.windows)
    hi = max(b for _, b in study.windows)
    blocked = None
    if study.exclude_other_events:
        others = (np.asarray(other_day0, dtype=np.int64)
                  if other_day0 is not None and study.other_events == "file"
                  else np.zeros(0, np.int64))
        blocked = window_mask(T, np.concatenate([np.asarray(day0, np.int64), others]), lo, hi)
    kw = {"estimation": study.estimation, "windows": study.windows,
          "min_estimation_days": study.min_estimation_days}
    arrays = abnormal_volume(v, usable, day0, blocked=blocked, **kw)
    placebo_p = np.full(arrays.cav.shape, np.nan)
    if placebo is not None:
        pseudo = abnormal_volume(v, usable, placebo.day0,
                                 blocked=window_mask(T, event_day0, lo, hi), **kw)
        placebo_p = dataclasses.replace(placebo, car=pseudo.cav).event_pvalues(arrays.cav)
    flags = _day_flags(volume, delivery, arrays)
    return StudyVolume(arrays, placebo_p, *flags, placebo is not None)


def _day_flags(volume, delivery, arrays):
    """(delivery, zero, missing) on every event's window days, (E, Lw) each."""
    T = volume.size
    pos = arrays.day0[:, None] + arrays.rel_win[None, :]
    at = np.clip(pos, 0, max(T - 1, 0))
    x = volume[at]
    zero = np.isfinite(x) & (x <= 0)
    return delivery[at], zero & ~delivery[at], ~np.isfinite(x) & ~delivery[at]

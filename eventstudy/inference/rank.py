"""Rank and sign tests of a group: Corrado's rank test, the generalized sign test, Wilcoxon."""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats

from .common import TestResult, as_events, normal_pvalue, safe_div

__all__ = ["RANK_BLOCK", "average_ranks", "corrado_rank", "generalized_sign_z", "signed_ranks",
           "wilcoxon_signed_rank"]

#: scipy's ``method='auto'`` runs its exhaustive permutation test on tied or
#: zero differences up to this sample size (2**13 < its 9,999 resamples).
WILCOXON_PERMUTATION_N = 13


#: Rows ranked together by :func:`average_ranks`: each row is ranked on its own,
#: so the block size bounds the memory of the sort and never changes a rank.
RANK_BLOCK = 4096


def average_ranks(a, *, block: int = RANK_BLOCK) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank); NaN stays NaN.

    Equal to ``scipy.stats.rankdata(a, axis=-1, nan_policy="omit")``. Rows
    are ranked ``block`` at a time (the same ranks for any ``block``).
    """
    a = np.atleast_1d(np.asarray(a, dtype=np.float64))
    shape = a.shape
    a = a.reshape(int(np.prod(shape[:-1], dtype=np.int64)), shape[-1])
    N, T = a.shape
    if N == 0 or T == 0:
        return np.full(shape, np.nan)
    out = np.empty((N, T))
    for s in range(0, N, max(1, int(block))):
        out[s : s + block] = _block_ranks(a[s : s + block])
    return out.reshape(shape)


def _block_ranks(a):
    """Average ranks of each row of a (N, T), N > 0 and T > 0."""
    N, T = a.shape
    order = np.argsort(a, axis=1)  # ties share their mean rank: any order of them will do
    srt = np.take_along_axis(a, order, axis=1)
    new = np.ones((N, T), dtype=bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    fin = np.isfinite(srt)
    mean = np.broadcast_to(np.arange(1.0, T + 1.0), (N, T))
    tied = ~(new | ~fin).all(axis=1)  # rows with a run of equal finite values
    if tied.any():
        # mean position of each run of equal values, for the rows with ties
        Nt = int(tied.sum())
        run = np.cumsum(new[tied], axis=1) + (np.arange(Nt) * (T + 1))[:, None]
        flat = run.ravel()
        total = np.bincount(flat, weights=mean[tied].ravel(), minlength=Nt * (T + 1))
        count = np.bincount(flat, minlength=Nt * (T + 1))
        mean = mean.copy()
        mean[tied] = (total / np.maximum(count, 1))[flat].reshape(Nt, T)
    ranks = np.empty((N, T))
    np.put_along_axis(ranks, order, np.where(fin, mean, np.nan), axis=1)
    return ranks


def signed_ranks(ranks, sign) -> np.ndarray | None:
    """Average ranks of ``x * sign`` along the last axis from the average ranks of ``x``.

    Parameters
    ----------
    ranks : ndarray, (..., N, T)
        :func:`average_ranks` of x (NaN where x is not finite).
    sign : array_like, (..., N)
        Each row's sign, -1, 0 or +1.

    Returns
    -------
    ndarray, (..., N, T), or None when a sign is not -1, 0 or +1.

    Notes
    -----
    With n finite values in a row, the average rank of -x is n + 1 - rank(x)
    and every value of 0 · x shares the rank (n + 1)/2. Average ranks are
    integers or halves, so both are exact: the result equals
    ``average_ranks(x * sign)`` to the bit.
    """
    sign = np.asarray(sign, dtype=np.float64)
    if not np.isin(sign, (-1.0, 0.0, 1.0)).all():
        return None
    ranks = np.asarray(ranks, dtype=np.float64)
    if (sign == 1.0).all():
        return ranks
    sign = np.broadcast_to(sign, ranks.shape[:-1])
    out = ranks.copy()
    # only the rows of a negative or zero sign change, each set at once
    neg, zero = sign < 0, sign == 0
    if neg.any():
        r = out[neg]
        out[neg] = np.isfinite(r).sum(axis=-1, keepdims=True) + 1.0 - r
    if zero.any():
        r = out[zero]
        top = np.isfinite(r).sum(axis=-1, keepdims=True) + 1.0
        out[zero] = np.where(np.isfinite(r), top / 2.0, np.nan)
    return out


def corrado_rank(est_ar, ar, rel_win, windows, car=None, *, ranks=None) -> TestResult:
    """Corrado (1989) rank test, multi-day form of Campbell and Wasley (1993).

    Parameters
    ----------
    est_ar : array_like, (..., N, Le)
        Estimation-sample abnormal returns (NaN off the sample), signed.
    ar : array_like, (..., N, Lw)
        Abnormal returns of the widest event window (days ``rel_win``).
    rel_win : array_like of int, (Lw,)
    windows : array_like of int, (W, 2)
    car : array_like, (..., N, W), optional
        An event counts in a window where its CAR is defined (default: where
        it has an abnormal return in the window).
    ranks : array_like, (..., N, Le + Lw), optional
        :func:`average_ranks` of ``est_ar`` and ``ar`` side by side, when
        already at hand (:func:`signed_ranks` turns one ranking into those of
        every sign); computed when None.

    Returns
    -------
    TestResult

    Notes
    -----
    Each event's estimation and event-period ARs (T_i values) are ranked,
    U_it = rank_it/(T_i + 1) - 1/2. With Ū_t the mean of the N_t defined U_it
    at day t and σ̂² = (1/D) Σ_t N_t Ū_t² over the D days with N_t > 0,
    Z = Σ_{t=a}^{b} Ū_t / √(Σ_{t=a}^{b} σ̂²/N_t), standard normal; with no
    missing day this is Corrado's Σ Ū_t / (√L S_Ū).

    References
    ----------
    Corrado, C. J. (1989). A nonparametric test for abnormal security-price
    performance in event studies. Journal of Financial Economics, 23(2),
    385-395.
    Campbell, C. J., Wasley, C. E. (1993). Measuring security price
    performance using daily NASDAQ returns. Journal of Financial Economics,
    33(1), 73-92.
    """
    Le = np.shape(est_ar)[-1]
    if ranks is None:
        ranks = average_ranks(np.concatenate([np.asarray(est_ar, dtype=np.float64),
                                              np.asarray(ar, dtype=np.float64)], axis=-1))
    ranks = np.asarray(ranks, dtype=np.float64)
    u = ranks / (np.isfinite(ranks).sum(axis=-1)[..., None] + 1.0)
    u -= 0.5
    rel_win = np.asarray(rel_win).reshape(-1)
    windows = np.asarray(windows).reshape(-1, 2)
    if car is not None:
        counted = np.isfinite(as_events("car", car))
    else:
        dw = np.isfinite(u[..., Le:])
        counted = np.stack([dw[..., (rel_win >= lo) & (rel_win <= hi)].any(axis=-1)
                            for lo, hi in windows], axis=-1)
    du = np.isfinite(u)
    u0 = u  # in place: U_it with 0 where undefined
    u0[~du] = 0.0
    stat = np.full(counted.shape[:-2] + (windows.shape[0],), np.nan)
    sums = {}
    for w, (lo, hi) in enumerate(windows):
        key = counted[..., w].tobytes()
        if key not in sums:  # windows that count the same events share N_t and Σ U_it
            sums[key] = _day_sums(counted[..., w], du, u0)
        m, total = sums[key]
        dd = m > 0
        ubar = np.where(dd, total / np.maximum(m, 1), 0.0)
        sigma2 = safe_div(np.where(dd, m * ubar**2, 0.0).sum(axis=-1), dd.sum(axis=-1))
        cols = np.concatenate([np.zeros(Le, dtype=bool), (rel_win >= lo) & (rel_win <= hi)]) & dd
        top = np.where(cols, ubar, 0.0).sum(axis=-1)
        inv = np.where(cols, 1.0 / np.where(dd, m, 1.0), 0.0).sum(axis=-1)
        good = cols.any(axis=-1) & (sigma2 != 0) & np.isfinite(sigma2)
        stat[..., w] = np.where(good, top / np.sqrt(np.where(good, sigma2 * inv, 1.0)), np.nan)
    return TestResult(stat, normal_pvalue(stat), counted.sum(axis=-2).astype(np.int64))


def _day_sums(counted, du, u0):
    """N_t and Σ_i U_it over the counted events (..., N) of each day: (..., D) each.

    A single group sums its counted rows alone: adding the zeros of the other
    rows would not change a sum, so both give the same numbers.
    """
    if counted.ndim == 1:
        rows = np.flatnonzero(counted)
        if rows.size == counted.size:
            return du.sum(axis=0, dtype=np.float64), u0.sum(axis=0)
        return du[rows].sum(axis=0, dtype=np.float64), u0[rows].sum(axis=0)
    e = counted[..., None].astype(np.float64)
    return (e * du).sum(axis=-2), (e * u0).sum(axis=-2)


def generalized_sign_z(car, est_ar) -> TestResult:
    """Cowan (1992) generalized sign test.

    Parameters
    ----------
    car : array_like, (..., N, W)
        CAR of each event (signed).
    est_ar : array_like, (..., N, Le)
        Estimation-sample abnormal returns (signed), NaN off the sample.

    Returns
    -------
    TestResult

    Notes
    -----
    Z = (w - N p̂) / √(N p̂ (1 - p̂)), w the positive CARs, p̂ the mean over
    events of the share of positive estimation-sample ARs; standard normal.

    References
    ----------
    Cowan, A. R. (1992). Nonparametric event study tests. Review of
    Quantitative Finance and Accounting, 2(4), 343-358.
    """
    est = np.asarray(est_ar, dtype=np.float64)
    de = np.isfinite(est)
    share = safe_div((np.where(de, est, 0.0) > 0).sum(axis=-1), de.sum(axis=-1))
    car = as_events("car", car)
    d = np.isfinite(car) & np.isfinite(share)[..., None]
    n = d.sum(axis=-2)
    p_hat = safe_div(np.where(d, share[..., None], 0.0).sum(axis=-2), n)
    w = (d & (np.where(d, car, 0.0) > 0)).sum(axis=-2)
    z = safe_div(w - n * p_hat, np.sqrt(n * p_hat * (1.0 - p_hat)))
    return TestResult(z, normal_pvalue(z), n)


def wilcoxon_signed_rank(car) -> TestResult:
    """Wilcoxon signed-rank test of the CARs, as ``scipy.stats.wilcoxon`` with its defaults.

    Parameters
    ----------
    car : array_like, (..., N, W)
        CAR of each event (signed).

    Returns
    -------
    TestResult
        min(W+, W-) and scipy's two-sided p-value; NaN when every CAR is zero.

    Notes
    -----
    Zero CARs are dropped; exact distribution for N <= 50 without ties; with
    ties, the exact sign-flip distribution for N <= 13
    (``WILCOXON_PERMUTATION_N``), the normal approximation beyond. The exact
    distributions are the coefficients of Π (1 + z^{r_i})/2 over the doubled
    ranks r_i.

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods.
    Biometrics Bulletin, 1(6), 80-83.
    """
    car = as_events("car", car)
    N, W = car.shape[-2:]
    groups = int(np.prod(car.shape[:-2], dtype=np.int64))
    rows = np.moveaxis(car, -1, -2).reshape(groups * W, N)  # one row per (group, window)
    stat = np.full(rows.shape[0], np.nan)
    p = np.full(rows.shape[0], np.nan)
    fin = np.isfinite(rows)
    srt = np.sort(np.abs(rows), axis=1)  # NaN last
    plain = fin.all(axis=1) & (rows != 0).all(axis=1) & (0 < N <= 50)
    if N > 1:
        plain &= (srt[:, 1:] != srt[:, :-1]).all(axis=1)
    if plain.any():
        stat[plain], p[plain] = _wilcoxon_untied(rows[plain])
    for i in np.flatnonzero(~plain):
        x = rows[i][fin[i]]
        if np.count_nonzero(x) == 0:
            continue
        nz = x[x != 0]
        untied = np.unique(np.abs(nz)).size == nz.size and nz.size == x.size
        if untied and x.size <= 50:
            s, q = _wilcoxon_untied(x[None, :])
            stat[i], p[i] = s[0], q[0]
        elif not untied and x.size <= WILCOXON_PERMUTATION_N:
            stat[i], p[i] = _wilcoxon_sign_flip(nz)
        else:
            res = stats.wilcoxon(x)
            stat[i], p[i] = float(res.statistic), float(res.pvalue)
    shape = car.shape[:-2] + (W,)
    return TestResult(stat.reshape(shape), p.reshape(shape), fin.sum(axis=1).reshape(shape))


def _sign_flip_null(ranks2):
    """Distribution of Σ s_i r_i over fair signs s_i ∈ {0, 1}: coefficients of Π (1 + z^r)/2."""
    dist = np.zeros(int(np.sum(ranks2)) + 1)
    dist[0] = 1.0
    top = 0
    for r in ranks2:
        dist[r : top + r + 1] += dist[: top + 1].copy()
        dist *= 0.5
        top += r
    return dist


@functools.lru_cache(maxsize=64)
def _untied_null(N):
    """P(W+ <= w) and P(W+ >= w), w = 0..N(N+1)/2, of the untied ranks 1..N."""
    dist = _sign_flip_null(range(1, N + 1))
    return np.cumsum(dist), np.cumsum(dist[::-1])[::-1]


def _wilcoxon_untied(x):
    """min(W+, W-) and the exact two-sided p of each row of x (k, N): no ties, no zeros."""
    k, N = x.shape
    ranks = np.empty(x.shape)
    order = np.argsort(np.abs(x), axis=1, kind="stable")
    np.put_along_axis(ranks, order, np.arange(1, N + 1, dtype=np.float64)[None, :], axis=1)
    w_plus = np.where(x > 0, ranks, 0.0).sum(axis=1).astype(np.int64)
    cdf, sf = _untied_null(N)
    stat = np.minimum(w_plus, N * (N + 1) // 2 - w_plus).astype(np.float64)
    return stat, np.minimum(1.0, 2.0 * np.minimum(cdf[w_plus], sf[w_plus]))


def _wilcoxon_sign_flip(nz):
    """min(W+, W-) and the exact two-sided sign-flip p of the non-zero values ``nz``."""
    ranks2 = np.rint(2.0 * stats.rankdata(np.abs(nz))).astype(np.int64)
    dist = _sign_flip_null(ranks2)
    obs2 = int(ranks2[nz > 0].sum())
    w_plus = obs2 / 2.0
    return (min(w_plus, ranks2.sum() / 2.0 - w_plus),
            float(min(1.0, 2.0 * min(dist[: obs2 + 1].sum(), dist[obs2:].sum()))))

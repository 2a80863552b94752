"""The data-quality report of one ticker (``eventstudy data check``).

:func:`check_data` loads the prices through :func:`eventstudy.prices.load_prices`
and compares them with the exchange calendar (:mod:`eventstudy.calendar`) and
the contract rules (:mod:`eventstudy.contracts`). Nothing is dropped or
changed: the report lists what later stages will mask or exclude.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .calendar import get_calendar
from .contracts import is_continuous_future, product, roll_days, thin_mask, thin_periods
from .prices import load_prices, read_snapshot, resolve_prices_dir, validate_ticker

__all__ = ["DataCheck", "EXTREME_ABS", "EXTREME_K", "N_LARGEST", "check_data", "extreme_returns"]

logger = logging.getLogger(__name__)

#: Number of largest absolute returns listed.
N_LARGEST = 10
#: A return is extreme when it is more than this many robust scales from the median.
EXTREME_K = 12.0
#: A log return this large (a doubling or halving) is extreme on any day, roll or not.
EXTREME_ABS = float(np.log(2.0))
#: Fewest returns for the robust scale; below it only :data:`EXTREME_ABS` applies.
MIN_RETURNS_FOR_SCALE = 30
#: Rows of the centred window of the local robust scale (about three months).
EXTREME_WINDOW = 63


def _iso(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _num(x):
    """JSON-safe float: None for NaN."""
    x = float(x)
    return None if not np.isfinite(x) else x


@dataclass(frozen=True)
class DataCheck:
    """Result of :func:`check_data`; every list is in date order.

    Attributes
    ----------
    ticker, calendar, source : str
        The symbol, its exchange calendar and where the prices came from.
    first, last : pandas.Timestamp
        First and last trade date of the data.
    rows : int
        Number of rows (after any duplicate date was reduced to its first row).
    missing_sessions : list of Timestamp
        Trade dates of the calendar within ``[first, last]`` without a row.
    extra_sessions : list of Timestamp
        Rows on dates the calendar calls closed.
    duplicate_dates : list of Timestamp
        Dates with more than one row in the source file.
    nonpositive_prices : list of dict
        ``{"date", "column", "value"}`` for each price <= 0.
    zero_volume : list of Timestamp
        Rows whose volume is zero or missing.
    roll_days : pandas.DataFrame
        :func:`eventstudy.contracts.roll_days` with evidence.
    thin_periods : list of (Timestamp, Timestamp)
        Runs of thin-trading rows.
    largest_returns : pandas.DataFrame
        The :data:`N_LARGEST` largest absolute log returns of Close over
        consecutive rows: ``date``, ``return``, ``label`` (``roll``, ``thin`` or ``-``).
    missing_closes : list of Timestamp
        Rows without a usable Close (an empty cell, a truncated line, or a
        non-finite value, which are also listed below).
    missing_close_runs : list of (Timestamp, Timestamp, int)
        Runs of consecutive rows without a Close: first date, last date, rows.
    nonfinite_prices : list of dict
        ``{"date", "line", "column", "text"}`` for each cell that reads as a
        non-finite number (``inf``, ``nan``); the loader sets it to missing.
    truncated_rows : list of dict
        ``{"date", "line", "fields"}`` for each row with fewer fields than the
        header (a truncated last line, for instance).
    extreme_returns : pandas.DataFrame
        :func:`extreme_returns`: ``date``, ``previous`` (the row before),
        ``return``, ``scales`` (distance from the median in robust scales),
        ``label`` and ``reason``.
    scale : float
        The robust scale of all the returns, :math:`1.4826\\,\\mathrm{MAD}` (NaN
        when there are fewer than :data:`MIN_RETURNS_FOR_SCALE` returns); the
        rule uses a local scale (:func:`extreme_returns`).
    """

    ticker: str
    calendar: str
    source: str
    first: pd.Timestamp
    last: pd.Timestamp
    rows: int
    missing_sessions: list = field(default_factory=list)
    extra_sessions: list = field(default_factory=list)
    duplicate_dates: list = field(default_factory=list)
    nonpositive_prices: list = field(default_factory=list)
    zero_volume: list = field(default_factory=list)
    roll_days: pd.DataFrame = field(default_factory=pd.DataFrame)
    thin_periods: list = field(default_factory=list)
    largest_returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing_closes: list = field(default_factory=list)
    missing_close_runs: list = field(default_factory=list)
    nonfinite_prices: list = field(default_factory=list)
    truncated_rows: list = field(default_factory=list)
    extreme_returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    scale: float = float("nan")

    @property
    def problems(self) -> int:
        """Number of findings that need a look before a study uses these prices."""
        return (
            len(self.missing_closes)
            + len(self.nonfinite_prices)
            + len(self.nonpositive_prices)
            + len(self.truncated_rows)
            + len(self.extreme_returns)
            + len(self.duplicate_dates)
        )

    def to_dict(self) -> dict:
        """JSON-ready dict (dates as ``YYYY-MM-DD``)."""
        rolls = [
            {
                "date": _iso(r.date),
                "contract_from": r.contract_from,
                "contract_to": r.contract_to,
                "last_trade_date": _iso(r.last_trade_date),
                "rule": r.rule,
                "volume_evidence": _num(r.volume_evidence),
                "price_gap": _num(r.price_gap),
            }
            for r in self.roll_days.itertuples(index=False)
        ]
        return {
            "ticker": self.ticker,
            "calendar": self.calendar,
            "source": self.source,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "rows": int(self.rows),
            "missing_sessions": [_iso(d) for d in self.missing_sessions],
            "extra_sessions": [_iso(d) for d in self.extra_sessions],
            "duplicate_dates": [_iso(d) for d in self.duplicate_dates],
            "nonpositive_prices": [
                {"date": _iso(p["date"]), "column": p["column"], "value": _num(p["value"])}
                for p in self.nonpositive_prices
            ],
            "zero_volume": [_iso(d) for d in self.zero_volume],
            "roll_days": rolls,
            "thin_periods": [{"start": _iso(a), "end": _iso(b)} for a, b in self.thin_periods],
            "largest_returns": [
                {"date": _iso(r.date), "return": _num(r[1]), "label": r.label}
                for r in self.largest_returns.itertuples(index=False)
            ],
            "missing_closes": [_iso(d) for d in self.missing_closes],
            "missing_close_runs": [
                {"start": _iso(a), "end": _iso(b), "rows": int(n)}
                for a, b, n in self.missing_close_runs
            ],
            "nonfinite_prices": [dict(c) for c in self.nonfinite_prices],
            "truncated_rows": [dict(c) for c in self.truncated_rows],
            "extreme_returns": [
                {
                    "date": _iso(r.date),
                    "previous": _iso(r.previous),
                    "return": _num(r[2]),
                    "scales": _num(r.scales),
                    "label": r.label,
                    "reason": r.reason,
                }
                for r in self.extreme_returns.itertuples(index=False)
            ],
            "extreme_rule": {"k": EXTREME_K, "abs": EXTREME_ABS, "scale": _num(self.scale)},
            "problems": int(self.problems),
        }

    def to_text(self) -> str:
        """Plain-text report."""

        def dates(items, limit=12):
            shown = ", ".join(_iso(d) for d in items[:limit])
            more = f" ... (+{len(items) - limit})" if len(items) > limit else ""
            return (shown + more) if items else "none"

        roll_dates = list(self.roll_days["date"]) if len(self.roll_days) else []
        lines = [
            f"data check: {self.ticker} ({self.source}; calendar {self.calendar})",
            f"span: {_iso(self.first)} to {_iso(self.last)}, {self.rows} rows",
            f"missing sessions ({len(self.missing_sessions)}): {dates(self.missing_sessions)}",
            f"extra sessions ({len(self.extra_sessions)}): {dates(self.extra_sessions)}",
            f"duplicate dates ({len(self.duplicate_dates)}): {dates(self.duplicate_dates)}",
            f"non-positive prices ({len(self.nonpositive_prices)}): "
            + (
                ", ".join(
                    f"{_iso(p['date'])} {p['column']}={p['value']:g}"
                    for p in self.nonpositive_prices[:12]
                )
                or "none"
            ),
            f"zero or missing volume ({len(self.zero_volume)}): {dates(self.zero_volume)}",
            f"roll days ({len(self.roll_days)}): {dates(roll_dates)}",
            f"thin-trading periods ({len(self.thin_periods)}): "
            + (
                ", ".join(f"{_iso(a)}..{_iso(b)}" for a, b in self.thin_periods[-8:])
                + (" (last 8 shown)" if len(self.thin_periods) > 8 else "")
                if self.thin_periods
                else "none"
            ),
            f"missing closes ({len(self.missing_closes)}): {dates(self.missing_closes)}",
            f"runs of missing closes ({len(self.missing_close_runs)}): "
            + (
                ", ".join(
                    f"{_iso(a)}..{_iso(b)} ({n} row{'s' if n > 1 else ''})"
                    for a, b, n in self.missing_close_runs[:8]
                )
                or "none"
            ),
            f"non-finite prices ({len(self.nonfinite_prices)}): "
            + (
                ", ".join(
                    f"{c['date']} {c['column']}={c['text']!r} (line {c['line']})"
                    for c in self.nonfinite_prices[:12]
                )
                or "none"
            ),
            f"truncated rows ({len(self.truncated_rows)}): "
            + (
                ", ".join(
                    f"line {c['line']} ({c['date']}, {c['fields']} fields)"
                    for c in self.truncated_rows[:12]
                )
                or "none"
            ),
            f"extreme returns ({len(self.extreme_returns)}; |r - local median| > {EXTREME_K:g} "
            f"local robust scales off roll and thin days, or |r| > ln 2): "
            + ("none" if self.extreme_returns.empty else ""),
        ]
        for r in self.extreme_returns.itertuples(index=False):
            lines.append(
                f"  {_iso(r.date)}  {r[2]:+.4f}  from {_iso(r.previous)}  "
                f"{_fmt(r.scales, '.0f')} scales  {r.label}  {r.reason}"
            )
        lines.append(f"problems: {self.problems}")
        lines.append("largest absolute returns (log, Close):")
        for r in self.largest_returns.itertuples(index=False):
            lines.append(f"  {_iso(r.date)}  {r[1]:+.4f}  {r.label}")
        return "\n".join(lines)


def _fmt(x, spec: str = ".4f") -> str:
    return "n/a" if not np.isfinite(x) else format(x, spec)


def _load(ticker: str, prices_dir, start, end) -> tuple[pd.DataFrame, str, list]:
    """The prices, their source and the dates on more than one row of a snapshot file.

    A snapshot file with a repeated date inside ``[start, end]`` is read
    keeping the first row of each date, so that the check reports the
    repetition instead of stopping at it; a repetition outside the span
    raises the loader's error, as a study would.
    """
    folder = resolve_prices_dir(prices_dir)
    if folder is None:
        frame, duplicates = load_prices(ticker, start, end)[ticker], []
    else:
        frame = read_snapshot(ticker, folder, start, end, on_duplicate="first")
        repeated = frame.attrs["provenance"]["duplicates"]
        duplicates = [d for d in map(pd.Timestamp, repeated)
                      if (start is None or d >= pd.Timestamp(start))
                      and (end is None or d <= pd.Timestamp(end))]
        if repeated and not duplicates:
            read_snapshot(ticker, folder, start, end)
    if duplicates:
        logger.warning(
            "%s: %d duplicated dates; the first row of each is used for the rest of the check",
            ticker,
            len(duplicates),
        )
    return frame, frame.attrs.get("provenance", {}).get("source", "unknown"), duplicates


def _runs(flags: np.ndarray, idx: pd.DatetimeIndex) -> list[tuple]:
    """Runs of consecutive True rows: (first date, last date, rows)."""
    out = []
    padded = np.concatenate([[False], flags, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(int)))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        out.append((idx[a], idx[b - 1], int(b - a)))
    return out


def extreme_returns(returns: pd.Series, labels: pd.Series) -> tuple[pd.DataFrame, float]:
    r"""The returns that no roll or thin day explains.

    Parameters
    ----------
    returns : pandas.Series
        Log returns over consecutive rows (NaN where a close is missing or
        not positive), indexed by date.
    labels : pandas.Series
        ``roll``, ``thin`` or ``-`` for each date of ``returns``.

    Returns
    -------
    (pandas.DataFrame, float)
        The extreme returns (``date``, ``previous``, ``return``, ``scales``,
        ``label``, ``reason``) in date order, and the robust scale :math:`s`.

    Notes
    -----
    With :math:`m_t` the median of the returns in the centred window of
    :data:`EXTREME_WINDOW` rows around :math:`t` and
    :math:`s_t = \max(1.4826\,\mathrm{median}(|r - m_t|),\ s/2)` over
    that window (the MAD scaled to the standard deviation of a normal sample:
    robust to the outliers it looks for, and local, so that a crash in a
    turbulent month is judged against that month), floored at half the
    whole-series scale :math:`s`, :math:`r_t` is extreme when
    :math:`|r_t - m_t| > K s_t`, :math:`K =`
    :data:`EXTREME_K`, on a day that is neither a roll nor thin (a contract
    switch or a near-empty market explains a jump), or when
    :math:`|r_t| > \ln 2` on any day (no roll doubles or halves a price). A
    price typed 1000 times too large gives two extreme returns: the day it
    appears and the day after. The robust scale needs
    :data:`MIN_RETURNS_FOR_SCALE` returns; with fewer only the second rule
    applies.
    """
    values = returns.to_numpy(dtype=float)
    ok = np.isfinite(values)
    prev_dates = pd.Series(returns.index, index=returns.index).shift(1)
    scale = float("nan")
    local_scale = np.full(values.size, np.nan)
    centre = np.zeros(values.size)
    if ok.sum() >= MIN_RETURNS_FOR_SCALE:
        scale = 1.4826 * float(np.median(np.abs(values[ok] - np.median(values[ok]))))
        series = pd.Series(np.where(ok, values, np.nan))
        roll = dict(window=EXTREME_WINDOW, center=True, min_periods=MIN_RETURNS_FOR_SCALE // 2)
        centre = series.rolling(**roll).median().fillna(np.median(values[ok])).to_numpy()
        mad = (series - centre).abs().rolling(**roll).median().to_numpy()
        # A calm stretch (an ETF with many unchanged closes) has a tiny MAD:
        # half the whole-series scale is the floor.
        local_scale = np.fmax(1.4826 * mad, 0.5 * scale)
    dist = np.abs(np.where(ok, values, 0.0) - centre)
    usable = np.isfinite(local_scale) & (local_scale > 0)
    scales = np.full(values.size, np.nan)
    scales[usable] = dist[usable] / local_scale[usable]
    lab = labels.reindex(returns.index).fillna("-").to_numpy()
    by_scale = ok & usable & (lab == "-") & (np.nan_to_num(scales) > EXTREME_K)
    by_abs = ok & (np.abs(np.where(ok, values, 0.0)) > EXTREME_ABS)
    pick = np.flatnonzero(by_scale | by_abs)
    reasons = [
        f"{scales[i]:.0f} robust scales from the median on a day that is not a roll or thin"
        if by_scale[i]
        else "|r| > ln 2 (the price doubled or halved) on a "
        f"{'normal' if lab[i] == '-' else lab[i]} day"
        for i in pick
    ]
    frame = pd.DataFrame(
        {
            "date": list(returns.index[pick]),
            "previous": list(prev_dates.iloc[pick]),
            "return": values[pick],
            "scales": scales[pick],
            "label": lab[pick],
            "reason": reasons,
        }
    )
    return frame, scale


def _nonpositive(prices: pd.DataFrame) -> list[dict]:
    """``{"date", "column", "value"}`` of each price <= 0, by date then column."""
    found = []
    for col in ("Open", "High", "Low", "Close"):
        if col in prices:
            bad = prices[col] <= 0
            found += [{"date": d, "column": col, "value": float(v)}
                      for d, v in prices.loc[bad, col].items()]
    return sorted(found, key=lambda p: (p["date"], p["column"]))


def _log_returns(close: pd.Series) -> pd.Series:
    """:math:`\\ln(C_t / C_{t-1})` over consecutive rows; NaN where a close is missing or <= 0."""
    values = close.to_numpy(dtype=float)
    ret = np.full(values.size, np.nan)
    positive = np.isfinite(values) & (np.nan_to_num(values, nan=0.0) > 0)
    ok = positive[1:] & positive[:-1]
    ret[1:][ok] = np.log(values[1:][ok] / values[:-1][ok])
    return pd.Series(ret, index=close.index)


def _labels(idx: pd.DatetimeIndex, rolls: pd.DataFrame, thin: pd.Series) -> pd.Series:
    """``roll`` on a roll day, else ``thin`` on a thin day, else ``-``."""
    roll_set = set(rolls["date"]) if len(rolls) else set()
    return pd.Series(
        ["roll" if d in roll_set else ("thin" if t else "-")
         for d, t in zip(idx, thin.reindex(idx, fill_value=False), strict=True)],
        index=idx,
    )


def _largest(returns: pd.Series, labels: pd.Series) -> pd.DataFrame:
    """The :data:`N_LARGEST` largest absolute returns: ``date``, ``return``, ``label``."""
    top = returns.abs().dropna().sort_values(ascending=False, kind="stable").index[:N_LARGEST]
    return pd.DataFrame({"date": list(top), "return": returns.loc[top].to_numpy(),
                         "label": labels.loc[top].to_list()})


def _log_findings(ticker: str, check: DataCheck) -> None:
    for name, items in (
        ("missing sessions", check.missing_sessions),
        ("extra sessions", check.extra_sessions),
        ("duplicate dates", check.duplicate_dates),
    ):
        if items:
            logger.info("%s: %d %s", ticker, len(items), name)
    for name, items in (
        ("rows without a close", check.missing_closes),
        ("non-finite prices", check.nonfinite_prices),
        ("truncated rows", check.truncated_rows),
        ("extreme returns", check.extreme_returns),
    ):
        if len(items):
            logger.warning("%s: %s: %d (see the data check report)", ticker, name, len(items))


def check_data(ticker: str, prices_dir=None, start=None, end=None) -> DataCheck:
    """Data-quality report of one ticker.

    Parameters
    ----------
    ticker : str
        Yahoo symbol.
    prices_dir : path-like, optional
        Snapshot folder; default ``$EVENTSTUDY_PRICES_DIR``, else Yahoo
        through the cache (see :func:`eventstudy.prices.load_prices`).
    start, end : date-like, optional
        Inclusive bounds on the trade dates checked.

    Returns
    -------
    DataCheck

    Raises
    ------
    UnsupportedFutureError
        For an ``=F`` symbol without a roll rule.
    DataError
        When prices cannot be loaded (missing file, network down).

    Notes
    -----
    Returns are :math:`r_t = \\ln(C_t / C_{t-1})` over consecutive rows; a
    non-positive close gives a missing return. A return is labelled ``roll``
    when its date is a roll day, else ``thin`` when its date is thin.
    """
    validate_ticker(ticker)
    if is_continuous_future(ticker):
        product(ticker)
    cal = get_calendar(ticker)
    prices, source, duplicates = _load(ticker, prices_dir, start, end)
    idx = pd.DatetimeIndex(prices.index)
    expected = cal.trade_dates(idx[0], idx[-1])
    volume = prices.get("Volume")
    rolls = roll_days(ticker, idx, volume, close=prices["Close"])
    returns = _log_returns(prices["Close"])
    labels = _labels(idx, rolls, thin_mask(ticker, prices))
    extreme, scale = extreme_returns(returns, labels)
    no_close = ~np.isfinite(prices["Close"].to_numpy(dtype=float))
    provenance = prices.attrs.get("provenance", {})
    check = DataCheck(
        ticker=ticker,
        calendar=cal.name,
        source=source,
        first=idx[0],
        last=idx[-1],
        rows=int(idx.size),
        missing_sessions=list(expected.difference(idx)),
        extra_sessions=list(idx.difference(expected)),
        duplicate_dates=duplicates,
        nonpositive_prices=_nonpositive(prices),
        zero_volume=[] if volume is None else list(idx[(volume.isna() | (volume == 0)).to_numpy()]),
        roll_days=rolls,
        thin_periods=thin_periods(ticker, prices),
        largest_returns=_largest(returns, labels),
        missing_closes=list(idx[no_close]),
        missing_close_runs=_runs(no_close, idx),
        nonfinite_prices=list(provenance.get("nonfinite", [])),
        truncated_rows=list(provenance.get("short_rows", [])),
        extreme_returns=extreme,
        scale=scale,
    )
    _log_findings(ticker, check)
    return check

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
from .prices import (
    load_prices,
    log_returns,
    no_volume_note,
    read_snapshot,
    resolve_prices_dir,
    validate_ticker,
)

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
    rows : int
        Number of rows (a duplicated date counted once).
    missing_sessions, extra_sessions : list of Timestamp
        Calendar trade dates in ``[first, last]`` without a row; rows on
        dates the calendar calls closed.
    nonpositive_prices : list of dict
        ``{"date", "column", "value"}`` for each price <= 0.
    zero_volume : list of Timestamp
        Rows whose volume is zero or missing.
    has_volume : bool
        Whether the prices have a ``Volume`` column; without one,
        :attr:`volume_note` says what that means for thin trading.
    roll_days : pandas.DataFrame
        :func:`eventstudy.contracts.roll_days` with evidence.
    largest_returns : pandas.DataFrame
        The :data:`N_LARGEST` largest absolute log returns of Close:
        ``date``, ``return``, ``label`` (``roll``, ``thin`` or ``-``).
    missing_closes, missing_close_runs : list
        Rows without a usable Close, and their runs ``(first, last, rows)``.
    nonfinite_prices, truncated_rows, closed_day_rows : list of dict
        ``provenance["nonfinite"]``, ``["short_rows"]`` and
        ``["closed_days"]`` (rows on a day the exchange is closed, dropped by
        the reader; a downloaded row has no ``line``) of
        :func:`eventstudy.prices.load_prices`.
    extreme_returns, scale
        :func:`extreme_returns`.
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
    closed_day_rows: list = field(default_factory=list)
    has_volume: bool = True
    extreme_returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    scale: float = float("nan")

    @property
    def problems(self) -> int:
        """Number of findings that need a look before a study uses these prices."""
        return sum(map(len, (self.missing_closes, self.nonfinite_prices, self.nonpositive_prices,
                             self.truncated_rows, self.extreme_returns, self.duplicate_dates,
                             self.closed_day_rows)))

    @property
    def volume_note(self) -> str | None:
        """Without a ``Volume`` column, what it means for thin trading
        (:func:`eventstudy.prices.no_volume_note`: said for a continuous future only)."""
        return None if self.has_volume else no_volume_note(self.ticker)

    def to_dict(self) -> dict:
        """JSON-ready dict (dates as ``YYYY-MM-DD``)."""
        def isos(items):
            return [_iso(d) for d in items]

        rolls = [{"date": _iso(r.date), "contract_from": r.contract_from,
                  "contract_to": r.contract_to, "last_trade_date": _iso(r.last_trade_date),
                  "rule": r.rule, "volume_evidence": _num(r.volume_evidence),
                  "price_gap": _num(r.price_gap)}
                 for r in self.roll_days.itertuples(index=False)]
        return {
            "ticker": self.ticker, "calendar": self.calendar, "source": self.source,
            "first": _iso(self.first), "last": _iso(self.last), "rows": int(self.rows),
            "missing_sessions": isos(self.missing_sessions),
            "extra_sessions": isos(self.extra_sessions),
            "duplicate_dates": isos(self.duplicate_dates),
            "nonpositive_prices": [
                {"date": _iso(p["date"]), "column": p["column"], "value": _num(p["value"])}
                for p in self.nonpositive_prices],
            "zero_volume": isos(self.zero_volume),
            "has_volume": bool(self.has_volume),
            "volume_note": self.volume_note,
            "roll_days": rolls,
            "thin_periods": [{"start": _iso(a), "end": _iso(b)} for a, b in self.thin_periods],
            "largest_returns": [{"date": _iso(r.date), "return": _num(r[1]), "label": r.label}
                                for r in self.largest_returns.itertuples(index=False)],
            "missing_closes": isos(self.missing_closes),
            "missing_close_runs": [{"start": _iso(a), "end": _iso(b), "rows": int(n)}
                                   for a, b, n in self.missing_close_runs],
            "nonfinite_prices": [dict(c) for c in self.nonfinite_prices],
            "truncated_rows": [dict(c) for c in self.truncated_rows],
            "closed_day_rows": [dict(c) for c in self.closed_day_rows],
            "extreme_returns": [
                {"date": _iso(r.date), "previous": _iso(r.previous), "return": _num(r[2]),
                 "scales": _num(r.scales), "label": r.label, "reason": r.reason}
                for r in self.extreme_returns.itertuples(index=False)],
            "extreme_rule": {"k": EXTREME_K, "abs": EXTREME_ABS, "scale": _num(self.scale)},
            "problems": int(self.problems),
        }

    def to_text(self) -> str:
        """Plain-text report."""

        def dates(items, limit=12):
            shown = ", ".join(_iso(d) for d in items[:limit])
            more = f" ... (+{len(items) - limit})" if len(items) > limit else ""
            return (shown + more) if items else "none"

        def listed(items, show, limit=12):
            return ", ".join(show(x) for x in items[:limit]) or "none"

        roll_dates = list(self.roll_days["date"]) if len(self.roll_days) else []
        lines = [
            f"data check: {self.ticker} ({self.source}; calendar {self.calendar})",
            f"span: {_iso(self.first)} to {_iso(self.last)}, {self.rows} rows",
            f"missing sessions ({len(self.missing_sessions)}): {dates(self.missing_sessions)}",
            f"extra sessions ({len(self.extra_sessions)}): {dates(self.extra_sessions)}",
            f"duplicate dates ({len(self.duplicate_dates)}): {dates(self.duplicate_dates)}",
            f"non-positive prices ({len(self.nonpositive_prices)}): "
            + listed(self.nonpositive_prices, lambda p: f"{_iso(p['date'])} {p['column']}="
                     f"{p['value']:g}"),
            self._volume_line(dates),
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
            + listed(self.missing_close_runs,
                     lambda r: f"{_iso(r[0])}..{_iso(r[1])} ({r[2]} row{'s' if r[2] > 1 else ''})",
                     8),
            f"non-finite prices ({len(self.nonfinite_prices)}): "
            + listed(self.nonfinite_prices,
                     lambda c: f"{c['date']} {c['column']}={c['text']!r} (line {c['line']})"),
            f"truncated rows ({len(self.truncated_rows)}): "
            + listed(self.truncated_rows,
                     lambda c: f"line {c['line']} ({c['date']}, {c['fields']} fields)"),
            f"rows on closed days, dropped ({len(self.closed_day_rows)}): "
            + listed(self.closed_day_rows,
                     lambda c: (f"line {c['line']} ({c['date']}, a {c['weekday']})" if "line" in c
                                else f"{c['date']} (a {c['weekday']})"),
                     len(self.closed_day_rows)),
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


    def _volume_line(self, dates) -> str:
        if self.has_volume:
            return f"zero or missing volume ({len(self.zero_volume)}): {dates(self.zero_volume)}"
        note = self.volume_note
        return "zero or missing volume: no Volume column" + (f"; {note}" if note else "")


def _fmt(x, spec: str = ".4f") -> str:
    return "n/a" if not np.isfinite(x) else format(x, spec)


def _load(ticker: str, prices_dir, start, end) -> tuple[pd.DataFrame, str, list]:
    """The prices, their source and the repeated dates of a snapshot file inside ``[start, end]``.

    Such a file is read keeping the first row of each date, so that the check
    reports the repetition; one outside the span raises, as in a study.
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
        logger.warning("%s: %d duplicated dates; the first row of each is used for the rest of "
                       "the check", ticker, len(duplicates))
    return frame, frame.attrs.get("provenance", {}).get("source", "unknown"), duplicates


def _runs(flags: np.ndarray, idx: pd.DatetimeIndex) -> list[tuple]:
    """Runs of consecutive True rows: (first date, last date, rows)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], flags, [False]]).astype(int)))
    return [(idx[a], idx[b - 1], int(b - a)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


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
        ``label``, ``reason``) in date order, and the whole-series robust
        scale :math:`s = 1.4826\,\mathrm{MAD}` (NaN below
        :data:`MIN_RETURNS_FOR_SCALE` returns).

    Notes
    -----
    With :math:`m_t` the median in the centred window of :data:`EXTREME_WINDOW`
    rows around :math:`t` and the local scale
    :math:`s_t = \max(1.4826\,\mathrm{median}(|r - m_t|),\ s/2)` over that
    window, :math:`r_t` is extreme when :math:`|r_t - m_t| > K s_t`
    (:math:`K =` :data:`EXTREME_K`) on a day that is neither a roll nor thin,
    or when :math:`|r_t| > \ln 2` on any day. Below
    :data:`MIN_RETURNS_FOR_SCALE` returns only the second rule applies.
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
        # a calm stretch (many unchanged closes) has a tiny MAD
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
    frame = pd.DataFrame({"date": list(returns.index[pick]),
                          "previous": list(prev_dates.iloc[pick]), "return": values[pick],
                          "scales": scales[pick], "label": lab[pick], "reason": reasons})
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
    for name, items in (("missing sessions", check.missing_sessions),
                        ("extra sessions", check.extra_sessions),
                        ("duplicate dates", check.duplicate_dates)):
        if items:
            logger.info("%s: %d %s", ticker, len(items), name)
    for name, items in (("rows without a close", check.missing_closes),
                        ("non-finite prices", check.nonfinite_prices),
                        ("truncated rows", check.truncated_rows),
                        ("rows on closed days (dropped)", check.closed_day_rows),
                        ("extreme returns", check.extreme_returns)):
        if len(items):
            logger.warning("%s: %s: %d (see the data check report)", ticker, name, len(items))


def check_data(ticker: str, prices_dir=None, start=None, end=None) -> DataCheck:
    """Data-quality report of one ticker.

    Parameters
    ----------
    prices_dir : path-like, optional
        Snapshot folder (:func:`eventstudy.prices.load_prices`).
    start, end : date-like, optional
        Inclusive bounds on the trade dates checked.

    Raises
    ------
    UnsupportedFutureError
        For an ``=F`` symbol without a roll rule.
    DataError
        When prices cannot be loaded.

    Notes
    -----
    Returns are :math:`r_t = \\ln(C_t / C_{t-1})` over consecutive rows,
    missing where a close is missing or not positive; a return is labelled
    ``roll`` on a roll day, else ``thin`` on a thin day.
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
    returns = pd.Series(log_returns(prices["Close"].to_numpy(dtype=float)), index=idx)
    labels = _labels(idx, rolls, thin_mask(ticker, prices))
    extreme, scale = extreme_returns(returns, labels)
    no_close = ~np.isfinite(prices["Close"].to_numpy(dtype=float))
    provenance = prices.attrs.get("provenance", {})
    check = DataCheck(
        ticker=ticker, calendar=cal.name, source=source, first=idx[0], last=idx[-1],
        rows=int(idx.size), missing_sessions=list(expected.difference(idx)),
        extra_sessions=list(idx.difference(expected)), duplicate_dates=duplicates,
        nonpositive_prices=_nonpositive(prices),
        zero_volume=[] if volume is None else list(idx[(volume.isna() | (volume == 0)).to_numpy()]),
        roll_days=rolls, thin_periods=thin_periods(ticker, prices),
        largest_returns=_largest(returns, labels), missing_closes=list(idx[no_close]),
        missing_close_runs=_runs(no_close, idx),
        nonfinite_prices=list(provenance.get("nonfinite", [])),
        truncated_rows=list(provenance.get("short_rows", [])),
        closed_day_rows=list(provenance.get("closed_days", [])),
        has_volume=volume is not None,
        extreme_returns=extreme, scale=scale,
    )
    _log_findings(ticker, check)
    return check

"""Contract switches and thin trading of Yahoo's continuous futures series.

Yahoo's ``=F`` symbols chain front-month contracts, so the return across an
expiry mixes two contracts. Each product's expiry rule is in :data:`PRODUCTS`;
the returns dated on the last trade date and the next trade date of the series
are *roll days* (:func:`roll_days`), treated as missing. Thin trading is
:func:`thin_mask`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calendar import ExchangeCalendar, get_calendar, is_continuous_future
from .exceptions import CalendarError, DataError, UnsupportedFutureError

__all__ = [
    "MONTH_CODES",
    "PRODUCTS",
    "THIN_FRACTION",
    "THIN_LOOKBACK",
    "THIN_MIN_PERIODS",
    "Product",
    "contract_schedule",
    "delivery_mask",
    "is_continuous_future",
    "product",
    "roll_days",
    "roll_mask",
    "thin_mask",
    "thin_periods",
]

logger = logging.getLogger(__name__)

MONTH_CODES = "FGHJKMNQUVXZ"  # January ... December

#: A day is thin when its volume is below this fraction of the recent median.
THIN_FRACTION = 0.10
#: Rows (sessions) in the trailing median of the volume rule.
THIN_LOOKBACK = 60
#: Fewest earlier rows with volume before the volume rule applies.
THIN_MIN_PERIODS = 20

ROLL_COLUMNS = ["date", "contract_from", "contract_to", "last_trade_date", "rule",
                "volume_evidence", "price_gap"]


def _previous(sessions: pd.DatetimeIndex, days, inclusive: bool, back: int = 0):
    """The session on or before (before, if not ``inclusive``) each day, ``back`` more back."""
    pos = sessions.searchsorted(days, side="right" if inclusive else "left") - 1 - back
    if (pos < 0).any():
        first = pd.Timestamp(np.asarray(days)[pos < 0][0]).date()
        raise CalendarError(f"no trade date before {first} in the calendar's sessions")
    return sessions[pos]


def _days(years, months, day):
    """datetime64[D] of (year, month, day) arrays (numpy calendar arithmetic)."""
    month = (np.asarray(years, dtype=np.int64) - 1970) * 12 + np.asarray(months) - 1
    return month.astype("datetime64[M]").astype("datetime64[D]") + (np.asarray(day) - 1)


def _dates(years, months, day: int) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(_days(years, months, day))


def _third_weekdays(years, months, weekday: int) -> pd.DatetimeIndex:
    """The third ``weekday`` (Monday = 0) of each month."""
    first = _days(years, months, 1)
    # 1970-01-01 is a Thursday (weekday 3)
    dow = (first.astype(np.int64) + 3) % 7
    return pd.DatetimeIndex(first + ((weekday - dow) % 7 + 14))


def _prior_month(years, months):
    months = np.asarray(months) - 1
    years = np.asarray(years) - (months == 0)
    return years, np.where(months == 0, 12, months)


def _grain_last_trade(sessions, years, months):
    """Business day before the 15th calendar day of the contract month (CBOT rule)."""
    return _previous(sessions, _dates(years, months, 15), False)


def _grain_first_notice(sessions, years, months):
    """Last business day of the month before the contract month (CBOT rule)."""
    return _previous(sessions, _dates(years, months, 1), False)


def _es_last_trade(sessions, years, months):
    """Third Friday of the contract month, or the business day before it (CME rule)."""
    return _previous(sessions, _third_weekdays(years, months, 4), True)


def _dx_last_trade(sessions, years, months):
    """Two business days before the third Wednesday of the contract month (ICE rule)."""
    return _previous(sessions, _third_weekdays(years, months, 2), False, back=1)


def _cl_last_trade(sessions, years, months):
    """Three business days before the 25th of the month before delivery, four if the 25th
    is not a business day: the fourth counting back from the 25th inclusive (NYMEX rule)."""
    return _previous(sessions, _dates(*_prior_month(years, months), 25), True, back=3)


def _rule_dates(rule, cal: ExchangeCalendar, years, months) -> pd.DatetimeIndex:
    """``rule`` on the calendar's sessions for every (year, month) pair."""
    if not len(years):
        return pd.DatetimeIndex([])
    sessions = cal.trade_dates(pd.Timestamp(min(years) - 1, 1, 1), pd.Timestamp(max(years), 12, 31))
    return pd.DatetimeIndex(rule(sessions, np.asarray(years), np.asarray(months)))


@dataclass(frozen=True)
class Product:
    """Expiry rule of one continuous futures series.

    Attributes
    ----------
    root : str
        Exchange root of the contract codes (``ZSN22``).
    months : str
        Listed contract months as CME month codes, e.g. ``"FHKNQUX"``.
    last_trade : callable
        ``(sessions, years, months) -> DatetimeIndex``: the last trade date
        of the contract of each (year, month), from the trade dates ``sessions``.
    first_notice : callable or None
        The same for the first notice day when delivery precedes expiry.
    """

    ticker: str
    root: str
    name: str
    months: str
    rule: str
    last_trade: Callable[..., pd.DatetimeIndex]
    first_notice: Callable[..., pd.DatetimeIndex] | None = None


_GRAIN_RULE = (
    "last trade date = business day before the 15th calendar day of the contract month; "
    "first notice day = last business day of the month before"
)

#: The supported continuous futures symbols and their rules.
PRODUCTS: dict[str, Product] = {
    "ZS=F": Product(
        "ZS=F", "ZS", "CBOT soybeans", "FHKNQUX", _GRAIN_RULE, _grain_last_trade,
        _grain_first_notice
    ),
    "ZC=F": Product(
        "ZC=F", "ZC", "CBOT corn", "HKNUZ", _GRAIN_RULE, _grain_last_trade, _grain_first_notice
    ),
    "ZW=F": Product(
        "ZW=F", "ZW", "CBOT wheat", "HKNUZ", _GRAIN_RULE, _grain_last_trade, _grain_first_notice
    ),
    "ES=F": Product(
        "ES=F", "ES", "CME E-mini S&P 500", "HMUZ",
        "last trade date = third Friday of the contract month (business day before if closed)",
        _es_last_trade,
    ),
    "DX=F": Product(
        "DX=F", "DX", "ICE US dollar index", "HMUZ",
        "last trade date = second business day before the third Wednesday of the contract month",
        _dx_last_trade,
    ),
    "CL=F": Product(
        "CL=F", "CL", "NYMEX WTI crude oil", MONTH_CODES,
        "last trade date = third business day before the 25th of the month before delivery "
        "(fourth if the 25th is not a business day)",
        _cl_last_trade,
    ),
}


def product(ticker: str) -> Product:
    """The :class:`Product` of a continuous futures symbol (UnsupportedFutureError without one)."""
    key = ticker.strip().upper()
    if key not in PRODUCTS:
        raise UnsupportedFutureError(
            f"no contract roll rule for the futures symbol {ticker!r}; supported: "
            f"{', '.join(sorted(PRODUCTS))} (or use a roll-free ETF such as SPY or UUP)"
        )
    return PRODUCTS[key]


def contract_schedule(ticker: str, start, end) -> pd.DataFrame:
    """Contracts expiring in ``[start, end]`` (padded by one month), by ``last_trade_date``.

    Columns ``contract``, ``next_contract``, ``last_trade_date``,
    ``first_notice_day`` (NaT without a delivery period before expiry).
    """
    prod = product(ticker)
    return _schedule(prod.ticker, pd.Timestamp(start), pd.Timestamp(end)).copy()


@functools.lru_cache(maxsize=64)
def _schedule(ticker: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    # cached: callers that may modify the frame get a copy (contract_schedule)
    prod = product(ticker)
    cal = get_calendar(prod.ticker)
    months = [MONTH_CODES.index(c) + 1 for c in prod.months]
    pairs = [(y, m) for y in range(lo.year - 1, hi.year + 2) for m in months]
    years = [y for y, _ in pairs]
    months_ = [m for _, m in pairs]
    ltds = _rule_dates(prod.last_trade, cal, years, months_)
    keep = np.flatnonzero((ltds >= lo - pd.Timedelta(days=40))
                          & (ltds <= hi + pd.Timedelta(days=40))).tolist()
    fnds = (_rule_dates(prod.first_notice, cal, [years[k] for k in keep],
                        [months_[k] for k in keep])
            if prod.first_notice else [pd.NaT] * len(keep))
    rows = [(years[k], months_[k], ltds[k], f) for k, f in zip(keep, fnds, strict=True)]
    rows.sort(key=lambda r: r[2])
    codes = [f"{prod.root}{MONTH_CODES[m - 1]}{y % 100:02d}" for y, m, _, _ in rows]
    nxt = []
    for year, month, _, _ in rows:
        later = [m for m in months if m > month]
        ny, nm = (year, later[0]) if later else (year + 1, months[0])
        nxt.append(f"{prod.root}{MONTH_CODES[nm - 1]}{ny % 100:02d}")
    return pd.DataFrame({
        "contract": codes, "next_contract": nxt,
        "last_trade_date": pd.DatetimeIndex([r[2] for r in rows], dtype="datetime64[us]"),
        "first_notice_day": pd.DatetimeIndex([r[3] for r in rows], dtype="datetime64[us]"),
    })


def _as_index(index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        raise DataError("dates must be trade dates without time zone; drop the time zone first")
    if not idx.is_monotonic_increasing or idx.has_duplicates:
        raise DataError("dates must be sorted and unique; sort them and drop duplicate dates")
    return idx


def roll_days(ticker: str, index, volume=None, *, close=None) -> pd.DataFrame:
    """The return dates that span a contract switch, with the data's evidence.

    Parameters
    ----------
    ticker : str
        Yahoo symbol; non-futures give an empty frame.
    index : DatetimeIndex-like
        The series' trade dates (sorted, unique); a return is dated by the
        later of its two prices.
    volume, close : pandas.Series, optional
        On ``index``; give ``volume_evidence`` and ``price_gap``.

    Returns
    -------
    pandas.DataFrame
        One row per masked return date, columns :data:`ROLL_COLUMNS`
        (``rule``: ``last trade date`` or ``next trade date``).

    Notes
    -----
    For a contract with last trade date :math:`T`, let :math:`t_0` be the
    first date of ``index`` on or after :math:`T` and :math:`t_1` the next
    one; the returns dated :math:`t_0` and :math:`t_1` are masked.

    ``volume_evidence`` is :math:`V_t / V_{t-1}` (consecutive rows): Yahoo's
    volume moves to the next contract on :math:`t_0`, so the ratio is large
    there. ``price_gap`` is the log return :math:`\\ln(C_t / C_{t-1})`; the
    switch of price shows on :math:`t_1`.
    """
    idx = _as_index(index)
    if not is_continuous_future(ticker) or idx.size < 2:
        if is_continuous_future(ticker):
            product(ticker)
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ROLL_COLUMNS})
    prod = product(ticker)
    sched = contract_schedule(prod.ticker, idx[0], idx[-1])
    pos = idx.searchsorted(sched["last_trade_date"].to_numpy(), side="left")
    vol = None if volume is None else pd.Series(volume).reindex(idx).to_numpy(dtype=float)
    cls = None if close is None else pd.Series(close).reindex(idx).to_numpy(dtype=float)
    rows = []
    for k, p in enumerate(pos):
        if sched["last_trade_date"].iloc[k] < idx[0]:
            continue  # the switch happened before the first row
        for step, rule in ((0, "last trade date"), (1, "next trade date")):
            q = p + step
            if q < 1 or q >= idx.size:
                continue
            ratio = gap = np.nan
            if vol is not None and vol[q - 1] > 0 and np.isfinite(vol[q]):
                ratio = vol[q] / vol[q - 1]
            if cls is not None and cls[q] > 0 and cls[q - 1] > 0:
                gap = float(np.log(cls[q] / cls[q - 1]))
            rows.append((idx[q], sched["contract"].iloc[k], sched["next_contract"].iloc[k],
                         sched["last_trade_date"].iloc[k], rule, ratio, gap))
    out = pd.DataFrame(rows, columns=ROLL_COLUMNS)
    out = out.drop_duplicates("date", keep="first").sort_values("date").reset_index(drop=True)
    out["volume_evidence"] = out["volume_evidence"].astype(float)
    out["price_gap"] = out["price_gap"].astype(float)
    logger.info("%s: %d roll dates masked (%s)", prod.ticker, len(out), prod.rule)
    return out


def roll_mask(ticker: str, index) -> pd.Series:
    """True on ``index`` where the return spans a contract switch (:func:`roll_days`)."""
    idx = _as_index(index)
    mask = np.zeros(idx.size, dtype=bool)
    if is_continuous_future(ticker) and idx.size >= 2:
        prod = product(ticker)
        ltd = _schedule(prod.ticker, idx[0], idx[-1])["last_trade_date"].to_numpy()
        # the same dates as roll_days: t0 (first date on or after T) and t1 (next)
        p = idx.searchsorted(ltd[ltd >= idx[0].to_datetime64()], side="left")
        q = np.concatenate([p, p + 1])
        mask[q[(q >= 1) & (q < idx.size)]] = True
    elif is_continuous_future(ticker):
        product(ticker)
    return pd.Series(mask, index=idx, name="roll")


def _volume_thin(volume: pd.Series) -> pd.Series:
    prior = volume.shift(1).rolling(THIN_LOOKBACK, min_periods=THIN_MIN_PERIODS).median()
    return (volume < THIN_FRACTION * prior) & prior.gt(0)


def _delivery_thin(ticker: str, idx: pd.DatetimeIndex) -> pd.Series:
    mask = np.zeros(idx.size, dtype=bool)
    prod = product(ticker)
    if prod.first_notice is not None and idx.size:
        sched = _schedule(prod.ticker, idx[0], idx[-1])
        # rows inside [first notice, last trade] of any contract: +1/-1 steps, summed
        a = idx.searchsorted(sched["first_notice_day"].to_numpy(), side="left")
        b = idx.searchsorted(sched["last_trade_date"].to_numpy(), side="right")
        a, b = a[a < b], b[a < b]
        step = np.bincount(a, minlength=idx.size + 1) - np.bincount(b, minlength=idx.size + 1)
        mask = np.cumsum(step)[: idx.size] > 0
    return pd.Series(mask, index=idx)


def delivery_mask(ticker: str, index) -> pd.Series:
    """True on ``index`` inside the front contract's delivery period.

    The delivery period of a contract runs from its first notice day to its
    last trade date, inclusive (:func:`contract_schedule`); a series that is
    not a continuous future, or a product without a first notice day before
    expiry, has none (all False).
    """
    idx = _as_index(index)
    if not is_continuous_future(ticker):
        return pd.Series(False, index=idx, name="delivery")
    return _delivery_thin(ticker, idx).rename("delivery")


def thin_mask(ticker: str, prices) -> pd.Series:
    """Boolean Series on the prices' dates: True on thin-trading days.

    Notes
    -----
    A day :math:`t` is thin when either

    * (delivery rule, physically delivered grains) :math:`t` lies between a
      contract's first notice day and its last trade date, inclusive; or
    * (volume rule, every instrument with volume)
      :math:`V_t < f \\cdot \\operatorname{median}(V_{t-L}, \\dots, V_{t-1})`
      with :math:`f` = :data:`THIN_FRACTION` and :math:`L` =
      :data:`THIN_LOOKBACK` rows, the median needing at least
      :data:`THIN_MIN_PERIODS` non-missing volumes and being positive. A
      missing volume is never thin by this rule.
    """
    idx = _as_index(prices.index)
    thin = pd.Series(False, index=idx)
    if "Volume" in prices:
        thin |= _volume_thin(prices["Volume"].astype(float)).to_numpy()
    if is_continuous_future(ticker):
        thin |= _delivery_thin(ticker, idx).to_numpy()
    thin.name = "thin"
    logger.info("%s: %d thin-trading days", ticker, int(thin.sum()))
    return thin


def thin_periods(ticker: str, prices) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of consecutive thin rows, as ``(first date, last date)`` pairs."""
    mask = thin_mask(ticker, prices).to_numpy()
    idx = prices.index
    if not mask.any():
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [(pd.Timestamp(idx[s]), pd.Timestamp(idx[e])) for s, e in zip(starts, ends, strict=True)]

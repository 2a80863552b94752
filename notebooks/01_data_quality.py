# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Data quality: the soybean series and its factors
#
# **What this page shows.** The price series the study uses — CBOT soybean
# futures `ZS=F` (Yahoo's continuous front month) and its factors `SPY`
# (equities) and `UUP` (the dollar), plus the soybean ETF `SOYB` — where they
# come from and when they were fetched, the days the front-month series
# switches contract (roll days, masked in every window) and the periods when
# the front contract trades thinly in its delivery month, missing sessions
# against the exchange calendar, and the largest returns with what they are.

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import Markdown

from eventstudy.data import load_prices
from eventstudy.quality import check_data
from eventstudy.report import data_provenance, plot_normalised, plot_price_quality

TICKERS = ["ZS=F", "SPY", "UUP", "SOYB"]
START = "2017-01-01"
prices = load_prices(TICKERS)
checks = {t: check_data(t, start=START) for t in TICKERS}

# %% [markdown]
# ## What the snapshot or cache holds, and when it was fetched

# %%
data_provenance(TICKERS)

# %% [markdown]
# ## The soybean series: roll days and thin trading
#
# Orange bands: thin-trading periods (the front contract in its delivery
# period, from first notice day to its last trading day, or days with almost
# no volume); returns there are kept out of estimation samples and flagged in
# event windows. Blue ticks: return dates that span a contract switch; those
# returns mix two contracts and are masked.

# %%
zs = prices["ZS=F"]["Close"]
fig = plot_price_quality(zs, checks["ZS=F"], [(START, zs.index[-1]), ("2025-01-01", zs.index[-1])])
fig

# %% [markdown]
# ## The asset and its factors
#
# `SPY` and `UUP` are exchange-traded funds: they have no contract switches.
# `SOYB` starts on 2019-05-24.

# %%
fig = plot_normalised({t: prices[t]["Close"].loc["2019-05-24":] for t in TICKERS})
fig

# %% [markdown]
# ## Checks per series
#
# Missing sessions are exchange sessions without a price; extra sessions are
# prices on days the exchange calendar has no session.

# %%
summary = pd.DataFrame(
    {
        t: {
            "first": c.first.date(),
            "last": c.last.date(),
            "rows": c.rows,
            "missing sessions": len(c.missing_sessions),
            "extra sessions": len(c.extra_sessions),
            "duplicate dates": len(c.duplicate_dates),
            "non-positive prices": len(c.nonpositive_prices),
            "zero volume days": len(c.zero_volume),
            "roll days": len(c.roll_days),
            "thin-trading periods": len(c.thin_periods),
        }
        for t, c in checks.items()
    }
)
summary

# %% [markdown]
# ## The largest soybean returns and what they are
#
# `roll`: the return spans a contract switch; `thin`: a thin-trading day;
# `-`: an ordinary trading day.

# %%
largest = checks["ZS=F"].largest_returns
largest

# %% [markdown]
# ## What this page found

# %% tags=["findings"]
zc = checks["ZS=F"]
labels = largest["label"]
n_roll = int((labels == "roll").sum())
n_thin = int((labels == "thin").sum())
prov = data_provenance(TICKERS)
source = ", ".join(sorted(set(prov["source"].astype(str))))
missing = {t: len(c.missing_sessions) for t, c in checks.items()}
Markdown(
    f"Prices come from **{source}** ({', '.join(f'{t} {c.first:%Y-%m-%d}–{c.last:%Y-%m-%d}' for t, c in checks.items())}). "
    f"Since {START[:4]} the soybean series has **{len(zc.roll_days)} roll days** and "
    f"**{len(zc.thin_periods)} thin-trading periods**; of its {len(largest)} largest absolute returns, "
    f"{n_roll} span a contract switch and {n_thin} fall on thin-trading days"
    + (
        ": most of the largest moves are artefacts of the continuous series, which is why the masks exist. "
        if n_roll + n_thin > len(largest) / 2
        else ". "
    )
    + "Missing sessions against the exchange calendars: "
    f"{', '.join(f'{t} {n}' for t, n in missing.items())}."
)

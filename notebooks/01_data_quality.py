# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
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
from pathlib import Path

from IPython.display import HTML, Markdown

import eventstudy as es
from eventstudy import format as fmt
from eventstudy.report.build import data_provenance
from eventstudy.report.figures import plot_normalised, plot_price_quality
from eventstudy.report.findings import largest_returns_sentence, lead_lag_sentence, series_spans
from eventstudy.report.html import page_table, provenance_table
from eventstudy.report.tables import close_prices, data_check_table, data_checks
from eventstudy.regression import lead_lag_check

STUDIES = Path("../studies")  # the study files beside this folder
TICKERS = ["ZS=F", "SPY", "UUP", "SOYB"]
START = "2017-01-01"
UNIT = "US cents per bushel"
prices = es.load_prices(TICKERS)
checks = data_checks(TICKERS, start=START)

# %% [markdown]
# ## What the snapshot or cache holds, and when it was fetched

# %%
provenance = data_provenance(TICKERS)
HTML(provenance_table(provenance, caption="Where each series comes from"))

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
fig = plot_price_quality(zs, checks["ZS=F"], [(START, zs.index[-1]), ("2025-01-01", zs.index[-1])],
                         unit=UNIT)
fig

# %% [markdown]
# ## The asset and its factors
#
# `SPY` and `UUP` are exchange-traded funds: they have no contract switches.
# `SOYB` starts on 2019-05-24.

# %%
fig = plot_normalised(close_prices(prices, TICKERS, start="2019-05-24"))
fig

# %% [markdown]
# ## Checks per series
#
# Missing sessions are exchange sessions without a price; extra sessions are
# prices on days the exchange calendar has no session.

# %%
data_check_table(checks)

# %% [markdown]
# ## The largest soybean returns and what they are
#
# `roll`: the return spans a contract switch; `thin`: a thin-trading day;
# `-`: an ordinary trading day.

# %%
largest = checks["ZS=F"].largest_returns
HTML(page_table(fmt.table(largest, signed=["return"]),
                caption="The largest absolute ZS=F log returns since 2017 (in %)",
                text_columns=("date", "label")))

# %% [markdown]
# ## Closes that differ: do leads and lags of the factors matter?
#
# The CBOT grain day session settles at 13:20 Central time; `SPY` and `UUP`
# close at 15:00 Central. News in between reaches the factors one trade date
# before soybeans, so the same-day market model could miss part of the
# relation. Dimson's (1979) remedy adds the factors' returns of the next
# and the previous trade date (`factor_lags = [-1, 0, 1]` in a study file).
# Whether that matters on this snapshot is measured, not assumed: one
# regression of `ZS=F` log returns on `SPY` and `UUP` with and without their
# lead and lag, on the same days (the article study's returns on the CBOT
# calendar, contract rolls masked, delivery-period days left out), with
# Newey–West (HAC) standard errors. `lag 1`: the factor's return of the
# previous trade date; `lead 1`: of the next; `sum`: the summed beta.

# %%
article = es.load_study(STUDIES / "article.toml")
lead_lag = lead_lag_check(article, (-1, 0, 1), start="2010-01-01", end="2025-12-31")
HTML(page_table(fmt.table(lead_lag, pvalues=["p_hac"],
                          digits={"coef": 4, "se_hac": 4, "t_hac": 2}),
                caption="ZS=F on SPY and UUP with their leads and lags (Newey–West t)",
                text_columns=("factor", "lag", "term")))

# %%
Markdown(lead_lag_sentence(lead_lag, "ZS=F"))

# %% [markdown]
# ## What this page found

# %% tags=["findings"]
zs_check = checks["ZS=F"]
sources = provenance["source"].astype(str).drop_duplicates().sort_values()
missing = data_check_table(checks).loc["missing sessions"].astype(str)
Markdown(
    f"Prices come from **{', '.join(sources)}** ({series_spans(checks)}). Since {START[:4]} the ZS=F series has "
    f"**{len(zs_check.roll_days)} roll days** and **{len(zs_check.thin_periods)} thin-trading "
    f"periods**; {largest_returns_sentence(zs_check.largest_returns)} Missing sessions against "
    f"the exchange calendars: {', '.join(missing.index + ' ' + missing)}."
)

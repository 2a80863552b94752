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
# # 2. The event catalogue
#
# **What this page shows.** Every event of `data/events.csv`: its date and
# clock time as reported, the CBOT trade date on which soybean prices could
# first reflect it ("day 0") and the rule that gave that date, a timeline of
# the events over the soybean price, the article's sentence for each event
# the article mentions, and the events that have no date yet.
#
# Prices come from `EVENTSTUDY_PRICES_DIR` (a snapshot folder) when it is set,
# otherwise from Yahoo Finance through the download cache.

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import HTML, Markdown

from eventstudy.calendar import get_calendar
from eventstudy.events import DEFAULT_EVENTS, align_events, load_events
from eventstudy.prices import load_prices
from eventstudy.report import article_events, catalogue_table, pending_events, plot_event_timeline
from eventstudy.report.findings import events_findings
from eventstudy.report.html import page_table

pd.set_option("display.max_colwidth", 120)
ASSET = "ZS=F"
close = load_prices([ASSET])[ASSET]["Close"]
events = load_events(DEFAULT_EVENTS)
aligned = align_events(events, get_calendar(ASSET), last_date=close.index[-1])

# %% [markdown]
# ## Every event and its trade date
#
# The `rule` column names how day 0 was found: a reported clock time falls
# in the overnight, pre-open or day part of a trade date's session, or after
# the 13:20 CT close (so the next trade date), or on a day the exchange was
# closed (the next session); a date without a clock time is priced in that
# date's session, or the next one if the exchange was closed; `pending`
# events have no date yet. The full list is `eventstudy.events.RULES`.

# %%
HTML(page_table(catalogue_table(aligned), caption="Every event of the catalogue and its day 0",
                csv_name="events.csv", text_columns=("id", "rule", "status", "category")))

# %% [markdown]
# ## Timeline over the soybean price
#
# Dashed lines mark each event's trade date (day 0): green for news that
# eases US–China trade tension (direction +1 for soybeans), red for
# escalations (−1), grey for news without a direction for soybeans. Prices
# are the continuous front-month close in US cents per bushel.

# %%
last = close.index[-1]
fig = plot_event_timeline(
    close, aligned, [("2018-03-01", "2020-02-28"), ("2025-02-01", last)], ticker=ASSET
)
fig

# %% [markdown]
# ## The article's events and its sentences

# %%
catalogue_table(article_events(aligned), ["id", "trade_date", "rule", "title", "source"])

# %% [markdown]
# ## Pending events (no date yet)

# %%
catalogue_table(pending_events(aligned), ["id", "title", "status", "notes"])

# %% [markdown]
# ## What this page found

# %% tags=["findings"]
Markdown(events_findings(aligned, last_early_year=2020, early_label="2018–2020",
                         first_late_year=2025))

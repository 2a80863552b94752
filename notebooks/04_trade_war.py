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
# # 4. The trade war, 2018–2025
#
# **What this page shows.** Every dated US–China trade event of the
# catalogue (2018–2020 and 2025), pooled by direction for soybeans:
# escalations (tariffs, threats, purchase halts) and de-escalations (truces,
# deals, purchases). The cumulative average abnormal return (CAAR) of each
# group, the whole test battery (cross-sectional t, Patell, BMP,
# Kolari–Pynnönen, Corrado rank, generalized sign, Wilcoxon, placebo), and the
# placebo distribution of 10,000 pseudo-event CARs with the observed values
# marked. Numbers are those of `eventstudy run studies/trade_war.toml`.

# %%
# %matplotlib inline
import logging
import warnings

from IPython.display import Markdown

import eventstudy as es
from eventstudy.exceptions import DataQualityWarning
from eventstudy.report import NOTEBOOKS_DIR, plot_caar_by_group, plot_placebo
from eventstudy.report.findings import overlap_sentence, trade_war_findings

# Data issues are listed on page 1 and each exclusion in the events tables below,
# so the library's log lines are kept off this page.
warnings.simplefilter("ignore", DataQualityWarning)
logging.getLogger("eventstudy").setLevel(logging.ERROR)
run = es.analyse(es.load_study(NOTEBOOKS_DIR.parent / "studies" / "trade_war.toml"),
                 size_check=True)
run.events[["event_id", "trade_date", "direction", "status", "reason", "n_estimation"]]

# %% [markdown]
# ## CAAR paths by direction
#
# The `signed` group multiplies each event's CAR by its direction (−1 for an
# escalation), so a positive value means prices moved the way the news
# points. The band is ±1.96 standard errors assuming independent events;
# overlapping windows (listed below) make it too narrow, which the
# cross-correlation-robust tests below address.

# %%
plot_caar_by_group(run)

# %%
Markdown(overlap_sentence(run.car, (-1, 5)))

# %% [markdown]
# ## The test battery
#
# One row per group, window and test; `statistic` is the test's statistic
# (the mean CAR for the placebo test), `n_events` the events with a CAR in
# the window.

# %%
run.tests.pivot_table(index=["group", "start", "end"], columns="test", values="p_value",
                      sort=False, dropna=False).round(3).astype(object).fillna("—")

# %% [markdown]
# ## The placebo distribution
#
# CARs over [0, 1] of 10,000 pseudo-events drawn on trade dates whose windows
# hold no catalogued news, with the same model and estimation window.

# %%
plot_placebo(run, (0, 1))

# %% [markdown]
# ## What this page found

# %% tags=["findings"]
Markdown(trade_war_findings(run, compare=["busan-meeting", "trump-xi-call"],
                            last_peer_year=2020, peer_label="2018–2020"))

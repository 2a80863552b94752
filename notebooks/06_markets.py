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
# # 6. Which markets moved?
#
# **What this page shows.** The article's two events measured side by side on
# soybeans (`ZS=F`, `SOYB`), corn (`ZC=F`, `CORN`), wheat (`ZW=F`), the
# agriculture ETF `DBA` and the soybean–corn spread `ZS=F-ZC=F`, each market
# with its own exchange calendar, contract rules and masks. Corn and wheat
# share the weather, the dollar and the freight with soybeans, but not
# China's soybean purchases: news about soybeans should move `ZS=F` and the
# spread more than corn. A cross-asset test asks whether the mean CAR across
# the markets is zero, allowing for the correlation of their returns. The
# numbers are those of `eventstudy run studies/markets.toml`.

# %%
# %matplotlib inline
import logging
import warnings
from pathlib import Path

from IPython.display import HTML, Markdown

import eventstudy as es
from eventstudy.exceptions import DataQualityWarning
from eventstudy.report.figures import plot_car_by_asset, plot_car_intervals
from eventstudy.report.findings import cross_asset_sentence, markets_moved, reading_changes
from eventstudy.report.html import answer_box, cross_asset_table

# Data issues are listed on page 1 and each exclusion in the tables below, so the
# library's log lines are kept off this page.
warnings.simplefilter("ignore", DataQualityWarning)
logging.getLogger("eventstudy").setLevel(logging.ERROR)
KEY = ["busan-meeting", "trump-xi-call"]
NAMES = {"busan-meeting": "Busan meeting", "trump-xi-call": "Trump–Xi call"}
CORN_FACTOR = "market model, SPY+UUP+corn (ZC=F)"
study = es.load_study(Path("../studies/markets.toml"))
markets = es.analyse(study, size_check=True)
with_corn = es.analyse(study.replace(**study.variants[CORN_FACTOR]), size_check=True)

# %% [markdown]
# ## Every market over [0, 1], SPY and UUP as factors
#
# The market model on the equity market and the dollar assumes that nothing
# else common to the markets moved on the event days: a CAR then includes
# whatever moved grains in general (weather, freight, the dollar beyond `UUP`).

# %%
HTML(answer_box(markets.results, study.headline_events, study.headline_windows, names=NAMES,
                question="Which markets moved? Market model on SPY and UUP"))

# %% [markdown]
# ## Every market's CAR and its interval
#
# A dot at each market's CAR over [0, 1], a bar over its 95% interval (the
# t interval, with the estimation error of the normal model).

# %%
plot_car_intervals(markets.results, KEY, (0, 1), names=NAMES)

# %% [markdown]
# ## The Busan window day by day on soybeans, corn and the spread
#
# Left: the CAR path from day −1 with its 95% band; right: each day's
# abnormal return. Hatched: the days on which `ZS=F` is a contract in its
# delivery period.

# %%
plot_car_by_asset(markets.select(["ZS=F", "ZC=F", "ZS=F-ZC=F"]), "busan-meeting")

# %% [markdown]
# ## Across the markets
#
# The mean CAR across the markets, its standard error from the markets'
# correlation over the estimation days they share, and the joint test that
# every market's CAR is zero (`eventstudy.results.MultiAssetResults.cross_asset`).

# %%
HTML(cross_asset_table(markets))

# %% [markdown]
# ## With corn as a factor
#
# Adding `ZC=F` to the factors cuts the noise of a soybean return (corn
# explains about a quarter of its variance), so a soybean-specific move is
# easier to see; but it also takes out any part of the news that moved corn
# too. `ZC=F` itself keeps SPY and UUP only (a factor equal to the asset is
# dropped), and so does the spread, whose leg it is.

# %%
HTML(answer_box(with_corn.results, study.headline_events, study.headline_windows, names=NAMES,
                question="Which markets moved? Market model on SPY, UUP and corn"))

# %% [markdown]
# ## What this page found

# %% tags=["findings"]
CORN = "the model with corn as a factor"
Markdown(
    f"**{NAMES['busan-meeting']}**: {markets_moved(markets, 'busan-meeting')} "
    f"{cross_asset_sentence(markets, 'busan-meeting')} "
    f"{reading_changes(markets, with_corn, 'busan-meeting', label=CORN)}\n\n"
    f"**{NAMES['trump-xi-call']}**: {markets_moved(markets, 'trump-xi-call')} "
    f"{cross_asset_sentence(markets, 'trump-xi-call')} "
    f"{reading_changes(markets, with_corn, 'trump-xi-call', label=CORN)}"
)

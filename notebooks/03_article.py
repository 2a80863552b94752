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
# # 3. The article's question: did the Busan meeting and the Trump–Xi call move soybeans?
#
# **What this page shows.** The abnormal returns of CBOT soybean futures
# (`ZS=F`) around the Trump–Xi meeting in Busan (2025-10-30) and the Trump–Xi
# phone call (2025-11-24), beyond what the equity market (`SPY`) and the
# dollar (`UUP`) explain (market model, estimation days −250 to −11), for each
# event window with its confidence band; three per-event tests (t test with
# estimation error, the SQ test, the placebo distribution of 10,000
# pseudo-events); the same answer on the soybean ETF `SOYB`, which holds
# later contracts; and a synthetic control of soybeans beside the market
# model. The numbers are those of `eventstudy run studies/article.toml`
# and `studies/article_soyb.toml`.

# %%
# %matplotlib inline
import logging
import warnings
from pathlib import Path

from IPython.display import HTML, Markdown

import eventstudy as es
from eventstudy import format as fmt
from eventstudy.exceptions import DataQualityWarning
from eventstudy.report.figures import plot_car_by_asset
from eventstudy.report.findings import (answer_sentence, class_sentence, detectable_car,
                                        event_day0, event_sentence, front_contract,
                                        rejecting_windows, synthetic_sentence, thin_day_gap)
from eventstudy.report.activity import activity_sentence, activity_table
from eventstudy.report.html import answer_box, page_table, size_check_table
from eventstudy.report.robustness import synthetic_variant
from eventstudy.report.tables import (ar_table, headline_table, model_comparison,
                                      style_car_table, style_model_comparison)

# %%
# Data issues are listed on page 1 and each exclusion in the events tables below,
# so the library's log lines are kept off this page.
warnings.simplefilter("ignore", DataQualityWarning)
logging.getLogger("eventstudy").setLevel(logging.ERROR)
STUDIES = Path("../studies")  # the study files beside this folder
KEY = ["busan-meeting", "trump-xi-call"]
NAMES = {"busan-meeting": "Busan meeting", "trump-xi-call": "Trump–Xi call"}
# size_check: which single-event tests hold their size on each asset (a
# simulation on the study's own returns); only their p-values are graded
zs = es.analyse(es.load_study(STUDIES / "article.toml"), size_check=True)
soyb = es.analyse(es.load_study(STUDIES / "article_soyb.toml"), size_check=True)
# every Trump–Xi contact since 2017 (page 7), to set the call among its class
contacts = es.analyse(es.load_study(STUDIES / "trump_xi_contacts.toml"), size_check=True)

# %% [markdown]
# ## The answer
#
# Each event's cumulative abnormal return (CAR) over the headline windows of
# the study file, on `ZS=F` and on `SOYB`, with its 95% interval; the leading
# single-event test of the window — the first of the t test, the SQ test and
# the placebo test that holds its 5% size on that asset in this build's
# simulation — with its p-value and graded evidence; the other tests'
# p-values with their measured sizes; the day-0 move the leading test detects
# with 80% power; and where the call falls among every earlier Trump–Xi
# contact (page 7).

# %% tags=["answer"]
HTML(answer_box({"ZS=F": zs, "SOYB": soyb}, zs.study.headline_events, zs.study.headline_windows,
                names=NAMES, question="Did the Busan meeting and the Trump–Xi call move "
                "soybean futures beyond what equities and the dollar explain?",
                extra=[class_sentence(contacts.car, "trump-xi-call", "the Trump–Xi call",
                                      (0, 1), class_label="Trump–Xi contacts",
                                      where="measured in the class study of page 7, whose "
                                      "estimation samples leave out every contact's window")]))

# %% [markdown]
# ## Did the call move volatility or volume?
#
# A CAR near zero can hide a window whose abnormal returns swing both ways,
# or a jump in trading with no net move. The variance ratio of a window is
# its abnormal returns' quadratic form in their covariance (estimation error
# included) per day: 1 is the estimation period's volatility, and over
# [0, 0] it is the squared t statistic. It is graded only where its F or
# placebo test holds its size on the asset. The abnormal volume is the log
# volume less its estimation-period mean (Campbell and Wasley 1996); the
# front contract's delivery period, when its volume collapses, is left out,
# and the volume tests are not size-checked.

# %%
HTML(page_table(activity_table(zs.tidy(), zs.volume(), KEY, zs.study.headline_windows,
                               names=NAMES), caption="Volatility and volume on ZS=F",
                text_columns=("event", "graded", "note")))

# %% [markdown]
# ## Abnormal returns day by day
#
# Points are each day's abnormal return (actual minus the market model's
# normal return), in percent of log return. The shaded band is 0 ± t·se: the
# range in which a day's abnormal return falls with 95% probability if the
# news had no effect (se includes the estimation error of the model's
# parameters); a point outside the band is significant on its own. Day 0 is
# the first trade date that could price the news.

# %%
zs.plot_ar(KEY)

# %% [markdown]
# ## Cumulative abnormal returns
#
# CAR from the first day of the widest window (day −1); the shaded band is the
# 95% interval CAR ± t·√(γ′Vγ), with the covariance V of the window's
# abnormal returns including estimation error.

# %%
zs.plot_car(KEY)

# %% [markdown]
# ## Each window, three tests
#
# CAR in percent of log return with its 95% interval; `t-test p`: t test
# with the estimation-error variance; `SQ p`: SQ test (the CAR against sums
# of as many values drawn from the estimation-window and window abnormal
# returns, no normality assumed); `placebo p`: share of 10,000 pseudo-event
# CARs at least as large in absolute value; `leading test`: the one of the
# three whose p-value is graded in that window, because it holds its size on
# `ZS=F` (next section); `thin days`: days in the window on which the front
# contract traded thinly (delivery period); `note`: what a flag or a missing
# value means.

# %%
table = headline_table({"ZS=F": zs}, KEY)
style_car_table(table.drop(columns=["others", "detectable_pct"]),
                "Both events on ZS=F, every window")

# %% [markdown]
# ## Which single-event test can be read on each asset
#
# A p-value is only as good as its test's size on the returns it is computed
# from. Pseudo-events on random trade dates of each asset, measured exactly
# as the study measures its events, show how often each test rejects a true
# null at 5% (`eventstudy.simulation.size_check`): a test holds its size where
# that rate is within 3 Monte Carlo standard errors of 5%. Adding a known
# abnormal return to day 0 gives the smallest move each test detects with 80%
# power. Only a test that holds its size is graded in a window.

# %%
HTML(size_check_table(zs) + size_check_table(soyb))

# %% [markdown]
# ## The Busan window and the November contract's delivery period
#
# Yahoo's `ZS=F` is the front contract until its last trading day. From the
# first notice day the front contract is in its delivery period: holders of
# long positions can be assigned delivery, so nearly all open interest has
# already moved to the next contract and the expiring one trades thinly. A
# close on such a day is the price of soybeans deliverable now, set by the few
# positions left — it can be stale, or move with the local squeeze on
# deliverable soybeans rather than with the news. Those days are kept out of
# every estimation sample; inside an event window their abnormal returns are
# computed but flagged (`thin`), and the return across the switch to the next
# contract is masked. The cell below finds the contract and its dates from the
# exchange's rules.

# %%
day0 = event_day0(zs.car, "busan-meeting")
front = front_contract("ZS=F", day0)
busan = zs.ar[zs.ar["event_id"] == "busan-meeting"]
thin = busan[busan["thin"].astype(bool)]
thin_listed = ", ".join(thin["day"].map("{:+d}".format))
thin_days = table[table["event_id"] == "busan-meeting"].set_index("window")["thin_days"]
Markdown(
    f"Busan's day 0 is {day0:%Y-%m-%d}. The front contract is **{front['contract']}**: its "
    f"first notice day is **{front['first_notice_day']:%Y-%m-%d}** and its last trading day "
    f"**{front['last_trade_date']:%Y-%m-%d}**, after which `ZS=F` switches to "
    f"{front['next_contract']}. So on days {thin_listed} of "
    f"the Busan window ({thin['date'].min():%Y-%m-%d} to {thin['date'].max():%Y-%m-%d}) `ZS=F` "
    f"is the thinly traded {front['contract']} in its delivery period, not the contract where "
    "prices were being set. Thin days per window: "
    f"{', '.join(thin_days.index + ' ' + thin_days.astype(str))}. `SOYB` holds the second- "
    "and third-nearest contracts, so it measures the same days on liquid contracts; the figure "
    "and the table below put the two side by side."
)

# %%
HTML(page_table(ar_table(zs, "busan-meeting"), caption="The Busan window day by day on ZS=F",
                text_columns=("day is",)))

# %% [markdown]
# ## The same question on SOYB
#
# Left: the Busan CAR path on `ZS=F` and on `SOYB`, each with its 95% band
# CAR ± t·se (se with estimation error); right: each day's abnormal return.
# Hatched: days on which `ZS=F` is the November contract in delivery.

# %%
plot_car_by_asset({"ZS=F": zs, "SOYB": soyb}, "busan-meeting")

# %%
busan_both = headline_table({"ZS=F": zs, "SOYB": soyb}, ["busan-meeting"])
style_car_table(busan_both, "Busan meeting: every window on ZS=F and on SOYB")

# %% [markdown]
# Both events on `SOYB`, CAR paths with 95% bands:

# %%
soyb.plot_car(KEY)

# %% [markdown]
# ## A synthetic control beside the market model
#
# With one asset, the normal-return model decides much of the answer, and the
# market model on `SPY` and `UUP` explains little of soybean returns. A
# synthetic control (Abadie; the event-study form of Acemoglu et al. 2016)
# builds the normal return from a donor pool instead: non-negative weights
# summing to one, fitted by constrained least squares on each event's
# estimation window (no intercept), so that the weighted donors track
# soybeans before the event; the abnormal return is soybeans minus that
# synthetic soybean. The donors are the study file's variant (see the comment
# there): the other CBOT grains (`ZC=F` corn, `ZW=F` wheat), crude oil
# (`CL=F`, linked to soybeans through soybean oil), equities (`SPY`) and the
# dollar (`UUP`) — series that share soybeans' common shocks (weather, the
# farm economy, risk appetite, the dollar). `SOYB` holds soybeans and `DBA`
# holds soybeans among other farm futures, so both would carry the news
# itself; `CORN`, `DX=F` and `ES=F` repeat `ZC=F`, `UUP` and `SPY`. Corn and
# wheat are not entirely untouched by US–China news (China buys both), which
# biases the synthetic control's CAR towards zero if they moved too. The
# t test uses the pre-event RMSPE² as the abnormal return's variance (no
# estimation-error term); the placebo p-value refits the weights at every
# pseudo-event date of the placebo distribution.

# %%
synthetic = es.analyse(synthetic_variant(zs.study)[1])
comparison = model_comparison({"market model": zs, "synthetic control": synthetic}, KEY,
                              (0, 1))
style_model_comparison(comparison, "Both events, CAR over [0, 1]: market model and synthetic "
                       "control")

# %%
Markdown(" ".join([
    synthetic_sentence(comparison, "busan-meeting", base="market model",
                       synthetic="synthetic control", name=NAMES["busan-meeting"]),
    synthetic_sentence(comparison, "trump-xi-call", base="market model",
                       synthetic="synthetic control", name=NAMES["trump-xi-call"]),
]))

# %% [markdown]
# Each event's donor weights and pre-event fit (RMSPE, in log return per day):

# %%
weights = synthetic.synthetic_weights().query("event_id in @KEY")
HTML(page_table(fmt.table(weights, percent=["rmspe"], digits={"weight": 3}),
                caption="Donor weights of the synthetic control", csv_name="weights.csv",
                text_columns=("event_id", "donor")))

# %% [markdown]
# ## What this page found

# %% tags=["findings"]
cars = {"ZS=F": zs.car, "SOYB": soyb.car}
call_day0 = event_day0(zs.car, "trump-xi-call")
Markdown(
    f"**Busan meeting (day 0 = {day0:%Y-%m-%d}):** "
    f"{event_sentence(zs.car, 'ZS=F', 'busan-meeting')}; "
    f"{event_sentence(soyb.car, 'SOYB', 'busan-meeting')}. "
    f"**Trump–Xi call (day 0 = {call_day0:%Y-%m-%d}):** "
    f"{event_sentence(zs.car, 'ZS=F', 'trump-xi-call')}; "
    f"{event_sentence(soyb.car, 'SOYB', 'trump-xi-call')}.\n\n"
    "Did the news move ZS=F beyond what SPY and UUP explain? "
    f"{answer_sentence(NAMES['busan-meeting'], cars, 'busan-meeting')} "
    f"{answer_sentence(NAMES['trump-xi-call'], cars, 'trump-xi-call')}"
)

# %% tags=["findings"]
tidy, volume = zs.tidy(), zs.volume()
Markdown(
    "Did the news move volatility or volume on ZS=F? "
    f"{activity_sentence(tidy, volume, 'busan-meeting', (0, 1), name=NAMES['busan-meeting'])} "
    f"{activity_sentence(tidy, volume, 'trump-xi-call', (0, 1), name=NAMES['trump-xi-call'])}"
)

# %% tags=["findings"]
rejects = (rejecting_windows(zs.car, "ZS=F", "busan-meeting")
           + rejecting_windows(soyb.car, "SOYB", "busan-meeting"))
Markdown(
    f"The delivery period: {thin_days['[-1, 5]']} of the Busan [-1, 5] window's days "
    f"({thin_days['[0, 1]']} of [0, 1]) are the contract {front['contract']} in delivery (first "
    f"notice day {front['first_notice_day']:%Y-%m-%d}, last trading day "
    f"{front['last_trade_date']:%Y-%m-%d}). On those days its abnormal returns differ from "
    f"SOYB's by at most {100 * thin_day_gap(zs.ar, soyb.ar, 'busan-meeting'):.2f} percentage "
    "points. Busan windows in which the graded test rejects at 5%: "
    f"{'; '.join(rejects) or 'none, on ZS=F or SOYB'}. Where the two disagree, read `SOYB`, "
    "measured on liquid contracts."
)

# %% tags=["findings"]
expected = zs.catalogue.set_index("id").loc["kuala-lumpur-framework"]
Markdown(
    "Caveats: each answer rests on one event, so it is only as good as the model of a normal "
    "day, and a single event has little power: on ZS=F the t test rejects over [0, 1] only "
    f"beyond ±{detectable_car(zs.car, 'busan-meeting'):.2f}% (Busan) and "
    f"±{detectable_car(zs.car, 'trump-xi-call'):.2f}% (Trump–Xi call), so \"no evidence\" "
    "means no move larger than ordinary ZS=F noise, not no effect. The news was widely "
    f"expected after \"{expected['title']}\" (day 0 {expected['trade_date']:%Y-%m-%d}), so "
    "part of it may have been priced before day −1."
)

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
# # 3. The article's question: did the Busan meeting and the Trump–Xi call move soybeans?
#
# **What this page shows.** The abnormal returns of CBOT soybean futures
# (`ZS=F`) around the Trump–Xi meeting in Busan (2025-10-30) and the Trump–Xi
# phone call (2025-11-24), beyond what the equity market (`SPY`) and the
# dollar (`UUP`) explain (market model, estimation days −250 to −11), for each
# event window with its confidence band; three per-event tests (t test with
# estimation error, the SQ test, the placebo distribution of 10,000
# pseudo-events); and the same answer on the soybean ETF `SOYB`, which holds
# later contracts. The numbers are those of `eventstudy run studies/article.toml`
# and `studies/article_soyb.toml`.

# %%
# %matplotlib inline
import warnings

from IPython.display import Markdown

from eventstudy.exceptions import DataQualityWarning
from eventstudy.report import NOTEBOOKS_DIR
from eventstudy.study import analyse, event_verdicts, headline_table, load_study

warnings.simplefilter("ignore", DataQualityWarning)  # listed on page 1
STUDIES = NOTEBOOKS_DIR.parent / "studies"
KEY = ["busan-meeting", "trump-xi-call"]
zs = analyse(load_study(STUDIES / "article.toml"))
soyb = analyse(load_study(STUDIES / "article_soyb.toml"))
zs.results

# %% [markdown]
# ## Abnormal returns day by day
#
# Bars are each day's abnormal return (actual minus the market model's normal
# return); the band is the 95% interval AR ± t·se, with se including the
# estimation error of the model's parameters. Day 0 is the first trade date
# that could price the news.

# %%
zs.results.plot_ar(KEY)

# %% [markdown]
# ## Cumulative abnormal returns
#
# CAR from the first day of the widest window (day −1); the shaded band is the
# 95% interval CAR ± t·√(γ′Vγ), with the covariance V of the window's
# abnormal returns including estimation error.

# %%
zs.results.plot_car(KEY)

# %% [markdown]
# ## Each window, three tests
#
# `car_pct`: CAR in percent of log return; `p`: t test; `sq_p`: SQ test
# (the CAR's rank among estimation-window CARs of the same length, no
# normality assumed); `placebo_p`: share of 10,000 pseudo-event CARs at least
# as large in absolute value; `thin_days`: days in the window on which the
# front contract traded thinly (delivery period).

# %%
table = headline_table({"ZS=F": zs}, KEY)
table

# %% [markdown]
# ## The Busan window and the November contract's delivery period
#
# The continuous `ZS=F` series is the November 2025 contract until it expires
# on 2025-11-14; from first notice day (2025-10-31) it is in its delivery
# period and trades thinly, and the return across the switch to January
# (2025-11-14/17) is masked. So days +1 to +5 after Busan are measured on a
# contract in delivery, whose price reflects the squeeze on deliverable
# soybeans as much as the news. `SOYB` holds the second- to third-nearest
# contracts: no switch and no delivery month in these windows.

# %%
zs.ar[zs.ar["event_id"] == "busan-meeting"][["day", "date", "ret", "ar", "ar_se", "roll", "thin"]]

# %% [markdown]
# ## The same question on SOYB

# %%
soyb.results.plot_car(KEY)

# %% tags=["headline"]
headline = headline_table({"ZS=F": zs, "SOYB": soyb}, KEY, windows=[(0, 1), (-1, 1)])
headline.style.format(
    {"car_pct": "{:+.2f}%", "p": "{:.3f}", "sq_p": "{:.3f}", "placebo_p": "{:.3f}",
     "trade_date": "{:%Y-%m-%d}"}
).hide(axis="index").set_caption(
    "The article's two events: CAR (% log return) over [0, 1] and [-1, 1] with three p-values"
)

# %% [markdown]
# ## What this page found

# %% tags=["findings"]
def sentence(run, eid, window=(0, 1)):
    v = event_verdicts(run.car)
    r = v[(v["event_id"] == eid) & (v["start"] == window[0]) & (v["end"] == window[1])].iloc[0]
    c = run.car.set_index(["event_id", "start", "end"]).loc[(eid, *window)]
    return (f"{run.study.asset} {100 * c['car']:+.2f}% over [{window[0]}, {window[1]}] "
            f"(t-test p = {c['p']:.3f}, SQ p = {c['sq_p']:.3f}, placebo p = {c['placebo_p']:.3f}: "
            f"{r['verdict']})")


def rejecting_windows(run, eid):
    v = event_verdicts(run.car)
    hit = v[(v["event_id"] == eid) & (v["n_reject"] > 0)]
    return [f"{run.study.asset} [{r.start}, {r.end}] ({r.rejecting})" for r in hit.itertuples()]


def answer(eid, name):
    hits = rejecting_windows(zs, eid) + rejecting_windows(soyb, eid)
    if not hits:
        return (f"**{name}: no** — no test rejects a zero abnormal return at the 5% level in any "
                f"window, on ZS=F or on SOYB.")
    return f"**{name}: in part** — a test rejects at the 5% level in: {'; '.join(hits)}."


busan_thin = int(table.loc[(table["event_id"] == "busan-meeting") & (table["window"] == "[-1, 5]"),
                           "thin_days"].iloc[0])
Markdown(
    f"**Busan meeting (day 0 = 2025-10-30):** {sentence(zs, 'busan-meeting')}; "
    f"{sentence(soyb, 'busan-meeting')}. "
    f"**Trump–Xi call (day 0 = 2025-11-24):** {sentence(zs, 'trump-xi-call')}; "
    f"{sentence(soyb, 'trump-xi-call')}.\n\n"
    + f"Did the news move soybeans beyond what equities and the dollar explain? "
    f"{answer('busan-meeting', 'Busan meeting')} {answer('trump-xi-call', 'Trump–Xi call')}\n\n"
    + f"Caveats: each answer rests on one event, so it is as good as the model of a normal day; "
    f"{busan_thin} of the Busan [-1, 5] window's days fall in the November contract's delivery "
    f"period, which is why the SOYB answer is shown beside it; the truce was widely expected "
    f"after the Kuala Lumpur framework of 2025-10-26, so part of the news may have been priced before day −1."
)

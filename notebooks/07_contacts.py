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
# # 7. The call in its class: every Trump–Xi contact since 2017
#
# **What this page shows.** One phone call has little power, but the two
# leaders spoke or met 27 times between 2017 and 2025. This page measures
# every contact on `ZS=F` (market model on SPY and UUP, as on page 3) and sets
# the 2025-11-24 call and the Busan meeting among them: each contact's CAR
# with its 95% interval in date order, the class mean, calls against
# meetings, and contacts where agriculture came up against those where it did
# not (the catalogue's `agriculture` column), and one regression of the CARs
# on both characteristics at once. The numbers are those of
# `eventstudy run studies/trump_xi_contacts.toml`.

# %%
# %matplotlib inline
import logging
import warnings
from pathlib import Path

from IPython.display import HTML, Markdown

import eventstudy as es
from eventstudy import format as fmt
from eventstudy.exceptions import DataQualityWarning
from eventstudy.report.figures import plot_class, plot_placebo
from eventstudy.report.activity import volatility_raisers, volatility_raisers_sentence
from eventstudy.report.findings import class_mean_sentence, class_sentence, group_lines
from eventstudy.report.html import answer_box, page_table
from eventstudy.report.tables import class_table

# Data issues are listed on page 1 and each exclusion in the tables below, so the
# library's log lines are kept off this page.
warnings.simplefilter("ignore", DataQualityWarning)
logging.getLogger("eventstudy").setLevel(logging.ERROR)
NAMES = {"trump-xi-call": "the 2025-11-24 call", "busan-meeting": "the Busan meeting"}
study = es.load_study(Path("../studies/trump_xi_contacts.toml"))
contacts = es.analyse(study, size_check=True)
by_agriculture = es.analyse(study.replace(group_by="agriculture"), size_check=True)

# %% [markdown]
# ## The two 2025 contacts among the class
#
# Each contact's CAR over [0, 0] and [0, 1] with its 95% interval, top to
# bottom in date order; coloured: the 2025-11-24 call and the Busan meeting.
# The shaded band is the mean CAR of all contacts with its 95% interval
# (cross-sectional t). Most contacts are reported without a clock time, so
# their day 0 is the date's session and the news may have come after the
# close: [0, 1] is the window sure to hold it.

# %%
plot_class(contacts, highlight=study.headline_events, names=NAMES)

# %%
HTML(answer_box({"ZS=F": contacts}, study.headline_events, study.headline_windows,
                names=NAMES, question="The 2025 contacts on ZS=F"))

# %% [markdown]
# ## Every contact
#
# One row per contact and window: CAR with its interval, the three
# single-event p-values, the group (call or meeting), whether agriculture came
# up, and the flags of the window (thin trading, another event inside, a
# contract roll).

# %%
HTML(page_table(class_table(contacts, by_agriculture), caption="Every Trump–Xi contact on ZS=F",
                csv_name="contacts.csv", text_columns=("event", "kind", "agriculture", "note")))

# %% [markdown]
# ## Calls against meetings, and agriculture
#
# The test battery of page 4 on the groups: all contacts, each kind, and each
# value of the `agriculture` column. A group of one contact has no group test
# (its note says so).

# %%
contacts.tests.pivot_table(index=["group", "start", "end"], columns="test", values="p_value",
                           sort=False, dropna=False).map(fmt.pvalue)

# %%
by_agriculture.tests.pivot_table(index=["group", "start", "end"], columns="test",
                                 values="p_value", sort=False, dropna=False).map(fmt.pvalue)

# %% [markdown]
# ## What kind of contact moves the market: one regression
#
# Beside the group splits, one cross-sectional regression of the contacts'
# CARs over [0, 1] on their characteristics at once: in person (a meeting or
# the G20 dinner) against a call, and whether agriculture came up (yes,
# indirectly, against no). OLS with HC3 standard errors; with 26 contacts the
# p-value to read is the restricted wild bootstrap's (9,999 draws). A contact
# without a CAR over [0, 1] is left out and listed under the table.

# %%
contacts.regress("car ~ I(category != 'call') + C(agriculture, Treatment('no'))",
                 window=(0, 1))

# %% [markdown]
# ## Which contacts raised volatility
#
# The contacts whose variance ratio over [0, 1] — the window's abnormal
# returns' quadratic form in their covariance per day, 1 being the
# estimation period's volatility — rejects at 5% in the first
# variance-ratio test (F, then placebo) that holds its size on ZS=F; a
# contact can raise volatility with a CAR near zero.

# %%
raisers = volatility_raisers(contacts.tidy(), (0, 1))
HTML(page_table(fmt.table(raisers, pvalues=["p"], digits={"vr": 2}),
                caption="Contacts that raised volatility on ZS=F over [0, 1]",
                text_columns=("event_id", "test")))

# %% [markdown]
# ## The placebo distribution of the class mean
#
# CARs over [0, 1] of 10,000 pseudo-events on trade dates whose windows hold
# no catalogued news; the lines are the groups' mean CARs with their placebo
# p-values.

# %%
plot_placebo(contacts, (0, 1), groups=("all",))

# %% [markdown]
# ## What this page found

# %% tags=["findings"]
car = contacts.tidy()
timed = contacts.catalogue.set_index("id").loc[contacts.used_ids, ["time", "timing"]]
Markdown(
    f"{class_sentence(car, 'trump-xi-call', NAMES['trump-xi-call'], class_label='contacts')}\n\n"
    f"{class_sentence(car, 'busan-meeting', NAMES['busan-meeting'], class_label='contacts')}\n\n"
    f"{class_mean_sentence(car, (0, 0), class_label='contacts')}\n\n"
    f"{class_mean_sentence(car, (0, 1), class_label='contacts')}\n\n"
    f"By whether agriculture came up:\n\n{group_lines(by_agriculture.tests)}\n\n"
    f"{volatility_raisers_sentence(car, (0, 1), names=NAMES)}\n\n"
    f"{timed.isna().all(axis=1).sum()} of the {len(timed)} contacts are reported without a "
    "clock time or part of the day: for them day 0 is the date's session, and the news may "
    "have come after the close, so [0, 1] — shown beside [0, 0] — is the window sure to hold "
    "it, at the cost of a day of noise."
)

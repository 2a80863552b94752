"""Tests of event studies on numpy arrays (..., events, windows); nothing loops over events.

An event whose CAR is missing in a window does not count there
(``n_events`` counts the events with a CAR). A group is a set of events
with a sign each (+1, or the event's ``direction`` for the signed group);
every test runs on the signed CARs and abnormal returns.

- :mod:`~eventstudy.inference.parametric`: cross-sectional t, Patell, BMP,
  Kolari–Pynnönen;
- :mod:`~eventstudy.inference.rank`: Corrado's rank test, the generalized
  sign test, Wilcoxon's signed-rank test;
- :mod:`~eventstudy.inference.sq`: the SQ test of a single event;
- :mod:`~eventstudy.inference.placebo`: pseudo-events and placebo p-values;
- :mod:`~eventstudy.inference.variance_ratio`: the variance ratio of a
  window (abnormal volatility), its F and placebo tests;
- :mod:`~eventstudy.inference.battery`: :func:`test_battery` and
  :func:`per_event_tests`.
"""

from __future__ import annotations

from .battery import (
    GROUP_SCREEN,
    TEST_COLUMNS,
    TEST_NAMES,
    TestName,
    event_ranks,
    group_tests,
    per_event_tests,
    test_battery,
)
from .common import TestResult, multi_day_days, multi_day_windows
from .parametric import (
    KP_BLOCK,
    KP_MIN_OVERLAP,
    bmp_t,
    cross_sectional_t,
    kolari_pynnonen_t,
    patell_z,
    pooled_correlation,
)
from .placebo import Placebo, PseudoGroups, placebo_distribution, placebo_eligible
from .rank import (
    RANK_BLOCK,
    average_ranks,
    corrado_rank,
    generalized_sign_z,
    signed_ranks,
    wilcoxon_signed_rank,
)
from .sq import SQ_DRAWS, SQ_SCREEN, SQ_TIE_RTOL, sq_pvalues
from .variance_ratio import (
    VR_TEST,
    VarianceRatio,
    variance_ratio,
    vr_event_pvalues,
    vr_group_tests,
    window_inverses,
)

__all__ = ["TestName", "TEST_NAMES", "TEST_COLUMNS", "GROUP_SCREEN", "TestResult",
           "multi_day_days", "multi_day_windows",
           "KP_BLOCK", "KP_MIN_OVERLAP", "cross_sectional_t", "patell_z", "bmp_t",
           "pooled_correlation", "kolari_pynnonen_t", "RANK_BLOCK", "average_ranks",
           "signed_ranks", "corrado_rank",
           "generalized_sign_z", "wilcoxon_signed_rank", "SQ_DRAWS", "SQ_SCREEN",
           "SQ_TIE_RTOL", "sq_pvalues", "Placebo", "PseudoGroups", "placebo_eligible",
           "placebo_distribution", "event_ranks", "group_tests", "test_battery",
           "per_event_tests", "VR_TEST", "VarianceRatio", "variance_ratio", "vr_event_pvalues",
           "vr_group_tests", "window_inverses"]

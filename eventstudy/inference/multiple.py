"""Multiple testing: Holm's and Benjamini–Hochberg's adjustments of a family of p-values.

A *family* is one window of one study across its events (and across its
assets when the study has several): the graded p-values of that window
(``lead_p`` of the tidy table) are adjusted together. A row without a
graded p-value (no test holds its size, or no size check) is not a member of
the family and has no adjusted p.
"""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

__all__ = ["FAMILY_KEYS", "MULTIPLICITY_COLUMNS", "MULTIPLICITY_LEVELS", "adjust_pvalues",
           "survivors"]

#: The columns that name a family in a tidy table: one window.
FAMILY_KEYS = ("start", "end")

#: The levels at which survivors are counted.
MULTIPLICITY_LEVELS = (0.05, 0.10)

#: Columns of :func:`survivors`.
MULTIPLICITY_COLUMNS = ["start", "end", "n_rows", "n_graded", "holm_5", "holm_10", "bh_5",
                        "bh_10", "raw_5", "raw_10"]


def adjust_pvalues(frame, p: str = "lead_p", by=FAMILY_KEYS) -> pd.DataFrame:
    """Holm's and Benjamini–Hochberg's adjusted p-values of each family of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A tidy table (one row per event, window and asset).
    p : str
        The column adjusted (the graded, leading test's p-value).
    by : sequence of str
        The columns whose values name a family.

    Returns
    -------
    pandas.DataFrame
        Same index: ``p_holm, p_bh``; missing where ``p`` is missing.

    Notes
    -----
    With the m finite p-values of a family sorted, p_(1) ≤ … ≤ p_(m), Holm's
    step-down adjustment is p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j)),
    which controls the family-wise error rate; Benjamini and Hochberg's
    step-up adjustment is p̃_(i) = min_{j ≥ i} min(1, m p_(j) / j), which
    controls the false discovery rate (under independence or positive
    dependence). Both by statsmodels' ``multipletests`` (``"holm"``,
    ``"fdr_bh"``).

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test
    procedure. Scandinavian Journal of Statistics, 6(2), 65-70.
    Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate:
    a practical and powerful approach to multiple testing. Journal of the
    Royal Statistical Society B, 57(1), 289-300.
    """
    values = frame[p].to_numpy(dtype=float) if len(frame) else np.zeros(0)
    holm = np.full(values.size, np.nan)
    bh = np.full(values.size, np.nan)
    if values.size:
        keys = frame[list(by)].astype(str).agg("\0".join, axis=1).to_numpy()
        # multipletests' Holm branch runs a full garbage collection; frozen objects
        # are left out of it, so it costs microseconds instead of a pass over the heap
        gc.freeze()
        try:
            for key in dict.fromkeys(keys):
                rows = np.flatnonzero((keys == key) & np.isfinite(values))
                if rows.size:
                    holm[rows] = multipletests(values[rows], method="holm")[1]
                    bh[rows] = multipletests(values[rows], method="fdr_bh")[1]
        finally:
            gc.unfreeze()
    return pd.DataFrame({"p_holm": holm, "p_bh": bh}, index=frame.index)


def survivors(frame, p: str = "lead_p", by=FAMILY_KEYS) -> pd.DataFrame:
    """How many graded findings of each window survive each correction at 5% and 10%.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``start``, ``end`` and the graded p-value column ``p``
        (the whole family: every event, and every asset of a stacked table).

    Returns
    -------
    pandas.DataFrame
        :data:`MULTIPLICITY_COLUMNS`, one row per window in order of appearance:
        ``n_rows`` (events × assets with a row), ``n_graded`` (with a graded p),
        and the number with p below 5% and 10% after Holm (``holm_*``),
        Benjamini–Hochberg (``bh_*``) and unadjusted (``raw_*``).
    """
    if not len(frame):
        return pd.DataFrame(columns=MULTIPLICITY_COLUMNS)
    adjusted = adjust_pvalues(frame, p, by)
    raw = frame[p].astype(float)
    rows = []
    for (a, b), block in frame.groupby(list(by), sort=False):
        i = block.index
        row = {"start": int(a), "end": int(b), "n_rows": len(block),
               "n_graded": int(raw[i].notna().sum())}
        for level in MULTIPLICITY_LEVELS:
            tag = f"{round(100 * level)}"
            row[f"holm_{tag}"] = int((adjusted.loc[i, "p_holm"] < level).sum())
            row[f"bh_{tag}"] = int((adjusted.loc[i, "p_bh"] < level).sum())
            row[f"raw_{tag}"] = int((raw[i] < level).sum())
        rows.append(row)
    return pd.DataFrame(rows, columns=MULTIPLICITY_COLUMNS)

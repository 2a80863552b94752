"""Did an event move volatility or volume? Readings of the tidy and volume tables.

Each function takes the tidy table of a results object (``vr, vr_p,
vr_placebo_p, vr_lead_test, vr_lead_p``) and its volume table
(:meth:`EventStudyResults.volume`) and returns a table or text; a
variance-ratio p-value is graded only where its test holds its size on the
asset (``vr_lead_test``). The volume tests are not size-checked: their
p-values are given, never graded.
"""

from __future__ import annotations

import pandas as pd

from .. import format as fmt
from ..config import EVENT_TEST_LABELS

__all__ = ["ACTIVITY_COLUMNS", "activity_sentence", "activity_table", "volatility_raisers",
           "volatility_raisers_sentence"]

#: Columns of :func:`activity_table`.
ACTIVITY_COLUMNS = ["event", "window", "variance ratio", "F p", "placebo p", "graded",
                    "abnormal volume", "volume p", "volume placebo p", "note"]


def _row(frame, event_id, window):
    rows = frame[(frame["event_id"] == event_id) & (frame["start"] == window[0])
                 & (frame["end"] == window[1])]
    return rows.iloc[0] if len(rows) else None


def _vr_grade(rec) -> str:
    """The graded reading of a tidy row's variance ratio, with its test."""
    if rec is None or pd.isna(rec["vr"]):
        return "no variance ratio"
    test = rec["vr_lead_test"]
    if not isinstance(test, str) or not test:
        return "not graded (no variance-ratio test holds its size here)"
    return (f"{fmt.evidence_phrase(rec['vr_lead_p'])} ({EVENT_TEST_LABELS[test]}, "
            f"p = {fmt.pvalue(rec['vr_lead_p'])})")


def activity_table(tidy, volume, event_ids, windows, names=None) -> pd.DataFrame:
    """One row per event and window: the variance ratio and its tests, the abnormal volume.

    Parameters
    ----------
    tidy : DataFrame
        :meth:`EventStudyResults.tidy`.
    volume : DataFrame
        :meth:`EventStudyResults.volume` (may be empty: an asset without volume).
    event_ids : sequence of str
    windows : sequence of (int, int)
    names : dict, optional
        Event id -> name shown.

    Returns
    -------
    DataFrame
        :data:`ACTIVITY_COLUMNS`, every cell formatted (:mod:`eventstudy.format`);
        ``abnormal volume`` the CAV in log points as a percentage.
    """
    names = names or {}
    out = []
    for e in event_ids:
        for w in windows:
            rec, vol = _row(tidy, e, w), (_row(volume, e, w) if len(volume) else None)
            out.append({
                "event": names.get(e, e), "window": fmt.window(*w),
                "variance ratio": fmt.number(None if rec is None else rec["vr"], 2),
                "F p": fmt.pvalue(None if rec is None else rec["vr_p"]),
                "placebo p": fmt.pvalue(None if rec is None else rec["vr_placebo_p"]),
                "graded": _vr_grade(rec),
                "abnormal volume": fmt.pct(None if vol is None else vol["cav"], 1),
                "volume p": fmt.pvalue(None if vol is None else vol["p"]),
                "volume placebo p": fmt.pvalue(None if vol is None else vol["placebo_p"]),
                "note": volume.attrs.get("note", "no volume row") if vol is None
                else vol["note"]})
    return pd.DataFrame(out, columns=ACTIVITY_COLUMNS)


def activity_sentence(tidy, volume, event_id, window, *, name=None) -> str:
    """Whether an event moved volatility or volume over one window, in one or two sentences."""
    rec = _row(tidy, event_id, window)
    name = name or event_id
    where = fmt.window(*window)
    if rec is None or pd.isna(rec["vr"]):
        vol_text = f"{name} has no variance ratio over {where}"
    else:
        vol_text = (f"Over {where} the variance ratio of {name} is {fmt.number(rec['vr'], 2)} "
                    f"(1 is the estimation period's volatility): {_vr_grade(rec)}")
    vol = _row(volume, event_id, window) if len(volume) else None
    if vol is None:
        why = volume.attrs.get("note", "") or "no abnormal volume for this window"
        return f"{vol_text}. Volume: {why}."
    if pd.isna(vol["cav"]):
        return f"{vol_text}. Volume: {vol['note']}."
    return (f"{vol_text}. Its abnormal log volume is {fmt.pct(vol['cav'], 1)} over "
            f"{int(vol['n_days'])} day{'s' if vol['n_days'] != 1 else ''} (t test p = "
            f"{fmt.pvalue(vol['p'])}, placebo p = {fmt.pvalue(vol['placebo_p'])}; the volume "
            "tests are not size-checked, so not graded).")


def volatility_raisers(tidy, window, alpha: float = 0.05) -> pd.DataFrame:
    """The events whose graded variance ratio over ``window`` rejects at ``alpha``.

    Returns
    -------
    DataFrame
        ``event_id, trade_date, vr, test, p`` sorted by VR, largest first; empty
        when none rejects or no variance-ratio test holds its size here.
    """
    rows = tidy[(tidy["start"] == window[0]) & (tidy["end"] == window[1])]
    graded = rows[rows["vr_lead_test"].astype(str) != ""]
    hit = graded[graded["vr_lead_p"] < alpha].sort_values("vr", ascending=False)
    return pd.DataFrame({"event_id": hit["event_id"], "trade_date": hit["trade_date"],
                         "vr": hit["vr"], "test": hit["vr_lead_test"],
                         "p": hit["vr_lead_p"]}).reset_index(drop=True)


def volatility_raisers_sentence(tidy, window, alpha: float = 0.05, names=None) -> str:
    """How many events raised volatility over ``window``, and which."""
    rows = tidy[(tidy["start"] == window[0]) & (tidy["end"] == window[1]) & tidy["vr"].notna()]
    where = fmt.window(*window)
    if not len(rows):
        return f"No event has a variance ratio over {where}."
    if not (rows["vr_lead_test"].astype(str) != "").any():
        return (f"Over {where} no variance-ratio test holds its size on this asset, so no "
                f"event's volatility is graded (median variance ratio "
                f"{fmt.number(rows['vr'].median(), 2)} across {len(rows)} events).")
    hit = volatility_raisers(tidy, window, alpha)
    names = names or {}
    test = EVENT_TEST_LABELS[str(rows["vr_lead_test"].iloc[0])]
    listed = ", ".join(f"{names.get(e, e)} ({fmt.number(v, 2)})"
                       for e, v in zip(hit["event_id"], hit["vr"], strict=True))
    return (f"Over {where}, {len(hit)} of {len(rows)} events raised volatility ({test} "
            f"p < {alpha:g}, variance ratio in brackets)" + (f": {listed}." if listed else "."))

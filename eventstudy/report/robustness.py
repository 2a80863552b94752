"""Robustness: the same study under variants of its choices, and which conclusions move."""

from __future__ import annotations

__all__ = ["asset_size_checks", "robustness_table", "robustness_variants", "synthetic_variant"]


def synthetic_variant(base):
    """The study's own variant with ``model = "synthetic"``, as ``(label, study)``
    (StudyConfigError without one).
    """
    from ..exceptions import StudyConfigError

    for label, changes in base.variants.items():
        if changes.get("model") == "synthetic":
            return label, base.replace(**changes)
    raise StudyConfigError(
        f"{base.path or 'Study'}: variants: no variant with model = \"synthetic\" (variants: "
        f"{', '.join(map(repr, base.variants)) or 'none'}); add one, e.g. \"synthetic control\" "
        f"= {{ model = \"synthetic\", donors = [\"ZC=F\", \"ZW=F\"] }}")


def robustness_variants(base) -> dict:
    """The variants of a study that :func:`robustness_table` compares, the base first.

    The constant-mean model; market-adjusted and market model on the first
    factor; Dimson (1979) leads and lags; a half-length estimation window;
    thin-trading days kept; then the study's own ``variants``. Returns label ->
    changes to the base (:meth:`eventstudy.Study.replace`).
    """
    f = tuple(base.factors)
    t0, t1 = base.estimation
    half = (t1 - t0 + 1) // 2
    short = (t1 - half + 1, t1)
    on = base.donors if base.model == "synthetic" else f
    out = {f"base: {base.model} model" + (f" on {'+'.join(on)}" if on else ""): {}}
    # a model change leaves the base's lags and donors behind
    reset = {**({"factor_lags": (0,)} if tuple(base.factor_lags) != (0,) else {}),
             **({"donors": ()} if base.donors else {})}
    if base.model != "constant-mean":
        out["constant-mean model"] = {"model": "constant-mean", "factors": (), **reset}
    if f and base.model != "market-adjusted":
        out[f"market-adjusted ({f[0]})"] = {"model": "market-adjusted", "factors": (f[0],),
                                            **reset}
    if len(f) > 1 and base.model == "market":
        out[f"market model, {f[0]} only"] = {"factors": (f[0],)}
    if f and base.model == "market" and tuple(base.factor_lags) == (0,):
        out["market model with leads and lags (Dimson: days -1, 0, +1)"] = {
            "factor_lags": (-1, 0, 1)}
    out[f"estimation window [{short[0]}, {short[1]}]"] = {
        "estimation": short, "min_estimation_days": min(base.min_estimation_days, half // 2)}
    if base.exclude_thin_trading:
        out["thin-trading days kept in estimation"] = {"exclude_thin_trading": False}
    out.update(base.variants)
    return out


def robustness_table(base, event_ids, window, variants=None, *, prices_dir=None,
                     alpha: float = 0.05, windows=None, dummy: bool = False, base_run=None,
                     size_check: bool = True):
    """How each variant of a study changes the CAR and the verdict of chosen events.

    Parameters
    ----------
    window : (int, int)
        The CAR window compared across variants.
    variants : dict of str -> dict, optional
        Label -> changes; default :func:`robustness_variants` (the first is the base).
    windows : list of (int, int), optional
        Other windows of the base run added as rows.
    dummy : bool
        Add the base's dummy-variable regression over ``window`` (OLS,
        window-HAC and Newey–West HAC p-values).
    base_run : EventStudyResults, optional
        The base study's run, if already computed.
    size_check : bool
        Count only the leading single-event test of each variant; off, every test.

    Returns
    -------
    pandas.DataFrame
        ``dimension, variant, window, event_id, car_pct, p, sq_p, placebo_p,
        n_reject, verdict, moves, sign_flip``: ``moves`` when the rejection at
        ``alpha`` differs from the base's or the event is excluded,
        ``sign_flip`` when the CAR's sign differs.
    """
    import pandas as pd

    from ..analysis import analyse
    from .findings import event_verdicts, verdict

    nan = float("nan")
    variants = robustness_variants(base) if variants is None else variants
    base_label = next(iter(variants))

    def rows_of(label, dimension, run, win):
        car = run.car[(run.car["start"] == win[0]) & (run.car["end"] == win[1])]
        if not size_check:
            car = car.drop(columns=["lead_test", "lead_p", "lead_size"])
        verdicts = event_verdicts(car, alpha).set_index("event_id")
        out = []
        for eid in event_ids:
            hit = car[car["event_id"] == eid]
            row = {"dimension": dimension, "variant": label, "window": f"[{win[0]}, {win[1]}]",
                   "event_id": eid}
            if hit.empty:
                reason = run.events.set_index("event_id").loc[eid, "reason"]
                out.append({**row, "car_pct": nan, "p": nan, "sq_p": nan, "placebo_p": nan,
                            "n_reject": 0, "verdict": f"excluded: {reason}"})
                continue
            rec = hit.iloc[0]
            v = verdicts.loc[eid]
            out.append({**row, "car_pct": 100 * rec["car"], "p": rec["p"], "sq_p": rec["sq_p"],
                        "placebo_p": rec["placebo_p"], "n_reject": int(v["n_reject"]),
                        "verdict": v["verdict"]})
        return out

    rows = []
    for label, changes in variants.items():
        if label == base_label and base_run is not None and not changes:
            run = base_run
        else:
            run = analyse(base.replace(**changes), prices_dir=prices_dir, size_check=size_check)
        if label == base_label:
            base_run = run
        dimension = "base" if label == base_label else _dimension(changes)
        rows += rows_of(label, dimension, run, window)
    for win in windows or ():
        if tuple(win) != tuple(window):
            rows += rows_of(f"base, window [{win[0]}, {win[1]}]", "event window", base_run, win)
    if dummy:
        reg = base_run.dummy_regression()
        reg = reg[reg["event_id"].isin(list(event_ids))]
        reg = reg[(reg["start"] == window[0]) & (reg["end"] == window[1])].set_index("event_id")
        for label, col, note in (
            ("dummy regression, OLS se", "p", ""),
            ("dummy regression, window-HAC se", "p_window", ""),
            ("dummy regression, Newey–West HAC se (diagnostic)", "p_hac",
             " — HAC se of one-observation dummies, unreliable"),
        ):
            if col not in reg.columns:
                continue
            for eid in event_ids:
                car = reg.loc[eid, "car"] if eid in reg.index else nan
                p = reg.loc[eid, col] if eid in reg.index else nan
                rejecting = ["t test"] if p < alpha else []
                rows.append({"dimension": "dummy regression", "variant": label,
                             "window": f"[{window[0]}, {window[1]}]", "event_id": eid,
                             "car_pct": 100 * car, "p": p, "sq_p": nan, "placebo_p": nan,
                             "n_reject": len(rejecting),
                             "verdict": verdict(rejecting, int(pd.notna(p))) + note})
    table = pd.DataFrame(rows)
    base_rows = table[table["variant"] == base_label].set_index("event_id")
    sign = table["car_pct"].gt(0)
    base_sign = table["event_id"].map(base_rows["car_pct"].gt(0))
    base_reject = table["event_id"].map(base_rows["n_reject"].gt(0))
    missing = table["car_pct"].isna()
    table["moves"] = (table["n_reject"].gt(0) != base_reject) | missing
    table["sign_flip"] = (sign != base_sign) & ~missing
    return table


def _dimension(changes: dict) -> str:
    names = {"model": "model", "factors": "factors", "estimation": "estimation window",
             "exclude_thin_trading": "thin trading", "asset": "asset", "donors": "model",
             "factor_lags": "factor lags"}
    for key in changes:
        if key in names:
            return names[key]
    return ", ".join(changes) or "base"


def asset_size_checks(base, assets, *, prices_dir=None):
    """The size check of a study's single-event tests on each of several assets:
    ``asset, test, window, size (%), mc_se (%), verdict`` and the detectable move.
    """
    import pandas as pd

    from ..analysis import analyse

    frames = []
    for asset in assets:
        factors = [f for f in base.factors if f != asset]
        run = analyse(base.replace(asset=asset, factors=factors), prices_dir=prices_dir,
                      size_check=True)
        frames.append(run.size_summary().assign(asset=asset))
    table = pd.concat(frames, ignore_index=True)
    mde = [c for c in table.columns if c.startswith("detectable")][0]
    return table[["asset", "test", "window", "size (%)", "mc_se (%)", "verdict", mde]]

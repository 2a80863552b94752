"""Cross-sectional regression of CARs on event characteristics.

:func:`regression_frame` joins one window's CARs (and their standard errors)
with the columns of the events file; :func:`regress_cars` fits a statsmodels
formula on it — OLS, or WLS with weights 1/se(CAR)² — with HC3 standard
errors, and a restricted wild bootstrap p-value per coefficient
(:func:`wild_bootstrap_pvalues`). The answer is a :class:`CrossSection`:
``tidy()``, ``summary()`` (text, HTML, Markdown), ``n_events`` and
``left_out`` (every event not in the regression, with why).
"""

from __future__ import annotations

import ast
import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import format as fmt
from .exceptions import InferenceError
from .options import RegressionWeights, check_option

__all__ = ["BOOTSTRAP_DRAWS", "CROSS_SECTION_COLUMNS", "CrossSection", "CrossSections",
           "LEFT_OUT_COLUMNS", "rademacher", "regress_cars", "regression_frame",
           "wild_bootstrap_pvalues"]

#: Draws of the wild bootstrap (α(B + 1) is an integer at every usual α).
BOOTSTRAP_DRAWS = 9_999

#: Columns of :meth:`CrossSection.tidy`.
CROSS_SECTION_COLUMNS = ["term", "coef", "se", "t", "p", "p_wild", "ci_low", "ci_high", "n"]

#: Columns of :attr:`CrossSection.left_out`.
LEFT_OUT_COLUMNS = ["event_id", "reason"]

#: Relative tolerance under which a bootstrap |t*| equal to |t| counts as at least as extreme.
_TIE_RTOL = 1e-10


def _missing(values: pd.Series) -> np.ndarray:
    """Missing cells: NaN/None/NA, or text that is empty after stripping."""
    miss = values.isna().to_numpy()
    text = values.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    return miss | text


def formula_columns(formula: str, columns) -> list[str]:
    """The columns of ``columns`` a statsmodels (patsy) formula reads, in order of use."""
    from patsy import ModelDesc

    try:
        desc = ModelDesc.from_formula(formula)
    except Exception as exc:  # patsy's PatsyError and Python's SyntaxError
        raise InferenceError(f"formula {formula!r} cannot be read: {exc}; write it as "
                             "'car ~ characteristic + C(category)'") from None
    known = set(map(str, columns))
    names = []
    for term in [*desc.lhs_termlist, *desc.rhs_termlist]:
        for factor in term.factors:
            for node in ast.walk(ast.parse(factor.code, mode="eval")):
                if isinstance(node, ast.Name) and node.id in known:
                    names.append(node.id)
    return list(dict.fromkeys(names))


def regression_frame(tidy, characteristics, event_ids, window, *, excluded=None):
    """One window's CARs joined with the events' characteristics.

    Parameters
    ----------
    tidy : pandas.DataFrame
        One asset's tidy table (``event_id, start, end, car, car_se, note``).
    characteristics : pandas.DataFrame
        The events file's rows, indexed by event id (every column of the file).
    event_ids : sequence of str
        Every event of the study, in order.
    window : (int, int)
    excluded : dict, optional
        Event id -> why the study left it out.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The events with a CAR in the window — the file's columns, ``event_id``,
        ``car`` and ``car_se`` — and the events without one
        (:data:`LEFT_OUT_COLUMNS`).
    """
    a, b = (int(v) for v in window)
    rows = tidy[(tidy["start"] == a) & (tidy["end"] == b)].set_index("event_id")
    excluded = dict(excluded or {})
    chars = characteristics.copy()
    chars.index = chars.index.astype(str)
    keep, out = [], []
    for e in map(str, event_ids):
        if e in rows.index and np.isfinite(rows.at[e, "car"]):
            keep.append(e)
        elif e in rows.index:
            out.append((e, str(rows.at[e, "note"] or "no CAR in the window")))
        else:
            out.append((e, f"excluded from the study: {excluded.get(e, 'not estimated')}"))
    if not set(keep) <= set(chars.index):
        gone = ", ".join(sorted(set(keep) - set(chars.index)))
        raise InferenceError(f"events {gone} are not in the events table; pass the events "
                             "file the study was fitted on")
    frame = chars.loc[keep].drop(columns=["car", "car_se"], errors="ignore")
    frame = frame.assign(event_id=keep, car=rows.loc[keep, "car"].to_numpy(dtype=float),
                         car_se=rows.loc[keep, "car_se"].to_numpy(dtype=float))
    return frame.reset_index(drop=True), pd.DataFrame(out, columns=LEFT_OUT_COLUMNS)


def rademacher(draws: int, n: int, seed) -> np.ndarray:
    """Rademacher weights, (draws, n): 2·U − 1 with U = ``default_rng(seed).integers(0, 2,
    size=(draws, n))``; row b is draw b."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=(draws, n)).astype(np.float64) * 2.0 - 1.0


def _hc3(X):
    """(X'X)⁻¹X' (k, n) and the HC3 scale 1/(1 − h_i)² of each observation."""
    A = np.linalg.solve(X.T @ X, X.T)
    h = np.einsum("ij,ji->i", X, A)
    return A, 1.0 / (1.0 - h) ** 2


def wild_bootstrap_pvalues(y, X, *, draws: int = BOOTSTRAP_DRAWS, seed=0):
    """HC3 t statistics and restricted wild bootstrap p-values of every coefficient.

    Parameters
    ----------
    y : array (n,)
    X : array (n, k)
        The design (whitened by √w for WLS: y and X multiplied by √w_i).
    draws : int
        Bootstrap draws B.
    seed : int or sequence of int
        Seed of :func:`rademacher`; one matrix of weights serves every coefficient.

    Returns
    -------
    (ndarray, ndarray)
        t (k,) and p (k,).

    Notes
    -----
    For coefficient j, the restricted fit regresses y on X without column j:
    ỹ = X₋ⱼβ̃, ũ = y − ỹ. Draw b is y*_b = ỹ + ũ ⊙ v_b with Rademacher v_b;
    it is fitted by OLS on the whole X and studentised with the same HC3
    errors, Var(β̂) = A diag(û²/(1 − h)²) A', A = (X'X)⁻¹X', h the hat
    diagonal: t*_b = β*_bj / se*_bj (the null value is 0).
    p = (1 + #{b : |t*_b| ≥ |t|}) / (B + 1) (never zero; a tie within a
    relative 1e-10 counts). Vectorised over draws: A and h are computed once.

    References
    ----------
    Davidson, R., MacKinnon, J. G. (2010). Wild bootstrap tests for IV
    regression. Journal of Business & Economic Statistics, 28(1), 128-144.
    MacKinnon, J. G., White, H. (1985). Some heteroskedasticity-consistent
    covariance matrix estimators with improved finite sample properties.
    Journal of Econometrics, 29(3), 305-325.
    """
    y = np.asarray(y, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    A, scale = _hc3(X)
    u = y - X @ (A @ y)
    t = (A @ y) / np.sqrt((A**2 * (u**2 * scale)).sum(axis=1))
    v = rademacher(draws, y.size, seed)
    p = np.full(X.shape[1], np.nan)
    for j in range(X.shape[1]):
        Xr = np.delete(X, j, axis=1)
        fitted = Xr @ np.linalg.lstsq(Xr, y, rcond=None)[0] if Xr.shape[1] else np.zeros_like(y)
        star = fitted + (y - fitted) * v  # (B, n)
        resid = star - (star @ A.T) @ X.T
        t_star = (star @ A[j]) / np.sqrt((resid**2 * scale) @ A[j] ** 2)
        hits = np.abs(t_star) >= np.abs(t[j]) * (1.0 - _TIE_RTOL)
        p[j] = (1.0 + hits.sum()) / (draws + 1.0)
    return t, p


def _check_design(model, formula: str, ids) -> None:
    """A clear error for a design the HC3 errors cannot use."""
    X = model.exog
    n, k = X.shape
    if n <= k:
        raise InferenceError(f"regression {formula!r}: {n} events for {k} coefficients; the "
                             "regression needs more events than coefficients (use fewer "
                             "characteristics or a longer list of events)")
    if np.linalg.matrix_rank(X) < k:
        raise InferenceError(f"regression {formula!r}: the characteristics are collinear "
                             f"({', '.join(model.exog_names)}); drop one of them")
    h = np.einsum("ij,ji->i", X, np.linalg.pinv(X))
    alone = [str(e) for e, hi in zip(ids, h, strict=True) if hi > 1.0 - 1e-8]
    if alone:
        raise InferenceError(
            f"regression {formula!r}: event{'s' if len(alone) > 1 else ''} {', '.join(alone)} "
            "alone determine a coefficient (leverage 1, e.g. the only event of a category), so "
            "its HC3 standard error is undefined; merge the category with another")


def _fit(frame, formula, weights):
    """The statsmodels model of ``formula`` on ``frame`` (WLS with weights 1/car_se²)."""
    import statsmodels.formula.api as smf
    from patsy import PatsyError

    try:
        if weights == "inverse_variance":
            return smf.wls(formula, frame, weights=1.0 / frame["car_se"] ** 2)
        return smf.ols(formula, frame)
    except PatsyError as exc:
        cols = ", ".join(c for c in frame.columns if c not in ("car_se",))
        raise InferenceError(f"formula {formula!r}: {exc.message}; columns: {cols}") from None


def _plain_types(frame) -> pd.DataFrame:
    """Nullable and string columns as plain numpy dtypes (what patsy reads)."""
    out = frame.copy()
    for c in out.columns:
        dtype = out[c].dtype
        if isinstance(dtype, pd.BooleanDtype):
            out[c] = out[c].astype(bool)
        elif pd.api.types.is_extension_array_dtype(dtype) and pd.api.types.is_numeric_dtype(dtype):
            out[c] = out[c].astype(np.float64)
        elif pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
            out[c] = out[c].astype(object)
    return out


def regress_cars(frame, formula: str, *, window, weights: RegressionWeights | None = None,
                 bootstrap: int = BOOTSTRAP_DRAWS, seed=0, left_out=None,
                 asset: str = "") -> CrossSection:
    """Regress one window's CARs on event characteristics (:func:`regression_frame`).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per event with a CAR: ``event_id, car, car_se`` and the
        characteristics.
    formula : str
        A statsmodels formula on the frame's columns, e.g.
        ``"car ~ agriculture + C(kind)"``.
    window : (int, int)
    weights : None or "inverse_variance"
        OLS, or WLS with weights 1/car_se².
    bootstrap : int
        Wild bootstrap draws (0: no bootstrap p).
    seed : int
    left_out : pandas.DataFrame, optional
        Events without a CAR (:data:`LEFT_OUT_COLUMNS`); events with a
        missing characteristic (or, for WLS, no standard error) are added.

    Returns
    -------
    CrossSection

    Notes
    -----
    The fit is statsmodels' ``ols``/``wls(...).fit(cov_type="HC3")``: the
    coefficients, HC3 standard errors, z statistics, normal p-values and
    intervals. ``p_wild`` is the restricted wild bootstrap p-value of
    :func:`wild_bootstrap_pvalues` on the (whitened) design, the small-sample
    p-value to read.
    """
    if weights is not None:
        check_option("weights", weights, RegressionWeights)
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) \
            or bootstrap < 0:
        raise InferenceError(f"bootstrap must be a number of draws (0 for none); got "
                             f"{bootstrap!r}")
    used = formula_columns(formula, frame.columns)
    missing = np.column_stack([_missing(frame[c]) for c in used]) if used else \
        np.zeros((len(frame), 0), dtype=bool)
    reasons = ["missing " + ", ".join(c for c, m in zip(used, row, strict=True) if m)
               if row.any() else "" for row in missing]
    if weights == "inverse_variance":
        se = frame["car_se"].to_numpy(dtype=float)
        bad = ~(np.isfinite(se) & (se > 0))
        reasons = [r or ("no standard error of its CAR (the weights 1/se² need one)" if b else "")
                   for r, b in zip(reasons, bad, strict=True)]
    drop = np.array([bool(r) for r in reasons], dtype=bool)
    more = pd.DataFrame({"event_id": frame["event_id"].to_numpy()[drop],
                         "reason": np.asarray(reasons, dtype=object)[drop]})
    left = pd.concat([x for x in (left_out, more) if x is not None and len(x)],
                     ignore_index=True) if (left_out is not None and len(left_out)) or len(more) \
        else pd.DataFrame(columns=LEFT_OUT_COLUMNS)
    data = _plain_types(frame.loc[~drop].reset_index(drop=True))
    model = _fit(data, formula, weights)
    _check_design(model, formula, data["event_id"].to_numpy()[model.data.row_labels])
    fit = model.fit(cov_type="HC3")
    p_wild = np.full(len(fit.params), np.nan)
    if bootstrap:
        _, p_wild = wild_bootstrap_pvalues(model.wendog, model.wexog, draws=int(bootstrap),
                                           seed=seed)
    return CrossSection(fit=fit, formula=formula, window=tuple(int(v) for v in window),
                        weights=weights, p_wild=pd.Series(p_wild, index=fit.params.index),
                        draws=int(bootstrap), seed=seed, data=data,
                        left_out=left.reset_index(drop=True)[LEFT_OUT_COLUMNS], asset=asset)


class CrossSection:
    """A cross-sectional regression of one window's CARs (:func:`regress_cars`).

    Attributes
    ----------
    fit : statsmodels RegressionResults
        The HC3 fit (``params``, ``bse``, ``tvalues``, ``pvalues``, ``conf_int``).
    formula, window, weights, draws, seed, asset
    p_wild : pandas.Series
        The restricted wild bootstrap p-value of each coefficient.
    data : pandas.DataFrame
        The events used, one row each.
    left_out : pandas.DataFrame
        ``event_id, reason`` of every event not in the regression.
    """

    def __init__(self, *, fit, formula, window, weights, p_wild, draws, seed, data, left_out,
                 asset=""):
        self.fit, self.formula, self.window, self.weights = fit, formula, window, weights
        self.p_wild, self.draws, self.seed, self.data = p_wild, draws, seed, data
        self.left_out, self.asset = left_out, asset

    @property
    def n_events(self) -> int:
        """Events in the regression."""
        return int(self.fit.nobs)

    @property
    def params(self) -> pd.Series:
        return self.fit.params

    @property
    def bse(self) -> pd.Series:
        return self.fit.bse

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        return self.fit.conf_int(alpha)

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per coefficient: :data:`CROSS_SECTION_COLUMNS` (``ci_*`` at 1 − α)."""
        f = self.fit
        ci = np.asarray(f.conf_int(alpha))
        return pd.DataFrame({
            "term": list(f.params.index), "coef": f.params.to_numpy(), "se": f.bse.to_numpy(),
            "t": np.asarray(f.tvalues), "p": np.asarray(f.pvalues),
            "p_wild": self.p_wild.to_numpy(), "ci_low": ci[:, 0], "ci_high": ci[:, 1],
            "n": self.n_events,
        })[CROSS_SECTION_COLUMNS]

    def facts(self) -> tuple:
        """The regression's settings, as (label, text) pairs."""
        how = ("WLS, weights 1/se(CAR)²" if self.weights == "inverse_variance" else "OLS")
        return tuple(x for x in (
            ("Asset", self.asset) if self.asset else None,
            ("Regression", f"{self.formula}, CAR over {fmt.window(*self.window)}"),
            ("Estimator", f"{how}; HC3 standard errors"),
            ("Events", f"{self.n_events} used, {len(self.left_out)} left out"),
            ("Wild bootstrap", f"restricted, Rademacher, {self.draws:,} draws (seed "
                               f"{self.seed})" if self.draws else "off"),
        ) if x is not None)

    def summary(self, alpha: float = 0.05) -> CrossSectionSummary:
        """The regression for reading: settings, coefficient table, notes."""
        t = self.tidy(alpha)
        shown = pd.DataFrame({
            "term": t["term"], "coef (%)": [fmt.pct(x, 3) for x in t["coef"]],
            "se (%)": [fmt.pct(x, 3, sign=False) for x in t["se"]],
            "z": [fmt.number(x, 2) for x in t["t"]], "p (HC3)": [fmt.pvalue(x) for x in t["p"]],
            "p (wild bootstrap)": [fmt.pvalue(x) for x in t["p_wild"]],
            f"{100 * (1 - alpha):g}% interval (%)": [fmt.interval(a, b, 3) for a, b in
                                                    zip(t["ci_low"], t["ci_high"], strict=True)],
        })
        notes = tuple(f"{e} left out: {why}" for e, why in
                      zip(self.left_out["event_id"], self.left_out["reason"], strict=True))
        return CrossSectionSummary(
            title=f"CARs over {fmt.window(*self.window)} on event characteristics",
            facts=self.facts(), table=shown, notes=notes, reading=_READING)

    def __str__(self) -> str:
        return str(self.summary())

    def __repr__(self) -> str:
        return f"<CrossSection {self.formula!r} {fmt.window(*self.window)}: n={self.n_events}>"

    def _repr_html_(self) -> str:
        return self.summary().to_html()


_READING = ("Coefficients are in % of the return per unit of the characteristic (a category: "
            "its difference from the base category). p (HC3) is the normal approximation with "
            "HC3 errors; with few events read the wild bootstrap p, which imposes the "
            "coefficient's null and keeps each event's own variance (Davidson and MacKinnon "
            "2010).")


class CrossSectionSummary:
    """A :class:`CrossSection` for reading: text, HTML and Markdown from the same parts."""

    def __init__(self, *, title, facts, table, notes, reading, parts=None):
        self.title, self.facts, self.table = title, tuple(facts), table
        self.notes, self.reading = tuple(notes), reading
        self.parts = parts  # [(facts, table, notes)] of several assets

    def _blocks(self):
        return self.parts or [(self.facts, self.table, self.notes)]

    def __str__(self) -> str:
        lines = [self.title, "=" * len(self.title)]
        for facts, table, notes in self._blocks():
            width = max((len(k) for k, _ in facts), default=0)
            lines += [""] + [f"{k.ljust(width)} : {v}" for k, v in facts]
            lines += [fmt.text_table(table)] + [f"  {n}" for n in notes]
        return "\n".join([*lines, "", self.reading])

    __repr__ = __str__

    def to_html(self) -> str:
        e = html.escape
        out = [f"<div class='eventstudy-summary'><h4>{e(self.title)}</h4>"]
        for facts, table, notes in self._blocks():
            out.append("<table>" + "".join(f"<tr><th style='text-align:left'>{e(k)}</th>"
                                           f"<td style='text-align:left'>{e(v)}</td></tr>"
                                           for k, v in facts) + "</table>")
            out.append(table.to_html(index=False, escape=True, border=0))
            out += ["<ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>"] * bool(notes)
        return "".join([*out, f"<p>{e(self.reading)}</p></div>"])

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_markdown(self) -> str:
        out = [f"## {self.title}", ""]
        for facts, table, notes in self._blocks():
            out += [f"- {k}: {v}" for k, v in facts] + ["", fmt.markdown_table(table), ""]
            out += [f"- {n}" for n in notes] + [""] * bool(notes)
        return "\n".join([*out, self.reading, ""])


class CrossSections(Mapping):
    """The same regression on each asset of a study of several: asset -> :class:`CrossSection`;
    ``tidy()`` and ``left_out`` stack the assets', ``asset`` first."""

    def __init__(self, parts: dict):
        self._parts = dict(parts)

    def __getitem__(self, asset) -> CrossSection:
        return self._parts[asset]

    def __iter__(self):
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    @property
    def n_events(self) -> dict:
        return {a: r.n_events for a, r in self._parts.items()}

    @property
    def left_out(self) -> pd.DataFrame:
        frames = [r.left_out.assign(asset=a)[["asset", *LEFT_OUT_COLUMNS]]
                  for a, r in self._parts.items()]
        return pd.concat(frames, ignore_index=True)

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        frames = [r.tidy(alpha).assign(asset=a)[["asset", *CROSS_SECTION_COLUMNS]]
                  for a, r in self._parts.items()]
        return pd.concat(frames, ignore_index=True)

    def summary(self, alpha: float = 0.05) -> CrossSectionSummary:
        parts = [r.summary(alpha) for r in self._parts.values()]
        first = parts[0]
        return CrossSectionSummary(title=first.title, facts=first.facts, table=first.table,
                                   notes=first.notes, reading=first.reading,
                                   parts=[(s.facts, s.table, s.notes) for s in parts])

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_html_(self) -> str:
        return self.summary().to_html()

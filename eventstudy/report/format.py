"""How numbers are shown, in one place: percent, decimals, intervals, p-values, evidence.

Every page, summary, table and LaTeX file formats through these functions,
so a CAR reads the same everywhere ("+2.26%"), an interval the same
("[+0.12%, +4.40%]") and a p-value the same ("0.086", "< 0.001").

The graded-evidence scale (:data:`EVIDENCE`) replaces a yes/no verdict: a
two-sided p-value below 0.01 is *strong* evidence against "no effect",
below 0.05 *moderate*, below 0.10 *weak*, and above that *no evidence*. It is
a reading of one p-value, not a decision; the page states which test's
p-value it grades.
"""

from __future__ import annotations

import math

__all__ = [
    "EVIDENCE",
    "evidence",
    "evidence_phrase",
    "evidence_scale",
    "interval",
    "pct",
    "pvalue",
    "significance_stars",
    "window",
]

#: The graded-evidence scale: (upper bound of the p-value, reading), in order.
EVIDENCE: tuple[tuple[float, str], ...] = (
    (0.01, "strong"),
    (0.05, "moderate"),
    (0.10, "weak"),
    (1.0, "no evidence"),
)


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def evidence(p) -> str:
    """The reading of a two-sided p-value on :data:`EVIDENCE` ("not computed" when missing)."""
    if _missing(p):
        return "not computed"
    for bound, label in EVIDENCE:
        if p < bound:
            return label
    return EVIDENCE[-1][1]


def evidence_phrase(p) -> str:
    """"strong evidence", "weak evidence", "no evidence" — the reading as a noun phrase."""
    grade = evidence(p)
    return grade if grade in ("no evidence", "not computed") else f"{grade} evidence"


def evidence_scale() -> str:
    """The scale in words, for a page's legend."""
    parts, lo = [], 0.0
    for bound, label in EVIDENCE[:-1]:
        parts.append(f"{label}: p < {bound:g}" if lo == 0 else f"{label}: {lo:g} ≤ p < {bound:g}")
        lo = bound
    parts.append(f"{EVIDENCE[-1][1]}: p ≥ {lo:g}")
    return "; ".join(parts)


def pct(x, digits: int = 2, *, sign: bool = True) -> str:
    """A return (0.0226) as percent ("+2.26%"); "—" when missing."""
    if _missing(x):
        return "—"
    return f"{100 * x:{'+' if sign else ''}.{digits}f}%"


def interval(lo, hi, digits: int = 2) -> str:
    """An interval of returns in percent, "[+0.12%, +4.40%]"; "—" when missing."""
    if _missing(lo) or _missing(hi):
        return "—"
    return f"[{pct(lo, digits)}, {pct(hi, digits)}]"


def pvalue(p, digits: int = 3) -> str:
    """A p-value at the precision a reader uses: "0.086", "< 0.001"; "—" when missing."""
    if _missing(p):
        return "—"
    floor = 10.0 ** -digits
    return f"< {floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"


def significance_stars(p) -> str:
    """``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.10 (the :data:`EVIDENCE` bands)."""
    if _missing(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def window(start, end) -> str:
    """An event window as "[a, b]"."""
    return f"[{int(start)}, {int(end)}]"

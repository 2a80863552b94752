"""How numbers are shown, in one place: percent, decimals, intervals, p-values, evidence, tables.

Returns and CARs are in return units (a log return of 0.0226) and shown in
percent of that return kind ("+2.26%"); a rate or size is a share shown in
percent ("5.1%"); a p-value has three decimals ("0.086", "< 0.001"); a
missing value is "—" (:data:`MISSING`).

The graded-evidence scale (:data:`EVIDENCE`) reads a two-sided p-value below
0.01 as *strong* evidence against "no effect", below 0.05 *moderate*, below
0.10 *weak*, else *no evidence*: a reading of one p-value, not a decision. A
p-value that is not graded reads :data:`NOT_GRADED`.
"""

from __future__ import annotations

import math

__all__ = [
    "EVIDENCE", "MISSING", "NOT_GRADED", "evidence", "evidence_phrase", "evidence_scale", "grade",
    "interval", "is_date", "latex_escape", "latex_tabular", "markdown_table", "number", "pct",
    "pvalue",
    "significance_stars", "table", "text_table", "window"
]

#: The graded-evidence scale: (upper bound of the p-value, reading), in order.
EVIDENCE: tuple[tuple[float, str], ...] = (
    (0.01, "strong"),
    (0.05, "moderate"),
    (0.10, "weak"),
    (1.0, "no evidence"),
)

#: The reading of a p-value that no size check lets us read.
NOT_GRADED = "not graded"

#: How a missing value reads.
MISSING = "—"


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN, NaT and pandas.NA are not equal to themselves
    except TypeError:  # pandas.NA refuses bool()
        return True


def evidence(p) -> str:
    """The reading of a two-sided p-value on :data:`EVIDENCE` ("not computed" when missing)."""
    if _missing(p):
        return "not computed"
    for bound, label in EVIDENCE:
        if p < bound:
            return label
    return EVIDENCE[-1][1]


def grade(test, p) -> str:
    """:func:`evidence` of a leading test's p, or :data:`NOT_GRADED` when no test leads."""
    if _missing(test) or not str(test):
        return NOT_GRADED
    return evidence(p)


def evidence_phrase(p) -> str:
    """The reading as a noun phrase: "strong evidence", "no evidence"."""
    reading = evidence(p)
    return reading if reading in ("no evidence", "not computed") else f"{reading} evidence"


def evidence_scale() -> str:
    """The scale in words, for a legend."""
    parts, lo = [], 0.0
    for bound, label in EVIDENCE[:-1]:
        parts.append(f"{label}: p < {bound:g}" if lo == 0 else f"{label}: {lo:g} ≤ p < {bound:g}")
        lo = bound
    parts.append(f"{EVIDENCE[-1][1]}: p ≥ {lo:g}")
    return "; ".join(parts)


def pct(x, digits: int = 2, *, sign: bool = True) -> str:
    """A return or share (0.0226) in percent, "+2.26%" ("2.26%" without ``sign``)."""
    if _missing(x):
        return MISSING
    if math.isinf(x):
        return f"{'-' if x < 0 else '+' if sign else ''}inf%"
    return f"{100 * x:{'+' if sign else ''}.{digits}f}%"


def interval(lo, hi, digits: int = 2) -> str:
    """An interval of returns in percent, "[+0.12%, +4.40%]"."""
    if _missing(lo) or _missing(hi):
        return MISSING
    return f"[{pct(lo, digits)}, {pct(hi, digits)}]"


def pvalue(p, digits: int = 3) -> str:
    """A p-value with ``digits`` decimals, "0.086", "< 0.001"."""
    if _missing(p):
        return MISSING
    floor = 10.0 ** -digits
    return f"< {floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"


def number(x, digits: int = 3) -> str:
    """A plain number with ``digits`` decimals, "1.234"."""
    if _missing(x):
        return MISSING
    return f"{x:.{digits}f}"


def significance_stars(p) -> str:
    """``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.10 (the :data:`EVIDENCE` bands)."""
    if _missing(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def window(start, end) -> str:
    """An event window as "[a, b]"."""
    return f"[{int(start)}, {int(end)}]"


def _cell(x, digits: int) -> str:
    import numpy as np
    import pandas as pd

    if isinstance(x, str):
        return x
    if _missing(x):
        return MISSING
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (pd.Timestamp, np.datetime64)):
        return f"{pd.Timestamp(x):%Y-%m-%d}"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return number(float(x), digits)
    return str(x)


def table(frame, *, percent=(), signed=(), pvalues=(), digits=3):
    """A table for display: every cell a string, numbers formatted by column.

    Parameters
    ----------
    percent : sequence of str
        Columns of shares or returns shown unsigned in percent ("5.12%").
    signed : sequence of str
        Columns of returns shown signed in percent (:func:`pct`).
    pvalues : sequence of str
        Columns of p-values (:func:`pvalue`).
    digits : int or dict of str -> int
        Decimals of the other numbers, for every column or per column; percent
        columns take two unless given here.

    Returns
    -------
    pandas.DataFrame
        Same index and columns; dates ``YYYY-MM-DD``, booleans "yes"/"no".
    """
    out = frame.copy().astype(object)

    def places(column, default):
        if isinstance(digits, dict):
            return digits.get(column, default)
        return default if column in (*percent, *signed) else digits

    for c in frame.columns:
        if c in signed or c in percent:
            n = places(c, 2)
            out[c] = [pct(x, n, sign=c in signed) for x in frame[c]]
        elif c in pvalues:
            out[c] = [pvalue(x) for x in frame[c]]
        else:
            n = places(c, 3)
            out[c] = [_cell(x, n) for x in frame[c]]
    return out


def text_table(frame, indent: str = "", *, below: str | None = None) -> str:
    """A table of strings as aligned plain text (text left, numbers right); the ``below``
    column is printed on its own line under each row.
    """
    shown = frame.drop(columns=[below]) if below else frame
    cols = [str(c) for c in shown.columns]
    rows = [[str(v) for v in r] for r in shown.itertuples(index=False)]
    width = [max([len(c), *(len(r[j]) for r in rows)]) for j, c in enumerate(cols)]

    def numeric(j) -> bool:
        cells = [r[j] for r in rows if r[j] != MISSING]
        return bool(cells) and all(_looks_numeric(v) for v in cells)

    right = [numeric(j) for j in range(len(cols))]

    def line(cells) -> str:
        return indent + "  ".join(v.rjust(w) if r else v.ljust(w)
                                  for v, w, r in zip(cells, width, right, strict=True)).rstrip()

    lines = [line(cols), indent + "  ".join("-" * w for w in width)]
    extra = frame[below].astype(str).tolist() if below else [""] * len(rows)
    for r, more in zip(rows, extra, strict=True):
        lines.append(line(r))
        if more and more != MISSING:
            lines.append(f"{indent}    {below}: {more}")
    return "\n".join(lines)


def _looks_numeric(text: str) -> bool:
    return text.lstrip("+-<> ").replace("%", "").replace(".", "", 1).isdigit()


def markdown_table(frame) -> str:
    """A table of strings as a Markdown table (``|`` escaped)."""
    cols = [str(c).replace("|", "\\|") for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in r) + " |")
    return "\n".join(lines)


#: LaTeX for the characters a summary uses that LaTeX reads specially or may not have.
_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}", "≤": r"$\leq$", "≥": r"$\geq$", "±": r"$\pm$",
          "·": r"$\cdot$", "—": "---", "–": "--", "²": r"$^2$"}


def latex_escape(text: str) -> str:
    """Text with LaTeX's special characters escaped and the symbols of a summary as commands."""
    return "".join(_LATEX.get(c, c) for c in str(text))


def latex_tabular(frame, align: str | None = None) -> str:
    """A table of strings as a booktabs ``tabular`` (``align``: column spec, default all ``l``)."""
    spec = align or "l" * len(frame.columns)
    head = " & ".join(latex_escape(str(c)) for c in frame.columns) + r" \\"
    body = [" & ".join(latex_escape(str(v)) for v in r) + r" \\"
            for r in frame.itertuples(index=False)]
    return "\n".join([rf"\begin{{tabular}}{{{spec}}}", r"\toprule", head, r"\midrule", *body,
                      r"\bottomrule", r"\end{tabular}"])


def is_date(text) -> bool:
    """Whether ``text`` is a date as the tables write it (YYYY-MM-DD): HTML keeps it on one line."""
    text = str(text)
    return len(text) == 10 and text[4] == text[7] == "-" and text.replace("-", "").isdigit()

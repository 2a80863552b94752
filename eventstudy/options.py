"""Closed option sets, declared once, and the check that names the valid values."""

from __future__ import annotations

from typing import Literal, get_args

from .exceptions import OptionError

ModelName = Literal["constant-mean", "market-adjusted", "market", "synthetic"]
ReturnKind = Literal["log", "simple"]
PriceSource = Literal["auto", "snapshot", "yahoo", "cache"]
#: Weights of a cross-sectional regression of CARs (None: OLS).
RegressionWeights = Literal["inverse_variance"]


def check_option(name: str, value, literal) -> str:
    """Return ``value`` if it is one of ``literal``'s values, else raise OptionError.

    Examples
    --------
    >>> check_option("model", "markt", ModelName)
    Traceback (most recent call last):
    ...
    eventstudy.exceptions.OptionError: model must be one of 'constant-mean', \
'market-adjusted', 'market', 'synthetic'; got 'markt'
    """
    valid = get_args(literal)
    if value not in valid:
        listed = ", ".join(repr(v) for v in valid)
        raise OptionError(f"{name} must be one of {listed}; got {value!r}")
    return value

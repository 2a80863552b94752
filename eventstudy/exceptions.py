"""Named exceptions and warnings of the package, in one place.

Every message states the offending value (file, line, column, ticker, date)
and what the user can do about it.
"""

from __future__ import annotations

__all__ = [
    "EventStudyError", "OptionError", "DataError", "DownloadError", "CacheError",
    "PriceFileError", "InvalidTickerError", "CalendarError", "EventFileError",
    "StudyConfigError", "EstimationError", "EventStudyWarning", "DataQualityWarning",
    "ExclusionWarning", "UnsupportedFutureError", "EventAlignmentError", "CacheWarning",
    "InferenceError", "OutputError", "ArgumentError",
]


class EventStudyError(Exception):
    """Base class of every error raised by the package."""


class OptionError(EventStudyError, ValueError):
    """An option outside its closed set of values (see ``eventstudy.options``)."""


class DataError(EventStudyError):
    """Prices could not be obtained or are unusable."""


class DownloadError(DataError):
    """A download returned nothing usable (network down, unknown ticker)."""


class CacheError(DataError):
    """A cache file is corrupt or truncated and could not be refreshed."""


class PriceFileError(DataError):
    """A snapshot price file is missing or malformed."""


class InvalidTickerError(DataError, ValueError):
    """A ticker that cannot safely become a file name, or that is not known."""


class CalendarError(EventStudyError):
    """A date outside the exchange calendar's range, or an unknown calendar."""


class EventFileError(EventStudyError):
    """An events file with one or more ``problems``, each naming its line, column and fix."""

    def __init__(self, path, problems):
        self.path = str(path)
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{self.path}: {n} problem{'s' if n != 1 else ''} in the events file"
        super().__init__("\n".join([head, *("  " + p for p in self.problems)]))


class StudyConfigError(EventStudyError):
    """A study file (TOML) or study option that is invalid."""


class EstimationError(EventStudyError):
    """The model cannot be estimated with the data given."""


class EventStudyWarning(UserWarning):
    """Base class of the package's warnings."""


class DataQualityWarning(EventStudyWarning):
    """Prices that were set to missing (zero, negative or missing values)."""


class ExclusionWarning(EventStudyWarning):
    """An event, or days of an estimation sample, were excluded."""


class UnsupportedFutureError(InvalidTickerError):
    """A continuous futures symbol (``...=F``) without a documented roll rule."""


class EventAlignmentError(EventStudyError, ValueError):
    """Events that cannot be placed on an asset's trade dates (not aligned, unsorted index)."""


class CacheWarning(EventStudyWarning):
    """Cached prices were returned because a download failed, or could not be cached."""


class InferenceError(EventStudyError, ValueError):
    """A test or placebo run that cannot be formed from the arrays or groups given."""


class ArgumentError(EventStudyError, ValueError):
    """A command-line argument that is not valid: a date, a path, an ``--out`` folder."""


class OutputError(ArgumentError):
    """An output folder that cannot receive a run (a file, foreign files, not writable)."""

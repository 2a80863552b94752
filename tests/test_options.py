import pytest

from eventstudy.exceptions import EventFileError, OptionError
from eventstudy.options import ModelName, check_option


def test_check_option_accepts_valid_value():
    assert check_option("model", "market", ModelName) == "market"


def test_check_option_lists_valid_values():
    with pytest.raises(
        OptionError,
        match=r"model must be one of 'constant-mean', 'market-adjusted', 'market', 'synthetic'; "
        r"got 'markt'",
    ):
        check_option("model", "markt", ModelName)


def test_event_file_error_lists_every_problem():
    err = EventFileError("events.csv", ["line 2, column date: bad", "line 3, column id: dup"])
    text = str(err)
    assert text.startswith("events.csv: 2 problems")
    assert "line 2, column date: bad" in text and "line 3, column id: dup" in text

from datetime import UTC, datetime

import pytest

from chalicelib import bootstrap
from chalicelib.settings import ConfigurationError, load


def test_fixed_now_is_honoured_outside_production():
    settings = load({"SCHEDULER_STAGE": "local", "SCHEDULER_FIXED_NOW": "2027-03-01T08:00:00Z"})
    assert settings.fixed_now == datetime(2027, 3, 1, 8, tzinfo=UTC)
    assert bootstrap.build(settings).now() == settings.fixed_now


@pytest.mark.parametrize("value", ["yesterday", "2027-03-01T08:00:00"])
def test_a_fixed_now_that_is_not_an_instant_is_refused(value):
    with pytest.raises(ConfigurationError):
        load({"SCHEDULER_STAGE": "dev", "SCHEDULER_FIXED_NOW": value})


def test_production_refuses_a_fixed_clock():
    with pytest.raises(ConfigurationError):
        load({"SCHEDULER_STAGE": "prod", "SCHEDULER_FIXED_NOW": "2027-03-01T08:00:00Z"})


def test_production_without_fixed_clock_uses_real_time():
    settings = load({"SCHEDULER_STAGE": "prod"})
    assert settings.fixed_now is None and settings.is_production

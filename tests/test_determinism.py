"""The suite's verdicts do not depend on chance: Hypothesis is derandomized everywhere."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings


@pytest.mark.skipif(
    os.environ.get("HYPOTHESIS_PROFILE", "deterministic") != "deterministic",
    reason="another Hypothesis profile was asked for",
)
def test_hypothesis_draws_the_same_examples_on_every_run() -> None:
    current = settings.default
    assert current is not None
    assert current.derandomize
    assert current.database is None
    # An explicit @settings(...), like the random board test's, inherits the profile.
    assert settings(max_examples=60, deadline=None).derandomize

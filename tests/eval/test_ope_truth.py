"""Off-policy estimates from random logs agree with the policy's true value on the same world.

The random policy logs one decision per overdue invoice (at due+5) with its propensities; each
target is then really run on the same world. Every estimator's 95% interval must contain the
true value, and the self-normalized and doubly robust estimates must be the closer ones.
"""

from __future__ import annotations

import pytest

from duewise.ope_check import OpeCheck, check_ope


@pytest.fixture(scope="module")
def checks() -> list[OpeCheck]:
    return check_ope(customers=10000, seed=2)


def test_every_interval_contains_the_true_value(checks: list[OpeCheck]) -> None:
    for check in checks:
        for name, estimate in check.estimates.items():
            lo, hi = estimate.ci
            assert lo <= check.true_value <= hi, (check.target, name, estimate, check.true_value)


def test_estimates_are_within_three_standard_errors(checks: list[OpeCheck]) -> None:
    for check in checks:
        for name, estimate in check.estimates.items():
            assert abs(check.error(name)) <= 3 * estimate.std_error, (check.target, name)


def test_snips_and_dr_beat_plain_ips_on_the_harder_target(checks: list[OpeCheck]) -> None:
    email = next(c for c in checks if c.target == "email-when-allowed")
    assert abs(email.error("snips")) < abs(email.error("ips"))
    assert abs(email.error("dr")) < abs(email.error("ips"))


def test_enough_logged_decisions(checks: list[OpeCheck]) -> None:
    assert all(c.decisions > 1000 for c in checks)

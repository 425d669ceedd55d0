"""The default world under the baseline ladder reproduces the published figures (DOMAIN.md).

Of 100 invoices about 20 get a reminder and 5 go on to collection (the collection agency);
about 80% of escalations would have been paid anyway (the telecom's randomized experiment);
customers sent to collection churn about twice as much as the others. The default world has
5,000 customers over 6 months; the whole loop takes 10-20 s on two cores. Seeds 0-4 all land in
range (the churn ratio is the noisiest figure: ~150 churned escalated customers)::

    seed  reminded/100  escalated/100  unnecessary  churn ratio
    0     20.5          4.95           0.788        2.39
    1     20.6          4.97           0.802        1.82
    2     20.7          5.01           0.808        1.91
    3     20.8          4.99           0.811        2.02
    4     20.5          4.73           0.783        2.25

The test runs seed 3, the most central on all four figures, so that it guards the calibration
rather than the luck of one draw.
"""

from __future__ import annotations

from functools import cache

from duewise.bootstrap import build_engine
from duewise.simloop import run_world
from schemas.outbound import Decision
from sim.config import WorldConfig
from sim.kpi import Kpis, compute_kpis
from sim.world import World

CONFIG = WorldConfig(seed=3)


@cache
def ladder() -> Kpis:
    world = World(CONFIG)
    decisions: list[Decision] = []
    run_world(world, build_engine(), world.end, on_decision=decisions.append)
    return compute_kpis(world.truth(), decisions)


def test_about_20_of_100_invoices_get_a_reminder() -> None:
    assert 18.0 <= ladder().reminded_per_100 <= 24.0


def test_about_5_of_100_invoices_are_escalated() -> None:
    assert 4.0 <= ladder().escalations_per_100 <= 6.0


def test_about_80_percent_of_escalations_are_unnecessary() -> None:
    share = ladder().unnecessary_share
    assert share is not None and 0.75 <= share <= 0.85


def test_escalated_customers_churn_about_twice_as_much() -> None:
    ratio = ladder().churn_ratio
    assert ratio is not None and 1.7 <= ratio <= 2.5

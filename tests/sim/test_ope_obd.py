"""``sim.ope`` against an independent implementation (``vw-estimators``) on real logged bandit data.

The data is the small sample of the Open Bandit Dataset (ZOZOTOWN fashion recommendations, one
week of November 2019, campaign "all") that ships inside the wheel of ``obp`` 0.4.1 on PyPI:
10,000 impressions logged by a uniform-random policy and 10,000 by Bernoulli Thompson sampling
(BTS), each row an item (80 items) shown in a position (1-3), whether it was clicked, and the
logging policy's propensity for that item in that position. The wheel is downloaded once with
``pip download`` into ``$DUEWISE_CACHE_DIR`` (default ``~/.cache/duewise``), pinned by its
sha256, and the CSVs are read straight out of the zip; obp itself is never installed.

Two target policies, evaluated with our IPS, SNIPS and DR and with vw-estimators:

* **uniform from BTS logs**: would showing every item uniformly at random have done better than
  BTS? The target gives each of the 80 items ``1/80`` per position; the logs are BTS's. The
  random policy's own click rate on its own logs (same week, other sample) is a ground truth.
* **feature softmax from random logs**: a policy that favours items with a high
  ``item_feature_0`` (OBD's one numeric item feature), ``pi(item) ~ exp(z(item_feature_0))``
  with ``z`` standardised over the 80 items, in every position; evaluated, also with weights
  clipped at 5, from the uniform-random logs (propensity 1/80).

vw-estimators has IPS, SNIPS and a Gaussian interval for IPS but no doubly robust estimator, so
DR is checked through its definition: ``DR = mean(q_target) + IPS(rewards r - q_logged)``, with
the IPS part from vw-estimators, and DR's interval is vw's Gaussian interval of the DR terms
(fed with unit weights). Clipped IPS is vw's IPS fed ``p_pred = p_log * min(pi / p_log, 5)``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from estimators.bandits import gaussian as vw_gaussian
from estimators.bandits import ips as vw_ips
from estimators.bandits import snips as vw_snips

from sim.ope import Estimate, doubly_robust, ips, snips
from tests.pinned import fetch_pinned, sha256

OBP_REQUIREMENT = "obp==0.4.1"
OBP_WHEEL = "obp-0.4.1-py3-none-any.whl"
OBP_WHEEL_SHA256 = "87dec9caf4283c25ab13036532e0a24566f1c7bdcad1653a8ded43b2f5ef8208"
RANDOM_LOG = "obp/dataset/obd/random/all/all.csv"
BTS_LOG = "obp/dataset/obd/bts/all/all.csv"
ITEM_CONTEXT = "obp/dataset/obd/random/all/item_context.csv"
N_ITEMS = 80
CLIP = 5.0
TOL = 1e-6  # the agreement asked for; the real differences are rounding, ~1e-18


@pytest.fixture(scope="module")
def obd_wheel() -> Path:
    """The pinned obp wheel, downloaded once and then read from the cache."""
    return fetch_pinned(OBP_REQUIREMENT, OBP_WHEEL, OBP_WHEEL_SHA256)


@dataclass(frozen=True)
class Log:
    item: np.ndarray
    position: np.ndarray
    click: np.ndarray
    propensity: np.ndarray


def read_log(wheel: Path, member: str) -> Log:
    with zipfile.ZipFile(wheel) as archive, archive.open(member) as raw:
        rows = [
            (int(r["item_id"]), int(r["position"]), float(r["click"]), float(r["propensity_score"]))
            for r in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))
        ]
    item, position, click, propensity = (np.array(column) for column in zip(*rows, strict=True))
    return Log(item, position, click, propensity)


def read_item_feature(wheel: Path) -> np.ndarray:
    with zipfile.ZipFile(wheel) as archive, archive.open(ITEM_CONTEXT) as raw:
        rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))
    feature = np.zeros(N_ITEMS)
    for r in rows:
        feature[int(r["item_id"])] = float(r["item_feature_0"])
    return feature


@pytest.fixture(scope="module")
def logs(obd_wheel) -> dict[str, Log]:
    return {"random": read_log(obd_wheel, RANDOM_LOG), "bts": read_log(obd_wheel, BTS_LOG)}


def click_model(log: Log, prior_strength: float = 50.0) -> np.ndarray:
    """Reward model ``q[item, position]``: each item's click rate shrunk to its position's."""
    q = np.zeros((N_ITEMS, 4))
    for k in (1, 2, 3):
        at = log.position == k
        shown = np.bincount(log.item[at], minlength=N_ITEMS)
        clicks = np.bincount(log.item[at], weights=log.click[at], minlength=N_ITEMS)
        q[:, k] = (clicks + prior_strength * log.click[at].mean()) / (shown + prior_strength)
    return q


@dataclass(frozen=True)
class Case:
    """One target policy on one log, with the reward model's two DR inputs."""

    log: Log
    target: np.ndarray  # pi(logged item | position) per row
    q_logged: np.ndarray
    q_target: np.ndarray


def uniform_from_bts(logs: dict[str, Log]) -> Case:
    log, q = logs["bts"], click_model(logs["bts"])
    uniform = np.full(len(log.click), 1 / N_ITEMS)
    return Case(log, uniform, q[log.item, log.position], q[:, log.position].mean(axis=0))


def feature_softmax_from_random(logs: dict[str, Log], feature: np.ndarray) -> Case:
    z = (feature - feature.mean()) / feature.std()
    pi = np.exp(z) / np.exp(z).sum()
    log, q = logs["random"], click_model(logs["random"])
    return Case(log, pi[log.item], q[log.item, log.position], pi @ q[:, log.position])


def ours(case: Case, clip: float | None = None) -> dict[str, Estimate]:
    args = (case.log.click, case.log.propensity, case.target)
    return {
        "ips": ips(*args, clip=clip),
        "snips": snips(*args, clip=clip),
        "dr": doubly_robust(*args, case.q_logged, case.q_target, clip=clip),
    }


def theirs(case: Case, clip: float | None = None) -> dict[str, float | list]:
    """The same figures from vw-estimators, one example at a time as it is meant to be fed."""
    est_ips, est_snips, interval = vw_ips.Estimator(), vw_snips.Estimator(), vw_gaussian.Interval()
    residual_ips, dr_interval = vw_ips.Estimator(), vw_gaussian.Interval()
    log = case.log
    for i in range(len(log.click)):
        p_log, r = float(log.propensity[i]), float(log.click[i])
        p_pred = float(case.target[i])
        if clip is not None:
            p_pred = p_log * min(p_pred / p_log, clip)
        est_ips.add_example(p_log, r, p_pred)
        est_snips.add_example(p_log, r, p_pred)
        interval.add_example(p_log, r, p_pred)
        residual_ips.add_example(p_log, r - float(case.q_logged[i]), p_pred)
        dr_term = float(case.q_target[i]) + p_pred / p_log * (r - float(case.q_logged[i]))
        dr_interval.add_example(1.0, dr_term, 1.0)
    return {
        "ips": est_ips.get(),
        "snips": est_snips.get(),
        "ips_ci": interval.get(0.05),
        "dr": float(np.mean(case.q_target)) + residual_ips.get(),
        "dr_ci": dr_interval.get(0.05),
    }


def assert_same(a: float, b: float) -> None:
    assert abs(a - b) <= TOL
    assert a == pytest.approx(b, rel=1e-9, abs=1e-15)


def assert_agree(mine: dict[str, Estimate], vw: dict[str, float | list]) -> None:
    for name in ("ips", "snips", "dr"):
        assert_same(mine[name].value, vw[name])
    for name in ("ips", "dr"):
        low, high = vw[f"{name}_ci"]
        assert_same(mine[name].ci[0], low)
        assert_same(mine[name].ci[1], high)


def test_the_wheel_holds_the_obd_sample_we_expect(obd_wheel, logs):
    assert sha256(obd_wheel) == OBP_WHEEL_SHA256
    assert not (Path(__file__).resolve().parents[2] / OBP_WHEEL).exists()
    for name, log in logs.items():
        assert len(log.click) == 10_000
        assert set(np.unique(log.item)) == set(range(N_ITEMS))
        assert set(np.unique(log.position)) == {1, 2, 3}
        assert set(np.unique(log.click)) == {0.0, 1.0}
        assert ((log.propensity > 0) & (log.propensity <= 1)).all(), name
    assert (logs["random"].propensity == 1 / N_ITEMS).all()
    assert int(logs["random"].click.sum()) == 38 and int(logs["bts"].click.sum()) == 42


def test_uniform_target_from_bts_logs_matches_vw_estimators(logs):
    case = uniform_from_bts(logs)
    mine = ours(case)
    assert_agree(mine, theirs(case))
    assert mine["ips"].value == pytest.approx(0.0023596, abs=1e-7)
    assert mine["snips"].value == pytest.approx(0.0023337, abs=1e-7)
    assert mine["dr"].value == pytest.approx(0.0027380, abs=1e-7)
    assert mine["ips"].ess == pytest.approx(340.38, abs=0.01)  # BTS concentrated on few items


def test_uniform_target_estimates_cover_the_random_policys_own_click_rate(logs):
    truth = float(logs["random"].click.mean())  # on-policy value of the target, other sample
    assert truth == 0.0038
    for estimate in ours(uniform_from_bts(logs)).values():
        assert estimate.ci[0] < truth < estimate.ci[1], estimate


def test_feature_softmax_target_from_random_logs_matches_vw_estimators(logs, obd_wheel):
    case = feature_softmax_from_random(logs, read_item_feature(obd_wheel))
    assert case.target.sum() > 0 and (case.target / case.log.propensity).max() > CLIP
    mine = ours(case)
    assert_agree(mine, theirs(case))
    assert mine["ips"].value == pytest.approx(0.0041244, abs=1e-7)
    assert mine["snips"].value == pytest.approx(0.0042296, abs=1e-7)
    assert mine["dr"].value == pytest.approx(0.0043162, abs=1e-7)


def test_clipped_weights_match_vw_estimators_fed_clipped_probabilities(logs, obd_wheel):
    case = feature_softmax_from_random(logs, read_item_feature(obd_wheel))
    mine = ours(case, clip=CLIP)
    assert_agree(mine, theirs(case, clip=CLIP))
    assert mine["ips"].n_clipped == 357
    assert mine["ips"].value == pytest.approx(0.0025743, abs=1e-7)

"""Off-policy evaluation: the value of a target policy, judged from logged decisions.

Every duewise decision is logged with the propensity ``p_i`` of the action it took, so the value
of a *different* policy (the target, ``pi``) can be estimated from the logs before it goes live.
Each logged decision contributes its reward ``r_i`` reweighted by the importance weight
``w_i = pi(a_i | x_i) / p_i``: how much more (or less) often the target would have taken the
action that was actually taken.

Three estimators, because none is best everywhere:

``ips``
    Inverse propensity scoring, ``mean(w_i r_i)``. Unbiased whenever the logged propensities
    are right and the logging policy gives every action the target uses a chance, but its
    variance grows with the spread of the weights: a few rare actions with large weights can
    dominate the estimate.
``snips``
    Self-normalised IPS, ``sum(w_i r_i) / sum(w_i)``. Dividing by the realised sum of weights
    instead of ``n`` removes most of that variance (a heavy sample is heavy in numerator and
    denominator alike) at the price of a small bias that vanishes as ``n`` grows. It is also
    invariant to adding a constant to every reward, which IPS is not.
``doubly_robust``
    ``mean(v_i + w_i (r_i - q_i))`` with a reward model ``q_i = q(x_i, a_i)`` and its value under
    the target ``v_i = sum_a pi(a | x_i) q(x_i, a)``. The model carries the estimate and the
    weighted residuals correct its bias, so DR is unbiased if *either* the propensities *or*
    the reward model is right, and the better the model the smaller the variance.

Every estimate comes with a normal-approximation confidence interval from the per-sample terms
(the delta method for SNIPS), optionally a seeded percentile bootstrap interval, the effective
sample size of the weights, and an optional clipping of the weights at ``clip`` (less variance,
some bias: clipped IPS under-estimates non-negative rewards).

>>> est = ips(rewards=[1.0, 0.0, 1.0, 0.0], propensities=[0.5, 0.5, 0.25, 0.25],
...           target_probabilities=[1.0, 0.0, 0.5, 0.5])
>>> est.value, est.n, est.ess
(1.0, 4, 3.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Estimate",
    "doubly_robust",
    "effective_sample_size",
    "importance_weights",
    "ips",
    "snips",
]

Floats = NDArray[np.float64]

_BOOTSTRAP_CELLS = 2_000_000
"""Resampled indices held in memory at once by the bootstrap (about 16 MB)."""


@dataclass(frozen=True)
class Estimate:
    """One estimate of a target policy's mean reward per decision.

    Attributes
    ----------
    estimator
        ``"ips"``, ``"snips"`` or ``"dr"``.
    value
        The estimated mean reward per decision under the target policy.
    std_error
        Standard error from the per-sample terms (``nan`` with a single sample).
    ci
        Normal-approximation interval ``value -/+ z * std_error`` at level ``1 - alpha``.
    alpha
        One minus the interval's nominal coverage.
    n
        Logged decisions used.
    ess
        Effective sample size of the (clipped) weights, ``sum(w)**2 / sum(w**2)``: roughly how
        many decisions taken by the target itself would be as informative. ``n`` when the
        target equals the logging policy, ``0.0`` when the target never takes a logged action.
    n_clipped
        Weights that were cut down to ``clip``.
    bootstrap_ci
        Percentile bootstrap interval, or ``None`` when no bootstrap was asked for.
    """

    estimator: str
    value: float
    std_error: float
    ci: tuple[float, float]
    alpha: float
    n: int
    ess: float
    n_clipped: int = 0
    bootstrap_ci: tuple[float, float] | None = None


def importance_weights(
    propensities: ArrayLike, target_probabilities: ArrayLike, *, clip: float | None = None
) -> Floats:
    """Importance weights ``min(pi_i / p_i, clip)`` after checking both arrays.

    Parameters
    ----------
    propensities
        Probability ``p_i`` with which the logging policy took the logged action; in ``(0, 1]``.
    target_probabilities
        Probability ``pi(a_i | x_i)`` that the target gives the logged action; in ``[0, 1]``.
    clip
        Upper bound on the weights; ``None`` (the default) clips nothing.

    Raises
    ------
    ValueError
        On empty or mismatched inputs, non-finite values, a propensity outside ``(0, 1]`` (an
        action logged with probability zero cannot be reweighted) or a target probability
        outside ``[0, 1]``.

    Examples
    --------
    >>> importance_weights([0.5, 0.25, 0.1], [1.0, 0.5, 1.0]).tolist()
    [2.0, 2.0, 10.0]
    >>> importance_weights([0.5, 0.25, 0.1], [1.0, 0.5, 1.0], clip=5.0).tolist()
    [2.0, 2.0, 5.0]
    """
    p = _vector(propensities, "propensities")
    t = _vector(target_probabilities, "target_probabilities", n=len(p))
    bad = np.flatnonzero((p <= 0.0) | (p > 1.0))
    if bad.size:
        raise ValueError(
            f"propensities must be in (0, 1]; index {bad[0]} has {p[bad[0]]!r} "
            "(an action logged with probability 0 cannot be reweighted: fix the logger)"
        )
    bad = np.flatnonzero((t < 0.0) | (t > 1.0))
    if bad.size:
        raise ValueError(
            f"target_probabilities must be in [0, 1]; index {bad[0]} has {t[bad[0]]!r}"
        )
    return _clipped(t / p, clip)


def effective_sample_size(weights: ArrayLike) -> float:
    """Kish's effective sample size ``sum(w)**2 / sum(w**2)``; ``0.0`` if all weights are zero.

    Examples
    --------
    >>> effective_sample_size([1.0, 1.0, 1.0, 1.0])
    4.0
    >>> effective_sample_size([4.0, 0.0, 0.0, 0.0])
    1.0
    """
    w = np.asarray(weights, dtype=np.float64)
    square_sum = float(np.dot(w, w))
    return float(w.sum()) ** 2 / square_sum if square_sum > 0.0 else 0.0


def ips(
    rewards: ArrayLike,
    propensities: ArrayLike,
    target_probabilities: ArrayLike,
    *,
    clip: float | None = None,
    alpha: float = 0.05,
    n_bootstrap: int = 0,
    seed: int = 0,
) -> Estimate:
    """Inverse propensity scoring: ``mean(w_i * r_i)``.

    Unbiased when the propensities are right (and ``clip`` is ``None``), at the cost of high
    variance when some weights are large. If the target gives zero probability to every logged
    action the estimate is ``0.0`` with a zero-width interval and ``ess == 0.0``: the logs say
    nothing about such a target, so check ``ess`` before trusting any estimate.

    Parameters
    ----------
    rewards, propensities, target_probabilities
        Per logged decision: the reward, the logging propensity of the logged action and the
        target's probability of that same action.
    clip
        Upper bound on the importance weights (``None``: no clipping).
    alpha
        The intervals have nominal coverage ``1 - alpha``.
    n_bootstrap
        Number of bootstrap resamples for ``bootstrap_ci`` (0: none).
    seed
        Seed of the bootstrap's random generator.

    Examples
    --------
    >>> est = ips([1.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5], [1.0, 1.0, 0.0, 1.0])
    >>> est.value, round(est.std_error, 4), est.ess
    (1.0, 0.5774, 3.0)
    >>> ips([1.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5], [1.0, 1.0, 0.0, 1.0], clip=1.5).value
    0.75
    """
    r, w, n_clipped = _prepare(rewards, propensities, target_probabilities, clip)
    terms = w * r
    value = float(terms.mean())
    se = _standard_error(terms)
    boot = _bootstrap(terms, np.ones_like(terms), alpha, n_bootstrap, seed)
    return _estimate("ips", value, se, alpha, w, n_clipped, boot)


def snips(
    rewards: ArrayLike,
    propensities: ArrayLike,
    target_probabilities: ArrayLike,
    *,
    clip: float | None = None,
    alpha: float = 0.05,
    n_bootstrap: int = 0,
    seed: int = 0,
) -> Estimate:
    """Self-normalised IPS: ``sum(w_i * r_i) / sum(w_i)``.

    Slightly biased for small ``n`` but usually far less variable than IPS, and unaffected by a
    constant shift of all rewards. The interval uses the delta method: the per-sample terms are
    ``w_i * (r_i - value) / mean(w)``. Bootstrap resamples whose weights sum to zero are left
    out of the bootstrap interval.

    Parameters
    ----------
    rewards, propensities, target_probabilities, clip, alpha, n_bootstrap, seed
        As for :func:`ips`.

    Raises
    ------
    ValueError
        If the target gives zero probability to every logged action (the ratio is ``0/0``).

    Examples
    --------
    >>> snips([1.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5], [1.0, 1.0, 0.0, 1.0]).value
    0.6666666666666666
    """
    r, w, n_clipped = _prepare(rewards, propensities, target_probabilities, clip)
    total = float(w.sum())
    if total <= 0.0:
        raise ValueError(
            "SNIPS is undefined: the target policy gives zero probability to every logged "
            "action, so the logs carry no information about it (ess == 0)"
        )
    value = float(np.dot(w, r)) / total
    se = _standard_error(w * (r - value) / (total / len(w)))
    boot = _bootstrap(w * r, w, alpha, n_bootstrap, seed)
    return _estimate("snips", value, se, alpha, w, n_clipped, boot)


def doubly_robust(
    rewards: ArrayLike,
    propensities: ArrayLike,
    target_probabilities: ArrayLike,
    q_logged: ArrayLike,
    q_target: ArrayLike,
    *,
    clip: float | None = None,
    alpha: float = 0.05,
    n_bootstrap: int = 0,
    seed: int = 0,
) -> Estimate:
    """Doubly robust: ``mean(q_target_i + w_i * (r_i - q_logged_i))``.

    Unbiased if either the propensities or the reward model is right; with a perfect model the
    weighted residuals are pure noise, so the variance is far below that of IPS. With
    ``q_logged = q_target = 0`` it is IPS; if the target never takes a logged action it is the
    reward model's own estimate (the direct method), ``mean(q_target)``.

    Parameters
    ----------
    rewards, propensities, target_probabilities, clip, alpha, n_bootstrap, seed
        As for :func:`ips`.
    q_logged
        The reward model's prediction ``q(x_i, a_i)`` for the logged action.
    q_target
        The reward model's value under the target, ``sum_a pi(a | x_i) * q(x_i, a)``.

    Examples
    --------
    A reward model that is exactly right leaves nothing to correct:

    >>> est = doubly_robust(rewards=[1.0, 0.0], propensities=[0.5, 0.5],
    ...                     target_probabilities=[1.0, 0.0], q_logged=[1.0, 0.0],
    ...                     q_target=[1.0, 1.0])
    >>> est.value, est.std_error
    (1.0, 0.0)
    """
    r, w, n_clipped = _prepare(rewards, propensities, target_probabilities, clip)
    q = _vector(q_logged, "q_logged", n=len(r))
    v = _vector(q_target, "q_target", n=len(r))
    terms = v + w * (r - q)
    value = float(terms.mean())
    se = _standard_error(terms)
    boot = _bootstrap(terms, np.ones_like(terms), alpha, n_bootstrap, seed)
    return _estimate("dr", value, se, alpha, w, n_clipped, boot)


def _vector(values: ArrayLike, name: str, *, n: int | None = None) -> Floats:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if n is None and array.size == 0:
        raise ValueError(f"{name} is empty: an estimate needs at least one logged decision")
    if n is not None and array.size != n:
        raise ValueError(f"{name} has {array.size} entries, expected {n}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _prepare(
    rewards: ArrayLike, propensities: ArrayLike, target: ArrayLike, clip: float | None
) -> tuple[Floats, Floats, int]:
    r = _vector(rewards, "rewards")
    raw = importance_weights(propensities, target)
    if len(raw) != len(r):
        raise ValueError(f"propensities have {len(raw)} entries, rewards {len(r)}")
    weights = _clipped(raw, clip)
    return r, weights, int(np.count_nonzero(weights < raw))


def _clipped(weights: Floats, clip: float | None) -> Floats:
    if clip is None:
        return weights
    if not clip > 0.0:
        raise ValueError(f"clip must be > 0 or None, got {clip!r}")
    return np.minimum(weights, clip)


def _standard_error(terms: Floats) -> float:
    n = len(terms)
    return math.sqrt(float(np.var(terms, ddof=1)) / n) if n > 1 else math.nan


def _estimate(
    name: str,
    value: float,
    se: float,
    alpha: float,
    w: Floats,
    n_clipped: int,
    boot: tuple[float, float] | None,
) -> Estimate:
    half = _z(alpha) * se
    return Estimate(
        estimator=name,
        value=value,
        std_error=se,
        ci=(value - half, value + half),
        alpha=alpha,
        n=len(w),
        ess=effective_sample_size(w),
        n_clipped=n_clipped,
        bootstrap_ci=boot,
    )


def _z(alpha: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    return NormalDist().inv_cdf(1.0 - alpha / 2.0)


def _bootstrap(
    numerator: Floats, denominator: Floats, alpha: float, n_bootstrap: int, seed: int
) -> tuple[float, float] | None:
    """Percentile interval of ``sum(numerator) / sum(denominator)`` over resamples."""
    _z(alpha)
    if n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be >= 0, got {n_bootstrap!r}")
    if n_bootstrap == 0:
        return None
    rng = np.random.default_rng(seed)
    n = len(numerator)
    chunk = max(1, _BOOTSTRAP_CELLS // n)
    stats: list[Floats] = []
    for start in range(0, n_bootstrap, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_bootstrap - start), n))
        den = denominator[idx].sum(axis=1)
        num = numerator[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats.append(np.where(den > 0.0, num / den, np.nan))
    values = np.concatenate(stats)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (math.nan, math.nan)
    low, high = np.quantile(values, [alpha / 2.0, 1.0 - alpha / 2.0])
    return (float(low), float(high))

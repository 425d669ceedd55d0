"""Per-action value estimates learned online, with the uncertainty Thompson sampling needs.

Why this shape. A payment that follows a reminder does not mean the reminder caused it: the
customer may have paid anyway. So the learner estimates, for every action, the expected reward
*had that action been taken*, and the policy compares each action with waiting (the uplift).
Logged data come from a policy that chose some actions more often in some situations (the
ladder reminds everyone at due+5); weighting each example by the inverse of its logged
propensity removes that bias (importance weighting), so the per-action estimates are causal as
long as the propensities are right and every action keeps some probability (exploration).

The point estimate comes from one model per action fitted on all the data. Uncertainty comes
from an online bootstrap: ``n_members`` more copies each see every example a Poisson(1) number
of times. The spread between members is a calibrated picture of how unsure the estimate is;
drawing one member per decision is Thompson sampling. All draws come from seeded hashes, so a
restored snapshot predicts exactly the same.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Mapping

import numpy as np
from river import base

from models.rls import WeightedRidge

Features = Mapping[str, float]


def default_regressor() -> base.Regressor:
    """Exact online ridge regression: precise enough for small differences between actions."""
    return WeightedRidge(l2=1.0)


def _poisson(rng: random.Random) -> int:
    """A Poisson(1) draw by inversion (Knuth); cheap and exact for mean 1."""
    limit, k, p = math.exp(-1.0), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _fast_predict(
    model: base.Regressor, x: Features, cache: list[tuple[WeightedRidge, np.ndarray]]
) -> float:
    """``model.predict_one(x)``, reusing a design vector already built for the same layout.

    Every per-action model of one learner usually orders its features alike (they all see
    the same keys), so one vector serves them all: a dot product per prediction.
    """
    if not isinstance(model, WeightedRidge):
        return float(model.predict_one(dict(x)))
    for known, vec in cache:
        if known.same_layout(model):
            return model.predict_vector(vec)
    vec = model.vector(x)
    cache.append((model, vec))
    return model.predict_vector(vec)


class BootstrapUplift(base.Base):
    """Expected reward of each action, learned online from logged (and weighted) decisions.

    Parameters
    ----------
    control
        The action every other is compared with (``"wait"`` in dunning).
    n_members
        Bootstrap members; more gives smoother uncertainty at proportional cost.
    max_weight
        Importance weights ``1 / propensity`` are clipped here to bound their variance.
    seed
        Seeds the bootstrap draws; with the same data the same model results.
    regressor
        Factory of the per-action regressor (a River regressor that accepts ``w``).

    Examples
    --------
    A randomized log where reminding raises the reward by 0.3 for everyone:

    >>> import random
    >>> rng = random.Random(1)
    >>> model = BootstrapUplift(control="wait", n_members=4, seed=7)
    >>> for _ in range(3000):
    ...     x = {"amount": rng.random()}
    ...     action = rng.choice(["wait", "remind"])
    ...     reward = 0.5 * x["amount"] + (0.3 if action == "remind" else 0.0) + rng.gauss(0, 0.05)
    ...     model.learn_one(x, action, reward, propensity=0.5)
    >>> round(model.uplift_one({"amount": 0.5})["remind"], 1)
    0.3
    >>> sorted(model.predict_one({"amount": 0.5}))
    ['remind', 'wait']
    """

    def __init__(
        self,
        control: str = "wait",
        n_members: int = 8,
        max_weight: float = 20.0,
        seed: int = 0,
        regressor: Callable[[], base.Regressor] = default_regressor,
    ) -> None:
        self.control = control
        self.n_members = n_members
        self.max_weight = max_weight
        self.seed = seed
        self.regressor = regressor
        self._mean: dict[str, base.Regressor] = {}
        self._members: list[dict[str, base.Regressor]] = [{} for _ in range(n_members)]
        self._counts: dict[str, int] = {}
        self._seen = 0

    @property
    def n_seen(self) -> int:
        """Examples learned so far."""
        return self._seen

    def count(self, action: str) -> int:
        """Examples learned for ``action``: the evidence behind its estimate."""
        return self._counts.get(action, 0)

    def _draws(self) -> list[int]:
        digest = hashlib.blake2b(f"{self.seed}:{self._seen}".encode(), digest_size=8).digest()
        rng = random.Random(int.from_bytes(digest, "big"))
        return [_poisson(rng) for _ in range(self.n_members)]

    def learn_one(self, x: Features, action: str, reward: float, propensity: float) -> None:
        """Learn that ``action``, logged with probability ``propensity``, earned ``reward``."""
        if not 0.0 < propensity <= 1.0:
            raise ValueError(f"propensity must be in (0, 1], got {propensity}")
        weight = min(1.0 / propensity, self.max_weight)
        for member, times in zip([self._mean, *self._members], [1, *self._draws()], strict=True):
            if times:
                model = member.get(action)
                if model is None:
                    model = member[action] = self.regressor()
                model.learn_one(dict(x), reward, w=weight * times)
        self._counts[action] = self._counts.get(action, 0) + 1
        self._seen += 1

    def _member_predict(self, i: int, x: Features) -> dict[str, float]:
        """Predictions of model set ``i``: 0 is the mean model, ``k + 1`` bootstrap member k."""
        member = self._mean if i == 0 else self._members[i - 1]
        return {a: float(m.predict_one(dict(x))) for a, m in sorted(member.items())}

    def member_predictions(self, x: Features) -> list[dict[str, float]]:
        """Every bootstrap member's estimates: the posterior as ``n_members`` draws.

        Member ``k`` lacks an action it never sampled; the mean model's estimate stands in,
        so every member answers for every action learned. A policy that takes each member's
        best action gets the exact Thompson-sampling probability of every action (the share
        of members that rank it first) instead of one random draw.
        """
        mean = self.predict_one(x)
        cache: list[tuple[WeightedRidge, np.ndarray]] = []
        out = []
        for member in self._members:
            values = dict(mean)
            for action, model in member.items():
                values[action] = _fast_predict(model, x, cache)
            out.append(values)
        return out

    def contributions(self, x: Features, action: str, baseline: str) -> dict[str, float]:
        """How much each feature adds to ``action``'s estimate over ``baseline``'s, in the
        reward's units: ``(coef_action[k] - coef_baseline[k]) * x[k]`` of the mean models.

        The intercepts' difference is left out: it is the same for every decision, so it
        explains nothing about this one. Empty when either action is unknown or the regressor
        does not expose coefficients.
        """
        first, second = self._mean.get(action), self._mean.get(baseline)
        if not isinstance(first, WeightedRidge) or not isinstance(second, WeightedRidge):
            return {}
        a, b = first.coefficients(), second.coefficients()
        return {k: (a.get(k, 0.0) - b.get(k, 0.0)) * v for k, v in x.items()}

    def predict_one(self, x: Features) -> dict[str, float]:
        """Estimated reward of each action learned so far (fitted on all the data)."""
        cache: list[tuple[WeightedRidge, np.ndarray]] = []
        return {a: _fast_predict(m, x, cache) for a, m in sorted(self._mean.items())}

    def spread_one(self, x: Features) -> dict[str, float]:
        """Standard deviation of each action's estimate across members (its uncertainty)."""
        values: dict[str, list[float]] = {}
        for i in range(1, self.n_members + 1):
            for action, value in self._member_predict(i, x).items():
                values.setdefault(action, []).append(value)
        out = {}
        for action, vs in sorted(values.items()):
            mean = sum(vs) / len(vs)
            out[action] = math.sqrt(sum((v - mean) ** 2 for v in vs) / max(1, len(vs) - 1))
        return out

    def uplift_one(self, x: Features) -> dict[str, float]:
        """Estimated reward of each action minus that of the control (waiting)."""
        predicted = self.predict_one(x)
        base_value = predicted.get(self.control, 0.0)
        return {a: v - base_value for a, v in predicted.items()}

    def sample_one(self, x: Features, rng: random.Random) -> dict[str, float]:
        """One bootstrap member's estimates: a Thompson-sampling draw from the posterior."""
        sampled = self._member_predict(rng.randrange(self.n_members) + 1, x)
        mean = self.predict_one(x)
        return {a: sampled.get(a, mean[a]) for a in mean}

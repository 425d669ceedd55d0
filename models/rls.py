"""Exact online ridge regression with sample weights (recursive least squares).

Uplift is a small difference between two large predictions, so the per-action estimates must be
precise: stochastic gradient descent leaves too much noise after one pass. Recursive least
squares gives, after every example, exactly the weighted ridge-regression solution on all the
data seen, at O(d^2) per example, and it needs no feature scaling. Weights carry importance
weights (1 / propensity) and bootstrap counts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from river import base

_INTERCEPT = "\x00intercept"


class WeightedRidge(base.Regressor):
    """Ridge regression updated one weighted example at a time, exactly.

    Parameters
    ----------
    l2
        Ridge penalty: the prior precision of every coefficient (the intercept included).

    Examples
    --------
    >>> model = WeightedRidge(l2=1e-6)
    >>> for x1 in range(10):
    ...     model.learn_one({"x1": float(x1)}, 2.0 * x1 + 1.0)
    >>> round(model.predict_one({"x1": 20.0}), 6)
    41.0
    >>> model.learn_one({"x1": 0.0}, 100.0, w=0.0)  # a zero weight changes nothing
    >>> round(model.predict_one({"x1": 20.0}), 6)
    41.0
    """

    def __init__(self, l2: float = 1.0) -> None:
        self.l2 = l2
        self._index: dict[str, int] = {_INTERCEPT: 0}
        self._cov = np.eye(1) / l2
        self._coef = np.zeros(1)

    def _vector(self, x: Mapping[str, float], grow: bool) -> np.ndarray:
        if grow:
            new = [k for k in x if k not in self._index]
            if new:
                self._grow(new)
        vec = np.zeros(len(self._index))
        vec[0] = 1.0
        for key, value in x.items():
            i = self._index.get(key)
            if i is not None:
                vec[i] = value
        return vec

    def _grow(self, keys: list[str]) -> None:
        old = len(self._index)
        for key in sorted(keys):
            self._index[key] = len(self._index)
        size = len(self._index)
        cov = np.eye(size) / self.l2
        cov[:old, :old] = self._cov
        coef = np.zeros(size)
        coef[:old] = self._coef
        self._cov, self._coef = cov, coef

    def learn_one(self, x: Mapping[str, float], y: float, w: float = 1.0) -> None:
        """Add one example with weight ``w`` (Sherman-Morrison update of the covariance)."""
        if w <= 0.0:
            return
        vec = self._vector(x, grow=True)
        cov_x = self._cov @ vec
        gain = cov_x / (1.0 / w + vec @ cov_x)
        self._coef = self._coef + gain * (y - vec @ self._coef)
        self._cov = self._cov - np.outer(gain, cov_x)

    def predict_one(self, x: Mapping[str, float]) -> float:
        """The ridge solution's prediction; unseen features count as zero."""
        return float(self._vector(x, grow=False) @ self._coef)

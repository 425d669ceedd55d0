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
        Ridge penalty: the prior precision of every feature's coefficient.
    l2_intercept
        The intercept's prior precision (default: ``l2``). A small one lets a strong penalty
        shrink the features' coefficients towards zero, the average effect, instead of
        shrinking every prediction towards zero.

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

    def __init__(self, l2: float = 1.0, l2_intercept: float | None = None) -> None:
        self.l2 = l2
        self.l2_intercept = l2_intercept
        self._index: dict[str, int] = {_INTERCEPT: 0}
        self._cov = np.eye(1) / (l2 if l2_intercept is None else l2_intercept)
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

    @property
    def intercept(self) -> float:
        """The fitted intercept."""
        return float(self._coef[0])

    def coefficients(self) -> dict[str, float]:
        """The fitted coefficient of every feature seen (the intercept apart), by name.

        A prediction is ``intercept + sum(coef[k] * x[k])``, which is what makes a linear
        model's prediction explainable feature by feature.

        >>> model = WeightedRidge(l2=1e-9)
        >>> for a, b in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 3)]:
        ...     model.learn_one({"a": float(a), "b": float(b)}, 1.0 + 3.0 * a - 2.0 * b)
        >>> {k: round(v, 3) for k, v in model.coefficients().items()}, round(model.intercept, 3)
        ({'a': 3.0, 'b': -2.0}, 1.0)
        """
        return {k: float(self._coef[i]) for k, i in self._index.items() if i}

    def same_layout(self, other: WeightedRidge) -> bool:
        """Whether ``other`` orders its features as this one does (vectors are shareable)."""
        return self._index == other._index

    def predict_vector(self, vec: np.ndarray) -> float:
        """The prediction for a vector built by :meth:`vector` of a model with this layout."""
        return float(vec @ self._coef)

    def vector(self, x: Mapping[str, float]) -> np.ndarray:
        """``x`` as this model's design vector (intercept first; unseen features dropped)."""
        return self._vector(x, grow=False)

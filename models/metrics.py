"""How well a model ranks by uplift: the Qini curve and coefficient.

On randomized data, target the customers with the highest predicted uplift first and count the
extra successes among the treated over what the control group's rate predicts; a good ranking
climbs fast. The coefficient is the area between the curve and the random-targeting line,
normalised by the number of customers, so it is comparable across splits of one dataset.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence


def qini_curve(
    scores: Sequence[float], treated: Sequence[bool], outcomes: Sequence[float]
) -> list[tuple[int, float]]:
    """Points ``(k, incremental outcome)`` targeting the ``k`` highest scores (ties by index).

    Examples
    --------
    >>> qini_curve([0.9, 0.1, 0.5, 0.2], [True, False, True, False], [1, 0, 1, 1])
    [(0, 0.0), (1, 1.0), (2, 2.0), (3, 0.0), (4, 1.0)]
    """
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    points = [(0, 0.0)]
    n_t = n_c = 0
    y_t = y_c = 0.0
    for k, i in enumerate(order, start=1):
        if treated[i]:
            n_t += 1
            y_t += outcomes[i]
        else:
            n_c += 1
            y_c += outcomes[i]
        points.append((k, y_t - (y_c * n_t / n_c if n_c else 0.0)))
    return points


def qini_coefficient(
    scores: Sequence[float], treated: Sequence[bool], outcomes: Sequence[float]
) -> float:
    """Area between the Qini curve and the random line, per customer (higher is better)."""
    points = qini_curve(scores, treated, outcomes)
    n = len(points) - 1
    if n == 0:
        return 0.0
    final = points[-1][1]
    area = sum((a[1] + b[1]) / 2 for a, b in itertools.pairwise(points))
    return (area - final * n / 2) / n

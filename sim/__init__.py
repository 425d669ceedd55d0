"""The world simulator, KPIs and off-policy evaluation; speaks only schemas, never engine.

The world (:class:`World`, configured by :class:`WorldConfig`) emits ``schemas.events`` and
hears ``schemas.outbound.Decision``; ``duewise.simloop.run_world`` runs a policy against it.
Its ground truth (:class:`WorldTruth`) and the decisions give the KPIs (:func:`compute_kpis`).
"""

from sim.config import WorldConfig
from sim.costs import CostConfig
from sim.kpi import Kpis, compute_kpis
from sim.truth import WorldTruth
from sim.world import World

__all__ = ["CostConfig", "Kpis", "World", "WorldConfig", "WorldTruth", "compute_kpis"]

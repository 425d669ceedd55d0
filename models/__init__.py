"""Online learners (River) that estimate each action's causal value, and their snapshots.

"models" means machine-learning models here; the wire contract's pydantic classes live in
``schemas``. This package imports only ``schemas`` and River.
"""

from models.metrics import qini_coefficient, qini_curve
from models.snapshot import Snapshot, SnapshotError, dump_snapshot, load_snapshot
from models.uplift import BootstrapUplift

__all__ = [
    "BootstrapUplift",
    "Snapshot",
    "SnapshotError",
    "dump_snapshot",
    "load_snapshot",
    "qini_coefficient",
    "qini_curve",
]

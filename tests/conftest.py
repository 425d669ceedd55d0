"""Hypothesis profiles: reproducible by default, exploring on request.

CI runs every property test with the same examples (``derandomize``), so a red run is never a
new random history that nobody changed the code for, and the same commit always gives the same
verdict. New histories are found by exploring: ``DUEWISE_HYPOTHESIS=explore scripts/test
tests/replay tests/unit`` draws fresh examples each run and keeps failures in ``.hypothesis/``;
a failure found that way becomes a fixed test (see ``tests/replay/test_determinism.py``).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("DUEWISE_HYPOTHESIS", "ci"))

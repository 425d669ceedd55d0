"""duewise: the composition root (settings, bootstrap, embedded replay, CLI).

Importing this package connects to nothing and reads no settings; that happens at the edge,
in the CLI or when :func:`build_engine` is called.
"""

from duewise.bootstrap import build_engine
from duewise.embedded import Engine
from duewise.settings import Settings

__version__ = "0.1.0"
__all__ = ["Engine", "Settings", "build_engine"]

"""duewise: the composition root (settings, bootstrap, embedded replay, CLI).

Importing this package connects to nothing and reads no settings; that happens at the edge,
in the CLI or in :func:`duewise.build_engine` once it is called.
"""

__version__ = "0.1.0"

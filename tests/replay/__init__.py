"""Golden replay, property and determinism tests of the decision core (see golden/README.md)."""

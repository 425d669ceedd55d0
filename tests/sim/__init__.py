"""Tests of the world simulator, its KPIs and the off-policy estimators."""

"""The world simulator, KPIs and off-policy evaluation; speaks only schemas, never engine."""

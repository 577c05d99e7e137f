"""The journey map (stages, touchpoints, owning teams), reshaping it without losing a signal, its YAML, and friction aggregated on it."""

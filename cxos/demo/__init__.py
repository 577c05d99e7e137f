"""Deterministic demo data: the friction log cooked from data/demo_recipe.yaml, and its closed loops."""

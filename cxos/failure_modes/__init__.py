"""Recurring failure modes: clustering signals into candidates, the council's edits, and live figures per mode."""

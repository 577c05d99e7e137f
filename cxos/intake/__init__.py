"""Signals that arrive by themselves: integration tokens, the intake inbox, mapping payloads to signals."""

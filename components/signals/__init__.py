"""Signals on screen: the quick-entry form, the log's filters and table, one signal in full."""

"""Importing ticket and chat exports (CSV, XLSX, Slack JSON) as signals: read, map, validate, dedupe, store."""

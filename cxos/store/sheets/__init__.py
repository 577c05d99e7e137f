"""Google Sheets as a friction-log backend: a SQLite working copy mirrored to one worksheet per table."""

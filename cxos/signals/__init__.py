"""Signals: the one door every signal change goes through, the lifecycle, the friction log's queries, and the export."""

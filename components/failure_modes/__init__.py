"""Failure modes on screen: the ranked table, one mode in full, candidates from clustering, their charts."""

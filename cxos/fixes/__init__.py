"""Upstream fixes: their lifecycle, recurrence before vs after each ship, and the loop notices to the customers who reported it."""

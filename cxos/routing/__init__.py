"""Routing signals upstream: the rules and their engine, the owner model and its queue, routing accuracy, the backtest, handoffs."""

"""Routing on screen: rules (list, editor, accuracy), the owner model's panels, the backtest, handoffs."""

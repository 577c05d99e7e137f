"""KPIs on screen: tiles, charts, cost settings, the metrics import, the OS fit score panels."""

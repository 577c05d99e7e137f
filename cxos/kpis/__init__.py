"""What managers read: the KPIs, the OS fit score, imported monthly metrics, and the weekly digest."""

"""The journey map, its editor, and the friction heatmaps with their drill-down."""

"""What every page shares: the page setup and sidebar, cached loaders, safe text, shared charts, presentation mode, store status."""

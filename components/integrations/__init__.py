"""The Integrations page's screens: integration tokens and the intake inbox."""

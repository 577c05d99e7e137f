"""Owners told where they work: each team's Slack webhook and e-mail, the notice outbox and its sender."""

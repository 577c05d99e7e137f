"""The weekly Experience Council: sessions, the pulse, bulk triage, and the minutes."""

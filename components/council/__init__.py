"""The council walkthrough: its frame (steps, time box, writes) and one module per step, plus history."""

"""Recall as a Slack app (python -m bot slack), beside the Discord cogs."""

"""Helpers shared by Recall's extensions: error reporting and timely responses."""

"""Recall: a Discord tutor bot. The engine modules in this package never import discord."""

__version__ = "0.1.0"

"""Discord extensions: thin glue between discord.py and the engine in ``bot/``."""

"""Use cases: each public call of a service is one storage transaction.

Services load state through :mod:`bot.storage`, decide with the pure rules of
:mod:`bot.core`, and store the decision, all inside one transaction script. They
know nothing of Discord or Slack: callers name people and places by their
platform :class:`~bot.core.learner.Identity`.
"""

from bot.storage.errors import StorageError

__all__ = ["StorageError"]
"""Front ends catch :class:`StorageError` (the database is busy or unavailable) from
here: they never import storage itself."""

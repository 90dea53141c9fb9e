"""Recall as a Slack app: the same engine and database as the Discord bot, in Socket Mode.

``python -m bot slack`` runs it (:mod:`slackapp.runner`). The package is a front end
like ``cogs/``: it names people and workspaces by their Slack
:class:`~bot.core.learner.Identity`, calls :mod:`bot.services`, and owns its words
and Block Kit layouts. It never imports :mod:`bot.storage`, discord or ``cogs``.

Modules: ``commands`` parses ``/quiz`` text; ``escape`` makes deck text and answers
safe to send; ``ids`` builds and reads action ids; ``context`` is what every handler
gets; ``app`` registers the handlers on bolt's ``AsyncApp``; ``quiz`` runs learner
flows, ``home`` the App Home tab, ``admin`` the workspace admins' commands.
"""

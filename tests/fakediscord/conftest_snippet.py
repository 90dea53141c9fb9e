"""How to enable the fake-Discord fixtures project-wide (the lead owns tests/conftest.py).

Add this line to ``tests/conftest.py``::

    from tests.fakediscord.fixtures import fake_discord, study_hall  # noqa: F401

Then any test can request them::

    async def test_something(fake_discord, study_hall):
        async with connected_client(fake_discord, make_recall_bot()) as bot:
            inter = await fake_discord.slash(study_hall.learner, "quiz start", {"deck": "x"})
            msg = await inter.wait_done()

``fake_discord`` is a started :class:`~tests.fakediscord.FakeDiscord` holding the
"Study Hall" guild (channel ``study``; ``mod`` with Manage Server; learners
``alice`` and ``bob``); ``study_hall`` gives typed handles to those objects.
This module only documents; importing it does nothing.
"""

"""Nothing pings: a deck whose every text holds ``<!everyone>``, ``<!channel>``,
``<!here>``, ``<@U1>`` and ``&`` is shown escaped in every step, the modal and the
command replies; no call uses ``link_names`` or ``parse``. The fixture's teardown
also runs the fake's own mention check over everything the app sent."""

from __future__ import annotations

from tests.e2e_slack.harness import SlackRecall, labels
from tests.slack_checks import assert_nothing_pings
from tests.slack_decks import HOSTILE_DECK

ESCAPED = "&lt;!everyone&gt; &lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt;"
SENDING = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.publish",
    "response_url",
)


def assert_calls_clean(slack_recall: SlackRecall) -> int:
    """Every message and view the app sent: no ``<`` from deck text, no link_names or
    parse; the number of such calls."""
    calls = [c for m in SENDING for c in slack_recall.fake.calls_to(m)]
    for call in calls:
        assert_nothing_pings(call.params)
    return len(calls)


async def test_every_kind_of_card_is_escaped(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(alice, f"start deck:{HOSTILE_DECK} kind:flashcard")
    assert f"Front {ESCAPED}" in card.all_text() and "R&amp;D" in card.all_text()
    card = await slack_recall.click(alice, card, "Reveal answer")
    assert f"Back {ESCAPED}" in card.all_text()
    await slack_recall.click(alice, card, "Again")

    _, card = await slack_recall.start_session(alice, f"start deck:{HOSTILE_DECK} kind:mcq")
    assert labels(card)[:2] == ["A · &lt;!everyone&gt;", "B · &lt;@U1&gt; &amp; friends"]
    card = await slack_recall.click(alice, card, "B · &lt;@U1&gt; &amp; friends")
    assert "✓ Correct!" in card.all_text() and f"Why {ESCAPED}" in card.all_text()
    await slack_recall.click(alice, card, "Next")

    _, card = await slack_recall.start_session(alice, f"start deck:{HOSTILE_DECK} kind:explain")
    card = await slack_recall.click(alice, card, "Show hint")
    assert f"Hint {ESCAPED}" in card.all_text()
    click = await fake.click(alice, card, "Write my answer")
    modal = await click.wait_view()
    assert f"Prompt {ESCAPED}" in modal.all_text()
    await fake.submit_view(alice, modal, {"answer": "<!everyone> a ping & an ampersand"})
    await fake.wait_until(lambda: "concepts" in card.all_text(), what="the graded card")
    assert "mentions &lt;!channel&gt;" in card.all_text()
    assert f"Model {ESCAPED}" in card.all_text()

    decks = await slack_recall.quiz(alice, "decks")
    listing = await decks.wait_reply()
    assert "Hostile &lt;!here&gt; &amp; co" in listing.all_text()
    assert assert_calls_clean(slack_recall) >= 10


async def test_command_text_quoted_back_is_escaped(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    # should_escape: Slack sends a typed mention as <!everyone>, and < > & as entities.
    typo = await slack_recall.quiz(alice, "start deck:<!everyone>&amp;")
    reply = await typo.wait_reply()
    assert "There is no deck called '&lt;!everyone&gt;&amp;'" in reply.text
    unknown = await slack_recall.quiz(alice, "<@U1>")
    assert unknown.ack is not None
    assert "'&lt;@U1&gt;' is not a /quiz command" in unknown.ack["text"]

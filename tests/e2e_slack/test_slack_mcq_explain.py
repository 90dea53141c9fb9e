"""Multiple choice and explain sessions end to end: option buttons ``A · text``, the
explain answer written in a modal opened with the click's trigger_id, graded by the
engine's grader, with errors shown inside the modal."""

from __future__ import annotations

from bot.core.learner import Identity, Platform
from bot.decks import McqCard
from tests.e2e_slack.harness import SlackRecall, labels


async def test_mcq_session(slack_recall: SlackRecall) -> None:
    alice = slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:mcq count:1"
    )
    shown = labels(card)
    assert shown[-1] == "Stop"
    options = shown[:-1]
    assert 2 <= len(options) <= 5
    assert all(label[0] in "ABCDE" and label[1:4] == " · " for label in options)
    assert all(len(label) <= 75 for label in options)

    step = await slack_recall.ctx.study.view(
        int(card.action_ids[0].split(":")[2])  # recall:q:<session>:...
    )
    assert isinstance(step.card, McqCard)
    right = options[step.card.answer_index]
    card = await slack_recall.click(alice, card, right)
    assert "✓ Correct!" in card.all_text()
    assert labels(card) == ["Next", "Stop"]
    card = await slack_recall.click(alice, card, "Next")
    assert "Session complete" in card.all_text()
    assert "Score:* 1/1" in card.all_text()


async def test_explain_session_with_the_modal(slack_recall: SlackRecall) -> None:
    fake, alice = slack_recall.fake, slack_recall.world.learner
    _, card = await slack_recall.start_session(
        alice, "start deck:django-wsgi-asgi kind:explain count:1"
    )
    assert labels(card) == ["Show hint", "Write my answer", "Stop"]
    card = await slack_recall.click(alice, card, "Show hint")
    assert "*Hint*" in card.all_text()
    assert labels(card) == ["Write my answer", "Stop"]

    click = await fake.click(alice, card, "Write my answer")
    modal = await click.wait_view()
    assert modal.trigger_id == click.trigger_id  # opened with the click's own trigger
    assert modal.view["title"]["text"] == "Explain it"
    (answer,) = modal.inputs()
    assert answer[1]["multiline"] is True

    # An answer with no word in it: the modal stays open with the reason, nothing recorded.
    empty = await fake.submit_view(alice, modal, {"answer": " ... "})
    assert empty.ack is not None and empty.ack["response_action"] == "errors"
    assert "empty" in modal.errors["answer"]
    assert not modal.closed
    who = Identity(Platform.SLACK, alice.id)
    assert (await slack_recall.ctx.reports.learner_stats(who)).reviews == 0

    text = (
        "WSGI is synchronous and handles one request per thread, while ASGI is "
        "asynchronous, supports websockets and long-lived connections with an event loop."
    )
    submitted = await fake.submit_view(alice, modal, {"answer": text})
    assert submitted.ack is None  # no errors: the modal closes
    await fake.wait_until(lambda: "concepts" in card.all_text(), what="the graded card")
    assert modal.closed
    shown = card.all_text()
    assert "You got " in shown and "*Model answer*" in shown
    assert labels(card) == ["Next", "Stop"]
    assert (await slack_recall.ctx.reports.learner_stats(who)).reviews == 1

    card = await slack_recall.click(alice, card, "Next")
    assert "Session complete" in card.all_text()

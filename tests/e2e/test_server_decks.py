"""``/quiz-admin deck upload | list | remove | download`` through the fake Discord,
with real attachments: the fake serves each file's bytes at its URL."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.core.learner import Identity, Platform
from bot.decks import limits
from bot.decks.importers import import_deck
from tests.conftest import REPO_ROOT
from tests.e2e.harness import Recall, embed, ephemeral_text, field_named, labels
from tests.fakediscord.models import FakeMessage, FakeUpload, FakeUser

FIXTURES = REPO_ROOT / "tests" / "data" / "imports"

YAML_DECK = """\
id: spanish-basics
title: Spanish basics
description: A few words.
cards:
  - id: hola
    type: flashcard
    level: beginner
    front: hola
    back: hello
  - id: dog
    type: mcq
    level: beginner
    question: Which one is a dog?
    options: [perro, gato, pez]
    answer: perro
    explanation: Perro is dog; gato is cat.
"""


def recall_hall(recall: Recall) -> Identity:
    return Identity(Platform.DISCORD, str(recall.hall.guild.id))


def upload_of(recall: Recall, name: str, data: bytes | None = None, **kw: object) -> FakeUpload:
    content = (FIXTURES / name).read_bytes() if data is None else data
    return recall.fake.upload(name, content, **kw)  # type: ignore[arg-type]


async def upload(
    recall: Recall,
    name: str,
    data: bytes | None = None,
    *,
    replace: bool = False,
    user: FakeUser | None = None,
) -> FakeMessage:
    """A moderator's upload of ``name`` (a fixture, or ``data``); the reply."""
    options: dict[str, object] = {"file": upload_of(recall, name, data)}
    if replace:
        options["replace"] = True
    interaction = await recall.fake.slash(
        user or recall.hall.moderator, "quiz-admin deck upload", options
    )
    message = await interaction.wait_done(timeout=30)
    assert message is not None and message.ephemeral
    return message


@pytest.mark.parametrize(
    ("name", "first_line", "media"),
    [
        ("vocab.csv", "Added deck `vocab` (vocab) for this server: 3 cards, 3 flashcards.", 0),
        (
            "mixed.tsv",
            "Added deck `mixed` (mixed) for this server: 3 cards, 1 flashcard, "
            "1 multiple-choice question, 1 explain card.",
            0,
        ),
        (
            "quizlet.txt",
            "Added deck `quizlet` (quizlet) for this server: 4 cards, 4 flashcards.",
            0,
        ),
        (
            "anki-notes.txt",
            "Added deck `anki-notes` (anki-notes) for this server: 2 cards, 2 flashcards.",
            1,
        ),
        ("mixed.apkg", "Added deck `mixed` (Biology) for this server: 5 cards, 5 flashcards.", 0),
        (
            "basic.apkg",
            "Added deck `basic` (Spanish::Basics) for this server: 4 cards, 4 flashcards.",
            2,
        ),
        ("mixed.colpkg", "Added deck `mixed` (Biology) for this server: 5 cards, 5 flashcards.", 0),
        (
            "mixed-anki21b.apkg",
            "Added deck `mixed-anki21b` (Biology) for this server: 5 cards, 5 flashcards.",
            0,
        ),
    ],
)
async def test_each_format_is_added_with_its_counts(
    recall: Recall, name: str, first_line: str, media: int
) -> None:
    reply = await upload(recall, name)
    lines = reply.content.splitlines()
    assert lines[0] == first_line
    if media:
        plural = "s" if media != 1 else ""
        assert lines[1] == (
            f"{media} image or sound reference{plural} dropped (Recall shows text only)."
        )
    deck_id = first_line.split("`")[1]
    assert lines[-1] == f"Learners can study it now: `/quiz start deck:{deck_id}`."
    [row] = await recall.sql("SELECT deck_id, source FROM server_decks")
    assert row[0] == deck_id and f"\nid: {deck_id}\n" in row[1]


async def test_a_yaml_deck_then_a_learner_studies_it(recall: Recall) -> None:
    hall = recall.hall
    reply = await upload(recall, "spanish.yaml", YAML_DECK.encode())
    assert reply.content.splitlines()[0] == (
        "Added deck `spanish-basics` (Spanish basics) for this server: 2 cards, "
        "1 flashcard, 1 multiple-choice question."
    )
    choices = await recall.fake.autocomplete(
        hall.learner, "quiz start", {"deck": "span"}, focused="deck"
    )
    assert choices == [{"name": "Spanish basics", "value": "spanish-basics"}]
    started = await recall.slash(
        hall.learner, "quiz start", {"deck": "spanish-basics", "kind": "flashcard"}
    )
    card = started.message()
    assert card is not None
    assert embed(card)["description"].startswith("hola") or "hola" in str(embed(card))
    revealed = await recall.click(hall.learner, card, "Reveal answer")
    assert revealed.message() is not None
    graded = await recall.click(hall.learner, card, "Good")
    assert graded.message() is not None
    assert await recall.review_count() == 1
    decks = await recall.slash(hall.learner, "quiz decks")
    listing = decks.message()
    assert listing is not None
    assert "You: 1/2 seen" in field_named(listing, "Spanish basics")


async def test_a_file_with_problems_lists_them_and_saves_nothing(recall: Recall) -> None:
    bad = b"front,back\nhola,\n,dog\ngato,cat\n"
    reply = await upload(recall, "vocab.csv", bad)
    lines = reply.content.splitlines()
    assert lines[0] == "`vocab.csv` was not saved: 2 problems."
    assert lines[1].startswith("- `vocab.csv:2: ") and lines[1].endswith("must not be empty`")
    assert lines[2].startswith("- `vocab.csv:3: ")
    assert await recall.sql("SELECT * FROM server_decks") == []


async def test_many_problems_are_cut_with_a_count_and_attached_in_full(recall: Recall) -> None:
    rows = "".join(f"word{n},\n" for n in range(300))
    reply = await upload(recall, "long.csv", f"front,back\n{rows}".encode())
    assert len(reply.content) <= 2000
    last = reply.content.splitlines()[-1]
    assert last.startswith("…and ") and last.endswith(
        "more problems (all of them in problems.txt)."
    )
    [attached] = reply.attachments
    assert attached.filename == "problems.txt"
    assert reply.content.splitlines()[0] == "`long.csv` was not saved: 300 problems."
    shown = [line for line in reply.content.splitlines() if line.startswith("- `")]
    assert len(shown) + int(last.split()[1]) == 300
    # The file has what the importer listed (its first 100, then a count of the rest).
    every = attached.content.decode().splitlines()
    expected = import_deck("long.csv", f"front,back\n{rows}".encode())
    assert every == [str(p) for p in expected.problems]
    assert every[0] == "long.csv:2: word0-62f49687: 'back' must not be empty"


def _zipped(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in members.items():
            package.writestr(name.replace("_", "."), content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("garbage.csv", bytes(range(256)) * 20, "garbage.csv:1: -: binary data, not a text file"),
        (
            "bomb.apkg",
            _zipped(collection_anki2=b"\x00" * (limits.UNPACKED_BYTES_MAX + 1)),
            "bomb.apkg:1: -: the collection inside unpacks to more than 64 MiB",
        ),
        (
            "corrupt.apkg",
            _zipped(collection_anki2=b"SQLite format 3\x00" + b"\xff" * 5000),
            "corrupt.apkg:1: -: ",
        ),
        ("deck.pdf", b"%PDF-1.4", "deck.pdf:1: -: unknown file type"),
    ],
)
async def test_hostile_files_get_one_clear_line(
    recall: Recall, name: str, data: bytes, says: str
) -> None:
    reply = await upload(recall, name, data)
    lines = reply.content.splitlines()
    assert lines[0] == f"`{name}` was not saved: 1 problem."
    assert len(lines) == 2 and lines[1].startswith(f"- `{says}")
    assert await recall.sql("SELECT * FROM server_decks") == []


async def test_an_oversized_file_is_refused_by_its_declared_size_unread(recall: Recall) -> None:
    big = recall.fake.upload("huge.csv", b"front,back\na,b\n", size=20 * 1024 * 1024)
    interaction = await recall.fake.slash(
        recall.hall.moderator, "quiz-admin deck upload", {"file": big}
    )
    await interaction.response()
    assert ephemeral_text(interaction) == (
        "That file is 20.0 MiB; decks can be at most 8.0 MiB. Nothing was saved."
    )
    assert big.downloads == 0


async def test_bundled_ids_and_existing_decks_are_refused(recall: Recall) -> None:
    shipped = recall.running.decks.all()[0].id
    clash = await upload(recall, f"{shipped}.csv", b"front,back\na,b\n")
    assert clash.content.startswith(f"`{shipped}` is the id of a deck that comes with Recall")
    await upload(recall, "vocab.csv")
    again = await upload(recall, "vocab.csv", b"front,back\nx,y\n")
    assert again.content == (
        "This server already has a deck `vocab`. Upload again with `replace:true` to replace "
        "it (progress on unchanged cards is kept)."
    )


async def test_replace_keeps_the_progress_of_unchanged_cards(recall: Recall) -> None:
    hall = recall.hall
    await upload(recall, "vocab.csv", b"front,back\nhola,hello\nperro,dog\n")
    started = await recall.slash(hall.learner, "quiz start", {"deck": "vocab", "count": 2})
    card = started.message()
    assert card is not None
    for _ in range(2):
        await recall.click(hall.learner, card, "Reveal answer")
        await recall.click(hall.learner, card, "Good")
        if "Next" in [c.get("label") for c in card.iter_components()]:
            await recall.click(hall.learner, card, "Next")
    replaced = await upload(
        recall, "vocab.csv", b"front,back\nhola,hello\npez,fish\ngato,cat\n", replace=True
    )
    assert replaced.content.startswith("Replaced deck `vocab` (vocab) for this server: 3 cards")
    assert "Progress on every card whose id is unchanged is kept." in replaced.content
    decks = await recall.slash(hall.learner, "quiz decks")
    listing = decks.message()
    assert listing is not None
    assert "You: 1/3 seen" in field_named(listing, "vocab")


async def test_another_server_sees_nothing_of_the_deck(recall: Recall) -> None:
    hall = recall.hall
    await recall.running.tree.sync()  # global commands: usable in the other server too
    other = recall.fake.create_guild("Other server")
    channel = recall.fake.create_text_channel(other, "general")
    recall.fake.add_member(other, hall.learner)
    await upload(recall, "vocab.csv")
    here = await recall.fake.autocomplete(
        hall.learner, "quiz start", {"deck": "voc"}, focused="deck"
    )
    assert [c["value"] for c in here] == ["vocab"]
    there = await recall.fake.autocomplete(
        hall.learner, "quiz start", {"deck": "voc"}, focused="deck", guild=other, channel=channel
    )
    assert there == []
    refused = await recall.fake.slash(
        hall.learner, "quiz start", {"deck": "vocab"}, guild=other, channel=channel
    )
    message = await refused.wait_done()
    assert message is not None and message.ephemeral
    assert message.content == "There is no deck called 'vocab'. See /quiz decks."
    decks = await recall.fake.slash(hall.learner, "quiz decks", guild=other, channel=channel)
    shown = await decks.wait_done()
    assert shown is not None and "vocab" not in str(shown.embeds)


async def test_download_then_upload_gives_the_same_deck(recall: Recall) -> None:
    hall = recall.hall
    first = await upload(recall, "mixed.apkg")
    assert first.content.startswith("Added deck `mixed`")
    before = recall.running.catalog.resolve(recall_hall(recall), "mixed")
    assert before is not None
    got = await recall.slash(hall.moderator, "quiz-admin deck download", {"deck": "mixed"})
    message = got.message()
    assert message is not None and message.ephemeral
    [file] = message.attachments
    assert file.filename == "mixed.yaml"
    again = await upload(recall, "mixed.yaml", file.content, replace=True)
    assert again.content.startswith("Replaced deck `mixed`")
    after = recall.running.catalog.resolve(recall_hall(recall), "mixed")
    assert after is not None and after.deck == before.deck and after.key == before.key
    second = await recall.slash(hall.moderator, "quiz-admin deck download", {"deck": "mixed"})
    again_message = second.message()
    assert again_message is not None
    assert again_message.attachments[0].content == file.content


async def test_list_and_remove_keep_the_log(recall: Recall) -> None:
    hall = recall.hall
    await upload(recall, "quizlet.txt")
    listed = await recall.slash(hall.moderator, "quiz-admin deck list")
    message = listed.message()
    assert message is not None
    assert "`quizlet` · quizlet · 4 flashcards" in field_named(
        message, "Uploaded in this server (1)"
    )
    choices = await recall.fake.autocomplete(
        hall.moderator, "quiz-admin deck remove", {"deck": ""}, focused="deck"
    )
    assert [c["value"] for c in choices] == ["quizlet"]  # uploaded decks only
    started = await recall.slash(hall.learner, "quiz start", {"deck": "quizlet", "count": 1})
    card = started.message()
    assert card is not None
    await recall.click(hall.learner, card, "Reveal answer")
    await recall.click(hall.learner, card, "Good")
    assert await recall.review_count() == 1
    removed = await recall.slash(hall.moderator, "quiz-admin deck remove", {"deck": "quizlet"})
    assert ephemeral_text(removed).startswith("Removed `quizlet` (quizlet) from this server.")
    assert await recall.review_count() == 1
    gone = await recall.slash(hall.learner, "quiz start", {"deck": "quizlet"})
    assert ephemeral_text(gone) == "There is no deck called 'quizlet'. See /quiz decks."
    twice = await recall.slash(hall.moderator, "quiz-admin deck remove", {"deck": "quizlet"})
    assert ephemeral_text(twice).startswith("This server has no uploaded deck `quizlet`.")
    bundled = recall.running.decks.all()[0].id
    refused = await recall.slash(hall.moderator, "quiz-admin deck download", {"deck": bundled})
    assert "comes with Recall" in ephemeral_text(refused)


async def test_a_learner_cannot_upload(recall: Recall) -> None:
    hall = recall.hall
    file = upload_of(recall, "vocab.csv")
    # Without a server override, Discord itself does not offer the command.
    with pytest.raises(PermissionError):
        await recall.fake.slash(hall.learner, "quiz-admin deck upload", {"file": file})
    # With one, the handler refuses before reading the file.
    recall.fake.allow_command(hall.guild, "quiz-admin", hall.learner)
    refused = await recall.slash(hall.learner, "quiz-admin deck upload", {"file": file})
    assert ephemeral_text(refused) == "This command is for moderators (it needs Manage Server)."
    assert file.downloads == 0
    assert await recall.sql("SELECT * FROM server_decks") == []


async def test_review_missed_and_start_another_on_the_servers_deck(recall: Recall) -> None:
    await upload(recall, "spanish.yaml", YAML_DECK.encode())
    alice = recall.hall.learner
    start = await recall.slash(
        alice, "quiz start", {"deck": "spanish-basics", "kind": "flashcard", "count": 1}
    )
    message = start.message()
    assert message is not None and embed(message)["title"].startswith("Spanish basics")
    await recall.click(alice, message, "Reveal answer")
    await recall.click(alice, message, "Again")
    assert labels(message) == ["Review missed", "Start another"]

    again = (await recall.click(alice, message, "Review missed")).message()
    assert again is not None and again.id != message.id
    assert embed(again)["title"].startswith("Spanish basics")
    row = await recall.sql_one("SELECT kind, deck_id FROM quiz_sessions ORDER BY id DESC LIMIT 1")
    assert row is not None and row["kind"] == "missed"
    key = str(row["deck_id"])
    assert key != "spanish-basics" and key.startswith("spanish-basics@")

    # Start another while that one is open: the question names the server's deck.
    asked = (await recall.click(alice, message, "Start another")).message()
    assert asked is not None and labels(asked) == ["Resume", "Start new"]
    assert "**Spanish basics**" in embed(asked)["description"]
    await recall.click(alice, asked, "Start new")
    assert embed(asked)["title"].startswith("Spanish basics")
    row = await recall.sql_one("SELECT kind, deck_id FROM quiz_sessions ORDER BY id DESC LIMIT 1")
    assert row is not None and (row["kind"], row["deck_id"]) == ("flashcard", key)


async def test_a_second_upload_while_one_is_read_is_refused(recall: Recall) -> None:
    """One upload at a time per server: the second gets one clear line, saves nothing."""
    async with recall.running.deck_admin.uploading(recall_hall(recall)):
        reply = await upload(recall, "vocab.csv")
    assert reply.content.startswith("Another deck upload for this server is still being read")
    assert "Nothing was saved" in reply.content
    assert await recall.sql("SELECT deck_id FROM server_decks") == []
    done = await upload(recall, "vocab.csv")  # the slot is free again
    assert "vocab" in done.content


async def test_a_server_at_its_deck_cap_is_refused_a_new_deck(recall: Recall) -> None:
    recall.running.deck_admin.max_decks = 1
    await upload(recall, "vocab.csv")
    refused = await upload(recall, "other.csv", b"front,back\nq,a\n")
    assert refused.content.startswith("This server already has 1 uploaded decks")
    assert "/quiz-admin deck remove" in refused.content
    rows = await recall.sql("SELECT deck_id FROM server_decks")
    assert [str(r["deck_id"]) for r in rows] == ["vocab"]

"""End-to-end tests of tests.fakediscord with a tiny real discord.py bot (not Recall)."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import (
    CommandNotFound,
    FakeDiscord,
    StudyHall,
    build_study_hall,
    connected_client,
    running_fake,
)

# ``fake_discord`` / ``study_hall`` come from tests/conftest.py (tests.fakediscord.fixtures).
CALLBACK = r"^/interactions/\d+/[^/]+/callback$"


# ---------------------------------------------------------------------- the demo bot
class Counter(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"demo:(?P<n>[0-9]+)"):
    """Persistent counter button: each click edits the message with n+1."""

    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label=f"Count {n}", custom_id=f"demo:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Counter:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=f"count={self.n + 1}", view=demo_view(self.n + 1)
        )


class EssayModal(discord.ui.Modal, title="Essay"):
    """One Label-wrapped short input and one classic (action-row) paragraph input."""

    topic: discord.ui.Label[Any] = discord.ui.Label(
        text="Topic", component=discord.ui.TextInput(custom_id="topic", required=False)
    )
    essay: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Essay", custom_id="essay", style=discord.TextStyle.paragraph, max_length=4000
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        topic = self.topic.component
        assert isinstance(topic, discord.ui.TextInput)
        await interaction.response.send_message(
            f"length={len(self.essay.value)} topic={topic.value}", ephemeral=True
        )


class EssayButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"demo-essay"):
    """Persistent button opening :class:`EssayModal`."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label="Write", custom_id="demo-essay"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> EssayButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(EssayModal(custom_id="essay-modal"))


def demo_view(n: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(Counter(n))
    view.add_item(EssayButton())
    return view


class DemoBot(commands.Bot):
    """A minimal bot with /demo hello|later|dm and /reset (Manage Server only)."""

    def __init__(self, guild_id: int) -> None:
        intents = discord.Intents.default()
        # Privileged, so Discord only sends member lists with it; the fake answers
        # the resulting op 8 member request with a GUILD_MEMBERS_CHUNK.
        intents.members = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            guild_ready_timeout=0.05,
        )
        self.guild_id = guild_id
        self.dm_errors: list[discord.HTTPException] = []

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Counter, EssayButton)
        demo = app_commands.Group(name="demo", description="Demo commands")

        @demo.command(name="hello", description="Say hello")
        @app_commands.describe(name="Who to greet")
        async def hello(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(
                f"Hello {name}! <@{interaction.user.id}>",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
                view=demo_view(0),
            )

        @hello.autocomplete("name")
        async def hello_autocomplete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            names = ["Ada", "Alan", "Grace", "Barbara"]
            return [
                app_commands.Choice(name=n, value=n.lower())
                for n in names
                if n.lower().startswith(current.lower())
            ]

        @demo.command(name="later", description="Defer, then follow up")
        async def later(interaction: discord.Interaction, count: int = 1) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(f"done x{count}")

        @demo.command(name="dm", description="DM the caller")
        async def dm(interaction: discord.Interaction) -> None:
            try:
                await interaction.user.send("psst")
            except discord.Forbidden as exc:
                self.dm_errors.append(exc)
                await interaction.response.send_message(f"dm failed {exc.code}", ephemeral=True)
            else:
                await interaction.response.send_message("dm sent", ephemeral=True)

        @demo.command(name="file", description="Send a file in a followup")
        async def file(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("here it comes")
            await interaction.followup.send(
                "notes", file=discord.File(io.BytesIO(b"card,answer\n"), filename="notes.csv")
            )

        @demo.command(name="read", description="Read an attached file back")
        async def read(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            await interaction.response.send_message(
                f"{file.filename} {file.size} {file.content_type} {data.decode()!r}",
                file=discord.File(io.BytesIO(data[::-1]), filename="reversed.txt"),
                ephemeral=True,
            )

        @app_commands.command(name="reset", description="Moderators only")
        @app_commands.default_permissions(manage_guild=True)
        async def reset(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("reset!")

        self.tree.add_command(demo)
        self.tree.add_command(reset)
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)
        # Guild commands are invisible in DMs (the fake enforces that), so sync globally too.
        await self.tree.sync()


# ---------------------------------------------------------------------- fixtures
@pytest_asyncio.fixture
async def world() -> AsyncIterator[StudyHall]:
    async with running_fake() as fake:
        yield build_study_hall(fake)


@pytest_asyncio.fixture
async def bot(world: StudyHall) -> AsyncIterator[DemoBot]:
    async with connected_client(world.fake, DemoBot(world.guild.id)) as client:
        yield client
    world.fake.assert_no_unknown_routes()


# ---------------------------------------------------------------------- tests
async def test_login_ready_and_command_sync(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    assert bot.user is not None
    assert bot.user.id == fake.bot_user.id
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    assert guild.name == "Study Hall"
    assert [c.name for c in guild.text_channels] == ["study"]
    mod = guild.get_member(world.moderator.id)
    assert mod is not None
    assert mod.guild_permissions.manage_guild
    learner = guild.get_member(world.learner.id)
    assert learner is not None
    assert not learner.guild_permissions.manage_guild
    assert guild.me.guild_permissions.send_messages

    # Gateway: HELLO→IDENTIFY, READY then GUILD_CREATE.
    assert len(fake.gateway.ops_received(2)) == 1
    assert fake.gateway.connections[0]["v"] == "10"

    # Sync: one bulk PUT to the guild, and the fake stored names/options/permissions.
    puts = fake.requests_matching("PUT", rf"/guilds/{world.guild.id}/commands$")
    assert [r.status for r in puts] == [200]
    cmds = {c.name: c for c in fake.commands_for(world.guild)}
    assert set(cmds) == {"demo", "reset"}
    assert cmds["demo"].option_names() == ["hello", "later", "dm", "file", "read"]
    hello = cmds["demo"].options[0]
    assert hello["options"][0]["name"] == "name"
    assert hello["options"][0]["autocomplete"] is True
    assert cmds["demo"].default_member_permissions is None
    assert cmds["reset"].default_member_permissions == str(discord.Permissions.manage_guild.flag)


async def test_slash_command_response(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    inter = await fake.slash(world.learner, "demo hello", {"name": "Ada"})
    callback = await inter.response()
    assert callback.type == 4
    msg = inter.message()
    assert msg is not None
    assert msg.content == f"Hello Ada! <@{world.learner.id}>"
    assert msg.ephemeral
    assert msg.flags & 64
    assert msg.allowed_mentions is not None
    assert msg.allowed_mentions["parse"] == []
    assert msg.custom_ids == ["demo:0", "demo-essay"]
    assert msg.interaction_metadata is not None
    assert msg.interaction_metadata["user"]["id"] == str(world.learner.id)

    with pytest.raises(CommandNotFound, match="no subcommand 'nope'"):
        await fake.slash(world.learner, "demo nope")
    with pytest.raises(CommandNotFound, match="no option 'colour'"):
        await fake.slash(world.learner, "demo hello", {"name": "x", "colour": "red"})
    with pytest.raises(CommandNotFound, match="not registered"):
        await fake.slash(world.learner, "quiz start")
    with pytest.raises(PermissionError, match="lacks permissions 0x20"):
        await fake.slash(world.learner, "reset")
    done = await (await fake.slash(world.moderator, "reset")).wait_done()
    assert done is not None
    assert done.content == "reset!"
    assert not done.ephemeral


async def test_slash_in_dm(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    dm = fake.dm_channel(world.learner2)
    inter = await fake.slash(world.learner2, "demo hello", {"name": "Grace"}, channel=dm)
    msg = await inter.wait_done()
    assert msg is not None
    assert msg.channel_id == dm.id
    assert msg.guild_id is None
    clicked = await fake.click(world.learner2, msg, "demo:0")
    assert (await clicked.response()).type == 7
    assert fake.get_message(msg.id).content == "count=1"


async def test_button_click_edits_and_survives_restart(world: StudyHall) -> None:
    fake = world.fake
    async with connected_client(fake, DemoBot(world.guild.id)):
        inter = await fake.slash(world.learner, "demo hello", {"name": "Ada"})
        msg = await inter.wait_done()
        assert msg is not None
        click = await fake.click(world.learner, msg, "demo:0")
        callback = await click.response()
        assert callback.type == 7
        current = fake.get_message(msg.id)
        assert current.content == "count=1"
        assert current.custom_ids == ["demo:1", "demo-essay"]
        assert [v.content for v in current.versions] == [
            f"Hello Ada! <@{world.learner.id}>",
            "count=1",
        ]
        with pytest.raises(LookupError, match="no component 'demo:0'"):
            await fake.click(world.learner, msg, "demo:0")  # the button is gone now

    # A brand-new client instance (a restarted bot) still handles the old message.
    async with connected_client(fake, DemoBot(world.guild.id)):
        assert len(fake.gateway.ops_received(2)) == 2  # identified again
        click = await fake.click(world.learner2, msg, "demo:1")
        assert (await click.response()).type == 7
        assert fake.get_message(msg.id).content == "count=2"
    fake.assert_no_unknown_routes()


async def test_modal_flow(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    msg = await (await fake.slash(world.learner, "demo hello", {"name": "Ada"})).wait_done()
    assert msg is not None
    opener = await fake.click(world.learner, msg, "demo-essay")
    callback = await opener.response()
    assert callback.type == 9
    modal = opener.modal
    assert modal is not None
    assert modal.custom_id == "essay-modal"
    assert modal.title == "Essay"
    assert set(modal.text_inputs) == {"topic", "essay"}
    assert modal.text_inputs["essay"]["style"] == 2
    # Both shapes discord.py 2.7 emits: a Label (type 18) and an action row (type 1).
    assert sorted(c["type"] for c in modal.components) == [1, 18]

    text = "x" * 4000
    submit = await fake.submit_modal(
        world.learner, "essay-modal", {"essay": text, "topic": "history"}
    )
    reply = await submit.wait_done()
    assert reply is not None
    assert reply.content == "length=4000 topic=history"
    assert reply.ephemeral
    assert submit.payload["message"]["id"] == str(msg.id)

    with pytest.raises(ValueError, match="4000"):
        await fake.submit_modal(world.learner, "essay-modal", {"essay": "y" * 4001})
    with pytest.raises(LookupError, match="no text inputs"):
        await fake.submit_modal(world.learner, "essay-modal", {"nope": "y"})


async def test_autocomplete(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    choices = await fake.autocomplete(world.learner, "demo hello", {"name": "a"}, focused="name")
    assert choices == [{"name": "Ada", "value": "ada"}, {"name": "Alan", "value": "alan"}]
    everything = await fake.autocomplete(world.learner, "demo hello", focused="name")
    assert len(everything) == 4


async def test_deferred_followup(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    inter = await fake.slash(world.learner, "demo later", {"count": 3})
    assert (await inter.response()).type == 5
    msg = await inter.wait_done()
    assert msg is not None
    assert msg.content == "done x3"
    assert not msg.loading
    # The first followup after a defer replaces the "thinking" placeholder.
    assert inter.followups == []
    assert [v.flags & 128 for v in msg.versions] == [128, 0]


async def test_rate_limits_are_honoured(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    rule = fake.rate_limit("POST", CALLBACK, retry_after=0.2)
    inter = await fake.slash(world.learner, "demo hello", {"name": "Ada"})
    callback = await inter.response()
    assert callback.elapsed >= 0.2
    attempts = fake.requests_matching("POST", CALLBACK)
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.2
    assert rule.hits == 1
    assert inter.callback_attempts == 1  # the 429 never reached the handler
    assert len(fake.messages_in(world.channel)) == 1

    fake.rate_limit("POST", r"^/webhooks/\d+/[^/]+$", retry_after=0.2)
    later = await fake.slash(world.learner, "demo later")
    msg = await later.wait_done()
    assert msg is not None
    assert msg.content == "done x1"
    followups = fake.requests_matching("POST", r"^/webhooks/\d+/[^/]+$")
    assert [r.status for r in followups] == [429, 200]
    assert len(fake.messages_in(world.channel)) == 2


async def test_reconnect_and_resume(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)

    await fake.request_reconnect()
    frame = await fake.wait_for_gateway_op(6)
    assert frame.d["session_id"] == fake.gateway.current.session_id  # type: ignore[union-attr]
    await asyncio.wait_for(resumed.wait(), 5)
    msg = await (await fake.slash(world.learner, "demo hello", {"name": "A"})).wait_done()
    assert msg is not None

    resumed.clear()
    await fake.drop_connection()
    # Dispatched while the bot is offline: replayed on RESUME like Discord does.
    inter = await fake.slash(world.learner, "demo hello", {"name": "B"})
    await fake.wait_for_gateway_op(6, count=2)
    await asyncio.wait_for(resumed.wait(), 5)
    # Replayed late, so don't hold the bot to the 3 s window.
    fake.interaction_timeout = None
    msg = await inter.wait_done()
    assert msg is not None
    assert msg.content.startswith("Hello B!")
    assert len(fake.gateway.ops_received(2)) == 1  # never re-identified


async def test_forbidden_dm_surfaces_in_bot(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    dm = fake.dm_channel(world.learner)
    rule = fake.fail("POST", rf"^/channels/{dm.id}/messages$")
    inter = await fake.slash(world.learner, "demo dm")
    msg = await inter.wait_done()
    assert msg is not None
    assert msg.content == "dm failed 50007"
    assert len(bot.dm_errors) == 1
    assert isinstance(bot.dm_errors[0], discord.Forbidden)
    assert rule.hits == 1

    fake.clear_faults()
    ok = await (await fake.slash(world.learner, "demo dm")).wait_done()
    assert ok is not None
    assert ok.content == "dm sent"
    assert [m.content for m in fake.messages_in(dm)] == ["psst"]


async def test_second_callback_is_rejected(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    inter = await fake.slash(world.learner, "demo hello", {"name": "Ada"})
    await inter.response()
    assert bot.http.token is not None
    # Answer the same interaction again, as a buggy bot would.
    route = discord.http.Route("POST", "/interactions/{i}/{t}/callback", i=inter.id, t=inter.token)
    with fake.patch_discord(), pytest.raises(discord.HTTPException) as info:
        await bot.http.request(route, json={"type": 4, "data": {"content": "again"}})
    assert info.value.code == 40060
    assert inter.callback_attempts == 2


async def test_bad_token_and_unknown_route(world: StudyHall) -> None:
    fake: FakeDiscord = world.fake
    client = discord.Client(intents=discord.Intents.none())
    with fake.patch_discord(), pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    async with connected_client(fake, DemoBot(world.guild.id)) as bot:
        with fake.patch_discord(), pytest.raises(discord.NotFound):
            await bot.http.request(discord.http.Route("GET", "/nope"))
    assert [r.path for r in fake.unknown_requests] == ["/nope"]
    with pytest.raises(AssertionError, match="/nope"):
        fake.assert_no_unknown_routes()


async def test_attachments_and_wait_helpers(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    waiting = asyncio.create_task(fake.wait_for_message(lambda m: bool(m.attachments)))
    inter = await fake.slash(world.learner, "demo file")
    followup = await inter.wait_followup()
    assert await waiting is followup
    assert followup.content == "notes"
    [attachment] = followup.attachments
    assert attachment.filename == "notes.csv"
    assert attachment.content == b"card,answer\n"
    request = await fake.wait_for_request("POST", r"^/webhooks/\d+/[^/]+$", include_existing=True)
    assert request.files[0][1:] == ("notes.csv", b"card,answer\n")
    assert request.json["attachments"][0]["filename"] == "notes.csv"


async def test_attachment_options_are_served_at_their_url(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    upload = fake.upload("deck.csv", b"front,back\n", content_type="text/csv")
    inter = await fake.slash(world.learner, "demo read", {"file": upload})
    await inter.response()
    resolved = inter.payload["data"]["resolved"]["attachments"][str(upload.id)]
    assert resolved["url"] == upload.url and resolved["size"] == 11
    assert inter.payload["data"]["options"][0]["options"][0]["value"] == str(upload.id)
    reply = inter.message()
    assert reply is not None
    assert reply.content == "deck.csv 11 text/csv 'front,back\\n'"
    assert upload.downloads == 1
    [sent] = reply.attachments
    assert (sent.filename, sent.content) == ("reversed.txt", b"\nkcab,tnorf")
    # A declared size that is not the content's, as a test of an oversized upload needs.
    big = fake.upload("big.csv", b"x", size=20_000_000)
    assert big.to_payload()["size"] == 20_000_000
    wrong_name = upload.url.replace("deck.csv", "other.csv")
    async with aiohttp.ClientSession() as session, session.get(wrong_name) as missing:
        assert missing.status == 404
    assert upload.downloads == 1


async def test_late_callback_gets_unknown_interaction(world: StudyHall, bot: DemoBot) -> None:
    fake = world.fake
    fake.enforce_deadline = True
    fake.interaction_timeout = 0.0  # pretend the bot took longer than Discord's 3 s
    inter = await fake.slash(world.learner, "demo hello", {"name": "Ada"})
    request = await fake.wait_for_request("POST", CALLBACK)
    assert request.status == 404
    assert inter.callback is None
    assert inter.message() is None


async def test_late_callback_is_recorded_not_refused_by_default(
    world: StudyHall, bot: DemoBot
) -> None:
    fake = world.fake
    assert not fake.enforce_deadline
    fake.interaction_timeout = 0.0  # pretend the bot took longer than Discord's 3 s
    inter = await fake.slash(world.learner, "demo hello", {"name": "Ada"})
    callback = await inter.response()
    assert callback.late
    assert fake.late_callbacks() == [inter]
    message = inter.message()
    assert message is not None and message.content.startswith("Hello Ada!")


async def test_shared_fixtures(fake_discord: FakeDiscord, study_hall: StudyHall) -> None:
    assert study_hall.fake is fake_discord
    assert study_hall.guild.name == "Study Hall"
    assert study_hall.guild.member(study_hall.moderator).permissions & 0x20
    assert not study_hall.guild.member(study_hall.learner).permissions & 0x20
    async with connected_client(fake_discord, DemoBot(study_hall.guild.id)) as bot:
        msg = await (await fake_discord.slash(study_hall.learner2, "demo later")).wait_done()
        assert msg is not None
        assert msg.content == "done x1"
        assert bot.is_ready()


async def test_message_payloads_that_could_ping_are_reported(
    world: StudyHall, bot: DemoBot
) -> None:
    fake = world.fake
    # /demo hello names AllowedMentions.none(); /reset names nothing (the demo bot has no default).
    await (await fake.slash(world.learner, "demo hello", {"name": "Ada"})).wait_done()
    fake.assert_no_pings()
    await (await fake.slash(world.moderator, "reset")).wait_done()
    [risk] = fake.ping_risks()
    assert risk.endswith("no allowed_mentions") and "/callback" in risk
    with pytest.raises(AssertionError, match="could ping"):
        fake.assert_no_pings()


# ---------------------------------------------------------------------- sharding
class ShardBot(commands.AutoShardedBot):
    """A sharded client answering ``/where`` and a persistent button with its own name."""

    def __init__(self, name: str, shard_ids: list[int] | None, shard_count: int | None) -> None:
        # discord.py's stubs want a list, but None (the default) means "every shard".
        sharding: dict[str, Any] = {"shard_ids": shard_ids, "shard_count": shard_count}
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
            **sharding,
        )
        self.name = name

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s between the IDENTIFYs of one process's shards (Discord's
        # rate limit); the fake has no such limit.
        return None

    async def setup_hook(self) -> None:
        bot = self

        class Where(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"where"):
            def __init__(self) -> None:
                super().__init__(discord.ui.Button(label="Where", custom_id="where"))

            @classmethod
            async def from_custom_id(
                cls,
                interaction: discord.Interaction,
                item: discord.ui.Item[Any],
                match: re.Match[str],
            ) -> Where:
                return cls()

            async def callback(self, interaction: discord.Interaction) -> None:
                await interaction.response.edit_message(content=f"clicked on {bot.name}")

        self.add_dynamic_items(Where)

        @app_commands.command(name="where", description="Which client answers")
        async def where(interaction: discord.Interaction) -> None:
            view = discord.ui.View(timeout=None)
            view.add_item(Where())
            await interaction.response.send_message(
                f"{self.name} shard {interaction.guild.shard_id if interaction.guild else 0}",
                view=view,
            )

        self.tree.add_command(where)
        await self.tree.sync()


async def test_shard_of_and_guild_of() -> None:
    from tests.fakediscord.gateway import guild_of, shard_of

    assert shard_of(None, 4) == 0
    assert shard_of(5 << 22, 4) == 1
    assert guild_of("INTERACTION_CREATE", {"guild_id": "42"}) == 42
    assert guild_of("GUILD_CREATE", {"id": "43"}) == 43
    assert guild_of("INTERACTION_CREATE", {"id": "44"}) is None


async def test_guilds_can_be_placed_on_a_shard() -> None:
    fake = FakeDiscord()
    for shard in range(3):
        guild = fake.create_guild_on_shard(f"g{shard}", shard, 3)
        assert (guild.id >> 22) % 3 == shard
    assert len(fake.guilds) == 3
    with pytest.raises(ValueError, match="out of range"):
        fake.create_guild_on_shard("nope", 3, 3)


async def test_gateway_bot_recommends_the_shard_count() -> None:
    async with running_fake() as fake:
        fake.create_guild_on_shard("zero", 0, 2)
        fake.create_guild_on_shard("one", 1, 2)
        fake.recommended_shards = 2
        # No shard_count: discord.py asks GET /gateway/bot and runs what it recommends.
        async with connected_client(fake, ShardBot("auto", None, None)) as bot:
            assert bot.shard_count == 2
            assert sorted(bot.shards) == [0, 1]
            assert len(bot.guilds) == 2
        shards = [frame.d["shard"] for frame in fake.gateway.ops_received(2)]
        assert sorted(shards) == [[0, 2], [1, 2]]


async def test_each_shard_gets_its_guilds_and_their_interactions() -> None:
    async with running_fake() as fake:
        zero = fake.create_guild_on_shard("zero", 0, 2)
        one = fake.create_guild_on_shard("one", 1, 2)
        for guild in (zero, one):
            fake.create_text_channel(guild, "study")
        learner = fake.create_user("alice")
        fake.add_member(zero, learner)
        fake.add_member(one, learner)
        async with (
            connected_client(fake, ShardBot("A", [0], 2)) as first,
            connected_client(fake, ShardBot("B", [1], 2)) as second,
        ):
            assert [g.id for g in first.guilds] == [zero.id]
            assert [g.id for g in second.guilds] == [one.id]
            ready = {
                tuple(s.shard or ()): [frame for _, frame in s.history if frame["t"] == "READY"]
                for s in fake.gateway.sessions.values()
            }
            assert [g["id"] for g in ready[(0, 2)][0]["d"]["guilds"]] == [str(zero.id)]
            assert [g["id"] for g in ready[(1, 2)][0]["d"]["guilds"]] == [str(one.id)]
            assert fake.gateway.connected_shards() == {0, 1}

            answers = {}
            for guild in (zero, one):
                reply = await (await fake.slash(learner, "where", guild=guild)).wait_done()
                assert reply is not None
                answers[guild.id] = reply.content
            assert answers == {zero.id: "A shard 0", one.id: "B shard 1"}
            # A DM goes to shard 0, as on Discord.
            dm = await (
                await fake.slash(learner, "where", channel=fake.dm_channel(learner))
            ).wait_done()
            assert dm is not None
            assert dm.content == "A shard 0"
            on_one = await (await fake.slash(learner, "where", guild=one)).wait_done()
            assert on_one is not None

        # The process of shard 1 restarts: the old message's button reaches the new one.
        async with connected_client(fake, ShardBot("B2", [1], 2)):
            clicked = await fake.click(learner, on_one, "where")
            await clicked.response()
            assert fake.get_message(on_one.id).content == "clicked on B2"


async def test_identify_with_an_invalid_shard_is_closed_4010() -> None:
    async with running_fake() as fake, aiohttp.ClientSession() as http:
        for shard in ([2, 2], [0, 0], [-1, 2], ["0", 2], [0]):
            async with http.ws_connect(fake.gateway_url) as ws:
                hello = await ws.receive_json()
                assert hello["op"] == 10
                await ws.send_json(
                    {"op": 2, "d": {"token": fake.token, "shard": shard, "intents": 1}}
                )
                message = await ws.receive()
                assert message.type == aiohttp.WSMsgType.CLOSE, shard
                assert ws.close_code == 4010, shard
        assert fake.gateway.sessions == {}

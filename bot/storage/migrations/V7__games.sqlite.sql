-- Schema 7: channel games (bot.core.game, bot.storage.games).
--
-- * games: one row per game. The partial unique index allows ONE running game per
--   channel of a community: a second start in the same channel fails on insert,
--   whatever the number of processes. plan is the JSON list of [deck, card] the
--   game will ask, in order.
-- * game_rounds: a round's card as it was when it opened (answer_index, options),
--   its deadline (unix seconds) and, once posted, the message that shows it. A
--   round with closed_at NULL is open; the loop closes it once its deadline came,
--   which is how a restart goes on with the deadline honoured.
-- * game_answers: one answer per member per round (the primary key). The review it
--   made is in reviews, written in the same transaction.
CREATE TABLE games (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    channel      TEXT    NOT NULL,
    starter_learner_id INTEGER REFERENCES learners(id) ON DELETE SET NULL,
    deck_id      TEXT    NOT NULL,
    seconds      INTEGER NOT NULL,
    plan         TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'running',  -- running | finished | stopped | interrupted
    board_message TEXT,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER
);
CREATE UNIQUE INDEX games_one_running_per_channel
    ON games(community_id, channel) WHERE status = 'running';
CREATE INDEX games_starter ON games(starter_learner_id);

CREATE TABLE game_rounds (
    game_id      INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    deck_id      TEXT    NOT NULL,
    card_id      TEXT    NOT NULL,
    answer_index INTEGER NOT NULL,
    options      INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    deadline     INTEGER NOT NULL,
    closed_at    INTEGER,
    message      TEXT,
    PRIMARY KEY (game_id, number)
);
CREATE INDEX game_rounds_open ON game_rounds(deadline) WHERE closed_at IS NULL;

CREATE TABLE game_answers (
    game_id     INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    learner_id  INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    choice      INTEGER NOT NULL,
    correct     INTEGER NOT NULL,
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (game_id, round, learner_id),
    FOREIGN KEY (game_id, round) REFERENCES game_rounds(game_id, number) ON DELETE CASCADE
);
CREATE INDEX game_answers_learner ON game_answers(learner_id);

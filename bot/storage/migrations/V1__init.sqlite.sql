-- Recall's first schema. Instants are INTEGER unix seconds (UTC); local dates are
-- ISO 'YYYY-MM-DD' text in the learner's zone at the time they were recorded.

CREATE TABLE learners (
    user_id             INTEGER PRIMARY KEY,
    time_zone           TEXT    NOT NULL DEFAULT 'UTC',
    reminder_time       TEXT,               -- 'HH:MM' local, NULL = no reminders
    reminders_off_reason TEXT,              -- why Recall turned reminders off (e.g. DMs closed)
    xp                  INTEGER NOT NULL DEFAULT 0,
    streak              INTEGER NOT NULL DEFAULT 0,
    best_streak         INTEGER NOT NULL DEFAULT 0,
    freezes             INTEGER NOT NULL DEFAULT 0,
    last_active_date    TEXT,
    created_at          INTEGER NOT NULL
);

-- FSRS memory of one card for one learner. No row = a new card.
CREATE TABLE card_states (
    user_id     INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    deck_id     TEXT    NOT NULL,
    card_id     TEXT    NOT NULL,
    state       INTEGER NOT NULL,
    step        INTEGER,
    stability   REAL,
    difficulty  REAL,
    due         INTEGER NOT NULL,
    last_review INTEGER,
    reps        INTEGER NOT NULL DEFAULT 0,
    lapses      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, deck_id, card_id)
) WITHOUT ROWID;
CREATE INDEX card_states_user_due ON card_states(user_id, due);

-- Append-only log of every graded answer. (session_id, step) is unique so that a
-- repeated or concurrent answer to one step can never be recorded twice.
CREATE TABLE reviews (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    guild_id        INTEGER,
    deck_id         TEXT    NOT NULL,
    card_id         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    rating          INTEGER NOT NULL,
    correct         INTEGER NOT NULL,
    xp              INTEGER NOT NULL,
    was_due         INTEGER NOT NULL,
    concepts_missed TEXT,                   -- JSON list of concept names, explain cards only
    session_id      INTEGER,
    step            INTEGER,
    reviewed_at     INTEGER NOT NULL,
    UNIQUE (session_id, step)
);
CREATE INDEX reviews_guild_time ON reviews(guild_id, reviewed_at);
CREATE INDEX reviews_user_time ON reviews(user_id, reviewed_at);
CREATE INDEX reviews_guild_deck_card ON reviews(guild_id, deck_id, card_id);

-- A learner's quiz session: the card queue and position live here, so that a
-- button pressed after a restart finds its state.
CREATE TABLE quiz_sessions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    guild_id    INTEGER,
    channel_id  INTEGER,
    deck_id     TEXT,                       -- NULL = all decks
    kind        TEXT    NOT NULL,           -- flashcard | mcq | explain | mixed | review
    queue       TEXT    NOT NULL,           -- JSON [[deck_id, card_id], ...]
    position    INTEGER NOT NULL DEFAULT 0,
    phase       TEXT    NOT NULL DEFAULT 'question',  -- question | revealed | answered
    status      TEXT    NOT NULL DEFAULT 'active',    -- active | finished | abandoned
    message_id  INTEGER,
    answered    INTEGER NOT NULL DEFAULT 0,
    correct     INTEGER NOT NULL DEFAULT 0,
    xp          INTEGER NOT NULL DEFAULT 0,
    last_result TEXT,                       -- JSON of the current step's graded result
    hint_shown  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX quiz_sessions_user_status ON quiz_sessions(user_id, status);

CREATE TABLE guild_settings (
    guild_id        INTEGER PRIMARY KEY,
    daily_channel_id INTEGER,
    daily_time      TEXT,                   -- 'HH:MM' in daily_zone
    daily_zone      TEXT,
    daily_deck_id   TEXT,
    updated_at      INTEGER NOT NULL
);

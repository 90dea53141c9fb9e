-- Daily reminders and the channel's daily question. The database, not memory, is the
-- record of future work (what is due next) and of past work (what was claimed or sent),
-- so a restart, a crash or a second process can never send the same thing twice.

-- Each learner's next reminder. One row per learner with reminders on (or turned off
-- by Recall with a notice still to show); learners.reminder_time stays the 'HH:MM'
-- the learner chose, this row says when that next happens.
CREATE TABLE reminders (
    user_id         INTEGER PRIMARY KEY REFERENCES learners(user_id) ON DELETE CASCADE,
    next_at         INTEGER,                -- unix seconds of the next reminder; NULL = paused
    local_date      TEXT,                   -- the learner's local date next_at belongs to
    planned_zone    TEXT    NOT NULL,       -- zone next_at was computed in (a change re-plans)
    planned_time    TEXT    NOT NULL,       -- 'HH:MM' next_at was computed from
    notice_pending  INTEGER NOT NULL DEFAULT 0,  -- Recall turned reminders off; not told yet
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;
-- The periodic claim reads "next_at <= now ORDER BY next_at": a range scan of this index.
CREATE INDEX reminders_next_at ON reminders(next_at) WHERE next_at IS NOT NULL;

-- One decision per learner and local date: the primary key is what makes a reminder
-- go out at most once, whichever process or restart claims it. A row is written in
-- the same transaction that moves reminders.next_at to the next day.
CREATE TABLE reminder_sends (
    user_id         INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    local_date      TEXT    NOT NULL,
    status          TEXT    NOT NULL,       -- claimed | sent | dms_closed | failed | skipped | expired
    due_count       INTEGER NOT NULL DEFAULT 0,
    streak          INTEGER NOT NULL DEFAULT 0,
    at_risk         INTEGER NOT NULL DEFAULT 0,
    scheduled_at    INTEGER NOT NULL,       -- the reminder instant (unix seconds)
    claimed_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    error           TEXT,
    PRIMARY KEY (user_id, local_date)
) WITHOUT ROWID;
CREATE INDEX reminder_sends_claimed_at ON reminder_sends(claimed_at);

-- One daily question per guild and local date (in the guild's daily zone).
CREATE TABLE daily_posts (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    local_date      TEXT    NOT NULL,
    channel_id      INTEGER NOT NULL,
    deck_id         TEXT    NOT NULL,
    card_id         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'claimed',  -- claimed | posted | failed
    message_id      INTEGER,
    answers         INTEGER NOT NULL DEFAULT 0,
    correct         INTEGER NOT NULL DEFAULT 0,
    scheduled_at    INTEGER NOT NULL,
    claimed_at      INTEGER NOT NULL,
    posted_at       INTEGER,
    error           TEXT,
    UNIQUE (guild_id, local_date)
);
CREATE INDEX daily_posts_message ON daily_posts(message_id);

-- One answer per member per daily post; the review it produced is in reviews.
CREATE TABLE daily_answers (
    post_id         INTEGER NOT NULL REFERENCES daily_posts(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    choice          INTEGER NOT NULL,
    correct         INTEGER NOT NULL,
    answered_at     INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;

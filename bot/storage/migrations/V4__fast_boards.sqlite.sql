-- Leaderboard pages, the class view and /quiz stats in milliseconds at a million reviews.
--
-- V3's running totals are per (server, learner, deck), so an all-decks board still
-- grouped and sorted every learner of a server, and the windowed views grouped the
-- whole window of the log. The tables below are kept by triggers in the same
-- transaction as each logged answer (so they can never disagree with the log) and
-- are shaped for the questions asked:
--
-- * guild_learners: one row per (server, learner), indexed in board order, so an
--   all-time page walks an index and a rank is a COUNT over an index range. It also
--   carries a copy of the learner's streak state (kept by triggers on learners), so
--   the streak board never joins the global learners table row by row.
-- * guild_days: per (server, UTC day, learner) sums; a rolling window reads whole
--   days here and only its two partial edge days from the log.
-- * concept_totals: per (server, card, concept) counts of missed explain concepts.
-- * learner_totals and learner_hours: /quiz stats reads one row for the counts and at
--   most 24 per day (each with its four quarter-hour counts, since some zones are
--   offset by 30 or 45 minutes) for the activity picture.
--
-- Per-learner tables go with the learner by FK cascade (forget-me). The delete
-- trigger keeps counts right when single reviews go, as V3's does; like V3's
-- ``last_at``, ``guild_learners.last_at`` is not recomputed then.

CREATE TABLE guild_learners (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    reviews     INTEGER NOT NULL,
    correct     INTEGER NOT NULL,
    xp          INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,   -- unix seconds of the latest answer in this server
    -- A copy of learners' streak fields, as the streak board needs them:
    time_zone   TEXT    NOT NULL DEFAULT 'UTC',
    streak      INTEGER NOT NULL DEFAULT 0,
    -- The last local date on which the stored streak is still shown (the last active
    -- date plus one day plus the freezes held); NULL when there is no streak. The
    -- displayed streak is ``streak`` while today <= alive_until, else 0: the rule of
    -- bot.streaks.view in one comparison.
    alive_until TEXT,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
-- All-time XP board: the page is the first rows of this index, a rank a range count.
CREATE INDEX guild_learners_xp ON guild_learners(guild_id, xp DESC, reviews DESC, user_id);
-- All-time accuracy board, for ranked learners only (bot.leaderboard.MIN_ACCURACY_REVIEWS
-- = 5; the query repeats this exact expression and condition so the index applies).
CREATE INDEX guild_learners_accuracy
    ON guild_learners(guild_id, CAST(correct AS REAL) / reviews DESC, reviews DESC, user_id)
    WHERE reviews >= 5;
-- Active learners in the class view: a range count on the latest answer.
CREATE INDEX guild_learners_last_at ON guild_learners(guild_id, last_at);
-- The FK cascade and the streak copy look rows up by learner.
CREATE INDEX guild_learners_user ON guild_learners(user_id);

CREATE TABLE guild_days (
    guild_id    INTEGER NOT NULL,
    day         INTEGER NOT NULL,   -- unix seconds / 86400 (UTC days)
    user_id     INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    reviews     INTEGER NOT NULL,
    correct     INTEGER NOT NULL,
    xp          INTEGER NOT NULL,
    PRIMARY KEY (guild_id, day, user_id)
) WITHOUT ROWID;
CREATE INDEX guild_days_user ON guild_days(user_id);

CREATE TABLE concept_totals (
    guild_id    INTEGER NOT NULL,
    deck_id     TEXT    NOT NULL,
    card_id     TEXT    NOT NULL,
    concept     TEXT    NOT NULL,
    missed      INTEGER NOT NULL,
    PRIMARY KEY (guild_id, deck_id, card_id, concept)
) WITHOUT ROWID;

-- Every review of the learner, in any server or a DM (/quiz stats is personal).
CREATE TABLE learner_totals (
    user_id     INTEGER PRIMARY KEY REFERENCES learners(user_id) ON DELETE CASCADE,
    reviews     INTEGER NOT NULL,
    correct     INTEGER NOT NULL
);

CREATE TABLE learner_hours (
    user_id     INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    hour        INTEGER NOT NULL,   -- unix seconds / 3600
    q0          INTEGER NOT NULL,   -- answers in minutes 0-14 of the hour
    q1          INTEGER NOT NULL,   -- 15-29
    q2          INTEGER NOT NULL,   -- 30-44
    q3          INTEGER NOT NULL,   -- 45-59
    PRIMARY KEY (user_id, hour)
) WITHOUT ROWID;

-- Backfill from an existing log and learners.
INSERT INTO guild_learners (guild_id, user_id, reviews, correct, xp, last_at)
    SELECT guild_id, user_id, COUNT(*), SUM(correct), SUM(xp), MAX(reviewed_at)
    FROM reviews WHERE guild_id IS NOT NULL GROUP BY guild_id, user_id;
UPDATE guild_learners SET (time_zone, streak, alive_until) = (
    SELECT l.time_zone, l.streak,
           CASE WHEN l.streak = 0 OR l.last_active_date IS NULL THEN NULL
                ELSE date(l.last_active_date, '+' || (l.freezes + 1) || ' days') END
    FROM learners l WHERE l.user_id = guild_learners.user_id);
INSERT INTO guild_days (guild_id, day, user_id, reviews, correct, xp)
    SELECT guild_id, reviewed_at / 86400, user_id, COUNT(*), SUM(correct), SUM(xp)
    FROM reviews WHERE guild_id IS NOT NULL GROUP BY guild_id, reviewed_at / 86400, user_id;
INSERT INTO concept_totals (guild_id, deck_id, card_id, concept, missed)
    SELECT r.guild_id, r.deck_id, r.card_id, j.value, COUNT(*)
    FROM reviews r, json_each(r.concepts_missed) j
    WHERE r.guild_id IS NOT NULL AND r.concepts_missed IS NOT NULL
      AND json_valid(r.concepts_missed) AND j.type = 'text'
    GROUP BY r.guild_id, r.deck_id, r.card_id, j.value;
INSERT INTO learner_totals (user_id, reviews, correct)
    SELECT user_id, COUNT(*), SUM(correct) FROM reviews GROUP BY user_id;
INSERT INTO learner_hours (user_id, hour, q0, q1, q2, q3)
    SELECT user_id, reviewed_at / 3600,
           SUM(reviewed_at / 900 % 4 = 0), SUM(reviewed_at / 900 % 4 = 1),
           SUM(reviewed_at / 900 % 4 = 2), SUM(reviewed_at / 900 % 4 = 3)
    FROM reviews GROUP BY user_id, reviewed_at / 3600;

-- One answer logged: one upsert per table, each a primary-key seek.
CREATE TRIGGER reviews_add_to_boards AFTER INSERT ON reviews
BEGIN
    INSERT INTO learner_totals (user_id, reviews, correct)
    VALUES (NEW.user_id, 1, NEW.correct)
    ON CONFLICT (user_id) DO UPDATE SET
        reviews = reviews + 1, correct = correct + excluded.correct;
    INSERT INTO learner_hours (user_id, hour, q0, q1, q2, q3)
    VALUES (NEW.user_id, NEW.reviewed_at / 3600,
            NEW.reviewed_at / 900 % 4 = 0, NEW.reviewed_at / 900 % 4 = 1,
            NEW.reviewed_at / 900 % 4 = 2, NEW.reviewed_at / 900 % 4 = 3)
    ON CONFLICT (user_id, hour) DO UPDATE SET
        q0 = q0 + excluded.q0, q1 = q1 + excluded.q1,
        q2 = q2 + excluded.q2, q3 = q3 + excluded.q3;
    -- Answers outside a server (guild_id NULL, a DM) are in no server's views; the
    -- WHERE on a VALUES-less SELECT is how a trigger statement is made conditional.
    INSERT INTO guild_learners
        (guild_id, user_id, reviews, correct, xp, last_at, time_zone, streak, alive_until)
    SELECT NEW.guild_id, NEW.user_id, 1, NEW.correct, NEW.xp, NEW.reviewed_at,
           l.time_zone, l.streak,
           CASE WHEN l.streak = 0 OR l.last_active_date IS NULL THEN NULL
                ELSE date(l.last_active_date, '+' || (l.freezes + 1) || ' days') END
    FROM learners l WHERE l.user_id = NEW.user_id AND NEW.guild_id IS NOT NULL
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        reviews = reviews + 1,
        correct = correct + excluded.correct,
        xp = xp + excluded.xp,
        last_at = MAX(last_at, excluded.last_at);
    INSERT INTO guild_days (guild_id, day, user_id, reviews, correct, xp)
    SELECT NEW.guild_id, NEW.reviewed_at / 86400, NEW.user_id, 1, NEW.correct, NEW.xp
    WHERE NEW.guild_id IS NOT NULL
    ON CONFLICT (guild_id, day, user_id) DO UPDATE SET
        reviews = reviews + 1,
        correct = correct + excluded.correct,
        xp = xp + excluded.xp;
    -- The same rows and json_each filter as the class view's former query over the log.
    INSERT INTO concept_totals (guild_id, deck_id, card_id, concept, missed)
    SELECT NEW.guild_id, NEW.deck_id, NEW.card_id, j.value, COUNT(*)
    FROM json_each(NEW.concepts_missed) j
    WHERE NEW.guild_id IS NOT NULL AND NEW.concepts_missed IS NOT NULL
      AND json_valid(NEW.concepts_missed) AND j.type = 'text'
    GROUP BY j.value
    ON CONFLICT (guild_id, deck_id, card_id, concept) DO UPDATE SET
        missed = missed + excluded.missed;
END;

CREATE TRIGGER reviews_remove_from_boards AFTER DELETE ON reviews
BEGIN
    UPDATE learner_totals SET reviews = reviews - 1, correct = correct - OLD.correct
    WHERE user_id = OLD.user_id;
    DELETE FROM learner_totals WHERE user_id = OLD.user_id AND reviews <= 0;
    UPDATE learner_hours SET
        q0 = q0 - (OLD.reviewed_at / 900 % 4 = 0), q1 = q1 - (OLD.reviewed_at / 900 % 4 = 1),
        q2 = q2 - (OLD.reviewed_at / 900 % 4 = 2), q3 = q3 - (OLD.reviewed_at / 900 % 4 = 3)
    WHERE user_id = OLD.user_id AND hour = OLD.reviewed_at / 3600;
    DELETE FROM learner_hours WHERE user_id = OLD.user_id AND hour = OLD.reviewed_at / 3600
      AND q0 + q1 + q2 + q3 <= 0;
    UPDATE guild_learners
    SET reviews = reviews - 1, correct = correct - OLD.correct, xp = xp - OLD.xp
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
    DELETE FROM guild_learners
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND reviews <= 0;
    UPDATE guild_days
    SET reviews = reviews - 1, correct = correct - OLD.correct, xp = xp - OLD.xp
    WHERE guild_id = OLD.guild_id AND day = OLD.reviewed_at / 86400 AND user_id = OLD.user_id;
    DELETE FROM guild_days
    WHERE guild_id = OLD.guild_id AND day = OLD.reviewed_at / 86400 AND user_id = OLD.user_id
      AND reviews <= 0;
    UPDATE concept_totals SET missed = missed - (
        SELECT COUNT(*) FROM json_each(OLD.concepts_missed) j
        WHERE j.type = 'text' AND j.value = concept_totals.concept)
    WHERE guild_id = OLD.guild_id AND deck_id = OLD.deck_id AND card_id = OLD.card_id
      AND OLD.concepts_missed IS NOT NULL AND json_valid(OLD.concepts_missed);
    DELETE FROM concept_totals
    WHERE guild_id = OLD.guild_id AND deck_id = OLD.deck_id AND card_id = OLD.card_id
      AND missed <= 0;
END;

-- The streak copy follows the learner. The WHEN skips the common case: an answer on
-- a day that already counted rewrites these columns with the same values.
CREATE TRIGGER learners_streak_to_boards
AFTER UPDATE OF time_zone, streak, freezes, last_active_date ON learners
WHEN NEW.time_zone IS NOT OLD.time_zone OR NEW.streak IS NOT OLD.streak
  OR NEW.freezes IS NOT OLD.freezes OR NEW.last_active_date IS NOT OLD.last_active_date
BEGIN
    UPDATE guild_learners SET
        time_zone = NEW.time_zone,
        streak = NEW.streak,
        alive_until = CASE WHEN NEW.streak = 0 OR NEW.last_active_date IS NULL THEN NULL
            ELSE date(NEW.last_active_date, '+' || (NEW.freezes + 1) || ' days') END
    WHERE user_id = NEW.user_id;
END;

-- All-time board for one deck: V3's index led with the answer count, which no board
-- orders by; this one is in XP board order and still covers the other metrics.
DROP INDEX review_totals_deck;
CREATE INDEX review_totals_deck_xp
    ON review_totals(guild_id, deck_id, xp DESC, reviews DESC, user_id, correct);

-- Missed concepts now come from concept_totals (the log is read only for answers
-- after the view's instant, through the time index), so this index only cost writes.
DROP INDEX reviews_guild_missed;

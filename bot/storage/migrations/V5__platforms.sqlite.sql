-- Schema 5: the schema PostgreSQL shares (V5__platforms.postgres.sql creates the same
-- tables in one go), and identities that are not Discord's alone.
--
-- * Learners and communities (a Discord server, a Slack workspace) get an internal id
--   and an identity (platform, external id). Existing rows are Discord's and keep
--   their snowflake as internal id, so nothing that points at them changes; new rows
--   are numbered by the database. Columns that held a Discord user or guild id are
--   renamed learner_id and community_id.
-- * Channels and messages are the front end's opaque text (a Slack channel is
--   "C0123", a message a timestamp), so those columns become TEXT.
-- * The roll-up triggers no longer compute a rule: the date until which a streak is
--   shown is computed by bot.streaks.alive_until and stored on learners; the trigger
--   only copies it. (The backfill below repeats the rule once, for rows written
--   before this version; tests check it against the Python rule.)

DROP TRIGGER reviews_add_to_totals;
DROP TRIGGER reviews_remove_from_totals;
DROP TRIGGER reviews_add_to_boards;
DROP TRIGGER reviews_remove_from_boards;
DROP TRIGGER learners_streak_to_boards;

-- Identities -----------------------------------------------------------------------

CREATE TABLE communities (
    id          INTEGER PRIMARY KEY,
    platform    TEXT    NOT NULL,           -- discord | slack
    external_id TEXT    NOT NULL,           -- the platform's id of the server/workspace
    UNIQUE (platform, external_id)
);
INSERT INTO communities (id, platform, external_id)
    SELECT guild_id, 'discord', CAST(guild_id AS TEXT) FROM (
        SELECT guild_id FROM reviews
        UNION SELECT guild_id FROM quiz_sessions
        UNION SELECT guild_id FROM guild_settings
        UNION SELECT guild_id FROM daily_posts
        UNION SELECT guild_id FROM review_totals
        UNION SELECT guild_id FROM card_totals
        UNION SELECT guild_id FROM guild_learners
        UNION SELECT guild_id FROM guild_days
        UNION SELECT guild_id FROM concept_totals)
    WHERE guild_id IS NOT NULL;

ALTER TABLE learners RENAME COLUMN user_id TO id;
ALTER TABLE learners ADD COLUMN platform TEXT NOT NULL DEFAULT 'discord';
ALTER TABLE learners ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
UPDATE learners SET external_id = CAST(id AS TEXT);
-- The first release's `python -m bot practice` studied as learner 1 (no Discord id is
-- that small): it is the terminal's learner.
UPDATE learners SET platform = 'terminal' WHERE id = 1;
CREATE UNIQUE INDEX learners_identity ON learners(platform, external_id);
-- The last local date on which the stored streak is still shown (bot.streaks.alive_until).
ALTER TABLE learners ADD COLUMN streak_alive_until TEXT;
UPDATE learners SET streak_alive_until =
    CASE WHEN streak = 0 OR last_active_date IS NULL THEN NULL
         ELSE date(last_active_date, '+' || (freezes + 1) || ' days') END;

-- Renames ----------------------------------------------------------------------------

ALTER TABLE card_states RENAME COLUMN user_id TO learner_id;

ALTER TABLE reviews RENAME COLUMN user_id TO learner_id;
ALTER TABLE reviews RENAME COLUMN guild_id TO community_id;

ALTER TABLE quiz_sessions RENAME COLUMN user_id TO learner_id;
ALTER TABLE quiz_sessions RENAME COLUMN guild_id TO community_id;
ALTER TABLE quiz_sessions ADD COLUMN channel TEXT;
ALTER TABLE quiz_sessions ADD COLUMN message TEXT;
UPDATE quiz_sessions SET channel = CAST(channel_id AS TEXT), message = CAST(message_id AS TEXT);
ALTER TABLE quiz_sessions DROP COLUMN channel_id;
ALTER TABLE quiz_sessions DROP COLUMN message_id;

ALTER TABLE guild_settings RENAME TO community_settings;
ALTER TABLE community_settings RENAME COLUMN guild_id TO community_id;
ALTER TABLE community_settings ADD COLUMN daily_channel TEXT;
UPDATE community_settings SET daily_channel = CAST(daily_channel_id AS TEXT);
ALTER TABLE community_settings DROP COLUMN daily_channel_id;

ALTER TABLE reminders RENAME COLUMN user_id TO learner_id;
ALTER TABLE reminder_sends RENAME COLUMN user_id TO learner_id;

DROP INDEX daily_posts_message;
ALTER TABLE daily_posts RENAME COLUMN guild_id TO community_id;
ALTER TABLE daily_posts ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE daily_posts ADD COLUMN message TEXT;
UPDATE daily_posts SET channel = CAST(channel_id AS TEXT), message = CAST(message_id AS TEXT);
ALTER TABLE daily_posts DROP COLUMN channel_id;
ALTER TABLE daily_posts DROP COLUMN message_id;
CREATE INDEX daily_posts_message ON daily_posts(message);
ALTER TABLE daily_answers RENAME COLUMN user_id TO learner_id;

ALTER TABLE review_totals RENAME COLUMN guild_id TO community_id;
ALTER TABLE review_totals RENAME COLUMN user_id TO learner_id;
ALTER TABLE card_totals RENAME COLUMN guild_id TO community_id;
ALTER TABLE guild_learners RENAME TO community_learners;
ALTER TABLE community_learners RENAME COLUMN guild_id TO community_id;
ALTER TABLE community_learners RENAME COLUMN user_id TO learner_id;
ALTER TABLE guild_days RENAME TO community_days;
ALTER TABLE community_days RENAME COLUMN guild_id TO community_id;
ALTER TABLE community_days RENAME COLUMN user_id TO learner_id;
ALTER TABLE concept_totals RENAME COLUMN guild_id TO community_id;
ALTER TABLE learner_totals RENAME COLUMN user_id TO learner_id;
ALTER TABLE learner_hours RENAME COLUMN user_id TO learner_id;

-- Index names follow the tables (the same names as on PostgreSQL).
DROP INDEX guild_learners_xp;
CREATE INDEX community_learners_xp
    ON community_learners(community_id, xp DESC, reviews DESC, learner_id);
DROP INDEX guild_learners_accuracy;
-- bot.leaderboard.MIN_ACCURACY_REVIEWS = 5; the board's query repeats this expression
-- and condition verbatim so that the index applies (a test holds the copies together).
CREATE INDEX community_learners_accuracy
    ON community_learners(community_id, CAST(correct AS REAL) / reviews DESC, reviews DESC,
                          learner_id)
    WHERE reviews >= 5;
DROP INDEX guild_learners_last_at;
CREATE INDEX community_learners_last_at ON community_learners(community_id, last_at);
DROP INDEX guild_learners_user;
CREATE INDEX community_learners_learner ON community_learners(learner_id);
DROP INDEX guild_days_user;
CREATE INDEX community_days_learner ON community_days(learner_id);
DROP INDEX review_totals_user;
CREATE INDEX review_totals_learner ON review_totals(learner_id);
DROP INDEX quiz_sessions_user_status;
CREATE INDEX quiz_sessions_learner_status ON quiz_sessions(learner_id, status);
DROP INDEX card_states_user_due;
CREATE INDEX card_states_learner_due ON card_states(learner_id, due);
DROP INDEX reviews_guild_time_cover;
CREATE INDEX reviews_community_time_cover
    ON reviews(community_id, reviewed_at, learner_id, xp, correct);
DROP INDEX reviews_guild_deck_time_cover;
CREATE INDEX reviews_community_deck_time_cover
    ON reviews(community_id, deck_id, reviewed_at, learner_id, xp, correct);
DROP INDEX reviews_user_time_cover;
CREATE INDEX reviews_learner_time_cover ON reviews(learner_id, reviewed_at, correct);

-- Roll-ups, kept in the answer's transaction (as in V3 and V4) --------------------

CREATE TRIGGER reviews_add_to_rollups AFTER INSERT ON reviews
BEGIN
    INSERT INTO learner_totals (learner_id, reviews, correct)
    VALUES (NEW.learner_id, 1, NEW.correct)
    ON CONFLICT (learner_id) DO UPDATE SET
        reviews = reviews + 1, correct = correct + excluded.correct;
    INSERT INTO learner_hours (learner_id, hour, q0, q1, q2, q3)
    VALUES (NEW.learner_id, NEW.reviewed_at / 3600,
            NEW.reviewed_at / 900 % 4 = 0, NEW.reviewed_at / 900 % 4 = 1,
            NEW.reviewed_at / 900 % 4 = 2, NEW.reviewed_at / 900 % 4 = 3)
    ON CONFLICT (learner_id, hour) DO UPDATE SET
        q0 = q0 + excluded.q0, q1 = q1 + excluded.q1,
        q2 = q2 + excluded.q2, q3 = q3 + excluded.q3;
    -- Answers outside a community (a DM) are in no community's views; the WHERE on a
    -- VALUES-less SELECT is how a trigger statement is made conditional.
    INSERT INTO review_totals
        (community_id, learner_id, deck_id, reviews, correct, xp, last_at)
    SELECT NEW.community_id, NEW.learner_id, NEW.deck_id, 1, NEW.correct, NEW.xp,
           NEW.reviewed_at
    WHERE NEW.community_id IS NOT NULL
    ON CONFLICT (community_id, learner_id, deck_id) DO UPDATE SET
        reviews = reviews + 1,
        correct = correct + excluded.correct,
        xp = xp + excluded.xp,
        last_at = MAX(last_at, excluded.last_at);
    INSERT INTO card_totals (community_id, deck_id, card_id, attempts, wrong)
    SELECT NEW.community_id, NEW.deck_id, NEW.card_id, 1, 1 - NEW.correct
    WHERE NEW.community_id IS NOT NULL
    ON CONFLICT (community_id, deck_id, card_id) DO UPDATE SET
        attempts = attempts + 1,
        wrong = wrong + excluded.wrong;
    INSERT INTO community_learners
        (community_id, learner_id, reviews, correct, xp, last_at, time_zone, streak,
         alive_until)
    SELECT NEW.community_id, NEW.learner_id, 1, NEW.correct, NEW.xp, NEW.reviewed_at,
           l.time_zone, l.streak, l.streak_alive_until
    FROM learners l WHERE l.id = NEW.learner_id AND NEW.community_id IS NOT NULL
    ON CONFLICT (community_id, learner_id) DO UPDATE SET
        reviews = reviews + 1,
        correct = correct + excluded.correct,
        xp = xp + excluded.xp,
        last_at = MAX(last_at, excluded.last_at);
    INSERT INTO community_days (community_id, day, learner_id, reviews, correct, xp)
    SELECT NEW.community_id, NEW.reviewed_at / 86400, NEW.learner_id, 1, NEW.correct, NEW.xp
    WHERE NEW.community_id IS NOT NULL
    ON CONFLICT (community_id, day, learner_id) DO UPDATE SET
        reviews = reviews + 1,
        correct = correct + excluded.correct,
        xp = xp + excluded.xp;
    INSERT INTO concept_totals (community_id, deck_id, card_id, concept, missed)
    SELECT NEW.community_id, NEW.deck_id, NEW.card_id, j.value, COUNT(*)
    FROM json_each(NEW.concepts_missed) j
    WHERE NEW.community_id IS NOT NULL AND NEW.concepts_missed IS NOT NULL
      AND json_valid(NEW.concepts_missed) AND j.type = 'text'
    GROUP BY j.value
    ON CONFLICT (community_id, deck_id, card_id, concept) DO UPDATE SET
        missed = missed + excluded.missed;
END;

CREATE TRIGGER reviews_remove_from_rollups AFTER DELETE ON reviews
BEGIN
    UPDATE learner_totals SET reviews = reviews - 1, correct = correct - OLD.correct
    WHERE learner_id = OLD.learner_id;
    DELETE FROM learner_totals WHERE learner_id = OLD.learner_id AND reviews <= 0;
    UPDATE learner_hours SET
        q0 = q0 - (OLD.reviewed_at / 900 % 4 = 0), q1 = q1 - (OLD.reviewed_at / 900 % 4 = 1),
        q2 = q2 - (OLD.reviewed_at / 900 % 4 = 2), q3 = q3 - (OLD.reviewed_at / 900 % 4 = 3)
    WHERE learner_id = OLD.learner_id AND hour = OLD.reviewed_at / 3600;
    DELETE FROM learner_hours
    WHERE learner_id = OLD.learner_id AND hour = OLD.reviewed_at / 3600
      AND q0 + q1 + q2 + q3 <= 0;
    UPDATE review_totals
    SET reviews = reviews - 1, correct = correct - OLD.correct, xp = xp - OLD.xp
    WHERE community_id = OLD.community_id AND learner_id = OLD.learner_id
      AND deck_id = OLD.deck_id;
    DELETE FROM review_totals
    WHERE community_id = OLD.community_id AND learner_id = OLD.learner_id
      AND deck_id = OLD.deck_id AND reviews <= 0;
    UPDATE card_totals
    SET attempts = attempts - 1, wrong = wrong - (1 - OLD.correct)
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND card_id = OLD.card_id;
    DELETE FROM card_totals
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND card_id = OLD.card_id AND attempts <= 0;
    UPDATE community_learners
    SET reviews = reviews - 1, correct = correct - OLD.correct, xp = xp - OLD.xp
    WHERE community_id = OLD.community_id AND learner_id = OLD.learner_id;
    DELETE FROM community_learners
    WHERE community_id = OLD.community_id AND learner_id = OLD.learner_id AND reviews <= 0;
    UPDATE community_days
    SET reviews = reviews - 1, correct = correct - OLD.correct, xp = xp - OLD.xp
    WHERE community_id = OLD.community_id AND day = OLD.reviewed_at / 86400
      AND learner_id = OLD.learner_id;
    DELETE FROM community_days
    WHERE community_id = OLD.community_id AND day = OLD.reviewed_at / 86400
      AND learner_id = OLD.learner_id AND reviews <= 0;
    UPDATE concept_totals SET missed = missed - (
        SELECT COUNT(*) FROM json_each(OLD.concepts_missed) j
        WHERE j.type = 'text' AND j.value = concept_totals.concept)
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND card_id = OLD.card_id
      AND OLD.concepts_missed IS NOT NULL AND json_valid(OLD.concepts_missed);
    DELETE FROM concept_totals
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND card_id = OLD.card_id AND missed <= 0;
END;

-- The streak copy follows the learner. The WHEN skips the common case: an answer on a
-- day that already counted rewrites these columns with the same values.
CREATE TRIGGER learners_streak_to_rollups
AFTER UPDATE OF time_zone, streak, streak_alive_until ON learners
WHEN NEW.time_zone IS NOT OLD.time_zone OR NEW.streak IS NOT OLD.streak
  OR NEW.streak_alive_until IS NOT OLD.streak_alive_until
BEGIN
    UPDATE community_learners SET
        time_zone = NEW.time_zone,
        streak = NEW.streak,
        alive_until = NEW.streak_alive_until
    WHERE learner_id = NEW.id;
END;

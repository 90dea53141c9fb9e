-- Moderator views (leaderboard, class progress, export) and /quiz stats at scale.
--
-- Two tools, measured by bench/queries_bench.py (which also prints the query plans):
--
-- 1. Covering indexes on the review log for questions about a span of time (the
--    week, the month, a learner's last 12 weeks): SQLite answers from the index
--    b-tree alone and never visits the table rows.
-- 2. Running totals for all-time questions. Summing a server's whole log takes
--    hundreds of milliseconds at a million rows whatever the index; the totals
--    below are kept up to date by triggers in the same transaction as each logged
--    answer, so they can never disagree with the log.
--
-- The log is append-only (V1). The delete trigger keeps counts right when rows do
-- go (forget-me cascades); ``last_at`` is not recomputed then, since only whole
-- learners are ever deleted, and their totals go with them by cascade.

-- Per server, learner and deck: all-time leaderboard and the CSV export.
CREATE TABLE review_totals (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES learners(user_id) ON DELETE CASCADE,
    deck_id     TEXT    NOT NULL,
    reviews     INTEGER NOT NULL,
    correct     INTEGER NOT NULL,
    xp          INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,   -- unix seconds of the latest answer
    PRIMARY KEY (guild_id, user_id, deck_id)
) WITHOUT ROWID;
-- All-time leaderboard for one deck (the primary key serves the all-decks board).
CREATE INDEX review_totals_deck ON review_totals(guild_id, deck_id, reviews, correct, xp);
-- The foreign key's cascade looks rows up by learner.
CREATE INDEX review_totals_user ON review_totals(user_id);

-- Per server and card: the hardest cards of the class view.
CREATE TABLE card_totals (
    guild_id    INTEGER NOT NULL,
    deck_id     TEXT    NOT NULL,
    card_id     TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    wrong       INTEGER NOT NULL,
    PRIMARY KEY (guild_id, deck_id, card_id)
) WITHOUT ROWID;

-- Existing logs (a database created before V3) are summed once here.
INSERT INTO review_totals (guild_id, user_id, deck_id, reviews, correct, xp, last_at)
    SELECT guild_id, user_id, deck_id, COUNT(*), SUM(correct), SUM(xp), MAX(reviewed_at)
    FROM reviews WHERE guild_id IS NOT NULL GROUP BY guild_id, user_id, deck_id;
INSERT INTO card_totals (guild_id, deck_id, card_id, attempts, wrong)
    SELECT guild_id, deck_id, card_id, COUNT(*), COUNT(*) - SUM(correct)
    FROM reviews WHERE guild_id IS NOT NULL GROUP BY guild_id, deck_id, card_id;

-- Answers outside a server (guild_id NULL, a DM) are in no server's views.
CREATE TRIGGER reviews_add_to_totals AFTER INSERT ON reviews
WHEN NEW.guild_id IS NOT NULL
BEGIN
    INSERT INTO review_totals (guild_id, user_id, deck_id, reviews, correct, xp, last_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.deck_id, 1, NEW.correct, NEW.xp, NEW.reviewed_at)
    ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET
        reviews = reviews + 1,
        correct = correct + excluded.correct,
        xp = xp + excluded.xp,
        last_at = MAX(last_at, excluded.last_at);
    INSERT INTO card_totals (guild_id, deck_id, card_id, attempts, wrong)
    VALUES (NEW.guild_id, NEW.deck_id, NEW.card_id, 1, 1 - NEW.correct)
    ON CONFLICT (guild_id, deck_id, card_id) DO UPDATE SET
        attempts = attempts + 1,
        wrong = wrong + excluded.wrong;
END;

CREATE TRIGGER reviews_remove_from_totals AFTER DELETE ON reviews
WHEN OLD.guild_id IS NOT NULL
BEGIN
    UPDATE review_totals
    SET reviews = reviews - 1, correct = correct - OLD.correct, xp = xp - OLD.xp
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id;
    DELETE FROM review_totals
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id
      AND reviews <= 0;
    UPDATE card_totals
    SET attempts = attempts - 1, wrong = wrong - (1 - OLD.correct)
    WHERE guild_id = OLD.guild_id AND deck_id = OLD.deck_id AND card_id = OLD.card_id;
    DELETE FROM card_totals
    WHERE guild_id = OLD.guild_id AND deck_id = OLD.deck_id AND card_id = OLD.card_id
      AND attempts <= 0;
END;

-- Leaderboard for the week or the month, and active learners in the class view:
-- one server, a range of time, then the columns the aggregates read.
CREATE INDEX reviews_guild_time_cover
    ON reviews(guild_id, reviewed_at, user_id, xp, correct);

-- The same for one deck.
CREATE INDEX reviews_guild_deck_time_cover
    ON reviews(guild_id, deck_id, reviewed_at, user_id, xp, correct);

-- Most missed explain concepts: only explain answers that missed something are
-- indexed (a small share of the log), so the scan touches nothing else.
CREATE INDEX reviews_guild_missed
    ON reviews(guild_id, deck_id, card_id, reviewed_at, concepts_missed)
    WHERE concepts_missed IS NOT NULL;

-- /quiz stats: a learner's review count, right answers and activity by day.
CREATE INDEX reviews_user_time_cover
    ON reviews(user_id, reviewed_at, correct);

-- V1's indexes below are prefixes of the covering ones above (or, for the per-card
-- one, replaced by card_totals), so they can no longer win a query plan; dropping
-- them saves a b-tree update on every logged answer. reviews_user_time_cover still
-- starts with user_id, which the ON DELETE CASCADE from learners needs.
DROP INDEX reviews_guild_time;
DROP INDEX reviews_user_time;
DROP INDEX reviews_guild_deck_card;

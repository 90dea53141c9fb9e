-- Schema 11: fewer b-trees for each graded answer to maintain.
--
-- At a million reviews an answer's cost above an empty database's is its page-cache
-- misses: every b-tree whose key is a learner or a moving roll-up value puts a cold
-- leaf in the answer's path (bench/storage_bench.py). These six were each moved by
-- answers for a read that a range of an index kept anyway can serve:
--
-- * card_states_learner_due (learner_id, due): the due-card queries now read the
--   learner's rows off the primary key (learner_id, deck_id, card_id), the same
--   rows /quiz start reads in full, and sort the due ones.
-- * community_learners_xp, community_learners_accuracy, community_learners_last_at:
--   the all-time XP and accuracy boards and the class view's active count read the
--   community's rows off the primary key (community_id, learner_id), as the streak
--   board already did; each answer moved an entry in all three (xp, the share and
--   last_at change with every answer).
-- * review_totals_deck_xp: the one-deck all-time XP board reads the community's
--   running totals off the primary key (community_id, learner_id, deck_id).
-- * community_days_learner (learner_id): a new entry with each learner's first answer
--   of a day. The member heatmap now takes the learner's days from their range of
--   reviews_learner_time_cover and seeks each on the primary key. It also served the foreign key's cascade, which
--   goes too (the table is rebuilt without it): a learner's rows go with their
--   reviews, as the delete triggers take each count down and drop a row at zero
--   (reviews_remove_from_rollups), which already happened before the cascade.
--
-- Results are the same rows in the same order: every board query sorts by its full
-- order (value, answers, learner id) whatever the plan.
DROP INDEX card_states_learner_due;
DROP INDEX community_learners_xp;
DROP INDEX community_learners_accuracy;
DROP INDEX community_learners_last_at;
DROP INDEX review_totals_deck_xp;

-- The rebuild: triggers that name community_days are kept as they are (the legacy
-- rename does not rewrite them; they name the table, which exists again after it).
PRAGMA legacy_alter_table = ON;
CREATE TABLE community_days_v11 (
    community_id    INTEGER NOT NULL,
    day             INTEGER NOT NULL,   -- unix seconds / 86400 (UTC days)
    learner_id      INTEGER NOT NULL,
    reviews         INTEGER NOT NULL,
    correct         INTEGER NOT NULL,
    xp              INTEGER NOT NULL,
    PRIMARY KEY (community_id, day, learner_id)
) WITHOUT ROWID;
INSERT INTO community_days_v11 (community_id, day, learner_id, reviews, correct, xp)
    SELECT community_id, day, learner_id, reviews, correct, xp FROM community_days;
DROP TABLE community_days;
ALTER TABLE community_days_v11 RENAME TO community_days;
PRAGMA legacy_alter_table = OFF;

-- * learner_totals and learner_hours (V4): /quiz stats' counts and activity picture are
--   read from the learner's own range of reviews_learner_time_cover instead, which
--   each answer updates anyway; the two tables were one cold leaf each per answer.
--   The read is exact (the log itself) and costs the learner's answers in the range:
--   a few milliseconds for the busiest learner at a million reviews.
--   The review triggers are the V5 ones without those two tables.
DROP TRIGGER reviews_add_to_rollups;
DROP TRIGGER reviews_remove_from_rollups;
DROP TABLE learner_totals;
DROP TABLE learner_hours;

-- * learners_streak_to_rollups and community_learners_learner (learner_id): the
--   streak boards read the streak, the zone and alive_until from learners at read
--   time, by primary key, for the community's rows they already materialize. The copy
--   on community_learners cost every learner's first answer of a day a look-up of
--   the learner's rows in that index and an update of each (about two cold pages at
--   a million reviews). The index's other users read elsewhere: the communities a
--   learner studies in come from review_totals_learner (one row per community and
--   deck, the same communities), and the foreign key's cascade goes, as it did for
--   community_days: a learner's rows go with their reviews (reviews_remove_from_rollups
--   drops a row at zero). The table is rebuilt without the copy's three columns and
--   the foreign key; the triggers that name it are kept as they are (legacy rename).
DROP TRIGGER learners_streak_to_rollups;
PRAGMA legacy_alter_table = ON;
CREATE TABLE community_learners_v11 (
    community_id    INTEGER NOT NULL,
    learner_id      INTEGER NOT NULL,
    reviews         INTEGER NOT NULL,
    correct         INTEGER NOT NULL,
    xp              INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,   -- unix seconds of the latest answer here
    PRIMARY KEY (community_id, learner_id)
) WITHOUT ROWID;
INSERT INTO community_learners_v11 (community_id, learner_id, reviews, correct, xp, last_at)
    SELECT community_id, learner_id, reviews, correct, xp, last_at FROM community_learners;
DROP TABLE community_learners;
ALTER TABLE community_learners_v11 RENAME TO community_learners;
PRAGMA legacy_alter_table = OFF;

CREATE TRIGGER reviews_add_to_rollups AFTER INSERT ON reviews
BEGIN
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
    INSERT INTO community_learners (community_id, learner_id, reviews, correct, xp, last_at)
    SELECT NEW.community_id, NEW.learner_id, 1, NEW.correct, NEW.xp, NEW.reviewed_at
    WHERE NEW.community_id IS NOT NULL
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

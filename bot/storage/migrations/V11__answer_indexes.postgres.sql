-- Schema 11 on PostgreSQL: fewer b-trees for each graded answer to maintain (see the
-- SQLite file for which reads use what instead).
--
-- On PostgreSQL dropping them does more: an UPDATE that changes no indexed column
-- and finds room on its page is a heap-only tuple update, which writes no index entry
-- at all. With xp, the share and last_at no longer indexed, the answer's updates of
-- community_learners, review_totals and learners change only unindexed columns.
-- fillfactor 90 leaves each new page that room (rows already stored get it as their
-- pages are pruned).
DROP INDEX card_states_learner_due;
DROP INDEX community_learners_xp;
DROP INDEX community_learners_accuracy;
DROP INDEX community_learners_last_at;
DROP INDEX review_totals_deck_xp;
DROP INDEX community_days_learner;
-- A learner's daily rows go with their reviews (the delete trigger drops a row at
-- zero), so the cascade, which would scan the table without the index, goes too.
ALTER TABLE community_days DROP CONSTRAINT community_days_learner_id_fkey;
ALTER TABLE community_learners SET (fillfactor = 90);
ALTER TABLE review_totals SET (fillfactor = 90);
ALTER TABLE learners SET (fillfactor = 90);

-- The streak copy on community_learners goes (see the SQLite file): the streak boards
-- read learners at read time. With the trigger go its look-up index, the foreign key
-- (whose cascade needed that index: a learner's rows go with their reviews) and the
-- copy's three columns.
DROP TRIGGER learners_streak_to_rollups ON learners;
DROP FUNCTION learners_streak_to_rollups();
DROP INDEX community_learners_learner;
ALTER TABLE community_learners DROP CONSTRAINT community_learners_learner_id_fkey;
ALTER TABLE community_learners
    DROP COLUMN time_zone, DROP COLUMN streak, DROP COLUMN alive_until;

-- learner_totals and learner_hours go (see the SQLite file): /quiz stats reads the
-- learner's range of reviews_learner_time_cover. The review triggers' functions are
-- V5's without those two tables.
CREATE OR REPLACE FUNCTION reviews_add_to_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.community_id IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO review_totals
        (community_id, learner_id, deck_id, reviews, correct, xp, last_at)
    VALUES (NEW.community_id, NEW.learner_id, NEW.deck_id, 1, NEW.correct, NEW.xp,
            NEW.reviewed_at)
    ON CONFLICT (community_id, learner_id, deck_id) DO UPDATE SET
        reviews = review_totals.reviews + 1,
        correct = review_totals.correct + excluded.correct,
        xp = review_totals.xp + excluded.xp,
        last_at = GREATEST(review_totals.last_at, excluded.last_at);
    INSERT INTO card_totals (community_id, deck_id, card_id, attempts, wrong)
    VALUES (NEW.community_id, NEW.deck_id, NEW.card_id, 1, 1 - NEW.correct)
    ON CONFLICT (community_id, deck_id, card_id) DO UPDATE SET
        attempts = card_totals.attempts + 1,
        wrong = card_totals.wrong + excluded.wrong;
    INSERT INTO community_learners (community_id, learner_id, reviews, correct, xp, last_at)
    VALUES (NEW.community_id, NEW.learner_id, 1, NEW.correct, NEW.xp, NEW.reviewed_at)
    ON CONFLICT (community_id, learner_id) DO UPDATE SET
        reviews = community_learners.reviews + 1,
        correct = community_learners.correct + excluded.correct,
        xp = community_learners.xp + excluded.xp,
        last_at = GREATEST(community_learners.last_at, excluded.last_at);
    INSERT INTO community_days (community_id, day, learner_id, reviews, correct, xp)
    VALUES (NEW.community_id, NEW.reviewed_at / 86400, NEW.learner_id, 1, NEW.correct,
            NEW.xp)
    ON CONFLICT (community_id, day, learner_id) DO UPDATE SET
        reviews = community_days.reviews + 1,
        correct = community_days.correct + excluded.correct,
        xp = community_days.xp + excluded.xp;
    IF NEW.concepts_missed IS NOT NULL AND left(NEW.concepts_missed, 1) = '[' THEN
        INSERT INTO concept_totals (community_id, deck_id, card_id, concept, missed)
        SELECT NEW.community_id, NEW.deck_id, NEW.card_id, j.raw #>> '{}', COUNT(*)
        FROM json_array_elements(NEW.concepts_missed::json) j(raw)
        WHERE json_typeof(j.raw) = 'string'
        GROUP BY j.raw #>> '{}'
        ON CONFLICT (community_id, deck_id, card_id, concept) DO UPDATE SET
            missed = concept_totals.missed + excluded.missed;
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION reviews_remove_from_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.community_id IS NULL THEN
        RETURN NULL;
    END IF;
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
    IF OLD.concepts_missed IS NOT NULL AND left(OLD.concepts_missed, 1) = '[' THEN
        UPDATE concept_totals c SET missed = c.missed - (
            SELECT COUNT(*) FROM json_array_elements(OLD.concepts_missed::json) j(raw)
            WHERE json_typeof(j.raw) = 'string' AND j.raw #>> '{}' = c.concept)
        WHERE c.community_id = OLD.community_id AND c.deck_id = OLD.deck_id
          AND c.card_id = OLD.card_id;
        DELETE FROM concept_totals
        WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
          AND card_id = OLD.card_id AND missed <= 0;
    END IF;
    RETURN NULL;
END;
$$;
DROP TABLE learner_totals;
DROP TABLE learner_hours;

-- The class view's memory figures (predicted recall, reviews coming due) and the
-- teacher's view of explain answers.
--
-- * card_states.community_id: the community (server) in which the card was last
--   studied; a review outside any community (a DM) keeps it. A card counts in that
--   one community's class view, so a roll-up can be kept per community.
-- * memory_totals: per (community, deck, UTC day of the last review, stability band)
--   the number of studied cards and the sum of 1 / stability. Predicted recall
--   (FSRS retrievability) depends on the instant it is asked for, so it cannot be
--   stored; from these groups bot.core.memory computes the class's mean at any
--   instant in a few thousand steps instead of one per card. Kept by triggers on
--   card_states in the answer's transaction (and on forget-me's cascade).
-- * due_totals: per (community, deck, UTC day) the cards falling due that day, so that
--   "due now" and the week ahead are read from a few rows plus today's part of the
--   card_states_community_due index, not counted card by card.
-- * stability_bands: the bands' lower bounds (x1.25 from 0.01 days): the triggers
--   look the band up here, since SQLite has no logarithm unless compiled with its
--   math functions. Band 0 holds stabilities below 0.01 days.
-- * reviews.answer: the text of an explain answer (at most the grader's 4,000
--   characters), written with its review; it goes with the review (and the learner).

ALTER TABLE card_states ADD COLUMN community_id INTEGER;

-- The community of each card's latest review in a community.
CREATE TEMP TABLE latest_community AS
    SELECT learner_id, deck_id, card_id, community_id FROM (
        SELECT learner_id, deck_id, card_id, community_id,
               ROW_NUMBER() OVER (PARTITION BY learner_id, deck_id, card_id
                                  ORDER BY reviewed_at DESC, id DESC) AS n
        FROM reviews WHERE community_id IS NOT NULL)
    WHERE n = 1;
CREATE INDEX temp.latest_community_key ON latest_community(learner_id, deck_id, card_id);
UPDATE card_states SET community_id = (
    SELECT l.community_id FROM latest_community l
    WHERE l.learner_id = card_states.learner_id AND l.deck_id = card_states.deck_id
      AND l.card_id = card_states.card_id);
DROP TABLE temp.latest_community;

-- Reviews coming due and the most overdue learners of one community and deck: range
-- counts and an ordered walk of this index.
CREATE INDEX card_states_community_due
    ON card_states(community_id, deck_id, due, learner_id, card_id);
-- The export reads a page's learners' memories by community.
CREATE INDEX card_states_community_learner
    ON card_states(community_id, learner_id, deck_id);

CREATE TABLE stability_bands (
    lower_bound       REAL    PRIMARY KEY,    -- days; a band holds [lower_bound, the next)
    band        INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;
WITH RECURSIVE b(band, lower_bound) AS (
    SELECT 0, 0.0
    UNION ALL
    SELECT band + 1, CASE WHEN band = 0 THEN 0.01 ELSE lower_bound * 1.25 END FROM b WHERE band < 70)
INSERT INTO stability_bands (lower_bound, band) SELECT lower_bound, band FROM b;

CREATE TABLE memory_totals (
    community_id      INTEGER NOT NULL,
    deck_id           TEXT    NOT NULL,
    review_day        INTEGER NOT NULL,     -- last_review / 86400 (UTC days)
    band              INTEGER NOT NULL,     -- stability_bands.band of the stability
    cards             INTEGER NOT NULL,
    inverse_stability REAL    NOT NULL,     -- sum of 1 / stability (days)
    PRIMARY KEY (community_id, deck_id, review_day, band)
) WITHOUT ROWID;

INSERT INTO memory_totals (community_id, deck_id, review_day, band, cards, inverse_stability)
    SELECT c.community_id, c.deck_id, c.last_review / 86400,
           (SELECT b.band FROM stability_bands b WHERE b.lower_bound <= c.stability
            ORDER BY b.lower_bound DESC LIMIT 1) AS band,
           COUNT(*), SUM(1.0 / c.stability)
    FROM card_states c
    WHERE c.community_id IS NOT NULL AND c.last_review IS NOT NULL AND c.stability > 0
    GROUP BY c.community_id, c.deck_id, c.last_review / 86400, band;

CREATE TABLE due_totals (
    community_id      INTEGER NOT NULL,
    deck_id           TEXT    NOT NULL,
    due_day           INTEGER NOT NULL,     -- due / 86400 (UTC days)
    cards             INTEGER NOT NULL,
    PRIMARY KEY (community_id, deck_id, due_day)
) WITHOUT ROWID;

INSERT INTO due_totals (community_id, deck_id, due_day, cards)
    SELECT community_id, deck_id, due / 86400, COUNT(*) FROM card_states
    WHERE community_id IS NOT NULL GROUP BY community_id, deck_id, due / 86400;

-- due_totals counts every memory with a community (as the due index does).
CREATE TRIGGER card_states_due_insert AFTER INSERT ON card_states
WHEN NEW.community_id IS NOT NULL
BEGIN
    INSERT INTO due_totals (community_id, deck_id, due_day, cards)
    VALUES (NEW.community_id, NEW.deck_id, NEW.due / 86400, 1)
    ON CONFLICT (community_id, deck_id, due_day) DO UPDATE SET cards = cards + 1;
END;

CREATE TRIGGER card_states_due_update AFTER UPDATE OF community_id, deck_id, due ON card_states
BEGIN
    UPDATE due_totals SET cards = cards - 1
    WHERE OLD.community_id IS NOT NULL AND community_id = OLD.community_id
      AND deck_id = OLD.deck_id AND due_day = OLD.due / 86400;
    DELETE FROM due_totals
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND due_day = OLD.due / 86400 AND cards <= 0;
    INSERT INTO due_totals (community_id, deck_id, due_day, cards)
    SELECT NEW.community_id, NEW.deck_id, NEW.due / 86400, 1
    WHERE NEW.community_id IS NOT NULL
    ON CONFLICT (community_id, deck_id, due_day) DO UPDATE SET cards = cards + 1;
END;

CREATE TRIGGER card_states_due_delete AFTER DELETE ON card_states
WHEN OLD.community_id IS NOT NULL
BEGIN
    UPDATE due_totals SET cards = cards - 1
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND due_day = OLD.due / 86400;
    DELETE FROM due_totals
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND due_day = OLD.due / 86400 AND cards <= 0;
END;

-- The same guard in every trigger: a memory counts once it has a community, a last
-- review and a stability (every stored memory has the last two).
CREATE TRIGGER card_states_memory_insert AFTER INSERT ON card_states
WHEN NEW.community_id IS NOT NULL AND NEW.last_review IS NOT NULL AND NEW.stability > 0
BEGIN
    INSERT INTO memory_totals
        (community_id, deck_id, review_day, band, cards, inverse_stability)
    VALUES (NEW.community_id, NEW.deck_id, NEW.last_review / 86400,
            (SELECT band FROM stability_bands WHERE lower_bound <= NEW.stability
             ORDER BY lower_bound DESC LIMIT 1),
            1, 1.0 / NEW.stability)
    ON CONFLICT (community_id, deck_id, review_day, band) DO UPDATE SET
        cards = cards + 1,
        inverse_stability = inverse_stability + excluded.inverse_stability;
END;

CREATE TRIGGER card_states_memory_update
AFTER UPDATE OF community_id, deck_id, last_review, stability ON card_states
BEGIN
    UPDATE memory_totals SET
        cards = cards - 1,
        inverse_stability = inverse_stability - 1.0 / OLD.stability
    WHERE OLD.community_id IS NOT NULL AND OLD.last_review IS NOT NULL
      AND OLD.stability > 0
      AND community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND review_day = OLD.last_review / 86400
      AND band = (SELECT band FROM stability_bands WHERE lower_bound <= OLD.stability
                  ORDER BY lower_bound DESC LIMIT 1);
    DELETE FROM memory_totals
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND review_day = OLD.last_review / 86400 AND cards <= 0;
    INSERT INTO memory_totals
        (community_id, deck_id, review_day, band, cards, inverse_stability)
    SELECT NEW.community_id, NEW.deck_id, NEW.last_review / 86400,
           (SELECT band FROM stability_bands WHERE lower_bound <= NEW.stability
            ORDER BY lower_bound DESC LIMIT 1),
           1, 1.0 / NEW.stability
    WHERE NEW.community_id IS NOT NULL AND NEW.last_review IS NOT NULL AND NEW.stability > 0
    ON CONFLICT (community_id, deck_id, review_day, band) DO UPDATE SET
        cards = cards + 1,
        inverse_stability = inverse_stability + excluded.inverse_stability;
END;

CREATE TRIGGER card_states_memory_delete AFTER DELETE ON card_states
WHEN OLD.community_id IS NOT NULL AND OLD.last_review IS NOT NULL AND OLD.stability > 0
BEGIN
    UPDATE memory_totals SET
        cards = cards - 1,
        inverse_stability = inverse_stability - 1.0 / OLD.stability
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND review_day = OLD.last_review / 86400
      AND band = (SELECT band FROM stability_bands WHERE lower_bound <= OLD.stability
                  ORDER BY lower_bound DESC LIMIT 1);
    DELETE FROM memory_totals
    WHERE community_id = OLD.community_id AND deck_id = OLD.deck_id
      AND review_day = OLD.last_review / 86400 AND cards <= 0;
END;

-- Explain answers' texts -------------------------------------------------------------

ALTER TABLE reviews ADD COLUMN answer TEXT;
-- /quiz-admin grading: one card's latest answers in one community.
CREATE INDEX reviews_community_card_answers
    ON reviews(community_id, deck_id, card_id, reviewed_at, id)
    WHERE answer IS NOT NULL;

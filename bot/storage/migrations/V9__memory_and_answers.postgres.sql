-- The class view's memory figures (predicted recall, reviews coming due) and the
-- teacher's view of explain answers: the same tables, columns and arithmetic as
-- V9__memory_and_answers.sqlite.sql (whose header explains them).

ALTER TABLE card_states ADD COLUMN community_id bigint;

UPDATE card_states c SET community_id = l.community_id
FROM (
    SELECT DISTINCT ON (learner_id, deck_id, card_id) learner_id, deck_id, card_id, community_id
    FROM reviews WHERE community_id IS NOT NULL
    ORDER BY learner_id, deck_id, card_id, reviewed_at DESC, id DESC) l
WHERE l.learner_id = c.learner_id AND l.deck_id = c.deck_id AND l.card_id = c.card_id;

CREATE INDEX card_states_community_due
    ON card_states(community_id, deck_id, due, learner_id, card_id);
CREATE INDEX card_states_community_learner
    ON card_states(community_id, learner_id, deck_id);

CREATE TABLE stability_bands (
    lower_bound double precision PRIMARY KEY,
    band        integer NOT NULL UNIQUE
);
WITH RECURSIVE b(band, lower_bound) AS (
    SELECT 0, 0.0::double precision
    UNION ALL
    SELECT band + 1, CASE WHEN band = 0 THEN 0.01::double precision ELSE lower_bound * 1.25 END
    FROM b WHERE band < 70)
INSERT INTO stability_bands (lower_bound, band) SELECT lower_bound, band FROM b;

CREATE TABLE memory_totals (
    community_id      bigint  NOT NULL,
    deck_id           text    NOT NULL,
    review_day        bigint  NOT NULL,
    band              integer NOT NULL,
    cards             integer NOT NULL,
    inverse_stability double precision NOT NULL,
    PRIMARY KEY (community_id, deck_id, review_day, band)
);

CREATE TABLE due_totals (
    community_id      bigint  NOT NULL,
    deck_id           text    NOT NULL,
    due_day           bigint  NOT NULL,
    cards             integer NOT NULL,
    PRIMARY KEY (community_id, deck_id, due_day)
);
INSERT INTO due_totals (community_id, deck_id, due_day, cards)
    SELECT community_id, deck_id, due / 86400, COUNT(*) FROM card_states
    WHERE community_id IS NOT NULL GROUP BY 1, 2, 3;

CREATE FUNCTION stability_band(stability double precision) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT band FROM stability_bands WHERE lower_bound <= stability
    ORDER BY lower_bound DESC LIMIT 1
$$;

INSERT INTO memory_totals (community_id, deck_id, review_day, band, cards, inverse_stability)
    SELECT community_id, deck_id, last_review / 86400, stability_band(stability),
           COUNT(*), SUM(1.0 / stability)
    FROM card_states
    WHERE community_id IS NOT NULL AND last_review IS NOT NULL AND stability > 0
    GROUP BY 1, 2, 3, 4;

CREATE FUNCTION card_states_to_memory_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.community_id IS NOT NULL
       AND OLD.last_review IS NOT NULL AND OLD.stability > 0 THEN
        UPDATE memory_totals m SET
            cards = m.cards - 1,
            inverse_stability = m.inverse_stability - 1.0 / OLD.stability
        WHERE m.community_id = OLD.community_id AND m.deck_id = OLD.deck_id
          AND m.review_day = OLD.last_review / 86400
          AND m.band = stability_band(OLD.stability);
        DELETE FROM memory_totals m
        WHERE m.community_id = OLD.community_id AND m.deck_id = OLD.deck_id
          AND m.review_day = OLD.last_review / 86400 AND m.cards <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.community_id IS NOT NULL
       AND NEW.last_review IS NOT NULL AND NEW.stability > 0 THEN
        INSERT INTO memory_totals
            (community_id, deck_id, review_day, band, cards, inverse_stability)
        VALUES (NEW.community_id, NEW.deck_id, NEW.last_review / 86400,
                stability_band(NEW.stability), 1, 1.0 / NEW.stability)
        ON CONFLICT (community_id, deck_id, review_day, band) DO UPDATE SET
            cards = memory_totals.cards + 1,
            inverse_stability = memory_totals.inverse_stability + excluded.inverse_stability;
    END IF;
    RETURN NULL;
END;
$$;
-- due_totals counts every memory with a community (as the due index does).
CREATE FUNCTION card_states_to_due_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.community_id IS NOT NULL THEN
        UPDATE due_totals d SET cards = d.cards - 1
        WHERE d.community_id = OLD.community_id AND d.deck_id = OLD.deck_id
          AND d.due_day = OLD.due / 86400;
        DELETE FROM due_totals d
        WHERE d.community_id = OLD.community_id AND d.deck_id = OLD.deck_id
          AND d.due_day = OLD.due / 86400 AND d.cards <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.community_id IS NOT NULL THEN
        INSERT INTO due_totals (community_id, deck_id, due_day, cards)
        VALUES (NEW.community_id, NEW.deck_id, NEW.due / 86400, 1)
        ON CONFLICT (community_id, deck_id, due_day) DO UPDATE SET
            cards = due_totals.cards + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER card_states_due_insert AFTER INSERT ON card_states
    FOR EACH ROW EXECUTE FUNCTION card_states_to_due_totals();
CREATE TRIGGER card_states_due_update AFTER UPDATE OF community_id, deck_id, due ON card_states
    FOR EACH ROW EXECUTE FUNCTION card_states_to_due_totals();
CREATE TRIGGER card_states_due_delete AFTER DELETE ON card_states
    FOR EACH ROW EXECUTE FUNCTION card_states_to_due_totals();

CREATE TRIGGER card_states_memory_insert AFTER INSERT ON card_states
    FOR EACH ROW EXECUTE FUNCTION card_states_to_memory_totals();
CREATE TRIGGER card_states_memory_update
    AFTER UPDATE OF community_id, deck_id, last_review, stability ON card_states
    FOR EACH ROW EXECUTE FUNCTION card_states_to_memory_totals();
CREATE TRIGGER card_states_memory_delete AFTER DELETE ON card_states
    FOR EACH ROW EXECUTE FUNCTION card_states_to_memory_totals();

ALTER TABLE reviews ADD COLUMN answer text;
CREATE INDEX reviews_community_card_answers
    ON reviews(community_id, deck_id, card_id, reviewed_at, id)
    WHERE answer IS NOT NULL;

-- Schema 11: fewer b-trees for each graded answer to maintain.
--
-- At a million reviews an answer's cost above an empty database's is its page-cache
-- misses: every b-tree whose key is a learner or a moving roll-up value puts a cold
-- leaf in the answer's path (bench/storage_bench.py). These five were each moved on
-- every answer for a read that a range of an index kept anyway can serve:
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
--   of a day. The member heatmap now takes the learner's days from learner_hours and
--   seeks each on the primary key. It also served the foreign key's cascade, which
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

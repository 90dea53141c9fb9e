-- Schema 11 on PostgreSQL: fewer b-trees for each graded answer to maintain (see the
-- SQLite file for which reads use what instead).
--
-- On PostgreSQL dropping them does more: an UPDATE that changes no indexed column
-- and finds room on its page is a heap-only tuple update, which writes no index entry
-- at all. With xp, the share and last_at no longer indexed, the answer's updates of
-- community_learners, review_totals, learner_totals and learners change only
-- unindexed columns. fillfactor 90 leaves each new page that room (rows already
-- stored get it as their pages are pruned).
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
ALTER TABLE learner_totals SET (fillfactor = 90);
ALTER TABLE learners SET (fillfactor = 90);

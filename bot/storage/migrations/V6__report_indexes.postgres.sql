-- Schema 6 on PostgreSQL: the accuracy board's index in double precision.
-- PostgreSQL's REAL is a 4-byte float (SQLite's is 8 bytes): V5's index ranked
-- shares whose denominators pass ~4,000 as ties where SQLite tells them apart, and
-- the board's accuracy would differ between the backends. The query spells the
-- expression the same way (bot.storage.reports.leaderboard.accuracy_sql).
-- bot.core.leaderboard.MIN_ACCURACY_REVIEWS = 5 (a test holds the copies together).
DROP INDEX community_learners_accuracy;
CREATE INDEX community_learners_accuracy
    ON community_learners(community_id, (CAST(correct AS DOUBLE PRECISION) / reviews) DESC,
                          reviews DESC, learner_id)
    WHERE reviews >= 5;

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

-- A deleted review that was a learner's latest in a community (or deck) moved last_at
-- nowhere: V3 to V5 keep it as a running MAX. The class view counts active learners
-- by last_at, so it must follow deletes too. (COALESCE: when the row's last review
-- goes, reviews_remove_from_rollups deletes the row anyway, in either order.)
CREATE FUNCTION reviews_remove_last_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE review_totals t SET last_at = COALESCE((
        SELECT MAX(r.reviewed_at) FROM reviews r
        WHERE r.learner_id = OLD.learner_id AND r.community_id = OLD.community_id
          AND r.deck_id = OLD.deck_id), t.last_at)
    WHERE t.community_id = OLD.community_id AND t.learner_id = OLD.learner_id
      AND t.deck_id = OLD.deck_id AND t.last_at = OLD.reviewed_at;
    UPDATE community_learners g SET last_at = COALESCE((
        SELECT MAX(r.reviewed_at) FROM reviews r
        WHERE r.learner_id = OLD.learner_id AND r.community_id = OLD.community_id), g.last_at)
    WHERE g.community_id = OLD.community_id AND g.learner_id = OLD.learner_id
      AND g.last_at = OLD.reviewed_at;
    RETURN NULL;
END;
$$;
CREATE TRIGGER reviews_remove_last_at AFTER DELETE ON reviews
    FOR EACH ROW WHEN (OLD.community_id IS NOT NULL)
    EXECUTE FUNCTION reviews_remove_last_at();

-- Schema 6 on SQLite. The accuracy index is unchanged (PostgreSQL's moves to double
-- precision, which SQLite's REAL already is).
--
-- A deleted review that was a learner's latest in a community (or deck) moved last_at
-- nowhere: V3 to V5 keep it as a running MAX. The class view counts active learners
-- by last_at, so it must follow deletes too. (COALESCE: when the row's last review
-- goes, reviews_remove_from_rollups deletes the row anyway, in either order.)
CREATE TRIGGER reviews_remove_last_at AFTER DELETE ON reviews
WHEN OLD.community_id IS NOT NULL
BEGIN
    UPDATE review_totals SET last_at = COALESCE((
        SELECT MAX(r.reviewed_at) FROM reviews r
        WHERE r.learner_id = OLD.learner_id AND r.community_id = OLD.community_id
          AND r.deck_id = OLD.deck_id), last_at)
    WHERE community_id = OLD.community_id AND learner_id = OLD.learner_id
      AND deck_id = OLD.deck_id AND last_at = OLD.reviewed_at;
    UPDATE community_learners SET last_at = COALESCE((
        SELECT MAX(r.reviewed_at) FROM reviews r
        WHERE r.learner_id = OLD.learner_id AND r.community_id = OLD.community_id), last_at)
    WHERE community_id = OLD.community_id AND learner_id = OLD.learner_id
      AND last_at = OLD.reviewed_at;
END;

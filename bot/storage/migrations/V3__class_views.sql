-- Indexes for the moderator views (leaderboard, class progress, export) and /quiz stats.
--
-- Every index below is *covering* for the query it serves: SQLite answers from the
-- index b-tree alone and never visits the table rows, which is what keeps a
-- leaderboard page over a million-row log in the low milliseconds
-- (bench/queries_bench.py measures it and prints the query plans).

-- Leaderboard for the week or the month, and active learners in class progress:
-- one guild, a range of time, then the columns the aggregates read.
CREATE INDEX reviews_guild_time_cover
    ON reviews(guild_id, reviewed_at, user_id, xp, correct);

-- The same for one deck (leaderboard and class progress with a deck option).
CREATE INDEX reviews_guild_deck_time_cover
    ON reviews(guild_id, deck_id, reviewed_at, user_id, xp, correct);

-- All-time leaderboard and the CSV export: rows arrive already grouped by
-- (user_id, deck_id), so GROUP BY streams without a sort, and the export's keyset
-- pagination (user_id, deck_id) > (?, ?) is an index seek.
CREATE INDEX reviews_guild_user_cover
    ON reviews(guild_id, user_id, deck_id, reviewed_at, xp, correct);

-- Hardest cards: per-card attempts and right answers, grouped in index order.
CREATE INDEX reviews_guild_card_cover
    ON reviews(guild_id, deck_id, card_id, correct, reviewed_at);

-- Most missed explain concepts: only explain answers that missed something are
-- indexed (a small share of the log), so the scan touches nothing else.
CREATE INDEX reviews_guild_missed
    ON reviews(guild_id, deck_id, card_id, reviewed_at, concepts_missed)
    WHERE concepts_missed IS NOT NULL;

-- /quiz stats: a learner's review count, right answers and activity by day.
CREATE INDEX reviews_user_time_cover
    ON reviews(user_id, reviewed_at, correct);

-- V1's indexes below are prefixes of the covering ones above, so they can no longer
-- win a query plan; dropping them saves a b-tree update on every logged answer.
-- (reviews_user_time_cover still starts with user_id, which the ON DELETE CASCADE
-- from learners needs.)
DROP INDEX reviews_guild_time;
DROP INDEX reviews_user_time;
DROP INDEX reviews_guild_deck_card;

-- Indexes for the moderator views (filled in by the leaderboard work).
CREATE TABLE IF NOT EXISTS schema_notes (note TEXT);

-- Schema 10 on PostgreSQL: decks uploaded by a community's moderators (/quiz-admin deck upload).
--
-- A row per (community, deck id) ever uploaded there. ``deck_key`` is the id that
-- card_states, reviews, quiz_sessions and daily_posts use for the deck's cards: the
-- plain id plus '@' and the community's internal id. '@' is outside the deck id
-- pattern, so no uploaded key can equal a bundled deck's id nor another community's
-- key, while learners see and type the plain ``deck_id``.
-- ``source`` is the deck in the deck format (what ``download`` returns); ``deck_json``
-- the same deck as the models' JSON (loaded by every process without a YAML parse).
-- Both are NULL once the deck is removed: the row stays, with a new revision, so
-- that every process learns of the removal; the review log keeps its rows.
CREATE TABLE server_decks (
    community_id bigint  NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    deck_id      text    NOT NULL,
    deck_key     text    NOT NULL UNIQUE,
    title        text    NOT NULL,
    counts       text    NOT NULL,           -- JSON {"flashcard": n, "mcq": n, "explain": n}
    media_dropped integer NOT NULL DEFAULT 0,
    source       text,                       -- deck YAML; NULL = removed
    deck_json    text,                       -- the models' JSON; NULL = removed
    uploaded_by  text    NOT NULL,           -- platform:external_id of the moderator
    uploaded_at  bigint  NOT NULL,
    revision     bigint  NOT NULL,
    PRIMARY KEY (community_id, deck_id)
);
CREATE INDEX server_decks_revision ON server_decks(revision);

-- One row: the revision of the last upload or removal anywhere. Each process
-- compares it with the revision of its in-memory catalog; taking the next value
-- with UPDATE ... RETURNING queues concurrent uploads, so revisions commit in order.
CREATE TABLE server_deck_revision (
    id       integer PRIMARY KEY CHECK (id = 1),
    revision bigint  NOT NULL
);
INSERT INTO server_deck_revision (id, revision) VALUES (1, 0);

-- The deck texts are stored as they are: pglz compression of a 5,000-card deck's
-- ~1 MB would take the server's CPU from everyone else's clicks at each upload,
-- for a table of a few rows per community.
ALTER TABLE server_decks ALTER COLUMN source SET STORAGE EXTERNAL;
ALTER TABLE server_decks ALTER COLUMN deck_json SET STORAGE EXTERNAL;

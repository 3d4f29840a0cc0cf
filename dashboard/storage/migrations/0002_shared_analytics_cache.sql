-- dashboard/sync/shared.py: the analytics cache shared by replicas.

-- The newest published cache file of each (workspace, credential) pair, its SQLite serialisation.
CREATE TABLE cache_snapshots (
    cache TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, version BIGINT NOT NULL, content BYTEA NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE INDEX cache_snapshots_by_workspace ON cache_snapshots (workspace_id);

-- Conversations to re-fetch at the next refresh: of every cache of the workspace (identity NULL) or one's.
CREATE TABLE cache_marks (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id TEXT NOT NULL, identity TEXT,
    conversation_id BIGINT NOT NULL, marked_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE INDEX cache_marks_by_workspace ON cache_marks (workspace_id, seq);

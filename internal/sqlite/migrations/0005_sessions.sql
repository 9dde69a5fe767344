-- Sign-in: browser sessions and API tokens. Only SHA-256 hashes of their
-- secrets are stored. Both go with their user (ON DELETE CASCADE).

CREATE TABLE sessions (
	token_hash   BLOB    PRIMARY KEY NOT NULL,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	idle_expires INTEGER NOT NULL,
	expires      INTEGER NOT NULL,
	remote       TEXT    NOT NULL DEFAULT '',
	user_agent   TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_idle_expires ON sessions (idle_expires);

CREATE TABLE api_tokens (
	id         INTEGER PRIMARY KEY,
	token_hash BLOB    NOT NULL UNIQUE,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name       TEXT    NOT NULL DEFAULT '',
	scopes     TEXT    NOT NULL DEFAULT '', -- comma-separated matthan.Scope
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL DEFAULT 0, -- 0: never
	last_used  INTEGER NOT NULL DEFAULT 0  -- 0: not yet
) STRICT;

CREATE INDEX api_tokens_user ON api_tokens (user_id);

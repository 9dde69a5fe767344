-- Saved video wall layouts: each user's own named views (size, ordered
-- cameras, rotation). They go with their user (ON DELETE CASCADE).

CREATE TABLE layouts (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name       TEXT    NOT NULL,
	size       INTEGER NOT NULL,          -- tiles per page: 1, 4, 9, 16 or 25
	cameras    TEXT    NOT NULL DEFAULT '[]', -- JSON array of camera IDs, in order
	rotation   INTEGER NOT NULL DEFAULT 0,  -- seconds per page; 0: no rotation
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (user_id, name)
) STRICT;

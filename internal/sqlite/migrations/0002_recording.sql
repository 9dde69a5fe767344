-- Recording: the index of segment files and the gaps between them.
-- Wall times are INTEGER microseconds (UTC) like the rest of the schema;
-- media times and durations are INTEGER nanoseconds (Go's time.Duration).
--
-- No foreign key to cameras: footage outlives registry edits, and only
-- retention deletes it.

ALTER TABLE cameras ADD COLUMN record_sub INTEGER NOT NULL DEFAULT 0 CHECK (record_sub IN (0, 1));

CREATE TABLE segments (
	id          INTEGER PRIMARY KEY,
	camera_id   TEXT    NOT NULL,
	stream      TEXT    NOT NULL,
	path        TEXT    NOT NULL UNIQUE, -- below the recordings directory, '/'-separated
	start_at    INTEGER NOT NULL,
	end_at      INTEGER NOT NULL,
	media_start INTEGER NOT NULL DEFAULT 0,
	duration    INTEGER NOT NULL DEFAULT 0,
	frames      INTEGER NOT NULL DEFAULT 0,
	bytes       INTEGER NOT NULL DEFAULT 0,
	codec       TEXT    NOT NULL DEFAULT '',
	width       INTEGER NOT NULL DEFAULT 0,
	height      INTEGER NOT NULL DEFAULT 0,
	audio       TEXT    NOT NULL DEFAULT '',
	keyframes   TEXT    NOT NULL DEFAULT '[]', -- JSON [[offset, media ns], ...]
	sha256      TEXT    NOT NULL DEFAULT '',
	prev_sha256 TEXT    NOT NULL DEFAULT '',
	recovered   INTEGER NOT NULL DEFAULT 0 CHECK (recovered IN (0, 1)),
	CHECK (end_at >= start_at)
) STRICT;

-- Listing a stream's footage and finding its newest segment.
CREATE INDEX segments_camera_stream_start ON segments (camera_id, stream, start_at);
-- Overlap queries (start < to AND end > from) bound start from below by
-- from less the longest span, which this index gives at once.
CREATE INDEX segments_span ON segments (end_at - start_at);
-- Retention and listings across cameras, oldest first.
CREATE INDEX segments_start ON segments (start_at);

CREATE TABLE gaps (
	id        INTEGER PRIMARY KEY,
	camera_id TEXT    NOT NULL,
	stream    TEXT    NOT NULL,
	start_at  INTEGER NOT NULL,
	end_at    INTEGER,            -- NULL while the gap is open
	reason    TEXT    NOT NULL,
	detail    TEXT    NOT NULL DEFAULT '',
	CHECK (end_at IS NULL OR end_at >= start_at)
) STRICT;

CREATE INDEX gaps_camera_stream_start ON gaps (camera_id, stream, start_at);
CREATE INDEX gaps_start ON gaps (start_at);
CREATE INDEX gaps_open ON gaps (start_at) WHERE end_at IS NULL;

-- Times are INTEGER microseconds since the Unix epoch, UTC: they sort and
-- compare as numbers, and microseconds match PostgreSQL's timestamptz.

CREATE TABLE cameras (
	id              TEXT    PRIMARY KEY NOT NULL,
	name            TEXT    NOT NULL DEFAULT '',
	area            TEXT    NOT NULL DEFAULT '',
	address         TEXT    NOT NULL DEFAULT '',
	latitude        REAL    NOT NULL DEFAULT 0,
	longitude       REAL    NOT NULL DEFAULT 0,
	owner_kind      TEXT    NOT NULL DEFAULT '',
	owner_name      TEXT    NOT NULL DEFAULT '',
	owner_contact   TEXT    NOT NULL DEFAULT '',
	source          TEXT    NOT NULL DEFAULT '',
	main_url        TEXT    NOT NULL DEFAULT '',
	sub_url         TEXT    NOT NULL DEFAULT '',
	username        TEXT    NOT NULL DEFAULT '',
	password_sealed BLOB,   -- matthan.Sealer output; NULL when there is no password
	enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	tags            TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
	notes           TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX cameras_area ON cameras (area);
CREATE INDEX cameras_owner_kind ON cameras (owner_kind);
CREATE INDEX cameras_enabled ON cameras (enabled);

CREATE TABLE health_events (
	id        INTEGER PRIMARY KEY,
	camera_id TEXT    NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
	stream    TEXT    NOT NULL,
	from_state TEXT   NOT NULL DEFAULT '',
	to_state  TEXT    NOT NULL,
	reason    TEXT    NOT NULL DEFAULT '',
	reason_vi TEXT    NOT NULL DEFAULT '',
	at        INTEGER NOT NULL
) STRICT;

CREATE INDEX health_events_camera_at ON health_events (camera_id, at);
CREATE INDEX health_events_at ON health_events (at);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE,
	role          TEXT    NOT NULL,
	password_hash TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL
) STRICT;

-- No foreign key to cameras: the audit trail outlives what it mentions.
CREATE TABLE audit (
	id        INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	user      TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	camera_id TEXT    NOT NULL DEFAULT '',
	stream    TEXT    NOT NULL DEFAULT '',
	remote    TEXT    NOT NULL DEFAULT '',
	detail    TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_user_at ON audit (user, at);
CREATE INDEX audit_camera_at ON audit (camera_id, at);

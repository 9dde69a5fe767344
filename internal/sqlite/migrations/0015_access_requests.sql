-- Officers' requests to see footage of cameras shared "on request", and
-- the owners' answers. Times are microseconds since the epoch, UTC;
-- decided_at and until are 0 until the owner answers. No foreign keys: a
-- request is part of the record of who saw what, and outlives its camera.

CREATE TABLE access_requests (
	id         INTEGER PRIMARY KEY,
	camera_id  TEXT    NOT NULL,
	requester  TEXT    NOT NULL,
	from_us    INTEGER NOT NULL,
	to_us      INTEGER NOT NULL,
	reason     TEXT    NOT NULL,
	case_id    INTEGER NOT NULL DEFAULT 0,
	status     TEXT    NOT NULL DEFAULT 'pending',
	decided_by TEXT    NOT NULL DEFAULT '',
	decided_at INTEGER NOT NULL DEFAULT 0,
	note       TEXT    NOT NULL DEFAULT '',
	until      INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX access_requests_camera ON access_requests (camera_id, created_at);
CREATE INDEX access_requests_requester ON access_requests (requester, created_at);

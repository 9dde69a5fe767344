-- Reminders (nhắc nhở) an officer sends to the owner of a camera's place.
-- Times are microseconds since the epoch, UTC; acked_at is 0 until the
-- owner acknowledges. No foreign keys: a reminder is the ward's record and
-- outlives its camera, its event and the owner's account.

CREATE TABLE reminders (
	id            INTEGER PRIMARY KEY,
	camera_id     TEXT    NOT NULL,
	recipient     TEXT    NOT NULL DEFAULT '',  -- contributor user name; '' for a ward camera
	email         TEXT    NOT NULL DEFAULT '',
	event_id      TEXT    NOT NULL DEFAULT '',
	snapshot_path TEXT    NOT NULL DEFAULT '',
	seen_at       INTEGER NOT NULL,
	what          TEXT    NOT NULL,
	advice        TEXT    NOT NULL,
	created_by    TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	acked_at      INTEGER NOT NULL DEFAULT 0,
	ack_note      TEXT    NOT NULL DEFAULT '',
	follow_up_at  INTEGER NOT NULL,
	follow_ups    INTEGER NOT NULL DEFAULT 0,
	delivered     TEXT    NOT NULL DEFAULT '{}'  -- JSON matthan.Delivery
) STRICT;

CREATE INDEX reminders_recipient ON reminders (recipient, created_at);
CREATE INDEX reminders_camera ON reminders (camera_id, created_at);
CREATE INDEX reminders_open ON reminders (follow_up_at) WHERE acked_at = 0;

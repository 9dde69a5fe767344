-- Analytics events: what the ward's rules noticed on a camera, with the
-- officers' reviews. No foreign key to cameras: events and their review
-- labels outlive the camera and its footage, like the audit trail.

CREATE TABLE analytics_events (
	id          TEXT    PRIMARY KEY NOT NULL,
	type        TEXT    NOT NULL,
	camera_id   TEXT    NOT NULL,
	zone        TEXT    NOT NULL DEFAULT '',
	start_at    INTEGER NOT NULL,
	end_at      INTEGER NOT NULL,
	track_ids   TEXT    NOT NULL DEFAULT '[]', -- JSON array of track IDs
	box_x1      REAL    NOT NULL DEFAULT 0,    -- normalised 0..1
	box_y1      REAL    NOT NULL DEFAULT 0,
	box_x2      REAL    NOT NULL DEFAULT 0,
	box_y2      REAL    NOT NULL DEFAULT 0,
	severity    TEXT    NOT NULL,
	summary     TEXT    NOT NULL DEFAULT '',
	summary_vi  TEXT    NOT NULL DEFAULT '',
	snapshot    TEXT    NOT NULL DEFAULT '',   -- relative to the events directory
	review      TEXT    NOT NULL DEFAULT 'none',
	review_note TEXT    NOT NULL DEFAULT '',
	reviewed_by TEXT    NOT NULL DEFAULT '',
	reviewed_at INTEGER NOT NULL DEFAULT 0     -- 0: not reviewed
) STRICT;

CREATE INDEX analytics_events_start ON analytics_events (start_at);
CREATE INDEX analytics_events_camera_start ON analytics_events (camera_id, start_at);
CREATE INDEX analytics_events_review_start ON analytics_events (review, start_at);

-- Each camera's analytics settings (zones, lines, motion masks, rules), as
-- the pipeline's JSON, checked before it is stored. A camera without a row
-- is analysed with the defaults; the row goes with its camera.

CREATE TABLE analytics_settings (
	camera_id  TEXT    PRIMARY KEY NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
	settings   TEXT    NOT NULL,
	updated_at INTEGER NOT NULL,
	updated_by TEXT    NOT NULL DEFAULT ''
) STRICT;

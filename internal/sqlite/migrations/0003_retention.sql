-- Retention: per-camera days and quota, running byte totals for the
-- quota and free-space rules, and evidence locks.

-- 0 means the node's default (days) or no quota of its own (bytes).
ALTER TABLE cameras ADD COLUMN retain_days INTEGER NOT NULL DEFAULT 0 CHECK (retain_days BETWEEN 0 AND 3650);
ALTER TABLE cameras ADD COLUMN quota_bytes INTEGER NOT NULL DEFAULT 0 CHECK (quota_bytes >= 0);

-- What each camera's footage takes, kept by triggers so that a retention
-- sweep every minute reads a few rows instead of summing millions.
CREATE TABLE recording_usage (
	camera_id TEXT    PRIMARY KEY NOT NULL,
	segments  INTEGER NOT NULL DEFAULT 0,
	bytes     INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO recording_usage (camera_id, segments, bytes)
	SELECT camera_id, COUNT(*), SUM(bytes) FROM segments GROUP BY camera_id;

CREATE TRIGGER segments_usage_insert AFTER INSERT ON segments BEGIN
	INSERT INTO recording_usage (camera_id, segments, bytes) VALUES (NEW.camera_id, 1, NEW.bytes)
		ON CONFLICT (camera_id) DO UPDATE SET segments = segments + 1, bytes = bytes + NEW.bytes;
END;

CREATE TRIGGER segments_usage_delete AFTER DELETE ON segments BEGIN
	UPDATE recording_usage SET segments = segments - 1, bytes = bytes - OLD.bytes
		WHERE camera_id = OLD.camera_id;
	DELETE FROM recording_usage WHERE camera_id = OLD.camera_id AND segments <= 0;
END;

CREATE TRIGGER segments_usage_update AFTER UPDATE OF camera_id, bytes ON segments BEGIN
	UPDATE recording_usage SET segments = segments - 1, bytes = bytes - OLD.bytes
		WHERE camera_id = OLD.camera_id;
	INSERT INTO recording_usage (camera_id, segments, bytes) VALUES (NEW.camera_id, 1, NEW.bytes)
		ON CONFLICT (camera_id) DO UPDATE SET segments = segments + 1, bytes = bytes + NEW.bytes;
	DELETE FROM recording_usage WHERE camera_id = OLD.camera_id AND segments <= 0;
END;

-- An officer's lock on a camera's footage in [start_at, end_at) for a case.
-- No foreign key to cameras, like segments: the lock outlives registry edits.
CREATE TABLE evidence_locks (
	id          INTEGER PRIMARY KEY,
	camera_id   TEXT    NOT NULL,
	start_at    INTEGER NOT NULL,
	end_at      INTEGER NOT NULL,
	case_number TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	created_by  TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	released_by TEXT    NOT NULL DEFAULT '',
	released_at INTEGER,            -- NULL while the lock holds
	CHECK (end_at > start_at),
	CHECK ((released_at IS NULL) = (released_by = ''))
) STRICT;

CREATE INDEX evidence_locks_camera_start ON evidence_locks (camera_id, start_at);
CREATE INDEX evidence_locks_start ON evidence_locks (start_at);
CREATE INDEX evidence_locks_active ON evidence_locks (camera_id, start_at) WHERE released_at IS NULL;

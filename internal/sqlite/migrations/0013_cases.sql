-- Cases (vụ việc): what an officer attaches to a case and the case's
-- chain of custody. Times are microseconds since the epoch, UTC; 0 for
-- "not yet". No foreign keys to cameras or events: a case is the ward's
-- record and outlives them.
--
-- A case's footage is held by evidence_locks rows labelled with its
-- number. Closing the case schedules their release: released_at is then
-- ClosedAt + keep_days, in the future, and a lock holds until its
-- released_at has passed.

CREATE TABLE cases (
	id          INTEGER PRIMARY KEY,
	number      TEXT    NOT NULL UNIQUE,
	title       TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	status      TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
	opened_by   TEXT    NOT NULL,
	opened_at   INTEGER NOT NULL,
	closed_by   TEXT    NOT NULL DEFAULT '',
	closed_at   INTEGER NOT NULL DEFAULT 0,
	keep_days   INTEGER NOT NULL CHECK (keep_days BETWEEN 1 AND 3650)
) STRICT;

CREATE INDEX cases_status ON cases (status, opened_at);

-- Items are never deleted: a removed one keeps who, when and why.
CREATE TABLE case_items (
	id            INTEGER PRIMARY KEY,
	case_id       INTEGER NOT NULL REFERENCES cases (id),
	kind          TEXT    NOT NULL CHECK (kind IN ('event', 'footage', 'note', 'person', 'vehicle', 'export')),
	event_id      TEXT    NOT NULL DEFAULT '',
	camera_id     TEXT    NOT NULL DEFAULT '',
	from_at       INTEGER NOT NULL DEFAULT 0,
	to_at         INTEGER NOT NULL DEFAULT 0,
	text          TEXT    NOT NULL DEFAULT '',
	export_id     TEXT    NOT NULL DEFAULT '',
	lock_id       INTEGER NOT NULL DEFAULT 0,   -- evidence_locks.id; 0 for none
	added_by      TEXT    NOT NULL,
	added_at      INTEGER NOT NULL,
	removed_by    TEXT    NOT NULL DEFAULT '',
	removed_at    INTEGER NOT NULL DEFAULT 0,
	remove_reason TEXT    NOT NULL DEFAULT '',
	CHECK ((removed_at = 0) = (removed_by = ''))
) STRICT;

CREATE INDEX case_items_case ON case_items (case_id, id);

CREATE TRIGGER case_items_kept BEFORE DELETE ON case_items BEGIN
	SELECT RAISE(ABORT, 'case items are never deleted');
END;

-- The chain of custody: written once, kept forever.
CREATE TABLE case_logs (
	id      INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	at      INTEGER NOT NULL,
	user    TEXT    NOT NULL,
	action  TEXT    NOT NULL,
	item_id INTEGER NOT NULL DEFAULT 0,
	detail  TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX case_logs_case ON case_logs (case_id, id);

CREATE TRIGGER case_logs_no_update BEFORE UPDATE ON case_logs BEGIN
	SELECT RAISE(ABORT, 'the case log is never changed');
END;

CREATE TRIGGER case_logs_no_delete BEFORE DELETE ON case_logs BEGIN
	SELECT RAISE(ABORT, 'the case log is never changed');
END;

CREATE TRIGGER cases_kept BEFORE DELETE ON cases BEGIN
	SELECT RAISE(ABORT, 'cases are never deleted');
END;

-- Each user's choice of which analytics events alert them live. A user
-- without a row gets matthan.DefaultAlertSubscription; the row goes with
-- its user (ON DELETE CASCADE).

CREATE TABLE alert_subscriptions (
	user_id      INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	cameras      TEXT    NOT NULL DEFAULT '[]', -- JSON array of camera IDs; empty: all
	areas        TEXT    NOT NULL DEFAULT '[]', -- JSON array of area names; empty: all
	types        TEXT    NOT NULL DEFAULT '[]', -- JSON array of event types; empty: all
	min_severity TEXT    NOT NULL,
	quiet_from   TEXT    NOT NULL DEFAULT '',   -- HH:MM Asia/Ho_Chi_Minh; '' with quiet_to '': none
	quiet_to     TEXT    NOT NULL DEFAULT '',
	desktop      INTEGER NOT NULL DEFAULT 1,
	updated_at   INTEGER NOT NULL
) STRICT;

-- The donation ledger (xã hội hóa) and what each camera cost. Amounts are
-- whole đồng (INTEGER VND); dates are calendar days in Vietnam, 'YYYY-MM-DD',
-- so they sort and their year is substr(date, 1, 4). Neither table refers to
-- cameras by foreign key: the ledger outlives a camera that is removed.

CREATE TABLE donations (
	id            INTEGER PRIMARY KEY,
	donor_kind    TEXT    NOT NULL,
	donor_name    TEXT    NOT NULL,
	donor_address TEXT    NOT NULL DEFAULT '',
	donor_contact TEXT    NOT NULL DEFAULT '',
	anonymous     INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
	kind          TEXT    NOT NULL,            -- money or equipment
	amount_vnd    INTEGER NOT NULL CHECK (amount_vnd >= 0),
	equipment     TEXT    NOT NULL DEFAULT '',
	date          TEXT    NOT NULL,            -- YYYY-MM-DD
	purpose       TEXT    NOT NULL DEFAULT '',
	works         TEXT    NOT NULL DEFAULT '',
	receipt_no    TEXT    NOT NULL UNIQUE,     -- phiếu thu, e.g. PT-2026-0012
	note          TEXT    NOT NULL DEFAULT '',
	created_by    TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX donations_date ON donations (date);

-- The cameras a donation funded.
CREATE TABLE donation_cameras (
	donation_id INTEGER NOT NULL REFERENCES donations (id) ON DELETE CASCADE,
	camera_id   TEXT    NOT NULL,
	PRIMARY KEY (donation_id, camera_id)
) STRICT;

CREATE INDEX donation_cameras_camera ON donation_cameras (camera_id);

CREATE TABLE camera_costs (
	id         INTEGER PRIMARY KEY,
	camera_id  TEXT    NOT NULL,
	kind       TEXT    NOT NULL,               -- purchase, installation or upkeep
	amount_vnd INTEGER NOT NULL CHECK (amount_vnd > 0),
	date       TEXT    NOT NULL,               -- YYYY-MM-DD
	invoice_no TEXT    NOT NULL DEFAULT '',
	note       TEXT    NOT NULL DEFAULT '',
	created_by TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX camera_costs_camera ON camera_costs (camera_id);
CREATE INDEX camera_costs_date ON camera_costs (date);
